//! The visitor's data rights: everything we hold for a session, and erasing it.

use serde::Serialize;

use crate::app::{App, LogSubject};
use crate::chat::replies::hint_text;
use crate::chat::{Attempt, QuickReply};
use crate::counters::Counter;
use crate::error::{Error, Result};
use crate::ids::{SessionId, TicketId, UploadId};
use crate::images::Analysis;
use crate::ports::{LogLevel, Role, StoreResult};
use crate::services::sessions::privacy_terms;
use crate::services::tickets::{TicketLinks, links_for, whatsapp_number};
use crate::time::rfc3339;

/// Everything held for a session, as the visitor downloads it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Export {
    pub exported_at: String,
    pub session: SessionExport,
    pub transcript: Vec<TranscriptLine>,
    pub uploads: Vec<UploadExport>,
    pub tickets: Vec<TicketExport>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionExport {
    pub session_id: SessionId,
    pub created_at: String,
    pub updated_at: String,
    pub expires_at: String,
    pub state: &'static str,
    pub locale: &'static str,
    pub name: Option<String>,
    pub problem: Option<String>,
    pub category: Option<String>,
    pub case_no: u32,
    pub steps_tried: Vec<Attempt>,
    /// The visitor's ratings, with their comments as stored (masked).
    pub feedback: Vec<crate::chat::Feedback>,
}

/// One message of a transcript, as exports and ticket views show it.
#[derive(Debug, Serialize)]
pub struct TranscriptLine {
    pub at: String,
    pub from: Role,
    pub text: String,
}

impl From<&crate::ports::TranscriptEntry> for TranscriptLine {
    fn from(e: &crate::ports::TranscriptEntry) -> TranscriptLine {
        TranscriptLine { at: rfc3339(e.at), from: e.role, text: e.text.clone() }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadExport {
    pub upload_id: UploadId,
    pub status: &'static str,
    pub created_at: String,
    pub expires_at: String,
    pub content_type: String,
    pub bytes: u64,
    pub analysis: Option<Analysis>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketExport {
    pub ticket_id: TicketId,
    pub created_at: String,
    pub expires_at: String,
    pub category: Option<String>,
    pub summary: Option<String>,
    pub ticket_url: String,
}

pub async fn export(app: &App, id: &SessionId, base_url: &str) -> Result<Export> {
    let b = app.backend();
    let now = app.now_ms();
    let session = b.sessions.get(id, now).await?.ok_or(Error::SessionNotFound)?;
    let transcript = b.sessions.transcript(id).await?;
    let uploads = b.uploads.list_for_session(id, now).await?;
    let tickets = b.tickets.list_for_session(id, now).await?;
    let c = session.conversation;
    let feedback = session.feedback;
    Ok(Export {
        exported_at: rfc3339(now),
        session: SessionExport {
            session_id: session.id,
            created_at: rfc3339(session.created_at),
            updated_at: rfc3339(session.updated_at),
            expires_at: rfc3339(session.expires_at),
            state: c.state.as_str(),
            locale: c.locale.as_str(),
            name: c.name,
            problem: c.problem,
            category: c.category,
            case_no: c.case_no,
            steps_tried: c.attempts,
            feedback,
        },
        transcript: transcript.iter().map(TranscriptLine::from).collect(),
        uploads: uploads
            .into_iter()
            .map(|u| UploadExport {
                status: u.status.as_str(),
                created_at: rfc3339(u.created_at),
                expires_at: rfc3339(u.expires_at),
                upload_id: u.id,
                content_type: u.content_type,
                bytes: u.bytes,
                analysis: u.analysis,
                error: u.error,
            })
            .collect(),
        tickets: tickets
            .iter()
            .map(|t| TicketExport {
                ticket_id: t.id.clone(),
                created_at: rfc3339(t.created_at),
                expires_at: rfc3339(t.expires_at),
                category: t.category.clone(),
                summary: t.summary.clone(),
                ticket_url: t.url(base_url),
            })
            .collect(),
    })
}

/// What the widget needs to draw a conversation again after a reload: every message as
/// it was shown (a pressed button by its label), the last message's quick replies, the
/// tickets with their links, and the images with the note each one got.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    pub session_id: SessionId,
    pub locale: &'static str,
    pub state: &'static str,
    pub messages: Vec<TranscriptLine>,
    pub options: Vec<QuickReply>,
    pub tickets: Vec<HistoryTicket>,
    pub uploads: Vec<UploadLine>,
    /// Whether the case just closed (solved, or a ticket) waits for the visitor's rating.
    pub can_rate: bool,
}

/// A ticket of the conversation: its links, and whether a technician resolved it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryTicket {
    #[serde(flatten)]
    pub links: TicketLinks,
    pub status: &'static str,
}

/// An image of the conversation, placed in it by `at`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadLine {
    pub upload_id: UploadId,
    pub at: String,
    pub status: &'static str,
    pub hint_message: Option<&'static str>,
}

