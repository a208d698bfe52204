//! `POST /api/upload-image`'s road: the image arrives in the request, is checked, stored
//! and queued for the worker.

use bytes::Bytes;

use crate::app::{App, LogSubject};
use crate::counters::Counter;
use crate::error::{ImageRejection, Result};
use crate::ids::UploadId;
use crate::images::{FailureReason, Sniffed};
use crate::ports::{Job, LogLevel, Upload, UploadOutcome};
use crate::services::uploads::{Admitted, sides_within, sniff_image, under_image_quota};
use crate::time::ms;

/// An image a visitor sent, not yet checked.
pub struct NewUpload<'a> {
    pub admitted: Admitted,
    pub image: Bytes,
    pub request_id: &'a str,
}

/// Accepts an admitted image: it must be a real image of a sensible size, and the
/// session still under its quota (another upload may have landed meanwhile). The record
/// is written before the file (a storage notification must never find no record), and
/// marked failed if the file or the job cannot be stored.
pub async fn accept(app: &App, upload: NewUpload<'_>) -> Result<Upload> {
    let limits = &app.config().limits;
    let sniffed = check_image(&upload.image, limits.min_image_side, limits.max_image_side)?;
    let now = app.now_ms();
    let session = upload.admitted.session();
    under_image_quota(app, session, now).await?;

    let upload_id = UploadId::generate_from(app.random())?;
    let record = Upload::queued(
        upload_id.clone(),
        session.clone(),
        sniffed.format.mime(),
        upload.image.len() as u64,
        now,
        now + ms(app.config().retention.upload),
    );
    store(app, &record, upload.image, &sniffed).await?;
    app.signal_work();
    app.count(&[(Counter::UploadsTotal, 1)]).await;
    let message = format!(
        "{upload_id} accepted: {} {}x{} {} bytes",
        sniffed.format.as_str(),
        sniffed.width,
        sniffed.height,
        record.bytes
    );
    app.log_event(
        LogLevel::Info,
        "upload.accepted",
        LogSubject::session(session.as_str()).by_request(upload.request_id),
        &message,
    )
    .await;
    Ok(record)
}

/// Only real JPEG, PNG, WebP and GIF images whose sides are within `min..=max` pixels.
fn check_image(image: &[u8], min: u32, max: u32) -> Result<Sniffed, ImageRejection> {
    let sniffed = sniff_image(image)?;
    sides_within(&sniffed, min, max)?;
    Ok(sniffed)
}

async fn store(app: &App, record: &Upload, image: Bytes, sniffed: &Sniffed) -> Result<()> {
    let backend = app.backend();
    backend.uploads.create(record).await?;
    let stored = backend.blobs.put(&record.key, image, sniffed.format.mime()).await;
    let queued = match stored {
        Ok(()) if backend.queue.fed_by_storage_events() => Ok(()),
        Ok(()) => backend.queue.enqueue(&Job { key: record.key.clone() }).await,
        Err(e) => Err(e),
    };
    if let Err(e) = queued {
        tracing::warn!(upload_id = %record.id, error = %e, "an accepted upload could not be stored");
        let outcome = UploadOutcome::Failed { reason: FailureReason::NOT_STORED.into() };
        let _ = backend.uploads.complete(&record.session_id, &record.id, &outcome, app.now_ms()).await;
        return Err(e.into());
    }
    Ok(())
}
