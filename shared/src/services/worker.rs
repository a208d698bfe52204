//! The image worker: turns a queued upload into a sanitised copy, a thumbnail and an
//! analysis. Written once for both hosts: [`handle_batch`] is the one place for batch
//! semantics (what comes back, what is done with); the Lambda host adapts SQS events to
//! it, the local queue loop below adapts its deliveries.

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{Notify, watch};

use crate::app::{App, LogSubject};
use crate::counters::Counter;
use crate::ids::{SessionId, UploadId};
use crate::images::{FailureReason, ImageHint};
use crate::ports::{Delivery, LogLevel, StoreError, UploadOutcome, UploadStatus};
use crate::services::uploads::direct;
use crate::time::ms;

/// What happened to one job; everything but `Retry` removes it from the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    Processed,
    /// The image is bad; the upload is marked failed with this reason.
    Failed(String),
    /// A redelivery of a finished upload: nothing to do.
    AlreadyDone,
    /// Not an upload we know (a stray key, an erased session).
    Ignored(String),
    /// Something transient went wrong; deliver again later.
    Retry(String),
}

/// What an object key says of its upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadKey {
    /// `uploads/{storage tag}/{upload}`: the session is the upload's owner.
    Tagged { tag: String, upload: UploadId },
    /// `uploads/{session}/{upload}`, as keys were written before storage tags.
    Legacy { session: SessionId, upload: UploadId },
}

