//! `upload-url`: POST /api/upload-url.

use sti_shared::handlers::upload_url;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(upload_url::routes()).await
}
