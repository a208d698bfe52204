//! Rate limits on the embedded store ([`Gcra`]: one number per key), decided in memory and
//! written *behind*.
//!
//! Each process keeps, per key, the TAT it last read from the table plus its own hits
//! since. It reads the table when it first meets a key and again at most every
//! [`REFRESH_MS`] while the key is in use. The hits it allows are folded together
//! ([`PendingHits`]) and written by one upsert per key in the next group commit (with the
//! turns they admitted), not by a write of their own per hit: one write is queued at a
//! time and takes every hit allowed until it runs. The upsert applies the fold to whatever
//! the row holds, so hits of several processes add up.
//!
//! Exact within a process (and across restarts: a key is read before it is used). Across
//! processes sharing a data directory (`cargo lambda watch`), a process sees the others'
//! hits up to [`REFRESH_MS`] late, so a burst spread over several processes may pass a
//! few more hits than the limit within that second. A hit lost to a crash before its
//! commit is forgiven, never counted twice: each write also records, in its own commit,
//! which of this process's writes it was, and a re-read takes that number with the key in
//! one snapshot, so hits are added to what the table holds exactly when it lacks them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::params;

use super::Local;
use super::db::execute;
use crate::ports::{Gcra, PendingHits, RateDecision, RateLimiter, StoreError, StoreResult, tat_free_at_ms};

/// How stale this process's view of the other processes' hits may get.
pub const REFRESH_MS: i64 = 1_000;
/// Keys kept in memory before the ones that hold nothing back are dropped.
const PRUNE_ABOVE: usize = 4_096;

/// One key as this process sees it.
#[derive(Debug, Clone, Copy, Default)]
struct KeyView {
    /// The TAT in the table when last read.
    stored: Option<i64>,
    /// This process's hits since that read (written or still queued).
    mine: PendingHits,
    read_at: i64,
}

impl KeyView {
    fn tat(&self) -> Option<i64> {
        self.mine.apply(self.stored)
    }
}

type Batch = HashMap<String, PendingHits>;

#[derive(Default)]
struct State {
    keys: HashMap<String, KeyView>,
    /// Hits not yet handed to the writer.
    unwritten: Batch,
    /// Hits the writer took and has not acknowledged, by write (shared with the write, not
    /// copied for it).
    in_flight: BTreeMap<u64, Arc<Batch>>,
    next_write: u64,
    /// The time of the latest hit, for how long this process's write record is kept.
    latest_hit: i64,
    /// A write is queued that will take `unwritten` when it runs.
    flush_queued: bool,
}

impl State {
    /// This process's hits on `key` that the table does not hold if its latest write from
    /// this process is `stored_write`, oldest first.
    fn not_yet_stored(&self, key: &str, stored_write: Option<u64>) -> PendingHits {
        let newer = self.in_flight.range(stored_write.map_or(0, |w| w + 1)..);
        let in_flight = newer.filter_map(|(_, batch)| batch.get(key));
        in_flight.chain(self.unwritten.get(key)).fold(PendingHits::default(), |done, next| done.then(next))
    }
}

/// This process's keys, shared with the writer's acknowledgements.
#[derive(Clone)]
pub struct RateKeys {
    state: Arc<Mutex<State>>,
    /// This process among those writing to the file (random).
    writer: i64,
}

impl Default for RateKeys {
    fn default() -> RateKeys {
        let writer = crate::ids::random_bytes::<8>().map(i64::from_le_bytes).unwrap_or_else(|_| {
            i64::from(std::process::id()) << 32 ^ crate::time::now_ms() // unique enough without randomness
        });
        RateKeys { state: Arc::default(), writer }
    }
}

/// A taken batch: which write it is, its hits, and when this process's record may go.
struct Taken {
    write: u64,
    hits: Arc<Batch>,
    record_expires_at: i64,
}

/// How long a process's write record outlives its latest hit (a re-read after that finds
/// nothing in flight anyway).
const WRITER_RECORD_MS: i64 = crate::time::DAY_MS;

impl RateKeys {
    /// The hits allowed so far, for the write that runs now (later hits queue a new one).
    fn take_unwritten(&self) -> Option<Taken> {
        let mut state = self.state.lock().ok()?;
        state.flush_queued = false;
        let hits = Arc::new(std::mem::take(&mut state.unwritten));
        let write = state.next_write;
        state.next_write += 1;
        state.in_flight.insert(write, Arc::clone(&hits));
        Some(Taken { write, hits, record_expires_at: state.latest_hit + WRITER_RECORD_MS })
    }

    /// That write is over (committed, or lost and forgiven).
    fn written(&self, id: Option<u64>) {
        if let (Some(id), Ok(mut state)) = (id, self.state.lock()) {
            state.in_flight.remove(&id);
        }
    }
}

