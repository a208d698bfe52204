//! One chat turn, end to end: read the session, let the engine answer, open a ticket if
//! it asks for one, and commit session + transcript + idempotency record atomically,
//! retrying on a concurrent update.

use std::time::Duration;

use serde::Serialize;

use crate::chat::{self, Action, ImageNote, Input, QuickReply};
use crate::http::{ApiError, ApiResult, AppState};
use crate::ids::SessionId;
use crate::pii::mask_pii;
use crate::ports::{CommitOutcome, LogLevel, Role, Session, TranscriptEntry, TurnRecord, UploadStatus};
use crate::services::tickets::{self, TicketLinks};
use crate::smart::Failure;
use crate::time::now_ms;

/// A turn that keeps losing races to other writers of its session gives up (503) after
/// this long; well inside the function timeout.
const COMMIT_BUDGET: Duration = Duration::from_secs(6);

#[derive(Debug, Clone)]
pub enum Said {
    Text(String),
    Button(String),
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatResponse<'a> {
    pub session_id: &'a str,
    pub reply: &'a str,
    pub state: &'static str,
    pub options: &'a [QuickReply],
    pub degraded: bool,
    pub locale: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<&'a TicketLinks>,
}

pub async fn load_session(state: &AppState, id: &SessionId, now: i64) -> ApiResult<Session> {
    state.backend().sessions.get(id, now).await?.ok_or_else(|| {
        ApiError::not_found("session_not_found", "the session does not exist or has expired; start a new one")
    })
}

/// Backs off exponentially with full jitter before re-reading a session another request
/// changed, so that a burst of writers spreads out instead of colliding again.
async fn backoff(attempt: u32) {
    let ceiling = 4u64 << attempt.min(6);
    let random = crate::ids::random_bytes::<2>().map(|b| u64::from(u16::from_be_bytes(b))).unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(2 + random % ceiling)).await;
}

fn entry(seq: u64, at: i64, role: Role, text: &str) -> TranscriptEntry {
    TranscriptEntry { seq, at, role, text: mask_pii(text) }
}

/// The session after a turn: one version up, its expiry pushed back from `now`.
fn next_session(state: &AppState, session: Session, conversation: chat::Conversation, now: i64) -> Session {
    Session {
        version: session.version + 1,
        updated_at: now,
        expires_at: now + state.config().retention.session_ms,
        conversation,
        ..session
    }
}

/// Image analyses finished since the bot last mentioned one.
async fn new_image_notes(state: &AppState, session: &Session, now: i64) -> ApiResult<Vec<ImageNote>> {
    let uploads = state.backend().uploads.list_for_session(&session.id, now).await?;
    Ok(uploads
        .into_iter()
        .filter(|u| u.status == UploadStatus::Done && !session.conversation.noted_uploads.contains(&u.id.to_string()))
        .filter_map(|u| {
            u.analysis.map(|a| ImageNote {
                upload_id: u.id.to_string(),
                hint: a.hint,
                width: a.width,
                height: a.height,
                description: a.description.map(|d| match a.error_text {
                    Some(error) => format!("{} «{error}»", d.trim_end_matches('.')),
                    None => d,
                }),
            })
        })
        .collect())
}

/// In smart mode, replaces the steps a turn shows with the model's; true when smart mode
/// should have answered and the knowledge base stood in (timeout, error, bad output,
/// open circuit).
async fn improve_steps(state: &AppState, before: &chat::Conversation, turn: &mut chat::Turn) -> bool {
    let Some(smart) = state.smart() else {
        return false;
    };
    if turn.action != Action::None {
        return false;
    }
    let Some((title, round, tried)) = chat::steps_request(before, turn) else {
        return false;
    };
    let problem = turn.conversation.problem.clone();
    match smart.steps(state, turn.conversation.locale, title, problem.as_deref(), round, &tried).await {
        Ok(steps) => {
            chat::replace_steps(turn, steps);
            false
        }
        Err(Failure::ForcedOff) => false,
        Err(failure) => {
            tracing::info!(?failure, "smart mode fell back to the knowledge base");
            true
        }
    }
}

