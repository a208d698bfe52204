//! The rate limits of SPEC.md, shared by every process on the same store. They are
//! product rules, applied by the services in the order the API promises (an unknown
//! session is a 404 before it can spend anyone's quota).

use crate::app::App;
use crate::config::Limits;
use crate::counters::Counter;
use crate::error::{Error, Result};
use crate::ids::SessionId;
use crate::ports::{Gcra, RateDecision, Session};
use crate::time::{HOUR_MS, MINUTE_MS};

/// One rate limit on one key (`ports::Gcra`: `limit` per `window_ms`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    key: String,
    limit: u32,
    window_ms: i64,
    exceeded: Exceeded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exceeded {
    Requests,
    Tickets,
}

impl Quota {
    pub fn greetings_per_ip(ip: &str, limits: &Limits) -> Quota {
        Quota::requests(format!("greeting:ip:{ip}"), limits.greeting_per_min_ip)
    }

    pub fn chat_per_ip(ip: &str, limits: &Limits) -> Quota {
        Quota::requests(format!("chat:ip:{ip}"), limits.chat_per_min_ip)
    }

    pub fn upload_status_per_session(session: &SessionId, limits: &Limits) -> Quota {
        Quota::requests(format!("status:session:{session}"), limits.status_per_min_session)
    }

    pub fn uploads_per_ip(ip: &str, limits: &Limits) -> Quota {
        Quota::requests(format!("upload:ip:{ip}"), limits.upload_per_min_ip)
    }

    pub fn ticket_requests_per_ip(ip: &str, limits: &Limits) -> Quota {
        Quota::requests(format!("ticket:ip:{ip}"), limits.ticket_per_min_ip)
    }

    pub fn tickets_per_session(session: &SessionId, limits: &Limits) -> Quota {
        Quota {
            key: format!("tickets:{session}"),
            limit: limits.max_tickets_per_hour,
            window_ms: HOUR_MS,
            exceeded: Exceeded::Tickets,
        }
    }

    fn requests(key: String, limit: u32) -> Quota {
        Quota { key, limit, window_ms: MINUTE_MS, exceeded: Exceeded::Requests }
    }
}

/// The per-session chat limit, decided on the session as read: on success, the limit's
/// state after this turn, for the turn's commit to write with the session. Two turns of one
/// session at once are put in order by the commit's version check: the one that loses
/// reads the session again and is decided again, on the state the other wrote.
pub async fn admit_chat_turn(app: &App, session: &Session, now: i64) -> Result<i64> {
    let gcra = Gcra { limit: app.config().limits.chat_per_min_session, window_ms: MINUTE_MS };
    let tat = session.chat_tat_us;
    if gcra.refuses(tat, now) {
        return Err(refused(app, Exceeded::Requests, gcra.retry_after_secs(tat, now)).await);
    }
    Ok(gcra.after_hit(tat, now))
}

/// Counts one use of `quota`, or says when to come back.
pub async fn admit(app: &App, quota: &Quota) -> Result<()> {
    match app.backend().limiter.hit(&quota.key, quota.limit, quota.window_ms, app.now_ms()).await? {
        RateDecision::Allowed => Ok(()),
        RateDecision::Limited { retry_after_secs } => Err(refused(app, quota.exceeded, retry_after_secs).await),
    }
}

/// A refusal, counted, as the error its limit answers with.
async fn refused(app: &App, exceeded: Exceeded, retry_after_secs: u64) -> Error {
    app.count(&[(Counter::RateLimitRejected, 1)]).await;
    match exceeded {
        Exceeded::Requests => Error::RateLimited { retry_after_secs },
        Exceeded::Tickets => Error::TicketLimit { retry_after_secs },
    }
}
