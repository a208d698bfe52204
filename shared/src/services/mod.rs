//! The operations of the product, written once for every host: starting sessions, chat
//! and ticket turns, uploads and the image worker, the visitor's data rights, retention,
//! and what operators read. They take the [`App`](crate::app::App) and domain values and
//! return domain errors; they never see HTTP.

pub mod admission;
pub mod demo;
pub mod direct_uploads;
pub mod janitor;
pub mod notifications;
pub mod operations;
pub mod session_data;
pub mod sessions;
pub mod tickets;
pub mod turns;
pub mod uploads;
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
