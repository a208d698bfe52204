//! `upload-image`: POST /api/upload-image.

use sti_shared::handlers::upload_image;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_http(upload_image::routes()).await
}