/// Runs a chat turn and returns the response body (the stored one on a replay).
pub async fn chat_turn(
    state: &AppState,
    id: &SessionId,
    said: &Said,
    message_id: Option<&str>,
    base_url: &str,
    request_id: &str,
) -> ApiResult<String> {
    let started = std::time::Instant::now();
    let mut attempt = 0;
    while started.elapsed() < COMMIT_BUDGET {
        attempt += 1;
        let now = now_ms();
        let session = load_session(state, id, now).await?;
        if let Some(mid) = message_id
            && let Some(stored) = state.backend().sessions.find_reply(id, mid).await?
        {
            return Ok(stored);
        }
        let notes = new_image_notes(state, &session, now).await?;
        let masked = match said {
            Said::Text(text) => mask_pii(text),
            Said::Button(value) => format!("[{value}]"),
        };
        let input = match said {
            Said::Text(raw) => Input::Text { raw, masked: &masked },
            Said::Button(value) => Input::Button(value),
        };
        let mut turn = chat::respond(&session.conversation, input, &notes);
        let degraded = improve_steps(state, &session.conversation, &mut turn).await;
        let (conversation, reply, ticket) = if turn.action == Action::OpenTicket {
            let pending = Session { conversation: turn.conversation.clone(), ..session.clone() };
            match tickets::open_for_session(state, &pending, base_url, now, request_id).await {
                Ok(opened) => {
                    let (c, r) =
                        chat::ticket_opened(&turn.conversation, opened.ticket.id.as_str(), &opened.links.whatsapp_url);
                    (c, r, Some(opened.links))
                }
                Err(e) if e.code == "ticket_limit" => {
                    let (c, r) = chat::ticket_unavailable(&turn.conversation);
                    (c, r, None)
                }
                Err(e) => return Err(e),
            }
        } else {
            (turn.conversation, turn.reply, None)
        };

        let response = serde_json::to_string(&ChatResponse {
            session_id: id.as_str(),
            reply: &reply.text,
            state: conversation.state.as_str(),
            options: &reply.options,
            degraded,
            locale: conversation.locale.as_str(),
            ticket: ticket.as_ref(),
        })
        .map_err(|e| ApiError::internal(format!("cannot encode the reply: {e}")))?;
        let version = session.version + 1;
        let record = TurnRecord {
            entries: vec![
                entry(version * 2, now, Role::Visitor, &masked),
                entry(version * 2 + 1, now, Role::Bot, &reply.text),
            ],
            expected_version: session.version,
            session: next_session(state, session, conversation, now),
            message_id: message_id.map(str::to_owned),
            response_json: response.clone(),
        };
        match state.backend().sessions.commit_turn(&record).await? {
            CommitOutcome::Committed => {
                state.count(&[("chat.totalMessages", 1)]).await;
                // Metadata only: the visitor's words live in the transcript, which erasure removes.
                let c = &record.session.conversation;
                let summary = format!(
                    "turn {version} → {} (category {}, {} chars)",
                    c.state.as_str(),
                    c.category.as_deref().unwrap_or("none"),
                    masked.chars().count()
                );
                state.log_event(LogLevel::Info, "chat.turn", Some(request_id), Some(id.as_str()), &summary).await;
                return Ok(response);
            }
            CommitOutcome::Duplicate(stored) => return Ok(stored),
            CommitOutcome::Conflict => backoff(attempt).await,
        }
    }
    Err(ApiError::unavailable("session_busy", "the session is being updated by other requests; please retry", 1))
}

/// Opens the ticket of the session's current case (idempotent) and moves the
/// conversation to `ticket_created`, recording the bot's message in the transcript.
pub async fn ticket_turn(
    state: &AppState,
    id: &SessionId,
    base_url: &str,
    request_id: &str,
) -> ApiResult<(TicketLinks, bool)> {
    let started = std::time::Instant::now();
    let mut attempt = 0;
    while started.elapsed() < COMMIT_BUDGET {
        attempt += 1;
        let now = now_ms();
        let session = load_session(state, id, now).await?;
        let opened = tickets::open_for_session(state, &session, base_url, now, request_id).await?;
        let already_shown = session.conversation.ticket_id.as_deref() == Some(opened.ticket.id.as_str());
        if already_shown {
            return Ok((opened.links, opened.created));
        }
        let (conversation, reply) =
            chat::ticket_opened(&session.conversation, opened.ticket.id.as_str(), &opened.links.whatsapp_url);
        let version = session.version + 1;
        let record = TurnRecord {
            entries: vec![entry(version * 2 + 1, now, Role::Bot, &reply.text)],
            expected_version: session.version,
            session: next_session(state, session, conversation, now),
            message_id: None,
            response_json: String::new(),
        };
        match state.backend().sessions.commit_turn(&record).await? {
            CommitOutcome::Committed | CommitOutcome::Duplicate(_) => return Ok((opened.links, opened.created)),
            CommitOutcome::Conflict => backoff(attempt).await,
        }
    }
    Err(ApiError::unavailable("session_busy", "the session is being updated by other requests; please retry", 1))
}
