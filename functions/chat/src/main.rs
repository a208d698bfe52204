//! `chat`: POST /api/chat.

use sti_shared::http::routes;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(routes::chat()).await
}
