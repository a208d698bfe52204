//! Where a chat turn spends its time, by phase, in this process: always-on histograms
//! that cost two relaxed atomic additions per observation, read by `/api/metrics` and
//! `scripts/chat-throughput` to tell a slow turn's cause (waiting for a slot, the
//! rate limits, the session read, the engine, the group commit, the HTTP edge).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The route whose requests are timed by phase.
pub const CHAT_PATH: &str = "/api/chat";

/// The phases of one `/api/chat` request, in the order a request goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading the body and waiting for a request slot (`sti serve` only).
    Admission,
    /// The per-address rate limit (the per-session one is decided on the session as read,
    /// inside [`Phase::Engine`], and written by the commit).
    Limits,
    /// Reading the session (with the stored reply of a repeated message) and its uploads.
    SessionRead,
    /// Everything between the read and the commit: the per-session limit, uploads' notes,
    /// masking, the engine, smart mode, the response's encoding.
    Engine,
    /// Waiting for the turn's write to be durable.
    Commit,
    /// The whole request inside our stack, from the first layer to the response's head.
    Request,
}

impl Phase {
    pub const ALL: [Phase; 6] =
        [Phase::Admission, Phase::Limits, Phase::SessionRead, Phase::Engine, Phase::Commit, Phase::Request];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Admission => "admission",
            Phase::Limits => "limits",
            Phase::SessionRead => "session_read",
            Phase::Engine => "engine",
            Phase::Commit => "commit",
            Phase::Request => "request",
        }
    }
}

/// Values below this many microseconds have a bucket each; above, every power of two
/// is split in [`SUB_BUCKETS`] (a reported quantile is within 12.5 % of the truth).
const EXACT_BELOW: u64 = 16;
const SUB_BUCKETS: u64 = 8;
/// Powers of two from 2^4 µs to 2^40 µs (12.7 days); longer values land in the last one.
const OCTAVES: u64 = 37;
const BUCKETS: usize = (EXACT_BELOW + OCTAVES * SUB_BUCKETS) as usize;

/// A histogram of durations in microseconds with a fixed relative precision.
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    sum_us: AtomicU64,
    max_us: AtomicU64,
}

fn bucket_of(us: u64) -> usize {
    if us < EXACT_BELOW {
        return us as usize;
    }
    let octave = u64::from(63 - us.leading_zeros()); // ≥ 4
    let sub = (us >> (octave - 3)) & (SUB_BUCKETS - 1);
    let index = EXACT_BELOW + (octave - 4) * SUB_BUCKETS + sub;
    index.min(BUCKETS as u64 - 1) as usize
}

/// The largest value a bucket holds.
fn upper_bound(index: usize) -> u64 {
    let index = index as u64;
    if index < EXACT_BELOW {
        return index;
    }
    let octave = (index - EXACT_BELOW) / SUB_BUCKETS + 4;
    let sub = (index - EXACT_BELOW) % SUB_BUCKETS;
    ((SUB_BUCKETS + sub + 1) << (octave - 3)) - 1
}

impl Histogram {
    pub const fn new() -> Histogram {
        Histogram {
            buckets: [const { AtomicU64::new(0) }; BUCKETS],
            sum_us: AtomicU64::new(0),
            max_us: AtomicU64::new(0),
        }
    }

    pub fn record(&self, elapsed: Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.buckets[bucket_of(us)].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
    }

    /// What the histogram holds now (observations made while it is read may be half in).
    pub fn summary(&self) -> Summary {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
        let count: u64 = counts.iter().sum();
        let max_us = self.max_us.load(Ordering::Relaxed);
        let quantile = |q: f64| -> u64 {
            if count == 0 {
                return 0;
            }
            // The rank of the q-quantile, 1-based: the smallest value with q of all at or below it.
            let rank = ((q * count as f64).ceil() as u64).clamp(1, count);
            let mut seen = 0;
            for (index, n) in counts.iter().enumerate() {
                seen += n;
                if seen >= rank {
                    return upper_bound(index).min(max_us);
                }
            }
            max_us
        };
        let sum_us = self.sum_us.load(Ordering::Relaxed);
        Summary {
            count,
            sum_us,
            mean_us: sum_us.checked_div(count).unwrap_or(0),
            p50_us: quantile(0.50),
            p90_us: quantile(0.90),
            p99_us: quantile(0.99),
            p999_us: quantile(0.999),
            max_us,
        }
    }
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram::new()
    }
}

