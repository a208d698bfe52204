//! `chat`: POST /api/chat and POST /api/feedback.

use sti_shared::handlers::chat;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(chat::routes()).await
}
