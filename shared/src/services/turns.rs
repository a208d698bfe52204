//! One chat turn, end to end: read the session, let the engine answer, open a ticket if
//! it asks for one, and commit session + transcript + idempotency record atomically,
//! retrying on a concurrent update.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::app::{App, LogSubject};
use crate::chat::{self, Action, ImageNote, Input, QuickReply, Reply, TurnLine};
use crate::counters::Counter;
use crate::error::{Error, Result};
use crate::ids::SessionId;
use crate::metrics::phases::{self, Lap, Phase};
use crate::pii::{mask_across, mask_pii};
use crate::ports::{
    Abandoned, CommitOutcome, Riders, Role, Session, StoreError, TranscriptEntry, TurnRecord, Upload, UploadStatus,
};
use crate::services::admission::{Quota, admit, admit_chat_turn};
use crate::services::bot_lines::masked_bot_line;
use crate::services::sessions::{load, load_for_turn};
use crate::services::tickets::{self, TicketLinks};
use crate::services::{Origin, outcomes};
use crate::smart::Failure;
use crate::time::ms;

/// A turn that keeps losing races to other writers of its session gives up (503) after
/// this long; well inside the function timeout.
const COMMIT_BUDGET: Duration = Duration::from_secs(6);

/// What the visitor sent: words, or a quick-reply button.
#[derive(Debug, Clone)]
pub enum Utterance {
    Text(String),
    Button(String),
}

/// One visitor message, as the chat endpoint received it.
pub struct Message<'a> {
    pub session: &'a SessionId,
    pub utterance: &'a Utterance,
    /// The client's idempotency key: a repeat gets the first answer.
    pub message_id: Option<&'a str>,
    pub ip: &'a str,
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

/// Backs off exponentially with full jitter before re-reading a session another request
/// changed, so that a burst of writers spreads out instead of colliding again.
async fn backoff(attempt: u32) {
    let ceiling = 4u64 << attempt.min(6);
    let random = crate::ids::random_bytes::<2>().map(|b| u64::from(u16::from_be_bytes(b))).unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(2 + random % ceiling)).await;
}

/// The bot's line, masked (from memory when it is one of the knowledge base's replies).
fn bot_entry(seq: u64, at: i64, text: &str) -> TranscriptEntry {
    TranscriptEntry { seq, at, role: Role::Bot, text: masked_bot_line(text) }
}

/// The visitor's line, from text [`mask_pii`] already masked (masking is idempotent, a
/// property the PII tests check, so masking it again would change nothing).
fn visitor_entry(seq: u64, at: i64, masked: &str) -> TranscriptEntry {
    TranscriptEntry { seq, at, role: Role::Visitor, text: masked.to_owned() }
}

/// What the visitor said, masked as stored: typed words together with their previous
/// line (a number split over two messages is masked in both; the previous line comes back
/// rewritten when that reveals something in it), a button by the label it showed.
fn mask_utterance(session: &Session, said: &Utterance) -> (String, Option<TranscriptEntry>) {
    match (said, session.last_visitor_line.as_ref()) {
        (Utterance::Text(text), Some(previous)) => {
            let (masked, rewritten) = mask_across(&previous.text, text);
            (masked, rewritten.map(|text| TranscriptEntry { text, ..previous.clone() }))
        }
        (Utterance::Text(text), None) => (mask_pii(text), None),
        // Only known button values get here; masked all the same, as every transcript line.
        (Utterance::Button(value), _) => (mask_pii(&pressed_label(session, value)), None),
    }
}

/// The label of the button the visitor pressed: as the last message offered it, else as
/// the bot words it, else the bare value in brackets.
fn pressed_label(session: &Session, value: &str) -> String {
    session
        .last_options
        .iter()
        .find(|o| o.value == value)
        .map(|o| o.text.clone())
        .or_else(|| chat::button_label(session.conversation.locale, value))
        .unwrap_or_else(|| format!("[{value}]"))
}

