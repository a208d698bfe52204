//! RSS and CPU of the server under test, read from `/proc/<pid>` once a second (when the
//! target is a local process).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct ProcessSample {
    pub at: f64,
    pub rss_mib: f64,
    /// Percent of one core over the last second.
    pub cpu_percent: f64,
}

/// User + system clock ticks of `pid` (fields 14 and 15 of `/proc/<pid>/stat`).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Linux's USER_HZ: clock ticks per second in `/proc/<pid>/stat`.
const TICKS_PER_SECOND: f64 = 100.0;

pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<Vec<ProcessSample>>,
}

impl Sampler {
    /// Starts sampling `pid`; `None` when there is no such process to read.
    pub fn start(pid: u32) -> Option<Sampler> {
        cpu_ticks(pid)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let started = Instant::now();
            let mut samples = Vec::new();
            let mut last = (Instant::now(), cpu_ticks(pid).unwrap_or(0));
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_secs(1));
                let (Some(ticks), Some(rss)) = (cpu_ticks(pid), rss_mib(pid)) else { break };
                let now = Instant::now();
                let seconds = now.duration_since(last.0).as_secs_f64();
                let cpu = (ticks.saturating_sub(last.1)) as f64 / TICKS_PER_SECOND / seconds * 100.0;
                samples.push(ProcessSample { at: started.elapsed().as_secs_f64(), rss_mib: rss, cpu_percent: cpu });
                last = (now, ticks);
            }
            samples
        });
        Some(Sampler { stop, handle })
    }

    pub fn finish(self) -> Vec<ProcessSample> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_process() {
        let pid = std::process::id();
        assert!(cpu_ticks(pid).is_some());
        assert!(rss_mib(pid).is_some_and(|r| r > 0.0));
        assert!(Sampler::start(u32::MAX).is_none(), "no such process");
    }
}
