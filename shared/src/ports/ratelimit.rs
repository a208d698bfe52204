use async_trait::async_trait;

use super::StoreResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    Allowed,
    Limited { retry_after_secs: u64 },
}

/// Shared rate limiting: `limit` hits per `window_ms` for `key`, across every instance,
/// as [`Gcra`] reads it. A rejected hit is not counted.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    async fn hit(&self, key: &str, limit: u32, window_ms: i64, now: i64) -> StoreResult<RateDecision>;
    /// Drops keys that no longer hold anything back (backends with native TTL may do nothing).
    async fn purge_expired(&self, now: i64) -> StoreResult<u64>;
}

/// "`limit` per `window_ms`" as the generic cell rate algorithm reads it: one hit every
/// `window_ms / limit` on average, and up to `limit` at once after a quiet window. A key's
/// whole state is one number, its *theoretical arrival time* (TAT, in microseconds, so that
/// a limit of a million a minute is still 60 µs a hit): when it would be completely free
/// again. A hit passes while the TAT is at most `window − interval` ahead of now, and moves
/// it one interval on.
///
/// Exact, unlike the two-window estimate it replaces: a visitor who keeps to the rate, at
/// any cadence and for any length of time, is never refused; one who goes over it by any
/// amount is refused once the burst allowance is spent (within `100 × (limit − 1)` hits at
/// 1 % over), and no key ever passes more than `limit + elapsed / interval` hits (plus the
/// microsecond rounding of the interval).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    pub limit: u32,
    pub window_ms: i64,
}

/// Microseconds in a millisecond: times come in milliseconds, TATs are kept in microseconds.
const US: i64 = 1_000;

impl Gcra {
    /// The time one hit occupies, in microseconds. Rounded down: a visitor at exactly the
    /// rate is never refused for a rounding.
    pub fn interval_us(&self) -> i64 {
        (self.window_ms * US / i64::from(self.limit.max(1))).max(1)
    }

    /// The latest TAT a hit at `now` (ms) may find and still pass.
    pub fn latest_passing_tat(&self, now: i64) -> i64 {
        (now + self.window_ms) * US - self.interval_us()
    }

    /// Whether a key whose TAT is `tat` (`None`: never used, or long free) refuses a hit
    /// at `now` (ms).
    pub fn refuses(&self, tat: Option<i64>, now: i64) -> bool {
        self.limit == 0 || tat.is_some_and(|tat| tat > self.latest_passing_tat(now))
    }

    /// The key's TAT after a hit at `now` (ms) passed.
    pub fn after_hit(&self, tat: Option<i64>, now: i64) -> i64 {
        tat.map_or(now * US, |tat| tat.max(now * US)) + self.interval_us()
    }

    /// Seconds until a refused key takes a hit again, for `Retry-After` (at least 1).
    pub fn retry_after_secs(&self, tat: Option<i64>, now: i64) -> u64 {
        if self.limit == 0 {
            return whole_seconds(self.window_ms * US);
        }
        whole_seconds(tat.map_or(0, |tat| tat - self.latest_passing_tat(now)))
    }

    /// Decides one hit: the decision, and the key's TAT if it passed.
    pub fn decide(&self, tat: Option<i64>, now: i64) -> (RateDecision, Option<i64>) {
        if self.refuses(tat, now) {
            (RateDecision::Limited { retry_after_secs: self.retry_after_secs(tat, now) }, None)
        } else {
            (RateDecision::Allowed, Some(self.after_hit(tat, now)))
        }
    }
}

/// A TAT (µs) as the millisecond from which its key holds nothing back.
pub fn tat_free_at_ms(tat: i64) -> i64 {
    tat.div_euclid(US) + 1
}

/// `us` rounded up to whole seconds, at least one.
fn whole_seconds(us: i64) -> u64 {
    u64::try_from(us).unwrap_or(0).div_ceil(1_000_000).max(1)
}

/// Hits that passed but are not in a stored TAT yet, folded into what they do to any TAT
/// they are applied to: `tat ↦ max(tat + added, floor)` — the same as applying each hit in
/// turn (`tat ↦ max(tat, at) + interval`), so a store can add a batch of one process's hits
/// to a TAT other processes move too, in one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PendingHits {
    pub added: i64,
    pub floor: i64,
    pub hits: u64,
}

impl PendingHits {
    /// A hit at `at` (µs) that took `interval_us`.
    pub fn push(&mut self, at: i64, interval_us: i64) {
        self.floor = if self.hits == 0 { at } else { self.floor.max(at) } + interval_us;
        self.added += interval_us;
        self.hits += 1;
    }

    /// These hits applied to a stored TAT (`None`: no row).
    pub fn apply(&self, tat: Option<i64>) -> Option<i64> {
        if self.hits == 0 {
            return tat;
        }
        Some(tat.map_or(self.floor, |tat| (tat + self.added).max(self.floor)))
    }

