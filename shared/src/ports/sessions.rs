use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{DailyDelta, LogEntry, StoreResult};
use crate::chat::{Conversation, QuickReply};
use crate::ids::SessionId;

/// A visitor's session: the conversation so far and its expiry. `version` grows by one
/// with every committed turn; updates are conditional on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: SessionId,
    pub version: u64,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
    pub conversation: Conversation,
    /// Storage bookkeeping: until when the stored transcript is kept. A backend whose
    /// items expire on their own (DynamoDB TTL) keeps it at or past `expires_at`, so no
    /// early message lapses while the session lives on; others ignore it.
    #[serde(default)]
    pub transcript_expires_at: i64,
    /// The visitor's last typed line, as stored (masked): the next line is masked together
    /// with it, so that a number split over two messages is caught in both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_visitor_line: Option<TranscriptEntry>,
    /// The quick replies of the bot's last message: what a restored widget shows again,
    /// and the labels a pressed button is written down with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub last_options: Vec<QuickReply>,
    /// The visitor's ratings of how its cases ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feedback: Vec<crate::chat::Feedback>,
    /// The case the visitor walked away from, once counted abandoned: should the same case
    /// end later after all, its count moves to that outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abandoned: Option<Abandoned>,
    /// The per-session chat limit's state (a [`super::Gcra`] TAT, µs): kept in the session
    /// it limits, so that the turn's own commit writes it and the limit costs no request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_tat_us: Option<i64>,
}

/// A case counted abandoned: which, when, and under which category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Abandoned {
    pub case_no: u32,
    pub at: i64,
    pub category: String,
}

impl Session {
    /// Since when the current case has waited on the visitor: set while the bot waits to
    /// hear how its steps went and the case is not counted abandoned yet. Stores index
    /// sessions by it, for the sweep that counts the cases left too long.
    pub fn waiting_since(&self) -> Option<i64> {
        let c = &self.conversation;
        let counted = self.abandoned.as_ref().is_some_and(|a| a.case_no == c.case_no);
        (crate::chat::CaseOutcome::awaited(c) && !counted).then_some(self.updated_at)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Visitor,
    Bot,
}

/// One message of the transcript, always masked. `seq` orders the transcript; entries
/// of a turn committed at version v use seq 2v (visitor) and 2v + 1 (bot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptEntry {
    pub seq: u64,
    pub at: i64,
    pub role: Role,
    pub text: String,
}

/// Everything one chat turn writes, committed atomically: the new session (whose
/// version must be `expected_version + 1`), its transcript entries, and the response
/// under the client's `messageId` for idempotent replays. The session is shared, not
/// copied, with whatever keeps it once committed (the embedded store's session cache).
#[derive(Debug, Clone)]
pub struct TurnRecord {
    pub session: Arc<Session>,
    pub expected_version: u64,
    pub entries: Vec<TranscriptEntry>,
    /// An entry written by an earlier turn, stored again with new text (the visitor's
    /// previous line, once masking it with this one revealed personal data in it).
    pub rewritten: Option<TranscriptEntry>,
    pub message_id: Option<String>,
    pub response_json: String,
}

/// What a committed turn also records: its counter deltas and its app-log line (with the
/// line's expiry). A store that can writes them in the turn's own transaction; otherwise
/// the caller writes them after the turn, off the request's path. Never a reason to fail
/// or to hold up a turn.
#[derive(Debug, Clone, Default)]
pub struct Riders {
    pub counters: Vec<(&'static str, i64)>,
    /// The same events counted for their day, where a report over a period needs them.
    pub daily: Vec<DailyDelta>,
    pub log: Option<(LogEntry, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    Committed,
    /// The session changed (or vanished) since it was read: read again and retry.
    Conflict,
    /// This `messageId` was already answered: here is that answer; nothing was written.
    Duplicate(String),
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session; fails with `Ok(false)` if the id already exists.
    async fn create(&self, session: &Session) -> StoreResult<bool>;
    /// The session, unless missing or expired at `now`.
    async fn get(&self, id: &SessionId, now: i64) -> StoreResult<Option<Session>>;
    async fn commit_turn(&self, turn: &TurnRecord) -> StoreResult<CommitOutcome>;
    /// [`SessionStore::commit_turn`], and the turn's riders with it when this store can
    /// write them in the same transaction: then the flag is true. By default it cannot,
    /// and the caller writes them.
    async fn commit_turn_with(&self, turn: &TurnRecord, riders: &Riders) -> StoreResult<(CommitOutcome, bool)> {
        let _ = riders;
        Ok((self.commit_turn(turn).await?, false))
    }
    /// The stored answer to a `messageId`, if any.
    async fn find_reply(&self, id: &SessionId, message_id: &str) -> StoreResult<Option<String>>;
    /// What a chat turn reads first: the live session and, when `message_id` is given,
    /// the stored answer to it. By default [`SessionStore::get`] then
    /// [`SessionStore::find_reply`]; a store that can answer both in one look-up does.
    /// Shared: a turn reads the session and builds the next one, it never changes it.
    async fn get_for_turn(
        &self,
        id: &SessionId,
        message_id: Option<&str>,
        now: i64,
    ) -> StoreResult<(Option<Arc<Session>>, Option<String>)> {
        let Some(session) = self.get(id, now).await? else {
            return Ok((None, None));
        };
        let reply = match message_id {
            Some(mid) => self.find_reply(id, mid).await?,
            None => None,
        };
        Ok((Some(Arc::new(session)), reply))
    }
    /// The whole transcript in order.
    async fn transcript(&self, id: &SessionId) -> StoreResult<Vec<TranscriptEntry>>;
    /// Erases the session, its transcript and its stored replies. True if it existed.
    async fn delete(&self, id: &SessionId) -> StoreResult<bool>;
    /// Keeps a resume token (by its hash) for `session` until `expires_at`.
    async fn save_resume_token(&self, token_hash: &str, session: &SessionId, expires_at: i64) -> StoreResult<()>;
    /// The session of a live resume token, which is used up: a token resumes once.
    async fn take_resume_token(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionId>>;
    /// Up to `limit` sessions alive at `now` whose case has been waiting on the visitor
    /// ([`Session::waiting_since`]) since `quiet_since` or earlier, longest first (the
    /// sweep re-reads each before it counts anything).
    async fn idle_cases(&self, quiet_since: i64, now: i64, limit: usize) -> StoreResult<Vec<SessionId>>;
    /// Removes what expired before `now` (backends with native TTL may do nothing).
    async fn purge_expired(&self, now: i64) -> StoreResult<u64>;
    /// A cheap round trip proving the store answers.
    async fn ping(&self) -> StoreResult<()>;
}
