//! `image-worker`: SQS batches whose bodies are S3 `ObjectCreated` notifications (or the
//! embedded queue's `{"key": …}` jobs), answered with partial batch failures.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_worker().await
}
