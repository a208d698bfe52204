//! The visitor's data rights: everything we hold for a session, and erasing it.

use serde::Serialize;
use serde_json::{Value, json};

use crate::http::{ApiError, ApiResult, AppState};
use crate::ids::SessionId;
use crate::ports::{LogLevel, StoreResult};
use crate::services::tickets::ticket_url;
use crate::time::{now_ms, rfc3339};

pub async fn export(state: &AppState, id: &SessionId, base_url: &str) -> ApiResult<Value> {
    let b = state.backend();
    let now = now_ms();
    let session = b
        .sessions
        .get(id, now)
        .await?
        .ok_or_else(|| ApiError::not_found("session_not_found", "the session does not exist or has expired"))?;
    let transcript = b.sessions.transcript(id).await?;
    let uploads = b.uploads.list_for_session(id, now).await?;
    let tickets = b.tickets.list_for_session(id, now).await?;
    let c = &session.conversation;
    Ok(json!({
        "exportedAt": rfc3339(now),
        "session": {
            "sessionId": session.id,
            "createdAt": rfc3339(session.created_at),
            "updatedAt": rfc3339(session.updated_at),
            "expiresAt": rfc3339(session.expires_at),
            "state": c.state.as_str(),
            "locale": c.locale.as_str(),
            "name": c.name,
            "problem": c.problem,
            "category": c.category,
            "caseNo": c.case_no,
            "stepsTried": c.attempts,
        },
        "transcript": transcript.iter().map(|e| json!({
            "at": rfc3339(e.at), "from": e.role, "text": e.text,
        })).collect::<Vec<_>>(),
        "uploads": uploads.iter().map(|u| json!({
            "uploadId": u.id, "status": u.status.as_str(), "createdAt": rfc3339(u.created_at),
            "expiresAt": rfc3339(u.expires_at), "contentType": u.content_type, "bytes": u.bytes,
            "analysis": u.analysis, "error": u.error,
        })).collect::<Vec<_>>(),
        "tickets": tickets.iter().map(|t| json!({
            "ticketId": t.id, "createdAt": rfc3339(t.created_at), "expiresAt": rfc3339(t.expires_at),
            "category": t.category, "summary": t.summary, "ticketUrl": ticket_url(base_url, t),
        })).collect::<Vec<_>>(),
    }))
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Erased {
    pub session: bool,
    pub tickets: u64,
    pub uploads: u64,
    pub files: u64,
}

impl Erased {
    pub fn anything(&self) -> bool {
        self.session || self.tickets > 0 || self.uploads > 0 || self.files > 0
    }
}

/// Erases the session first (no further turns), then everything hanging off it. Safe to
/// repeat: a second call finishes what a failed first call left.
pub async fn erase(state: &AppState, id: &SessionId, request_id: &str) -> StoreResult<Erased> {
    let b = state.backend();
    let mut erased = Erased {
        session: b.sessions.delete(id).await?,
        tickets: b.tickets.delete_for_session(id).await?,
        ..Erased::default()
    };
    for upload in b.uploads.delete_for_session(id).await? {
        erased.uploads += 1;
        erased.files += super::delete_upload_files(b, &upload).await?;
    }
    for prefix in [format!("uploads/{id}/"), format!("sanitized/uploads/{id}/"), format!("thumbnails/uploads/{id}/")] {
        erased.files += b.blobs.delete_prefix(&prefix).await?;
    }
    if erased.anything() {
        state.count(&[("sessions.erased", 1)]).await;
        let message =
            format!("erased: {} ticket(s), {} upload(s), {} file(s)", erased.tickets, erased.uploads, erased.files);
        state.log_event(LogLevel::Info, "session.erased", Some(request_id), Some(id.as_str()), &message).await;
    }
    Ok(erased)
}