/// A histogram's figures, in microseconds (each quantile rounded up to its bucket's end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub count: u64,
    pub sum_us: u64,
    pub mean_us: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
}

static TURN_PHASES: [Histogram; Phase::ALL.len()] = [const { Histogram::new() }; Phase::ALL.len()];

/// Adds one observation of `phase` to this process's histograms.
pub fn record(phase: Phase, elapsed: Duration) {
    TURN_PHASES[phase as usize].record(elapsed);
}

/// Each phase with what this process has observed of it since it started.
pub fn summaries() -> Vec<(Phase, Summary)> {
    Phase::ALL.iter().map(|phase| (*phase, TURN_PHASES[*phase as usize].summary())).collect()
}

/// Times consecutive phases: each [`Lap::lap`] records the time since the previous one.
pub struct Lap(Instant);

impl Lap {
    pub fn start() -> Lap {
        Lap(Instant::now())
    }

    pub fn lap(&mut self, phase: Phase) {
        let now = Instant::now();
        record(phase, now.saturating_duration_since(self.0));
        self.0 = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_lands_in_a_bucket_that_holds_it_within_an_eighth() {
        let mut previous_bound = None;
        for index in 0..BUCKETS {
            let bound = upper_bound(index);
            if let Some(previous) = previous_bound {
                assert!(bound > previous, "bucket {index} ends at {bound}, after {previous}");
            }
            previous_bound = Some(bound);
        }
        for us in (0..5_000u64).chain([65_535, 65_536, 1 << 30, (1 << 40) - 1]) {
            let index = bucket_of(us);
            assert!(upper_bound(index) >= us, "{us} µs in bucket {index} ending at {}", upper_bound(index));
            let start = if index == 0 { 0 } else { upper_bound(index - 1) + 1 };
            assert!(start <= us, "{us} µs in bucket {index} starting at {start}");
            assert!((upper_bound(index) - start) * 8 <= start.max(EXACT_BELOW), "bucket of {us} µs is too wide");
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_come_from_the_observations() {
        let histogram = Histogram::new();
        assert_eq!(
            histogram.summary(),
            Summary { count: 0, sum_us: 0, mean_us: 0, p50_us: 0, p90_us: 0, p99_us: 0, p999_us: 0, max_us: 0 }
        );
        // 990 fast observations (100 µs) and 10 slow ones (20 ms): the p99 is the last fast one.
        for _ in 0..990 {
            histogram.record(Duration::from_micros(100));
        }
        for _ in 0..10 {
            histogram.record(Duration::from_millis(20));
        }
        let s = histogram.summary();
        assert_eq!((s.count, s.max_us), (1_000, 20_000));
        assert_eq!(s.mean_us, (990 * 100 + 10 * 20_000) / 1_000);
        assert!((100..=112).contains(&s.p50_us), "{s:?}");
        assert!((100..=112).contains(&s.p99_us), "{s:?}");
        assert!((20_000..=22_528).contains(&s.p999_us) && s.p999_us <= s.max_us, "{s:?}");
        histogram.record(Duration::from_millis(20));
        assert_eq!(histogram.summary().p99_us, 20_000, "11 slow in 1,001: the 991st is slow");
    }

    #[test]
    fn laps_record_consecutive_phases() {
        let before = TURN_PHASES[Phase::Engine as usize].summary().count;
        let mut lap = Lap::start();
        std::thread::sleep(Duration::from_millis(2));
        lap.lap(Phase::Engine);
        let after = TURN_PHASES[Phase::Engine as usize].summary();
        assert!(after.count > before);
        assert!(after.max_us >= 2_000, "{after:?}");
    }
}
