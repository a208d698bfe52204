//! Rate limits on the embedded store. The decision reads the two windows' counts (a
//! read on the caller's thread) and adds this process's hits that are queued but not
//! yet committed; the hit itself is written *behind*, riding in the next group commit
//! with the turn it admits, instead of a transaction of its own.
//!
//! Exact within a process. Across processes sharing a data directory the count misses
//! only the other processes' hits still waiting for their commit (milliseconds): under
//! a burst spread over several processes a few extra hits may pass. A lost hit (a crash
//! before its commit) is forgiven, never double-counted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::params;

use super::Local;
use super::db::{execute, map_err};
use crate::ports::{RateDecision, RateLimiter, SlidingWindow, StoreError, StoreResult};

/// This process's hits per (key, window start) that are queued but not committed yet.
#[derive(Default, Clone)]
pub struct Pending(Arc<Mutex<HashMap<(String, i64), u64>>>);

impl Pending {
    fn settle(&self, key: (String, i64)) {
        if let Ok(mut pending) = self.0.lock()
            && let Some(n) = pending.get_mut(&key)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                pending.remove(&key);
            }
        }
    }
}

const COUNTS: &str = "SELECT window_start, count FROM rate_windows WHERE key = ?1 AND window_start IN (?2, ?3)";

#[async_trait]
impl RateLimiter for Local {
    async fn hit(&self, key: &str, limit: u32, window_ms: i64, now: i64) -> StoreResult<RateDecision> {
        let w = SlidingWindow { limit, window_ms, now };
        let (previous_start, current_start) = (w.previous_start(), w.current_start());
        // The read happens under the lock, so a hit that commits meanwhile is counted
        // once in the table or once as pending (briefly both, which only errs strict).
        let mut pending = self.pending.0.lock().map_err(|_| StoreError::Unavailable("rate limiter poisoned".into()))?;
        let (mut previous, mut current) = self.db.read_now(|conn| {
            let mut stmt = conn.prepare_cached(COUNTS).map_err(map_err)?;
            let rows = stmt
                .query_map(params![key, previous_start, current_start], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
                .map_err(map_err)?;
            let (mut previous, mut current) = (0u64, 0u64);
            for row in rows {
                let (start, count) = row.map_err(map_err)?;
                let count = u64::try_from(count).unwrap_or(0);
                if start == current_start { current = count } else { previous = count }
            }
            Ok((previous, current))
        })?;
        let queued = |start: i64| pending.get(&(key.to_owned(), start)).copied().unwrap_or(0);
        previous += queued(previous_start);
        current += queued(current_start);
        if current >= w.max_current(previous) {
            return Ok(RateDecision::Limited { retry_after_secs: w.retry_after_secs(previous, current) });
        }
        let slot = (key.to_owned(), current_start);
        *pending.entry(slot.clone()).or_insert(0) += 1;
        drop(pending);
        let (key, expires) = (key.to_owned(), current_start + 2 * window_ms);
        let settle = self.pending.clone();
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
            move |_| settle.settle(queued_slot),
        );
        if written.is_err() {
            self.pending.settle(slot);
        }
        written?;
        Ok(RateDecision::Allowed)
    }

    async fn purge_expired(&self, now: i64) -> StoreResult<u64> {
        self.db.delete_expired("rate_windows", now).await
    }
}
