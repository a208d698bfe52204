//! `image-worker`: SQS batches whose bodies are S3 `ObjectCreated` notifications (or the
//! embedded queue's `{"key": …}` jobs), answered with partial batch failures.

/// A photo goes through buffers of several megabytes (the decoded pixels, the reduced and
/// the upright copy); glibc's allocator hands such blocks back to the kernel when they are
/// freed, so every image paid ~6,300 page faults again (7 ms of a 12 MP photo's 87).
/// mimalloc keeps them for the next image (scripts/image-vs-sharp, docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sti_shared::lambda::Error> {
    sti_shared::lambda::serve_worker().await
}
