//! `session-validate`: POST /api/session/validate.

use sti_shared::handlers::session_validate;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(session_validate::routes()).await
}
