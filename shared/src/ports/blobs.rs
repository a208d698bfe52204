use async_trait::async_trait;
use bytes::Bytes;

use super::StoreResult;

/// Keys look like `uploads/web-…/upl-…`: ASCII letters, digits, `-`, `_`, `.` and `/`,
/// no empty or dot-only segments (nothing can climb out of the blob folder).
pub fn is_valid_blob_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 512
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        && key.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores the bytes durably before returning.
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> StoreResult<()>;
    async fn get(&self, key: &str) -> StoreResult<Option<Bytes>>;
    /// Whether `key` is stored, without reading it.
    async fn exists(&self, key: &str) -> StoreResult<bool>;
    async fn delete(&self, key: &str) -> StoreResult<()>;
    /// Deletes every blob whose key starts with `prefix`; returns how many.
    async fn delete_prefix(&self, prefix: &str) -> StoreResult<u64>;
    async fn ping(&self) -> StoreResult<()>;
}
