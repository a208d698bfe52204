//! Starting a conversation and finding it again.

use std::sync::Arc;

use crate::app::{App, LogSubject};
use crate::chat::{self, Locale, PrivacyTerms, Reply};
use crate::config::Retention;
use crate::counters::Counter;
use crate::error::{Error, IdKind, Result};
use crate::ids::SessionId;
use crate::ports::{LogLevel, Session};
use crate::services::admission::{Quota, admit};
use crate::time::{DAY_MS, HOUR_MS, ms};

/// Fresh random ids collide only by astronomical bad luck; a few tries are plenty.
const MAX_ID_ATTEMPTS: usize = 5;

/// A new session and the bot's greeting.
pub struct Started {
    pub session: Session,
    pub reply: Reply,
}

/// What the privacy notice promises, from the retention settings.
pub fn privacy_terms(retention: &Retention) -> PrivacyTerms {
    PrivacyTerms {
        session_hours: (ms(retention.session) / HOUR_MS).max(1) as u64,
        upload_days: (ms(retention.upload) / DAY_MS).max(1) as u64,
        ticket_days: (ms(retention.ticket) / DAY_MS).max(1) as u64,
        backup_days: retention.backups.map(|b| (ms(b) / DAY_MS).max(1) as u64),
    }
}

/// Opens a session for a visitor at `ip` (rate limited per IP) and greets them.
pub async fn start(app: &App, ip: &str, locale: Locale, request_id: &str) -> Result<Started> {
    admit(app, &Quota::greetings_per_ip(ip, &app.config().limits)).await?;
    let (conversation, reply) = chat::greet(locale, privacy_terms(&app.config().retention));
    let now = app.now_ms();
    for _ in 0..MAX_ID_ATTEMPTS {
        let session = Session {
            id: SessionId::generate_from(app.random())?,
            version: 1,
            created_at: now,
            updated_at: now,
            expires_at: now + ms(app.config().retention.session.min(app.config().retention.session_lifetime)),
            conversation: conversation.clone(),
            transcript_expires_at: 0,
            last_visitor_line: None,
            last_options: Vec::new(),
            feedback: Vec::new(),
            abandoned: None,
            chat_tat_us: None,
        };
        if app.backend().sessions.create(&session).await? {
            app.count(&[(Counter::SessionsCreated, 1)]).await;
            let message = format!("locale {}", locale.as_str());
            app.log_event(
                LogLevel::Info,
                "session.created",
                LogSubject::session(session.id.as_str()).by_request(request_id),
                &message,
            )
            .await;
            return Ok(Started { session, reply });
        }
    }
    Err(Error::IdsExhausted(IdKind::Session))
}

/// The live session `id`, or `None` when it does not exist or has expired.
pub async fn find(app: &App, id: &SessionId) -> Result<Option<Session>> {
    Ok(app.backend().sessions.get(id, app.now_ms()).await?)
}

/// The live session `id`, or `SessionNotFound`.
pub async fn load(app: &App, id: &SessionId, now: i64) -> Result<Session> {
    app.backend().sessions.get(id, now).await?.ok_or(Error::SessionNotFound)
}

/// [`load`], and the stored answer to `message_id` if that message was answered before.
pub async fn load_for_turn(
    app: &App,
    id: &SessionId,
    message_id: Option<&str>,
    now: i64,
) -> Result<(Arc<Session>, Option<String>)> {
    match app.backend().sessions.get_for_turn(id, message_id, now).await? {
        (Some(session), reply) => Ok((session, reply)),
        (None, _) => Err(Error::SessionNotFound),
    }
}

/// What lets a browser come back to a conversation without keeping the session id: a
/// random token, stored by its hash, good once and no longer than the session.
#[derive(Debug, Clone)]
pub struct ResumeToken {
    pub token: String,
    pub expires_at: i64,
}

/// A resume token for session `id` (which must be live).
pub async fn resume_token(app: &App, id: &SessionId) -> Result<ResumeToken> {
    issue_resume_token(app, &load(app, id, app.now_ms()).await?).await
}

async fn issue_resume_token(app: &App, session: &Session) -> Result<ResumeToken> {
    let token = crate::ids::access_token_from(app.random())?;
    let hash = crate::ids::token_hash(&token);
    app.backend().sessions.save_resume_token(&hash, &session.id, session.expires_at).await?;
    Ok(ResumeToken { token, expires_at: session.expires_at })
}

/// The session a resume token names, and the token that replaces it (rate limited per
/// IP like new sessions: a token is as good as the session it names).
pub async fn resume(app: &App, token: &str, ip: &str) -> Result<(Session, ResumeToken)> {
    admit(app, &Quota::greetings_per_ip(ip, &app.config().limits)).await?;
    if !crate::ids::is_access_token(token) {
        return Err(Error::SessionNotFound);
    }
    let now = app.now_ms();
    let id = app.backend().sessions.take_resume_token(&crate::ids::token_hash(token), now).await?;
    let session = load(app, &id.ok_or(Error::SessionNotFound)?, now).await?;
    let next = issue_resume_token(app, &session).await?;
    Ok((session, next))
}
