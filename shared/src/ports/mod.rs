//! Ports: the storage, queue and secret interfaces every backend implements. Handlers
//! and the worker talk only to these traits; the embedded (SQLite) and AWS backends
//! pass the same contract tests (`contract`).

mod applog;
mod blobs;
mod counters;
mod queue;
mod ratelimit;
mod secrets;
mod sessions;
mod signing;
mod tickets;
mod uploads;

#[cfg(any(test, feature = "contract-tests"))]
pub mod contract;

use std::sync::Arc;

pub use applog::{AppLog, LogEntry, LogLevel};
pub use blobs::{BlobStore, is_valid_blob_key};
pub use counters::{Counters, DailyDelta};
pub use queue::{Delivery, Job, JobQueue};
pub use ratelimit::{Gcra, PendingHits, RateDecision, RateLimiter, tat_free_at_ms};
pub use secrets::{Secret, SecretValues, Secrets};
pub use sessions::{Abandoned, CommitOutcome, Riders, Role, Session, SessionStore, TranscriptEntry, TurnRecord};
pub use signing::{PutGrant, SignedPut, UploadSigner};
pub use tickets::{
    CreateTicketOutcome, NewTicket, Notification, NotifyState, Resolution, Ticket, TicketAnnouncer, TicketImage,
    TicketStatus, TicketStore,
};
pub use uploads::{Upload, UploadOutcome, UploadStatus, UploadStore, original_key};

/// Why a store operation failed. Conflicts of conditional writes are not errors: they
/// are outcomes of the operations that have them.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The service is down, throttling or unreachable: try again later (HTTP 503).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back: a bug or tampering (HTTP 500).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The store refused a request as invalid (an item over the size limit, say): the
    /// same request will never succeed, so it is no "retry later" (HTTP 500).
    #[error("the store refused the request: {0}")]
    Rejected(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Every port, as one cloneable bundle built once per process.
#[derive(Clone)]
pub struct Backend {
    pub name: &'static str,
    pub sessions: Arc<dyn SessionStore>,
    pub tickets: Arc<dyn TicketStore>,
    pub uploads: Arc<dyn UploadStore>,
    pub blobs: Arc<dyn BlobStore>,
    pub queue: Arc<dyn JobQueue>,
    pub limiter: Arc<dyn RateLimiter>,
    pub counters: Arc<dyn Counters>,
    pub applog: Arc<dyn AppLog>,
    pub secrets: Arc<dyn Secrets>,
    pub signer: Arc<dyn UploadSigner>,
}
