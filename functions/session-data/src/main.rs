//! `session-data`: GET /api/session/{id}/export, GET /api/session/{id}/history and DELETE /api/session/{id}.

use sti_shared::handlers::session_data;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(session_data::routes()).await
}
