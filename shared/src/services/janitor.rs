//! Enforces retention where the store has no native TTL (the embedded backend); on
//! AWS the same calls are cheap no-ops because DynamoDB TTL and S3 lifecycle do it.

use std::time::Duration;

use tokio::sync::watch;

use crate::app::App;
use crate::ports::StoreResult;
use crate::time::now_ms;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub tickets: u64,
    pub uploads: u64,
    pub blobs: u64,
    pub log_entries: u64,
    pub rate_windows: u64,
}

pub async fn purge_once(app: &App, now: i64) -> StoreResult<Purged> {
    let b = app.backend();
    let mut purged = Purged {
        sessions: b.sessions.purge_expired(now).await?,
        tickets: b.tickets.purge_expired(now).await?,
        log_entries: b.applog.purge_expired(now).await?,
        rate_windows: b.limiter.purge_expired(now).await?,
        ..Purged::default()
    };
    for upload in b.uploads.purge_expired(now).await? {
        purged.uploads += 1;
        purged.blobs += super::delete_upload_files(b, &upload).await?;
    }
    Ok(purged)
}

pub async fn run(app: App, every: Duration, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        match purge_once(&app, now_ms()).await {
            Ok(p) if p != Purged::default() => tracing::info!(?p, "expired data purged"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purge failed; will retry"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
}
