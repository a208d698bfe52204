//! Operations shared by several handlers and hosts: opening tickets, the image worker,
//! erasing and exporting a session's data, and the janitor.

pub mod demo;
pub mod janitor;
pub mod notifications;
pub mod session_data;
pub mod tickets;
pub mod turns;
#[cfg(feature = "images")]
pub mod worker;

use crate::ports::{Backend, StoreResult, Upload};

/// Deletes the original, sanitised copy and thumbnail of an upload; returns how many
/// keys were removed.
pub async fn delete_upload_files(backend: &Backend, upload: &Upload) -> StoreResult<u64> {
    let mut removed = 0;
    for key in std::iter::once(&upload.key).chain(upload.sanitized_key.iter()).chain(upload.thumbnail_key.iter()) {
        backend.blobs.delete(key).await?;
        removed += 1;
    }
    Ok(removed)
}
