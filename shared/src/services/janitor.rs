//! Keeps the embedded store tidy and consistent where it has no native TTL: expired
//! data is purged (an upload's files before its record, so a failure never orphans a
//! file), and uploads whose job was lost are re-queued or settled. On AWS the same calls
//! are cheap no-ops because DynamoDB TTL, S3 lifecycle and bucket notifications do it.

use std::time::Duration;

use tokio::sync::watch;

use crate::app::App;
use crate::images::FailureReason;
use crate::ports::{Job, StoreResult, UploadOutcome};
use crate::time::MINUTE_MS;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub tickets: u64,
    pub uploads: u64,
    pub blobs: u64,
    pub log_entries: u64,
    pub rate_limits: u64,
}

/// Uploads handled per round of the purge.
const PURGE_BATCH: usize = 200;

pub async fn purge_once(app: &App, now: i64) -> StoreResult<Purged> {
    let b = app.backend();
    let mut purged = Purged {
        sessions: b.sessions.purge_expired(now).await?,
        tickets: b.tickets.purge_expired(now).await?,
        log_entries: b.applog.purge_expired(now).await?,
        rate_limits: b.limiter.purge_expired(now).await?,
        ..Purged::default()
    };
    loop {
        let batch = b.uploads.expired(now, PURGE_BATCH).await?;
        for upload in &batch {
            purged.blobs += super::delete_upload_files(b, upload).await?;
            purged.uploads += u64::from(b.uploads.delete(&upload.session_id, &upload.id).await?);
        }
        if batch.len() < PURGE_BATCH {
            return Ok(purged);
        }
    }
}

/// How long an upload may stay queued before its job counts as lost: far longer than a
/// job takes with its retries.
pub const STALE_QUEUED_MS: i64 = 10 * MINUTE_MS;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    /// Queued again: the file is there, the job was lost.
    pub requeued: u64,
    /// Marked failed: the file never made it to storage.
    pub failed: u64,
}

/// Uploads queued for longer than `STALE_QUEUED_MS`: their job is queued again when the
/// file is stored (a duplicate job is harmless: the worker claims each upload once), or
/// they are marked failed when it is not.
pub async fn reconcile_once(app: &App, now: i64) -> StoreResult<Reconciled> {
    let b = app.backend();
    let mut done = Reconciled::default();
    for upload in b.uploads.stale_queued(now - STALE_QUEUED_MS, now, PURGE_BATCH).await? {
        if b.blobs.exists(&upload.key).await? {
            b.queue.enqueue(&Job { key: upload.key.clone() }).await?;
            done.requeued += 1;
        } else {
            let outcome = UploadOutcome::Failed { reason: FailureReason::NOT_STORED.into() };
            done.failed += u64::from(b.uploads.complete(&upload.session_id, &upload.id, &outcome, now).await?);
        }
    }
    if done.requeued > 0 {
        app.signal_work();
    }
    Ok(done)
}

pub async fn run(app: App, every: Duration, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        let now = app.now_ms();
        match purge_once(&app, now).await {
            Ok(p) if p != Purged::default() => tracing::info!(?p, "expired data purged"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purge failed; will retry"),
        }
        match reconcile_once(&app, now).await {
            Ok(r) if r != Reconciled::default() => tracing::warn!(?r, "uploads whose job was lost were settled"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reconciling uploads failed; will retry"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
}