/// An upload's object key → what it names; anything else is not ours.
pub fn parse_upload_key(key: &str) -> Option<UploadKey> {
    let mut parts = key.split('/');
    let (Some("uploads"), Some(owner), Some(upload), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let upload = UploadId::parse(upload).ok()?;
    if crate::ids::is_storage_tag(owner) {
        return Some(UploadKey::Tagged { tag: owner.to_owned(), upload });
    }
    Some(UploadKey::Legacy { session: SessionId::parse(owner).ok()?, upload })
}

/// `key` as the logs may show it: a legacy key's session id becomes its storage tag.
pub fn loggable(key: &str) -> String {
    match parse_upload_key(key) {
        Some(UploadKey::Legacy { session, upload }) => crate::ports::original_key(&session, &upload),
        _ => key.to_owned(),
    }
}

/// Whose upload an object is.
enum Resolved {
    Upload(SessionId, UploadId),
    /// An upload key whose upload is gone (erased, expired) or whose tag is not its
    /// owner's: the object must not stay.
    Orphan,
    NotOurs,
}

async fn resolve(app: &App, key: &str) -> Result<Resolved, StoreError> {
    Ok(match parse_upload_key(key) {
        None => Resolved::NotOurs,
        Some(UploadKey::Legacy { session, upload }) => Resolved::Upload(session, upload),
        Some(UploadKey::Tagged { tag, upload }) => match app.backend().uploads.owner(&upload, app.now_ms()).await? {
            Some(session) if crate::ids::storage_tag(session.as_str()) == tag => Resolved::Upload(session, upload),
            _ => Resolved::Orphan,
        },
    })
}

pub fn sanitized_key(key: &str, ext: &str) -> String {
    format!("sanitized/{key}.{ext}")
}

pub fn thumbnail_key(key: &str) -> String {
    format!("thumbnails/{key}.jpg")
}

pub async fn process_job(app: &App, key: &str, attempt: u32) -> JobResult {
    let max_attempts = app.config().worker_max_attempts;
    let last_attempt = attempt >= max_attempts;
    match try_process(app, key).await {
        Ok(result) => result,
        Err(e) if last_attempt => {
            let detail = format!("could not be processed after {attempt} attempts: {e}");
            finish_failed(app, key, FailureReason::NOT_PROCESSED, &detail).await
        }
        Err(e) => JobResult::Retry(e.to_string()),
    }
}

/// No live record asked for this object (an erased session, a URL used after its upload
/// expired): it must not stay.
async fn orphan(app: &App, key: &str) -> Result<JobResult, StoreError> {
    app.backend().blobs.delete(key).await?;
    app.count(&[(Counter::UploadsOrphaned, 1)]).await;
    tracing::warn!(key = %loggable(key), "deleted an object that matches no live upload");
    Ok(JobResult::Ignored("no such upload (erased or expired): object deleted".into()))
}

async fn try_process(app: &App, key: &str) -> Result<JobResult, StoreError> {
    let backend = app.backend();
    let (session_id, upload_id) = match resolve(app, key).await? {
        Resolved::Upload(session, upload) => (session, upload),
        Resolved::NotOurs => return Ok(JobResult::Ignored(format!("not an upload key: {}", loggable(key)))),
        Resolved::Orphan => return orphan(app, key).await,
    };
    let Some(mut upload) = backend.uploads.get(&session_id, &upload_id, app.now_ms()).await? else {
        return orphan(app, key).await;
    };
    // The record names the object (a notification's key may be spelled the old way).
    let record_key = upload.key.clone();
    let key = record_key.as_str();
    if upload.status == UploadStatus::AwaitingUpload {
        // A signed-URL upload whose object just arrived; a duplicate delivery may have
        // moved it first.
        direct::arrived(app, &upload, app.now_ms()).await?;
        match backend.uploads.get(&session_id, &upload_id, app.now_ms()).await? {
            Some(moved) => upload = moved,
            None => return Ok(JobResult::Ignored("the upload went away as its object arrived".into())),
        }
    }
    if upload.status != UploadStatus::Queued {
        // A finished upload keeps only its sanitised copy: an original here again is a
        // presigned PUT replayed within its validity (metadata, GPS and all), never kept.
        // Deleting what is already gone is fine, and needs no permission to list the bucket.
        if matches!(upload.status, UploadStatus::Done | UploadStatus::Failed) {
            backend.blobs.delete(key).await?;
        }
        return Ok(JobResult::AlreadyDone);
    }
    // A duplicate delivery in flight elsewhere: let that one finish; if it dies, the
    // claim expires and this delivery's retry takes over.
    let now = app.now_ms();
    let claim_ms = ms(app.config().worker_claim);
    if !backend.uploads.claim(&session_id, &upload_id, now + claim_ms, now).await? {
        return Ok(JobResult::Retry("another worker is processing this upload".into()));
    }
    tracing::info!(key = %loggable(key), "worker took an upload to process");
    let Some(original) = backend.blobs.get(key).await? else {
        return Err(StoreError::Unavailable("the uploaded file is not in blob storage yet".into()));
    };
    let limits = &app.config().limits;
    if let Err(reason) = direct::check_object(&upload, &original, limits.min_image_side, limits.max_image_side) {
        return Ok(reject(app, key, reason).await);
    }
    let started = std::time::Instant::now();
    let limits = crate::images::DecodeLimits::default();
    let processed = tokio::task::spawn_blocking(move || crate::images::process(&original, &limits))
        .await
        .map_err(|e| StoreError::Unavailable(format!("image task failed: {e}")))?;
    let processed = match processed {
        Ok(p) => p,
        Err(e) => {
            tracing::info!(key = %loggable(key), error = %e, "image refused by the decoder");
            return Ok(reject(app, key, e.reason()).await);
        }
    };
    let ext = if processed.sanitized_format == crate::images::ImageFormat::Jpeg { "jpg" } else { "png" };
    let sanitized_bytes = Bytes::from(processed.sanitized);
    let sanitized = sanitized_key(key, ext);
    let thumbnail = thumbnail_key(key);
    backend.blobs.put(&sanitized, sanitized_bytes.clone(), processed.sanitized_format.mime()).await?;
    backend.blobs.put(&thumbnail, Bytes::from(processed.thumbnail), "image/jpeg").await?;
    let mut analysis = processed.analysis;
    analysis.analysis_ms = started.elapsed().as_millis() as u64;
    describe(app, &session_id, &sanitized_bytes, &mut analysis).await;
    let outcome = UploadOutcome::Done {
        analysis: analysis.clone(),
        sanitized_key: sanitized.clone(),
        thumbnail_key: thumbnail.clone(),
    };
    if !backend.uploads.complete(&session_id, &upload_id, &outcome, app.now_ms()).await? {
        // Someone else finished it, or the session was erased meanwhile: in the latter
        // case our copies must not outlive the record.
        if backend.uploads.get(&session_id, &upload_id, app.now_ms()).await?.is_none() {
            backend.blobs.delete(&sanitized).await?;
            backend.blobs.delete(&thumbnail).await?;
        }
        return Ok(JobResult::AlreadyDone);
    }
    // The original may carry EXIF/GPS: once the sanitised copy exists it is not needed. A
    // failure here is only logged; the bucket's lifecycle rule (or the janitor) is the net.
    if let Err(e) = backend.blobs.delete(key).await {
        tracing::warn!(key = %loggable(key), error = %e, "could not delete a processed original");
    }
    app.count(&[(Counter::UploadsProcessed, 1), (Counter::UploadsAnalysisMsTotal, analysis.analysis_ms as i64)]).await;
    crate::metrics::emf(&[
        ("ImagesProcessed", 1.0, "Count"),
        ("ImageAnalysisTime", analysis.analysis_ms as f64, "Milliseconds"),
    ]);
    let message = format!(
        "{upload_id} analysed: {} {}x{} blur {} brightness {} hint {}",
        analysis.format,
        analysis.width,
        analysis.height,
        analysis.blur_score,
        analysis.brightness,
        analysis.hint.map(ImageHint::as_str).unwrap_or("none")
    );
    app.log_event(LogLevel::Info, "upload.processed", LogSubject::session(session_id.as_str()), &message).await;
    Ok(JobResult::Processed)
}

/// In smart mode, asks a vision model what the (sanitised) image shows; on any failure
/// the analysis simply goes without a description.
async fn describe(app: &App, session: &SessionId, sanitized: &Bytes, analysis: &mut crate::images::Analysis) {
    let Some(smart) = app.smart() else {
        return;
    };
    let locale = match app.backend().sessions.get(session, app.now_ms()).await {
        Ok(Some(s)) => s.conversation.locale,
        _ => crate::chat::Locale::Es,
    };
    let bytes = sanitized.clone();
    let preview = tokio::task::spawn_blocking(move || {
        crate::images::preview_jpeg(&bytes, &crate::images::DecodeLimits::default())
    })
    .await;
    let Ok(Ok(jpeg)) = preview else {
        tracing::warn!("could not make a preview for the vision model");
        return;
    };
    match smart.describe(locale, &crate::smart::data_url("image/jpeg", &jpeg)).await {
        Ok((description, error_text)) => {
            analysis.description = Some(description);
            analysis.error_text = error_text;
        }
        Err(failure) => tracing::info!(?failure, "no image description"),
    }
}

/// The object is not an acceptable image: the upload fails with `reason`, and the bytes,
/// which nobody will ever look at, are deleted (they may carry EXIF and GPS data).
async fn reject(app: &App, key: &str, reason: &'static str) -> JobResult {
    let result = finish_failed(app, key, reason, "the stored object failed its checks").await;
    if matches!(result, JobResult::Failed(_))
        && let Err(e) = app.backend().blobs.delete(key).await
    {
        tracing::warn!(key = %loggable(key), error = %e, "could not delete a refused object");
    }
    result
}

/// Marks the upload failed with a stable `reason` for the visitor; `detail` (which may
/// name files or services) goes to the logs only.
async fn finish_failed(app: &App, key: &str, reason: &'static str, detail: &str) -> JobResult {
    let (session_id, upload_id) = match resolve(app, key).await {
        Ok(Resolved::Upload(session, upload)) => (session, upload),
        Ok(_) => return JobResult::Ignored(format!("not a live upload: {}", loggable(key))),
        Err(e) => return JobResult::Retry(format!("could not find the upload's session: {e}")),
    };
    let outcome = UploadOutcome::Failed { reason: reason.to_owned() };
    match app.backend().uploads.complete(&session_id, &upload_id, &outcome, app.now_ms()).await {
        Ok(true) => {
            app.count(&[(Counter::UploadsFailed, 1)]).await;
            crate::metrics::emf(&[("ImagesFailed", 1.0, "Count")]);
            tracing::warn!(%upload_id, reason, detail, "image job failed");
            let message = format!("{upload_id} failed: {reason}: {detail}");
            app.log_event(LogLevel::Warn, "upload.failed", LogSubject::session(session_id.as_str()), &message).await;
            JobResult::Failed(reason.to_owned())
        }
        Ok(false) => JobResult::AlreadyDone,
        Err(e) => JobResult::Retry(format!("could not record the failure: {e}")),
    }
}

/// How long a leased job of the local queue stays hidden from other consumers: half the
/// claim (`WORKER_CLAIM`, far beyond the worst decode time and well below the queue's
/// retry horizon), so a redelivery after a crash finds the claim about to lapse.
pub fn lease_ms(app: &App) -> i64 {
    ms(app.config().worker_claim) / 2
}
const BATCH: usize = 2;
const IDLE_POLL: Duration = Duration::from_millis(500);

fn retry_delay_ms(attempt: u32) -> i64 {
    1_000 * 2i64.pow(attempt.min(6))
}

/// One message of a batch, as a queue delivered it: its id (reported back when it must
/// come again), the delivery attempt (1 on the first), and the upload keys it names — or
/// why nobody can read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub id: String,
    pub attempt: u32,
    pub keys: Result<Vec<String>, String>,
}

