//! Where an upload stands, as the visitor's status poll reads it; reading it also
//! settles what a lost request or a late storage event left behind.

use serde::Serialize;

use crate::app::App;
use crate::chat::replies::hint_text;
use crate::error::{Error, Result};
use crate::ids::{SessionId, UploadId};
use crate::images::{Analysis, FailureReason};
use crate::ports::{Upload, UploadOutcome, UploadStatus};
use crate::services::admission::{Quota, admit};
use crate::services::janitor::STALE_QUEUED_MS;
use crate::services::uploads::direct::settle_if_arrived;
use crate::time::rfc3339;

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

pub async fn view(app: &App, session: &SessionId, upload_id: &UploadId) -> Result<UploadView> {
    let now = app.now_ms();
    let mut upload = app.backend().uploads.get(session, upload_id, now).await?.ok_or(Error::UploadNotFound)?;
    // A runaway polling loop must not cost a storage read (and, awaiting bytes on AWS, a
    // HeadObject) without end.
    admit(app, &Quota::upload_status_per_session(session, &app.config().limits)).await?;
    let settled = settle_if_never_stored(app, &upload, now).await? || settle_if_arrived(app, &upload, now).await?;
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
