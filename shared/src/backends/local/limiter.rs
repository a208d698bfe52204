//! Rate limits on the embedded store, decided in memory and written *behind*.
//!
//! Each process keeps, per key and fixed window, the count it last read from the table
//! plus its own hits since. It reads the table when it first meets a window and again
//! at most every [`REFRESH_MS`] while the window is in use. The hits it allows are added
//! up in memory and written by one upsert per window in the next group commit (with the
//! turns they admitted), not by a write of their own per hit: one write is queued at a
//! time and takes every hit allowed until it runs.
//!
//! Exact within a process (and across restarts: a window is read before it is used).
//! Across processes sharing a data directory (`cargo lambda watch`), a process sees the
//! others' hits up to [`REFRESH_MS`] late, so a burst spread over several processes may
//! pass a few more hits than the limit within that second. A hit lost to a crash before
//! its commit is forgiven, never counted twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::params;

use super::Local;
use super::db::{execute, query_value};
use crate::ports::{RateDecision, RateLimiter, SlidingWindow, StoreError, StoreResult};

/// How stale this process's view of the other processes' hits may get.
pub const REFRESH_MS: i64 = 1_000;
/// Windows kept in memory before the ones no longer in use are dropped.
const PRUNE_ABOVE: usize = 4_096;

/// One key's fixed window as this process sees it.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    /// The count in the table when last read.
    stored: u64,
    /// This process's hits since that read (committed or still queued).
    mine: u64,
    /// This process's hits still queued for the writer.
    queued: u64,
    read_at: i64,
    /// When the window stops mattering (two window lengths after its start).
    expires_at: i64,
}

type Slot = (String, i64);

/// Hits of one window not yet handed to the writer, and the window's expiry.
#[derive(Debug, Clone, Copy)]
struct Unwritten {
    hits: u64,
    expires_at: i64,
}

#[derive(Default)]
struct State {
    windows: HashMap<Slot, Window>,
    unwritten: HashMap<Slot, Unwritten>,
    /// A write is queued that will take `unwritten` when it runs.
    flush_queued: bool,
}

/// This process's windows, shared with the writer's acknowledgements.
#[derive(Default, Clone)]
pub struct Windows(Arc<Mutex<State>>);

impl Windows {
    /// The hits allowed so far, for the write that runs now; later hits queue a new one.
    fn take_unwritten(&self) -> HashMap<Slot, Unwritten> {
        match self.0.lock() {
            Ok(mut state) => {
                state.flush_queued = false;
                std::mem::take(&mut state.unwritten)
            }
            Err(_) => HashMap::new(),
        }
    }

    /// Those hits' write is over (committed, or lost and forgiven): they are no longer
    /// this process's to add to what the table says.
    fn written(&self, hits: &HashMap<Slot, Unwritten>) {
        if let Ok(mut state) = self.0.lock() {
            for (slot, unwritten) in hits {
                if let Some(w) = state.windows.get_mut(slot) {
                    w.queued = w.queued.saturating_sub(unwritten.hits);
                }
            }
        }
    }
}

const ADD_HITS: &str = "INSERT INTO rate_windows (key, window_start, count, expires_at) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT(key, window_start) DO UPDATE SET count = count + excluded.count";

const COUNT: &str = "SELECT count FROM rate_windows WHERE key = ?1 AND window_start = ?2";

impl Local {
    /// The window's current count, reading the table when it is new or stale.
    fn window_count(
        &self,
        windows: &mut HashMap<Slot, Window>,
        key: &str,
        start: i64,
        window_ms: i64,
        now: i64,
    ) -> StoreResult<u64> {
        let slot = (key.to_owned(), start);
        let known = windows.get(&slot).copied();
        let window = match known {
            Some(w) if now - w.read_at < REFRESH_MS => w,
            _ => {
                let stored: Option<i64> = self.db.read_now(|conn| query_value(conn, COUNT, params![key, start]))?;
                // Hits still queued are not in the table yet: they stay ours to add.
                let queued = known.map_or(0, |w| w.queued);
                let fresh = Window {
                    stored: stored.and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                    mine: queued,
                    queued,
                    read_at: now,
                    expires_at: start + 2 * window_ms,
                };
                windows.insert(slot, fresh);
                fresh
            }
        };
        Ok(window.stored + window.mine)
    }
}

impl Local {
    /// Queues the write that takes every hit allowed until it runs.
    fn queue_hits_write(&self) -> StoreResult<()> {
        let (windows, acknowledged) = (self.windows.clone(), self.windows.clone());
        let taken = Arc::new(Mutex::new(HashMap::new()));
        let for_ack = Arc::clone(&taken);
        let queued = self.db.write_behind(
            move |tx| {
                let hits = windows.take_unwritten();
                let written = hits.iter().try_for_each(|((key, start), unwritten)| {
                    let n = i64::try_from(unwritten.hits).unwrap_or(i64::MAX);
                    execute(tx, ADD_HITS, params![key, start, n, unwritten.expires_at]).map(|_| ())
                });
                // Acknowledged whatever happens: a hit whose write failed is forgiven.
                if let Ok(mut taken) = taken.lock() {
                    *taken = hits;
                }
                written
            },
            move || {
                let hits = for_ack.lock().map(|mut taken| std::mem::take(&mut *taken)).unwrap_or_default();
                acknowledged.written(&hits);
            },
        );
        if queued.is_err() {
            let hits = self.windows.take_unwritten();
            self.windows.written(&hits);
        }
        queued
    }
}

#[async_trait]
impl RateLimiter for Local {
    async fn hit(&self, key: &str, limit: u32, window_ms: i64, now: i64) -> StoreResult<RateDecision> {
        let w = SlidingWindow { limit, window_ms, now };
        let (previous_start, current_start) = (w.previous_start(), w.current_start());
        let mut state = self.windows.0.lock().map_err(|_| StoreError::Unavailable("rate limiter poisoned".into()))?;
        let windows = &mut state.windows;
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, window| window.expires_at > now || window.queued > 0);
        }
        let previous = self.window_count(windows, key, previous_start, window_ms, now)?;
        let current = self.window_count(windows, key, current_start, window_ms, now)?;
        if current >= w.max_current(previous) {
            return Ok(RateDecision::Limited { retry_after_secs: w.retry_after_secs(previous, current) });
        }
        let slot = (key.to_owned(), current_start);
        if let Some(window) = windows.get_mut(&slot) {
            window.mine += 1;
            window.queued += 1;
        }
        let expires_at = current_start + 2 * window_ms;
        state.unwritten.entry(slot).or_insert(Unwritten { hits: 0, expires_at }).hits += 1;
        let first_since_last_write = !std::mem::replace(&mut state.flush_queued, true);
        drop(state);
        if first_since_last_write {
            self.queue_hits_write()?;
        }
        Ok(RateDecision::Allowed)
    }

    async fn purge_expired(&self, now: i64) -> StoreResult<u64> {
        self.db.delete_expired("rate_windows", now).await
    }
}
