use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::Local;
use super::db::map_err;
use crate::ports::{RateDecision, RateLimiter, SlidingWindow, StoreResult};

#[async_trait]
impl RateLimiter for Local {
    async fn hit(&self, key: &str, limit: u32, window_ms: i64, now: i64) -> StoreResult<RateDecision> {
        let key = key.to_owned();
        let w = SlidingWindow { limit, window_ms, now };
        self.db
            .write_relaxed(move |tx| {
                let count_at = |start: i64| -> StoreResult<u64> {
                    let n: Option<i64> = tx
                        .query_row(
                            "SELECT count FROM rate_windows WHERE key = ?1 AND window_start = ?2",
                            params![key, start],
                            |r| r.get(0),
                        )
                        .optional()
                        .map_err(map_err)?;
                    Ok(n.unwrap_or(0) as u64)
                };
                let previous = count_at(w.previous_start())?;
                let current = count_at(w.current_start())?;
                if current >= w.max_current(previous) {
                    return Ok(RateDecision::Limited { retry_after_secs: w.retry_after_secs(previous, current) });
                }
                tx.execute(
                    "INSERT INTO rate_windows (key, window_start, count, expires_at) VALUES (?1, ?2, 1, ?3)
                     ON CONFLICT(key, window_start) DO UPDATE SET count = count + 1",
                    params![key, w.current_start(), w.current_start() + 2 * window_ms],
                )
                .map_err(map_err)?;
                Ok(RateDecision::Allowed)
            })
            .await
    }

    async fn purge_expired(&self, now: i64) -> StoreResult<u64> {
        self.db.delete_expired("rate_windows", now).await
    }
}
