//! The embedded session store with a fault, for tests of what the services do when the
//! store misbehaves. Shared by the test binaries through `#[path]`; each uses some faults.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sti_shared::ids::SessionId;
use sti_shared::ports::{CommitOutcome, Session, SessionStore, StoreError, StoreResult, TranscriptEntry, TurnRecord};
use sti_shared::time::ManualClock;

#[allow(dead_code)] // each test binary uses some of the faults
pub enum Fault {
    /// Every write fails as an unreachable store does.
    Down,
    /// Every turn commit loses its race; each loss takes a second of `clock`.
    LosesEveryRace { clock: Arc<ManualClock> },
    /// The next turn commit after `armed` is set loses its race (once per arming). Unarmed,
    /// a store that writes a turn's counters and log line apart from it, as DynamoDB does.
    LosesRaceWhenArmed(Arc<AtomicBool>),
    /// Creating a session waits for a permit of this semaphore (a slow store, held by the test).
    CreateWaitsFor(Arc<tokio::sync::Semaphore>),
    /// Every turn commit takes this long more (a store whose writes are slow).
    SlowCommits(Duration),
}

pub struct FaultySessions {
    pub inner: Arc<dyn SessionStore>,
    pub fault: Fault,
}

fn unreachable() -> StoreError {
    StoreError::Unavailable("connection refused (a test's store that is down)".into())
}

#[async_trait]
impl SessionStore for FaultySessions {
    async fn create(&self, session: &Session) -> StoreResult<bool> {
        match &self.fault {
            Fault::Down => Err(unreachable()),
            Fault::CreateWaitsFor(gate) => {
                let _permit = gate.acquire().await.map_err(|_| unreachable())?;
                self.inner.create(session).await
            }
            _ => self.inner.create(session).await,
        }
    }
    async fn get(&self, id: &SessionId, now: i64) -> StoreResult<Option<Session>> {
        self.inner.get(id, now).await
    }
    async fn commit_turn(&self, turn: &TurnRecord) -> StoreResult<CommitOutcome> {
        match &self.fault {
            Fault::Down => Err(unreachable()),
            Fault::LosesEveryRace { clock } => {
                clock.advance(Duration::from_secs(1));
                Ok(CommitOutcome::Conflict)
            }
            Fault::LosesRaceWhenArmed(armed) if armed.swap(false, Ordering::SeqCst) => Ok(CommitOutcome::Conflict),
            Fault::SlowCommits(delay) => {
                tokio::time::sleep(*delay).await;
                self.inner.commit_turn(turn).await
            }
            Fault::LosesRaceWhenArmed(_) | Fault::CreateWaitsFor(_) => self.inner.commit_turn(turn).await,
        }
    }
    async fn find_reply(&self, id: &SessionId, message_id: &str) -> StoreResult<Option<String>> {
        self.inner.find_reply(id, message_id).await
    }
    async fn transcript(&self, id: &SessionId) -> StoreResult<Vec<TranscriptEntry>> {
        self.inner.transcript(id).await
    }
    async fn delete(&self, id: &SessionId) -> StoreResult<bool> {
        self.inner.delete(id).await
    }
    async fn save_resume_token(&self, token_hash: &str, session: &SessionId, expires_at: i64) -> StoreResult<()> {
        self.inner.save_resume_token(token_hash, session, expires_at).await
    }
    async fn take_resume_token(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionId>> {
        self.inner.take_resume_token(token_hash, now).await
    }
    async fn idle_cases(&self, quiet_since: i64, now: i64, limit: usize) -> StoreResult<Vec<SessionId>> {
        self.inner.idle_cases(quiet_since, now, limit).await
    }
    async fn purge_expired(&self, now: i64) -> StoreResult<u64> {
        self.inner.purge_expired(now).await
    }
    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }
}