/// The session after a turn: one version up, its expiry pushed back from `now`, the
/// reply's options remembered, the engine's `conversation`, the case's abandoned mark and
/// the visitor's last line in place of the ones it read.
fn next_session(
    app: &App,
    session: &Session,
    conversation: chat::Conversation,
    reply: &Reply,
    abandoned: Option<Abandoned>,
    last_visitor_line: Option<TranscriptEntry>,
    now: i64,
) -> Session {
    Session {
        id: session.id.clone(),
        version: session.version + 1,
        created_at: session.created_at,
        updated_at: now,
        // Sliding with every turn, but never past the session's absolute lifetime.
        expires_at: (now + ms(app.config().retention.session))
            .min(session.created_at + ms(app.config().retention.session_lifetime)),
        conversation,
        transcript_expires_at: session.transcript_expires_at,
        last_visitor_line,
        last_options: reply.options.clone(),
        feedback: session.feedback.clone(),
        abandoned,
        chat_tat_us: session.chat_tat_us,
    }
}

/// Image analyses finished since the bot last mentioned one.
fn new_image_notes(session: &Session, uploads: Vec<Upload>) -> Vec<ImageNote> {
    uploads
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
        .collect()
}

/// What smart mode is asked for a set of steps: the problem's title and the visitor's
/// words, which round of steps, and the steps already tried.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StepsQuestion {
    title: String,
    problem: Option<String>,
    round: u8,
    tried: Vec<String>,
}

/// What the model was asked in this request and how it answered, so that a turn that
/// loses a commit race asks it once, not once per retry.
#[derive(Default)]
struct SmartAnswer {
    asked: Option<StepsQuestion>,
    steps: Option<Vec<String>>,
    degraded: bool,
}

/// In smart mode, replaces the steps a turn shows with the model's; true when smart mode
/// should have answered and the knowledge base stood in (timeout, error, bad output,
/// open circuit). The model is called at most once per request: a retry that needs the
/// same steps reuses the answer, one that needs others keeps the knowledge base's.
async fn improve_steps(
    app: &App,
    before: &chat::Conversation,
    turn: &mut chat::Turn,
    answer: &mut SmartAnswer,
) -> bool {
    let Some(smart) = app.smart() else {
        return false;
    };
    if turn.action != Action::None {
        return false;
    }
    let Some((title, round, tried)) = chat::steps_request(before, turn) else {
        return false;
    };
    let question = StepsQuestion {
        title: title.to_owned(),
        problem: turn.conversation.problem.clone(),
        round,
        tried: tried.clone(),
    };
    if let Some(asked) = &answer.asked {
        if *asked != question {
            return true;
        }
        if let Some(steps) = &answer.steps {
            chat::replace_steps(turn, steps.clone());
        }
        return answer.degraded;
    }
    let asked = answer.asked.insert(question);
    match smart.steps(turn.conversation.locale, &asked.title, asked.problem.as_deref(), round, &asked.tried).await {
        Ok(steps) => {
            chat::replace_steps(turn, steps.clone());
            answer.steps = Some(steps);
        }
        Err(Failure::ForcedOff) => {}
        Err(failure) => {
            tracing::info!(?failure, "smart mode fell back to the knowledge base");
            answer.degraded = true;
        }
    }
    answer.degraded
}

/// What a turn reads before it runs: the session, the stored answer when the message
/// repeats, and the session's uploads (for the analyses the bot has not mentioned yet).
struct TurnReads {
    session: Arc<Session>,
    answered: Option<String>,
    uploads: Vec<Upload>,
}

/// Reads what a turn needs in one round trip: the session with the stored reply and the
/// uploads at once (on DynamoDB two requests in flight together, not one after the other).
async fn read_for_turn(app: &App, id: &SessionId, message_id: Option<&str>, now: i64) -> Result<TurnReads> {
    let started = Instant::now();
    let (loaded, uploads) =
        tokio::join!(load_for_turn(app, id, message_id, now), app.backend().uploads.list_for_session(id, now));
    phases::record(Phase::SessionRead, started.elapsed());
    let (session, answered) = loaded?;
    Ok(TurnReads { session, answered, uploads: uploads? })
}

