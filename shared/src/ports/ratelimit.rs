use async_trait::async_trait;

use super::StoreResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    Allowed,
    Limited { retry_after_secs: u64 },
}

/// Shared rate limiting: at most `limit` hits per `window_ms` for `key`, across every
/// instance. A rejected hit is not counted.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    async fn hit(&self, key: &str, limit: u32, window_ms: i64, now: i64) -> StoreResult<RateDecision>;
    /// Drops windows that no longer count (backends with native TTL may do nothing).
    async fn purge_expired(&self, now: i64) -> StoreResult<u64>;
}

/// The sliding-window-counter estimate both backends use: the previous fixed window's
/// count, weighted by how much of it still overlaps the sliding window, plus the
/// current window's count. Close to an exact sliding log at the cost of two counters,
/// and without the double burst of plain fixed windows at a boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlidingWindow {
    pub limit: u32,
    pub window_ms: i64,
    pub now: i64,
}

impl SlidingWindow {
    /// Start of the fixed window that holds `now`; its counter key suffix.
    pub fn current_start(&self) -> i64 {
        self.now - self.now.rem_euclid(self.window_ms)
    }

    pub fn previous_start(&self) -> i64 {
        self.current_start() - self.window_ms
    }

    fn previous_weight(&self) -> f64 {
        let elapsed = (self.now - self.current_start()) as f64;
        1.0 - elapsed / self.window_ms as f64
    }

    /// The largest count the current window may reach after this hit, given the
    /// previous window's count: a hit is allowed while `current < max_current(previous)`.
    pub fn max_current(&self, previous: u64) -> u64 {
        let carried = previous as f64 * self.previous_weight();
        let room = f64::from(self.limit) - carried;
        if room <= 0.0 { 0 } else { room.floor() as u64 }
    }

    /// Seconds until a hit would be allowed, for `Retry-After` (at least 1).
    pub fn retry_after_secs(&self, previous: u64, current: u64) -> u64 {
        let w = self.window_ms as f64;
        let elapsed = (self.now - self.current_start()) as f64;
        let limit = f64::from(self.limit);
        let wait_ms = if current as f64 + 1.0 > limit {
            // Only once this window is the previous one, and enough of it slid out.
            let into_next = if current == 0 { 0.0 } else { w * (1.0 - (limit - 1.0) / current as f64) };
            (w - elapsed) + into_next.max(0.0)
        } else {
            // prev * (1 - t/w) + current + 1 <= limit  ⇒  t >= w * (1 - (limit - current - 1) / prev)
            let t = if previous == 0 { elapsed } else { w * (1.0 - (limit - current as f64 - 1.0) / previous as f64) };
            t - elapsed
        };
        // Whole milliseconds first, so float noise cannot add a second.
        let wait_ms = wait_ms.round().max(0.0) as u64;
        wait_ms.div_ceil(1000).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn fresh_window_allows_up_to_the_limit() {
        let w = SlidingWindow { limit: 3, window_ms: MIN, now: 10 * MIN };
        assert_eq!(w.max_current(0), 3);
    }

    #[test]
    fn previous_window_weighs_in_just_after_the_boundary() {
        // Three hits at the end of the previous minute, one second into the next.
        let w = SlidingWindow { limit: 3, window_ms: MIN, now: 10 * MIN + 1_000 };
        assert_eq!(w.max_current(3), 0, "no double burst at the boundary");
        assert!(w.retry_after_secs(3, 0) >= 1);
        // Halfway through, half of the previous window still counts.
        let half = SlidingWindow { limit: 4, window_ms: MIN, now: 10 * MIN + 30_000 };
        assert_eq!(half.max_current(4), 2);
    }

    #[test]
    fn retry_after_is_when_the_estimate_drops() {
        let w = SlidingWindow { limit: 3, window_ms: MIN, now: 10 * MIN + 20_000 };
        // current window full: wait until it becomes the previous window and slides out
        // far enough: 40 s to the boundary plus a third of the next window (20 s).
        assert_eq!(w.retry_after_secs(0, 3), 60);
        // previous window full, current empty: 3 * (1 - t/60) + 1 <= 3  ⇒  t >= 20 s.
        let fresh = SlidingWindow { limit: 3, window_ms: MIN, now: 10 * MIN + 5_000 };
        assert_eq!(fresh.retry_after_secs(3, 0), 15);
    }
}