pub async fn history(app: &App, id: &SessionId, base_url: &str) -> Result<History> {
    let b = app.backend();
    let now = app.now_ms();
    let session = b.sessions.get(id, now).await?.ok_or(Error::SessionNotFound)?;
    let (transcript, uploads, tickets) = tokio::try_join!(
        b.sessions.transcript(id),
        b.uploads.list_for_session(id, now),
        b.tickets.list_for_session(id, now)
    )?;
    let number = if tickets.is_empty() { None } else { whatsapp_number(app).await? };
    let locale = session.conversation.locale;
    let c = &session.conversation;
    let can_rate = crate::chat::Feedback::can_rate(&session.feedback, c.state, c.case_no);
    // The greeting is not stored (it is the same for everyone): it is said again first.
    let (_, greeting) = crate::chat::greet(locale, privacy_terms(&app.config().retention));
    let greeting = TranscriptLine { at: rfc3339(session.created_at), from: Role::Bot, text: greeting.text };
    Ok(History {
        session_id: session.id,
        locale: locale.as_str(),
        state: session.conversation.state.as_str(),
        messages: std::iter::once(greeting).chain(transcript.iter().map(TranscriptLine::from)).collect(),
        options: session.last_options,
        tickets: tickets
            .iter()
            .map(|t| HistoryTicket { links: links_for(t, base_url, number.as_deref()), status: t.status.as_str() })
            .collect(),
        uploads: uploads
            .into_iter()
            .map(|u| UploadLine {
                at: rfc3339(u.created_at),
                status: u.status.as_str(),
                hint_message: u.analysis.and_then(|a| a.hint).map(|h| hint_text(locale, h)),
                upload_id: u.id,
            })
            .collect(),
        can_rate,
    })
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
pub async fn erase(app: &App, id: &SessionId, request_id: &str) -> StoreResult<Erased> {
    let b = app.backend();
    let mut erased = Erased {
        session: b.sessions.delete(id).await?,
        tickets: b.tickets.delete_for_session(id).await?,
        ..Erased::default()
    };
    for upload in b.uploads.delete_for_session(id).await? {
        erased.uploads += 1;
        erased.files += super::delete_upload_files(b, &upload).await?;
    }
    // Files go under the session's storage tag; keys written before tags name the id.
    let tag = crate::ids::storage_tag(id.as_str());
    let owners = [tag.as_str(), id.as_str()];
    let prefixes = owners.iter().flat_map(|owner| {
        [format!("uploads/{owner}/"), format!("sanitized/uploads/{owner}/"), format!("thumbnails/uploads/{owner}/")]
    });
    for prefix in prefixes {
        erased.files += b.blobs.delete_prefix(&prefix).await?;
    }
    if erased.anything() {
        app.count(&[(Counter::SessionsErased, 1)]).await;
        let message =
            format!("erased: {} ticket(s), {} upload(s), {} file(s)", erased.tickets, erased.uploads, erased.files);
        app.log_event(
            LogLevel::Info,
            "session.erased",
            LogSubject::session(id.as_str()).by_request(request_id),
            &message,
        )
        .await;
    }
    Ok(erased)
}

/// Erases what is held for `id`; `NothingStored` when there was nothing to erase.
pub async fn erase_existing(app: &App, id: &SessionId, request_id: &str) -> Result<Erased> {
    let erased = erase(app, id, request_id).await?;
    if !erased.anything() {
        return Err(Error::NothingStored);
    }
    Ok(erased)
}
