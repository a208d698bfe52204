//! `session-data`: GET /api/session/{id}/export and DELETE /api/session/{id}.

use sti_shared::http::Endpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(&[Endpoint::SessionData]).await
}