/// Processes a batch and returns the ids of the messages that must be delivered again,
/// so one bad image never re-runs its neighbours: a message with a job to retry, and a
/// message nobody can read (after the queue's retries it lands in the dead-letter queue
/// for a human to look at). Everything else — processed, refused, a redelivery of a
/// finished upload, a key that is not ours, S3's test event — is done with.
pub async fn handle_batch(app: &App, messages: &[QueueMessage]) -> Vec<String> {
    let mut failures = Vec::new();
    for message in messages {
        let keys = match &message.keys {
            Ok(keys) => keys,
            Err(reason) => {
                tracing::error!(message_id = %message.id, reason, "unreadable queue message");
                failures.push(message.id.clone());
                continue;
            }
        };
        let mut retry = false;
        for key in keys {
            let result = process_job(app, key, message.attempt).await;
            tracing::info!(message_id = %message.id, key = %loggable(key), attempt = message.attempt, ?result, "image job");
            if let JobResult::Retry(reason) = &result {
                tracing::warn!(key = %loggable(key), attempt = message.attempt, reason, "image job will be retried");
                retry = true;
            }
        }
        if retry {
            failures.push(message.id.clone());
        }
    }
    if !failures.is_empty() {
        crate::metrics::emf(&[("ImageRetries", failures.len() as f64, "Count")]);
    }
    failures
}

