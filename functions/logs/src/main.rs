//! `logs`: GET /api/logs.

use sti_shared::handlers::logs;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(logs::routes()).await
}
