use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::StoreResult;

/// Work for the image worker: the blob key of an upload (`uploads/{session}/{upload}`),
/// the same thing an S3 notification carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub key: String,
}

/// A job handed to one consumer until `ack`, `retry_later`, or the lease expires, after
/// which it is delivered again (at-least-once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub receipt: String,
    pub job: Job,
    /// 1 on first delivery.
    pub attempt: u32,
}

#[async_trait]
pub trait JobQueue: Send + Sync {
    async fn enqueue(&self, job: &Job) -> StoreResult<()>;
    /// True when storing an upload already queues its job (S3 notifications to SQS), so
    /// the upload handler must not enqueue it a second time.
    fn fed_by_storage_events(&self) -> bool {
        false
    }
    /// Up to `max` visible jobs, each hidden from other consumers for `lease_ms`.
    async fn receive(&self, max: usize, lease_ms: i64, now: i64) -> StoreResult<Vec<Delivery>>;
    /// Done with it: it will not come back. Acking an expired lease is harmless.
    async fn ack(&self, receipt: &str) -> StoreResult<()>;
    /// Give it back, visible again after `delay_ms`.
    async fn retry_later(&self, receipt: &str, delay_ms: i64, now: i64) -> StoreResult<()>;
    /// Jobs waiting or in flight.
    async fn depth(&self) -> StoreResult<u64>;
}