/// Settles the local queue's deliveries after [`handle_batch`]: those to retry come back
/// after a backoff that grows with the attempt, the rest are acknowledged.
async fn settle(app: &App, deliveries: &[Delivery], failures: &[String]) {
    let queue = &app.backend().queue;
    for delivery in deliveries {
        let settled = if failures.contains(&delivery.receipt) {
            queue.retry_later(&delivery.receipt, retry_delay_ms(delivery.attempt), app.now_ms()).await
        } else {
            queue.ack(&delivery.receipt).await
        };
        if let Err(e) = settled {
            // The lease will expire and the job come back; processing is idempotent.
            tracing::warn!(error = %e, "could not settle an image job");
        }
    }
}

/// A local delivery as a batch message: the receipt is its id.
fn as_message(delivery: &Delivery) -> QueueMessage {
    QueueMessage { id: delivery.receipt.clone(), attempt: delivery.attempt, keys: Ok(vec![delivery.job.key.clone()]) }
}

/// The in-process worker of `sti serve` (and `sti worker`): drains the queue until
/// `shutdown` turns true, finishing the job in hand; queued jobs stay queued.
pub async fn run_queue_worker(app: App, wake: std::sync::Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
    tracing::info!("image worker started");
    while !*shutdown.borrow() {
        let deliveries = match app.backend().queue.receive(BATCH, lease_ms(&app), app.now_ms()).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "image queue unavailable");
                Vec::new()
            }
        };
        if deliveries.is_empty() {
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(IDLE_POLL) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        let messages: Vec<QueueMessage> = deliveries.iter().map(as_message).collect();
        let failures = handle_batch(&app, &messages).await;
        settle(&app, &deliveries, &failures).await;
    }
    tracing::info!("image worker stopped");
}
