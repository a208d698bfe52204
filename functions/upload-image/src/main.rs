//! `upload-image`: POST /api/upload-image.

use sti_shared::http::Endpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(&[Endpoint::UploadImage]).await
}
