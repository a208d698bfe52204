use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::StoreResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

/// One line of the application log kept for `/api/logs`. Its message is masked
/// before it gets here; it never holds secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub ts: String,
    #[serde(skip)]
    pub at: i64,
    pub level: LogLevel,
    pub event: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// [`crate::ids::session_tag`] of the session: never the id itself, which would let
    /// whoever reads the log export or erase the visitor's data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_tag: Option<String>,
    pub message: String,
}

#[async_trait]
pub trait AppLog: Send + Sync {
    async fn append(&self, entry: &LogEntry, expires_at: i64) -> StoreResult<()>;
    /// The newest `limit` entries not expired at `now`, oldest first.
    async fn recent(&self, limit: usize, now: i64) -> StoreResult<Vec<LogEntry>>;
    async fn purge_expired(&self, now: i64) -> StoreResult<u64>;
}