/// Answers a visitor's message: the per-IP limit applies, the session must exist, its
/// own limit applies, then the turn runs. Returns the response body (the stored
/// one when `message_id` repeats, found with the session in one read).
///
/// The per-IP limit is checked while the turn's reads are in flight (one round trip for
/// both), and decides first: messages to made-up session ids (probing) spend the sender's
/// quota and are refused by it once it is spent.
pub async fn chat(app: &App, message: &Message<'_>, origin: &Origin<'_>) -> Result<String> {
    let limits = &app.config().limits;
    let by_ip = async {
        let started = Instant::now();
        let admitted = admit(app, &Quota::chat_per_ip(message.ip, limits)).await;
        (admitted, started.elapsed())
    };
    let ((by_ip, ip_check), read) =
        tokio::join!(by_ip, read_for_turn(app, message.session, message.message_id, app.now_ms()));
    phases::record(Phase::Limits, ip_check);
    by_ip?;
    let reads = read?;
    if let Some(stored) = reads.answered {
        // A repeat stores nothing, but a session over its limit is refused all the same.
        admit_chat_turn(app, &reads.session, app.now_ms()).await?;
        return Ok(stored);
    }
    // A full conversation stores nothing more: the visitor goes on in a new session.
    if reads.session.version >= limits.max_turns_per_session {
        return Err(Error::ConversationFull { max_turns: limits.max_turns_per_session });
    }
    chat_turn(app, reads, message.utterance, message.message_id, origin).await
}

