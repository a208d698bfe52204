//! `health`: GET /api/health.

use sti_shared::handlers::health;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(health::routes()).await
}
