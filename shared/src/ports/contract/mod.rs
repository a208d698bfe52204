//! The behaviour every backend must show, as one generic suite. A backend's tests call
//! [`contract_tests!`] with an expression that builds a fresh `Backend`; each area runs
//! as its own test. Nothing here assumes a clean store: every test uses fresh ids.

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;

use super::*;
use crate::chat::{Conversation, Locale};
use crate::ids::{SessionId, TicketId, UploadId};
use crate::time::{HOUR_MS, MINUTE_MS, now_ms};

/// Generates one `#[tokio::test]` per contract area for the backend built by `$make`
/// (an async expression evaluating to `Backend`).
#[macro_export]
macro_rules! contract_tests {
    ($make:expr) => {
        $crate::contract_tests!(@one $make; sessions_round_trip, sessions_conditional_commits, sessions_idempotent_replies,
            sessions_concurrent_turns_lose_nothing, sessions_long_transcripts, sessions_rewrite_an_earlier_line, sessions_resume_tokens_resume_once, sessions_expire_and_delete, sessions_idle_cases_are_found_once_due,
            tickets_one_per_case, tickets_listing_expiry_and_erasure, tickets_notifications_are_an_outbox, tickets_resolve_once, uploads_complete_once, uploads_are_claimed_by_one_worker, uploads_erasure_and_expiry, uploads_arrive_once,
            blobs_round_trip, queue_lease_and_redelivery, queue_concurrent_consumers_get_distinct_jobs,
            limiter_counts_and_rejects, limiter_lets_the_rate_through_and_refuses_one_percent_over, limiter_is_atomic_under_concurrency, counters_are_atomic, daily_counters_sum_over_days, applog_recent_and_expiry);
    };
    (@one $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let backend = $make.await;
                $crate::ports::contract::$name(&backend).await;
            }
        )*
    };
}

/// A fresh session, as the contract tests make them.
pub fn new_session_for_tests(now: i64) -> Session {
    new_session(now)
}

fn new_session(now: i64) -> Session {
    Session {
        id: SessionId::generate().unwrap_or_else(|e| panic!("{e}")),
        version: 1,
        created_at: now,
        updated_at: now,
        expires_at: now + 48 * HOUR_MS,
        conversation: Conversation::new(Locale::Es),
        transcript_expires_at: 0,
        last_visitor_line: None,
        last_options: Vec::new(),
        feedback: Vec::new(),
        abandoned: None,
        chat_tat_us: None,
    }
}

fn turn(session: &Session, now: i64, text: &str, message_id: Option<&str>) -> TurnRecord {
    let mut next = session.clone();
    next.version = session.version + 1;
    next.updated_at = now;
    next.conversation.problem = Some(text.to_owned());
    TurnRecord {
        rewritten: None,
        expected_version: session.version,
        entries: vec![
            TranscriptEntry { seq: next.version * 2, at: now, role: Role::Visitor, text: text.to_owned() },
            TranscriptEntry { seq: next.version * 2 + 1, at: now, role: Role::Bot, text: format!("re: {text}") },
        ],
        session: std::sync::Arc::new(next),
        message_id: message_id.map(str::to_owned),
        response_json: format!("{{\"reply\":\"re: {text}\"}}"),
    }
}

async fn created(b: &Backend, now: i64) -> Session {
    let s = new_session(now);
    assert_eq!(b.sessions.create(&s).await.ok(), Some(true));
    s
}

fn ok<T, E: std::fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what} failed: {e:?}"),
    }
}

mod counting;
mod queue;
mod sessions;
mod tickets;
mod uploads;

pub use counting::*;
pub use queue::*;
pub use sessions::*;
pub use tickets::*;
pub use uploads::*;