/// Runs a chat turn on what [`read_for_turn`] just read and returns the response body
/// (the stored one on a replay). A turn that loses a commit race reads again.
async fn chat_turn(
    app: &App,
    reads: TurnReads,
    said: &Utterance,
    message_id: Option<&str>,
    origin: &Origin<'_>,
) -> Result<String> {
    let session_id = reads.session.id.clone();
    let id = &session_id;
    let started = app.clock().monotonic();
    let mut attempt = 0;
    let mut smart_answer = SmartAnswer::default();
    let mut fresh = Some(reads);
    while app.clock().monotonic().saturating_duration_since(started) < COMMIT_BUDGET {
        attempt += 1;
        let now = app.now_ms();
        let TurnReads { session, uploads, .. } = match fresh.take() {
            Some(reads) => reads,
            None => match read_for_turn(app, id, message_id, now).await? {
                TurnReads { answered: Some(stored), .. } => return Ok(stored),
                reads => reads,
            },
        };
        let mut lap = Lap::start();
        // The per-session limit, on the session this attempt commits on.
        let chat_tat_us = admit_chat_turn(app, &session, now).await?;
        let notes = new_image_notes(&session, uploads);
        let (masked, rewritten) = mask_utterance(&session, said);
        // What the previous line revealed leaves the problem too, before anyone reads it
        // (on a copy: the session read is shared with the store's cache).
        let mut session = session;
        if let (Some(before), Some(after)) = (&session.last_visitor_line, &rewritten)
            && let Some(problem) = &session.conversation.problem
            && problem.contains(&before.text)
        {
            let cleaned = problem.replace(&before.text, &after.text);
            Arc::make_mut(&mut session).conversation.problem = Some(cleaned);
        }
        let input = match said {
            Utterance::Text(raw) => Input::Text { raw, masked: &masked },
            Utterance::Button(value) => Input::Button(value),
        };
        let mut turn = chat::respond(&session.conversation, input, &notes);
        let degraded = improve_steps(app, &session.conversation, &mut turn, &mut smart_answer).await;
        let (conversation, reply, ticket) = if turn.action == Action::OpenTicket {
            let pending = Session { conversation: turn.conversation.clone(), ..Session::clone(&session) };
            match tickets::open_for_session(app, &pending, origin, now).await {
                Ok(opened) => {
                    let (c, r) = chat::ticket_opened(&turn.conversation, opened.ticket.id.as_str());
                    (c, r, Some(opened.links))
                }
                Err(Error::TicketLimit { .. }) => {
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
        .map_err(|e| StoreError::Corrupt(format!("cannot encode the reply: {e}")))?;
        let closing = outcomes::closing(&session, &conversation, now);
        let version = session.version + 1;
        let visitor_line = visitor_entry(version * 2, now, &masked);
        let typed_line = matches!(said, Utterance::Text(_)).then(|| visitor_line.clone());
        let mut next = next_session(app, &session, conversation, &reply, closing.abandoned.clone(), typed_line, now);
        next.chat_tat_us = Some(chat_tat_us);
        let record = TurnRecord {
            rewritten,
            entries: vec![visitor_line, bot_entry(version * 2 + 1, now, &reply.text)],
            expected_version: next.version - 1,
            session: Arc::new(next),
            message_id: message_id.map(str::to_owned),
            response_json: response.clone(),
        };
        // Metadata only: the visitor's words live in the transcript, which erasure removes.
        let c = &record.session.conversation;
        let summary = TurnLine::new(version, c.state, c.category.as_deref(), masked.chars().count());
        let mut counters = vec![(Counter::ChatMessages.key(), 1)];
        counters.extend_from_slice(&closing.totals);
        let riders = Riders {
            counters,
            daily: closing.daily.clone(),
            log: Some(app.turn_log_line(LogSubject::session(id.as_str()).by_request(origin.request_id), summary)),
        };
        lap.lap(Phase::Engine);
        let committed = app.backend().sessions.commit_turn_with(&record, &riders).await?;
        lap.lap(Phase::Commit);
        match committed {
            (CommitOutcome::Committed, written) => {
                if !written {
                    app.ride_behind(riders);
                }
                closing.publish();
                return Ok(response);
            }
            (CommitOutcome::Duplicate(stored), _) => return Ok(stored),
            (CommitOutcome::Conflict, _) => backoff(attempt).await,
        }
    }
    Err(Error::SessionBusy)
}

/// The ticket a visitor at `ip` asks for by its button or link: rate limited per IP,
/// then [`ticket_turn`].
pub async fn ticket(app: &App, id: &SessionId, ip: &str, origin: &Origin<'_>) -> Result<(TicketLinks, bool)> {
    admit(app, &Quota::ticket_requests_per_ip(ip, &app.config().limits)).await?;
    ticket_turn(app, id, origin).await
}

/// Opens the ticket of the session's current case (idempotent) and moves the
/// conversation to `ticket_created`, recording the bot's message in the transcript.
pub async fn ticket_turn(app: &App, id: &SessionId, origin: &Origin<'_>) -> Result<(TicketLinks, bool)> {
    let started = app.clock().monotonic();
    let mut attempt = 0;
    while app.clock().monotonic().saturating_duration_since(started) < COMMIT_BUDGET {
        attempt += 1;
        let now = app.now_ms();
        let session = load(app, id, now).await?;
        let opened = tickets::open_for_session(app, &session, origin, now).await?;
        let already_shown = session.conversation.ticket_id.as_deref() == Some(opened.ticket.id.as_str());
        if already_shown {
            return Ok((opened.links, opened.created));
        }
        let (conversation, reply) = chat::ticket_opened(&session.conversation, opened.ticket.id.as_str());
        let closing = outcomes::closing(&session, &conversation, now);
        let version = session.version + 1;
        let (abandoned, last_line) = (closing.abandoned.clone(), session.last_visitor_line.clone());
        let next = next_session(app, &session, conversation, &reply, abandoned, last_line, now);
        let record = TurnRecord {
            rewritten: None,
            entries: vec![bot_entry(version * 2 + 1, now, &reply.text)],
            expected_version: next.version - 1,
            session: Arc::new(next),
            message_id: None,
            response_json: String::new(),
        };
        let riders = Riders { counters: closing.totals.clone(), daily: closing.daily.clone(), log: None };
        match app.backend().sessions.commit_turn_with(&record, &riders).await? {
            (CommitOutcome::Committed, written) => {
                if !written {
                    closing.count(app).await;
                }
                closing.publish();
                return Ok((opened.links, opened.created));
            }
            (CommitOutcome::Duplicate(_), _) => return Ok((opened.links, opened.created)),
            (CommitOutcome::Conflict, _) => backoff(attempt).await,
        }
    }
    Err(Error::SessionBusy)
}
