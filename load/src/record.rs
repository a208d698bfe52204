//! What the scenarios observed, request by request, for our own per-second report (goose's
//! report has its own aggregates; ours adds percentiles over time, RSS and CPU).

use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Seconds since the run started.
    pub at: f64,
    pub latency_ms: f64,
    pub ok: bool,
}

/// One upload of scenario B: accepted or not, and how long until the worker was done.
#[derive(Debug, Clone)]
pub struct UploadOutcome {
    pub upload_id: Option<String>,
    pub done_after_ms: Option<f64>,
    pub final_status: String,
}

pub struct Recorder {
    started: Instant,
    samples: Mutex<Vec<Sample>>,
    uploads: Mutex<Vec<UploadOutcome>>,
    rate_limited: std::sync::atomic::AtomicUsize,
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder {
            started: Instant::now(),
            samples: Mutex::new(Vec::new()),
            uploads: Mutex::new(Vec::new()),
            rate_limited: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    pub fn since_start(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// A request that just finished after `latency_ms` (goose's own measure: it leaves
    /// out the wait for the request-rate throttle).
    pub fn request(&self, latency_ms: f64, ok: bool) {
        let at = (self.since_start() - latency_ms / 1000.0).max(0.0);
        let sample = Sample { at, latency_ms, ok };
        if let Ok(mut samples) = self.samples.lock() {
            samples.push(sample);
        }
    }

    /// A 429 the scenario expects and honours (scenario B at the per-IP limit).
    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn rate_limited_count(&self) -> usize {
        self.rate_limited.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn upload(&self, outcome: UploadOutcome) {
        if let Ok(mut uploads) = self.uploads.lock() {
            uploads.push(outcome);
        }
    }

    pub fn samples(&self) -> Vec<Sample> {
        self.samples.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn uploads(&self) -> Vec<UploadOutcome> {
        self.uploads.lock().map(|u| u.clone()).unwrap_or_default()
    }
}

/// The `q`-quantile (0..=1) of `values`, which must be sorted.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_of_a_sorted_list() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&values, 0.5), 51.0);
        assert_eq!(quantile(&values, 0.99), 99.0);
        assert_eq!(quantile(&values, 1.0), 100.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
