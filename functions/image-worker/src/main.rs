//! `image-worker`: SQS batches whose bodies are S3 `ObjectCreated` notifications (or the
//! embedded queue's `{"key": …}` jobs), answered with partial batch failures.

// Its allocator's settings are in the template (GLIBC_TUNABLES of ImageWorkerFunction): a
// photo's multi-megabyte buffers stay with the process for the next one.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_worker().await
}
