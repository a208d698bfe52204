//! `greeting`: POST /api/greeting.

use sti_shared::handlers::greeting;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(greeting::routes()).await
}
