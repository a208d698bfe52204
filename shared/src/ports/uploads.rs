use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::StoreResult;
use crate::ids::{SessionId, UploadId};
use crate::images::Analysis;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadStatus {
    Queued,
    Done,
    Failed,
}

impl UploadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadStatus::Queued => "queued",
            UploadStatus::Done => "done",
            UploadStatus::Failed => "failed",
        }
    }
}

/// An uploaded image and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Upload {
    pub id: UploadId,
    pub session_id: SessionId,
    pub created_at: i64,
    pub expires_at: i64,
    pub status: UploadStatus,
    pub content_type: String,
    pub bytes: u64,
    /// Blob key of the original as received.
    pub key: String,
    pub sanitized_key: Option<String>,
    pub thumbnail_key: Option<String>,
    pub analysis: Option<Analysis>,
    pub error: Option<String>,
    pub completed_at: Option<i64>,
    /// A worker holds the job until then; others leave it alone.
    #[serde(default)]
    pub claimed_until: Option<i64>,
}

/// How the worker finished with an upload.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadOutcome {
    Done { analysis: Analysis, sanitized_key: String, thumbnail_key: String },
    Failed { reason: String },
}

#[async_trait]
pub trait UploadStore: Send + Sync {
    async fn create(&self, upload: &Upload) -> StoreResult<()>;
    /// The upload `id` of `session`, unless missing or expired.
    async fn get(&self, session: &SessionId, id: &UploadId, now: i64) -> StoreResult<Option<Upload>>;
    async fn list_for_session(&self, session: &SessionId, now: i64) -> StoreResult<Vec<Upload>>;
    /// Claims a queued upload for processing until `until`; false if it is finished or
    /// another worker's claim is still running. Makes duplicate deliveries run once.
    async fn claim(&self, session: &SessionId, id: &UploadId, until: i64, now: i64) -> StoreResult<bool>;
    /// Records the outcome if the upload is still queued; false if it was already
    /// finished (a redelivered job), in which case nothing changes.
    async fn complete(
        &self,
        session: &SessionId,
        id: &UploadId,
        outcome: &UploadOutcome,
        now: i64,
    ) -> StoreResult<bool>;
    /// Erases the records of the session's uploads and returns them (their blobs are
    /// the caller's to delete).
    async fn delete_for_session(&self, session: &SessionId) -> StoreResult<Vec<Upload>>;
    async fn purge_expired(&self, now: i64) -> StoreResult<Vec<Upload>>;
}