/// The row's TAT becomes `max(tat + added, floor)`: the fold of this batch applied to it.
const ADD_HITS: &str = "INSERT INTO rate_limits (key, tat_us) VALUES (?1, ?2)
     ON CONFLICT(key) DO UPDATE SET tat_us = max(tat_us + ?3, excluded.tat_us)";

/// Which of this process's writes is the latest committed.
const RECORD_WRITE: &str = "INSERT INTO rate_writers (writer, write, expires_at) VALUES (?1, ?2, ?3)
     ON CONFLICT(writer) DO UPDATE SET write = excluded.write, expires_at = excluded.expires_at";

/// The key's TAT and this process's latest committed write, in one snapshot.
const TAT: &str = "SELECT (SELECT tat_us FROM rate_limits WHERE key = ?1),
     (SELECT write FROM rate_writers WHERE writer = ?2)";

impl Local {
    /// The key's TAT as this process sees it, reading the table when the key is new or stale.
    fn key_tat(&self, state: &mut State, key: &str, now: i64) -> StoreResult<Option<i64>> {
        if let Some(view) = state.keys.get(key).filter(|view| now - view.read_at < REFRESH_MS) {
            return Ok(view.tat());
        }
        let writer = self.windows.writer;
        let (stored, stored_write) = self.db.read_now(|conn| {
            conn.query_row(TAT, params![key, writer], |row| {
                Ok((row.get::<_, Option<i64>>(0)?, row.get::<_, Option<i64>>(1)?))
            })
            .map_err(super::db::map_err)
        })?;
        // Hits whose write the table does not hold yet stay ours to add.
        let stored_write = stored_write.and_then(|w| u64::try_from(w).ok());
        let view = KeyView { stored, mine: state.not_yet_stored(key, stored_write), read_at: now };
        state.keys.insert(key.to_owned(), view);
        Ok(view.tat())
    }

    /// Queues the write that takes every hit allowed until it runs.
    fn queue_hits_write(&self) -> StoreResult<()> {
        let (windows, acknowledged) = (self.windows.clone(), self.windows.clone());
        let taken = Arc::new(Mutex::new(None));
        let for_ack = Arc::clone(&taken);
        let writer = self.windows.writer;
        let queued = self.db.write_behind(
            move |tx| {
                let Some(batch) = windows.take_unwritten() else { return Ok(()) };
                // Acknowledged whatever happens: a hit whose write failed is forgiven.
                if let Ok(mut taken) = taken.lock() {
                    *taken = Some(batch.write);
                }
                for (key, pending) in batch.hits.iter() {
                    execute(tx, ADD_HITS, params![key, pending.floor, pending.added])?;
                }
                let write = i64::try_from(batch.write).unwrap_or(i64::MAX);
                execute(tx, RECORD_WRITE, params![writer, write, batch.record_expires_at]).map(|_| ())
            },
            move || acknowledged.written(for_ack.lock().ok().and_then(|mut taken| taken.take())),
        );
        if queued.is_err() {
            let taken = self.windows.take_unwritten();
            self.windows.written(taken.map(|t| t.write));
        }
        queued
    }
}

#[async_trait]
impl RateLimiter for Local {
    async fn hit(&self, key: &str, limit: u32, window_ms: i64, now: i64) -> StoreResult<RateDecision> {
        let gcra = Gcra { limit, window_ms };
        let mut state =
            self.windows.state.lock().map_err(|_| StoreError::Unavailable("rate limiter poisoned".into()))?;
        if state.keys.len() > PRUNE_ABOVE {
            state.keys.retain(|_, view| view.tat().is_some_and(|tat| tat_free_at_ms(tat) > now));
        }
        state.latest_hit = state.latest_hit.max(now);
        let tat = self.key_tat(&mut state, key, now)?;
        let (decision, _) = gcra.decide(tat, now);
        if decision != RateDecision::Allowed {
            return Ok(decision);
        }
        let (interval, at) = (gcra.interval_us(), now * 1_000);
        if let Some(view) = state.keys.get_mut(key) {
            view.mine.push(at, interval);
        }
        state.unwritten.entry(key.to_owned()).or_default().push(at, interval);
        let first_since_last_write = !std::mem::replace(&mut state.flush_queued, true);
        drop(state);
        if first_since_last_write {
            self.queue_hits_write()?;
        }
        Ok(RateDecision::Allowed)
    }

    async fn purge_expired(&self, now: i64) -> StoreResult<u64> {
        let free = self
            .db
            .write(move |tx| execute(tx, "DELETE FROM rate_limits WHERE tat_us < ?1", params![now * 1_000]))
            .await?;
        Ok(free as u64 + self.db.delete_expired("rate_writers", now).await?)
    }
}
