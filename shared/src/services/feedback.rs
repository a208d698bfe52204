//! The visitor's rating of how a case ended — solved by the bot, or handed to a
//! technician: 👍 or 👎 and an optional comment (masked), once per case and outcome,
//! counted by outcome and category for the support lead.

use crate::app::{App, LogSubject};
use crate::chat::{CaseEnd, Feedback};
use crate::counters::{Counter, feedback_key};
use crate::error::{Error, Result};
use crate::ids::SessionId;
use crate::pii::mask_pii;
use crate::ports::{CommitOutcome, LogLevel, Session, TurnRecord};
use crate::services::admission::{Quota, admit};
use crate::services::sessions::load;

/// Longest comment kept, in characters.
pub const MAX_COMMENT_CHARS: usize = 500;

/// A rating as the visitor sends it.
pub struct Rating<'a> {
    pub session: &'a SessionId,
    pub up: bool,
    /// Already cleaned and within [`MAX_COMMENT_CHARS`].
    pub comment: Option<&'a str>,
    pub ip: &'a str,
    pub request_id: &'a str,
}

/// Records a rating of the case the conversation just closed. Refused when no case is
/// closed right now, or when this one was already rated.
pub async fn rate(app: &App, rating: &Rating<'_>) -> Result<Feedback> {
    admit(app, &Quota::chat_per_ip(rating.ip, &app.config().limits)).await?;
    for _ in 0..3 {
        let now = app.now_ms();
        let session = load(app, rating.session, now).await?;
        let c = &session.conversation;
        let outcome = CaseEnd::of(c.state).ok_or(Error::NothingToRate)?;
        if !Feedback::can_rate(&session.feedback, c.state, c.case_no) {
            return Err(Error::AlreadyRated);
        }
        let feedback = Feedback {
            case_no: c.case_no,
            outcome,
            up: rating.up,
            comment: rating.comment.map(mask_pii).filter(|t| !t.is_empty()),
            at: now,
        };
        let category = c.category.clone().unwrap_or_else(|| "none".to_owned());
        let mut next = Session { version: session.version + 1, ..session.clone() };
        next.feedback.push(feedback.clone());
        let record = TurnRecord {
            expected_version: session.version,
            session: std::sync::Arc::new(next),
            entries: Vec::new(),
            rewritten: None,
            message_id: None,
            response_json: String::new(),
        };
        match app.backend().sessions.commit_turn(&record).await? {
            CommitOutcome::Committed | CommitOutcome::Duplicate(_) => {
                let by = feedback_key(outcome.as_str(), &category, rating.up);
                let total = if rating.up { Counter::FeedbackUp } else { Counter::FeedbackDown };
                app.count_event(now, &[(total.key(), 1), (by.as_str(), 1)]).await;
                crate::metrics::emf_feedback(if rating.up { "up" } else { "down" }, outcome.as_str());
                let message = format!(
                    "{} for {} ({category}){}",
                    if rating.up { "up" } else { "down" },
                    outcome.as_str(),
                    if feedback.comment.is_some() { ", with a comment" } else { "" }
                );
                let about = LogSubject::session(rating.session.as_str()).by_request(rating.request_id);
                app.log_event(LogLevel::Info, "feedback.received", about, &message).await;
                return Ok(feedback);
            }
            CommitOutcome::Conflict => continue,
        }
    }
    Err(Error::SessionBusy)
}