    /// `self`, then `later`.
    pub fn then(&self, later: &PendingHits) -> PendingHits {
        match (self.hits, later.hits) {
            (0, _) => *later,
            (_, 0) => *self,
            _ => PendingHits {
                added: self.added + later.added,
                floor: (self.floor + later.added).max(later.floor),
                hits: self.hits + later.hits,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const MIN: i64 = 60_000;

    /// Runs hits at the given times through a key; how many passed.
    fn run(g: Gcra, times: impl IntoIterator<Item = i64>) -> (u64, Option<i64>) {
        let (mut passed, mut tat) = (0, None);
        for at in times {
            if let (RateDecision::Allowed, next) = g.decide(tat, at) {
                passed += 1;
                tat = next;
            }
        }
        (passed, tat)
    }

    #[test]
    fn a_quiet_key_takes_the_whole_limit_at_once_and_not_one_more() {
        let g = Gcra { limit: 3, window_ms: MIN };
        let (passed, tat) = run(g, [0, 0, 0]);
        assert_eq!(passed, 3);
        assert!(g.refuses(tat, 0));
        assert_eq!(g.retry_after_secs(tat, 0), 20, "the first of the three frees up one interval later");
        assert!(g.refuses(tat, 19_999));
        assert!(!g.refuses(tat, 20_000));
        assert_eq!(tat_free_at_ms(tat.unwrap_or(0)), 60_001);
    }

    #[test]
    fn a_visitor_at_exactly_the_rate_is_never_refused() {
        for (limit, window) in [(3, MIN), (10, MIN), (30, MIN), (120, MIN), (7, MIN), (4, 3_600_000)] {
            let g = Gcra { limit, window_ms: window };
            let every = window / i64::from(limit);
            let hits = 10_000;
            let (passed, _) = run(g, (0..hits).map(|i| 1_000_000 + i * every));
            assert_eq!(passed, hits as u64, "{limit}/{window} ms");
            // Fractional intervals (7 per minute is 8,571.43 ms): the visitor's real cadence.
            let cadence = |i: i64| 1_000_000 + i * window / i64::from(limit);
            assert_eq!(run(g, (0..hits).map(cadence)).0, hits as u64, "{limit}/{window} ms, exact fractions");
        }
    }

    #[test]
    fn a_visitor_one_percent_over_the_rate_is_refused_once_the_burst_is_spent() {
        for limit in [2, 3, 10, 30] {
            let g = Gcra { limit, window_ms: MIN };
            let every = MIN * 99 / 100 / i64::from(limit);
            let (mut tat, mut first_refusal) = (None, None);
            for i in 0..20_000_i64 {
                match g.decide(tat, i * every) {
                    (RateDecision::Allowed, next) => tat = next,
                    (RateDecision::Limited { .. }, _) => {
                        first_refusal = Some(i);
                        break;
                    }
                }
            }
            let bound = 100 * (i64::from(limit) - 1) + i64::from(limit) + 1;
            assert!(first_refusal.is_some_and(|i| i <= bound), "limit {limit}: refused at {first_refusal:?}");
        }
    }

    #[test]
    fn the_upload_limit_over_one_minute() {
        let g = Gcra { limit: 3, window_ms: MIN };
        // Every 20 s: all pass, forever. Every 19.8 s (1 % over) from a burst: refused at once.
        assert_eq!(run(g, (0..100).map(|i| i * 20_000)).0, 100);
        assert_eq!(run(g, [0, 0, 0, 19_800]).0, 3);
    }

    #[test]
    fn a_million_a_minute_is_a_million_a_minute() {
        let g = Gcra { limit: 1_000_000, window_ms: MIN };
        assert_eq!(g.interval_us(), 60);
        // 20,000 a second for a minute from a quiet start (a load test from one address):
        // the burst and the rate cover it, where whole-millisecond intervals would pass
        // only a thousand a second.
        let (passed, _) = run(g, (0..1_200_000).map(|i| i / 20));
        assert_eq!(passed, 1_200_000);
    }

    #[test]
    fn no_limit_refuses_everything() {
        let g = Gcra { limit: 0, window_ms: MIN };
        assert_eq!(g.decide(None, 0).0, RateDecision::Limited { retry_after_secs: 60 });
    }

    proptest! {
        /// Whatever the arrival pattern, no key passes more than `limit + elapsed / interval`.
        #[test]
        fn never_more_than_the_burst_plus_the_rate(
            limit in 1u32..40,
            gaps in proptest::collection::vec(0i64..5_000, 1..400),
        ) {
            let g = Gcra { limit, window_ms: MIN };
            let mut at = 0;
            let times: Vec<i64> = gaps.iter().map(|gap| { at += gap; at }).collect();
            let (passed, _) = run(g, times.iter().copied());
            let elapsed = times.last().copied().unwrap_or(0) - times[0];
            let rounding = g.window_ms * 1_000 - i64::from(limit) * g.interval_us();
            prop_assert!(passed as i64 <= i64::from(limit) + (elapsed * 1_000 + rounding) / g.interval_us());
        }

        /// Folding hits, and folding folds, is the same as applying them one by one.
        #[test]
        fn pending_hits_fold_like_hits_applied_in_turn(
            start in proptest::option::of(0i64..200_000),
            gaps in proptest::collection::vec(0i64..30_000, 0..50),
            split in 0usize..50,
        ) {
            let interval = 20_000;
            let mut at = 100_000;
            let times: Vec<i64> = gaps.iter().map(|gap| { at += gap; at }).collect();
            let one_by_one = times.iter().fold(start, |tat, &t| Some(tat.map_or(t, |tat| tat.max(t)) + interval));
            let fold = |ts: &[i64]| ts.iter().fold(PendingHits::default(), |mut p, &t| { p.push(t, interval); p });
            prop_assert_eq!(fold(&times).apply(start), one_by_one);
            let split = split.min(times.len());
            let (first, second) = times.split_at(split);
            prop_assert_eq!(fold(first).then(&fold(second)).apply(start), one_by_one);
        }
    }
}
