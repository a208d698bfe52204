use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::StoreResult;
use crate::ids::{SessionId, UploadId};
use crate::images::Analysis;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadStatus {
    /// A signed URL was handed out; the bytes have not arrived yet.
    #[serde(rename = "awaiting_upload")]
    AwaitingUpload,
    Queued,
    Done,
    Failed,
}

impl UploadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadStatus::AwaitingUpload => "awaiting_upload",
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

/// Where the original of upload `id` of `session` is stored: `uploads/{tag}/{id}`, the
/// tag a hash of the session id ([`crate::ids::storage_tag`]), never the id itself. The
/// worker finds the session again by the upload id ([`UploadStore::owner`]).
pub fn original_key(session: &SessionId, id: &UploadId) -> String {
    format!("uploads/{}/{id}", crate::ids::storage_tag(session.as_str()))
}

impl Upload {
    /// A just-accepted image of `session_id`, its original under [`original_key`],
    /// waiting for the worker.
    pub fn queued(
        id: UploadId,
        session_id: SessionId,
        content_type: &str,
        bytes: u64,
        now: i64,
        expires_at: i64,
    ) -> Upload {
        Upload {
            key: original_key(&session_id, &id),
            id,
            session_id,
            created_at: now,
            expires_at,
            status: UploadStatus::Queued,
            content_type: content_type.to_owned(),
            bytes,
            sanitized_key: None,
            thumbnail_key: None,
            analysis: None,
            error: None,
            completed_at: None,
            claimed_until: None,
        }
    }

    /// An upload whose bytes the client will put at a signed URL: the record lives only
    /// until `expires_at` (the URL's expiry plus a grace) unless the bytes arrive.
    pub fn awaiting(
        id: UploadId,
        session_id: SessionId,
        content_type: &str,
        bytes: u64,
        now: i64,
        expires_at: i64,
    ) -> Upload {
        Upload {
            status: UploadStatus::AwaitingUpload,
            ..Upload::queued(id, session_id, content_type, bytes, now, expires_at)
        }
    }

    /// Records the worker's `outcome` (the caller has checked the upload is still queued).
    pub fn finish(&mut self, outcome: UploadOutcome, now: i64) {
        match outcome {
            UploadOutcome::Done { analysis, sanitized_key, thumbnail_key } => {
                self.status = UploadStatus::Done;
                self.analysis = Some(analysis);
                self.sanitized_key = Some(sanitized_key);
                self.thumbnail_key = Some(thumbnail_key);
            }
            UploadOutcome::Failed { reason } => {
                self.status = UploadStatus::Failed;
                self.error = Some(reason);
            }
        }
        self.completed_at = Some(now);
        self.claimed_until = None;
    }
}

#[async_trait]
pub trait UploadStore: Send + Sync {
    async fn create(&self, upload: &Upload) -> StoreResult<()>;
    /// The upload `id` of `session`, unless missing or expired.
    async fn get(&self, session: &SessionId, id: &UploadId, now: i64) -> StoreResult<Option<Upload>>;
    /// The session a live upload belongs to (object keys do not name it).
    async fn owner(&self, id: &UploadId, now: i64) -> StoreResult<Option<SessionId>>;
    async fn list_for_session(&self, session: &SessionId, now: i64) -> StoreResult<Vec<Upload>>;
    /// Claims a queued upload for processing until `until`; false if it is finished or
    /// another worker's claim is still running. Makes duplicate deliveries run once.
    async fn claim(&self, session: &SessionId, id: &UploadId, until: i64, now: i64) -> StoreResult<bool>;
    /// The bytes of an upload awaiting them have arrived: it is queued for the worker and
    /// kept until `expires_at`. False, changing nothing, when the upload is not awaiting
    /// its bytes (already received, finished, erased, or its URL expired at `now`).
    async fn mark_received(&self, session: &SessionId, id: &UploadId, expires_at: i64, now: i64) -> StoreResult<bool>;
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
    /// Up to `limit` uploads expired at `now`, for the janitor to delete their files
    /// first and their records after (a backend whose store and bucket expire things on
    /// their own, like DynamoDB TTL with an S3 lifecycle rule, returns none).
    async fn expired(&self, now: i64, limit: usize) -> StoreResult<Vec<Upload>>;
    /// Deletes one upload record; false when it was not there.
    async fn delete(&self, session: &SessionId, id: &UploadId) -> StoreResult<bool>;
    /// Up to `limit` uploads still queued though created before `created_before`: jobs
    /// that a crash between storing the file and enqueueing it left behind. A backend
    /// whose bucket enqueues every stored object itself returns none.
    async fn stale_queued(&self, created_before: i64, now: i64, limit: usize) -> StoreResult<Vec<Upload>>;
}
