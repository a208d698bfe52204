//! `metrics`: GET /api/metrics.

use sti_shared::handlers::metrics;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(metrics::routes()).await
}
