//! Rate limits on the embedded store, decided in memory and written *behind*.
//!
//! Each process keeps, per key and fixed window, the count it last read from the table
//! plus its own hits since. It reads the table when it first meets a window and again
//! at most every [`REFRESH_MS`] while the window is in use; a hit it allows is queued to
//! the writer and rides in the next group commit with the turn it admitted, instead of
//! a transaction of its own.
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

/// This process's windows, shared with the writer's acknowledgements.
#[derive(Default, Clone)]
pub struct Windows(Arc<Mutex<HashMap<(String, i64), Window>>>);

impl Windows {
    fn committed(&self, slot: &(String, i64)) {
        if let Ok(mut windows) = self.0.lock()
            && let Some(w) = windows.get_mut(slot)
        {
            w.queued = w.queued.saturating_sub(1);
        }
    }
}

const COUNT: &str = "SELECT count FROM rate_windows WHERE key = ?1 AND window_start = ?2";

impl Local {
    /// The window's current count, reading the table when it is new or stale.
    fn window_count(
        &self,
        windows: &mut HashMap<(String, i64), Window>,
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

#[async_trait]
impl RateLimiter for Local {
    async fn hit(&self, key: &str, limit: u32, window_ms: i64, now: i64) -> StoreResult<RateDecision> {
        let w = SlidingWindow { limit, window_ms, now };
        let (previous_start, current_start) = (w.previous_start(), w.current_start());
        let mut windows = self.windows.0.lock().map_err(|_| StoreError::Unavailable("rate limiter poisoned".into()))?;
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, window| window.expires_at > now || window.queued > 0);
        }
        let previous = self.window_count(&mut windows, key, previous_start, window_ms, now)?;
        let current = self.window_count(&mut windows, key, current_start, window_ms, now)?;
        if current >= w.max_current(previous) {
            return Ok(RateDecision::Limited { retry_after_secs: w.retry_after_secs(previous, current) });
        }
        let slot = (key.to_owned(), current_start);
        if let Some(window) = windows.get_mut(&slot) {
            window.mine += 1;
            window.queued += 1;
        }
        drop(windows);
        let (key, expires) = (slot.0.clone(), current_start + 2 * window_ms);
        let acknowledged = self.windows.clone();
        let queued_slot = slot.clone();
        let written = self.db.write_behind(
            move |tx| {
                execute(
                    tx,
                    "INSERT INTO rate_windows (key, window_start, count, expires_at) VALUES (?1, ?2, 1, ?3)
                     ON CONFLICT(key, window_start) DO UPDATE SET count = count + 1",
                    params![key, current_start, expires],
                )
                .map(|_| ())
            },
            move || acknowledged.committed(&queued_slot),
        );
        if written.is_err() {
            self.windows.committed(&slot);
        }
        written?;
        Ok(RateDecision::Allowed)
    }

    async fn purge_expired(&self, now: i64) -> StoreResult<u64> {
        self.db.delete_expired("rate_windows", now).await
    }
}
