//! Accepting an image for analysis, and telling the visitor how it went.

use bytes::Bytes;
use serde::Serialize;

use crate::app::App;
use crate::chat::replies::hint_text;
use crate::counters::Counter;
use crate::error::{Error, ImageRejection, Result};
use crate::ids::{SessionId, UploadId};
use crate::images::{Analysis, FailureReason, SniffError, Sniffed, sniff};
use crate::ports::{Job, LogLevel, Upload, UploadOutcome, UploadStatus};
use crate::services::admission::{Quota, admit};
use crate::services::janitor::STALE_QUEUED_MS;
use crate::services::sessions::load;
use crate::time::{ms, now_ms, rfc3339};

/// Leave to send an image, given before a byte of it is read: the visitor's IP is under
/// the upload rate (made-up session ids spend it too), the session exists and is under
/// its image quota.
#[derive(Debug)]
pub struct Admitted {
    session: SessionId,
}

impl Admitted {
    pub fn session(&self) -> &SessionId {
        &self.session
    }
}

pub async fn admit_upload(app: &App, session: &SessionId, ip: &str) -> Result<Admitted> {
    let limits = &app.config().limits;
    admit(app, &Quota::uploads_per_ip(ip, limits)).await?;
    let now = now_ms();
    load(app, session, now).await?;
    under_image_quota(app, session, now).await?;
    Ok(Admitted { session: session.clone() })
}

async fn under_image_quota(app: &App, session: &SessionId, now: i64) -> Result<()> {
    let max = app.config().limits.max_images_per_session;
    let uploads = app.backend().uploads.list_for_session(session, now).await?;
    if uploads.len() >= max as usize {
        // A place frees up when the first of them expires (an unused upload URL soon, a
        // received image with the upload retention).
        let first_expiry = uploads.iter().map(|u| u.expires_at).min().unwrap_or(now);
        let retry_after_secs = u64::try_from((first_expiry - now).max(1_000) / 1_000).unwrap_or(1);
        return Err(Error::UploadLimitReached { max, retry_after_secs });
    }
    Ok(())
}

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
    let now = now_ms();
    let session = &upload.admitted.session;
    under_image_quota(app, session, now).await?;

    let upload_id = UploadId::generate()?;
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
    app.log_event(LogLevel::Info, "upload.accepted", Some(upload.request_id), Some(session.as_str()), &message).await;
    Ok(record)
}

/// Only real JPEG, PNG, WebP and GIF images whose sides are within `min..=max` pixels.
fn check_image(image: &[u8], min: u32, max: u32) -> Result<Sniffed, ImageRejection> {
    let sniffed = sniff_image(image)?;
    sides_within(&sniffed, min, max)?;
    Ok(sniffed)
}

/// The format and sides of a real JPEG, PNG, WebP or GIF image, from its header.
pub fn sniff_image(image: &[u8]) -> Result<Sniffed, ImageRejection> {
    if image.is_empty() {
        return Err(ImageRejection::Empty);
    }
    sniff(image).map_err(|e| match e {
        SniffError::Unsupported => ImageRejection::UnsupportedType,
        SniffError::Corrupt => ImageRejection::Corrupt,
    })
}

/// Whether both sides of the image are within `min..=max` pixels.
pub fn sides_within(sniffed: &Sniffed, min: u32, max: u32) -> Result<(), ImageRejection> {
    let (width, height) = (sniffed.width, sniffed.height);
    if width < min || height < min || width > max || height > max {
        return Err(ImageRejection::Dimensions { width, height, min, max });
    }
    Ok(())
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
        let _ = backend.uploads.complete(&record.session_id, &record.id, &outcome, now_ms()).await;
        return Err(e.into());
    }
    Ok(())
}

/// An upload queued for long whose file never reached storage (the request died between
/// the record and the file) will never be processed: it is marked failed when read, so
/// the visitor is not told "queued" for ever. True when it was.
async fn settle_if_never_stored(app: &App, upload: &Upload, now: i64) -> Result<bool> {
    let stale = upload.status == UploadStatus::Queued && upload.created_at < now - STALE_QUEUED_MS;
    if !stale || app.backend().blobs.exists(&upload.key).await? {
        return Ok(false);
    }
    let outcome = UploadOutcome::Failed { reason: FailureReason::NOT_STORED.into() };
    Ok(app.backend().uploads.complete(&upload.session_id, &upload.id, &outcome, now).await?)
}

/// Where an upload stands, in the session's language.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadView {
    pub upload_id: UploadId,
    pub status: &'static str,
    pub created_at: String,
    pub completed_at: Option<String>,
    pub analysis: Option<Analysis>,
    pub hint_message: Option<&'static str>,
    pub error: Option<String>,
}

pub async fn status(app: &App, session: &SessionId, upload_id: &UploadId) -> Result<UploadView> {
    let now = now_ms();
    let mut upload = app.backend().uploads.get(session, upload_id, now).await?.ok_or(Error::UploadNotFound)?;
    let settled = settle_if_never_stored(app, &upload, now).await?
        || crate::services::direct_uploads::settle_if_arrived(app, &upload, now).await?;
    if settled {
        upload = app.backend().uploads.get(session, upload_id, now).await?.ok_or(Error::UploadNotFound)?;
    }
    let locale = app.backend().sessions.get(session, now).await?.map(|s| s.conversation.locale).unwrap_or_default();
    let hint_message = upload.analysis.as_ref().and_then(|a| a.hint).map(|h| hint_text(locale, h));
    Ok(UploadView {
        upload_id: upload.id,
        status: upload.status.as_str(),
        created_at: rfc3339(upload.created_at),
        completed_at: upload.completed_at.map(rfc3339),
        analysis: upload.analysis,
        hint_message,
        error: upload.error,
    })
}
