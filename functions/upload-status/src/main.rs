//! `upload-status`: GET /api/upload/{uploadId}.

use sti_shared::handlers::upload_status;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(upload_status::routes()).await
}
