//! The operations of the product, written once for every host: starting sessions, chat
//! and ticket turns, uploads and the image worker, the visitor's data rights, retention,
//! and what operators read. They take the [`App`](crate::app::App) and domain values and
//! return domain errors; they never see HTTP.

pub mod admission;
mod bot_lines;
pub mod demo;
pub mod feedback;
pub mod files;
pub mod janitor;
pub mod notify;
pub mod operations;
pub mod outcomes;
pub mod report;
pub mod session_data;
pub mod sessions;
pub mod tickets;
pub mod turns;
pub mod uploads;
#[cfg(feature = "images")]
pub mod worker;
#[cfg(all(test, feature = "images", feature = "local"))]
mod worker_batch_tests;

use crate::ports::{Backend, StoreResult, Upload};

/// Where an answer's links point and which request it belongs to (a chat turn, and the
/// ticket it may open).
pub struct Origin<'a> {
    pub base_url: &'a str,
    pub request_id: &'a str,
}

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
