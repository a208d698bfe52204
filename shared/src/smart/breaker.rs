//! The circuit breaker in front of the OpenAI-compatible API: a sliding window of call
//! outcomes; when at least `min_calls` calls in the window failed at `failure_rate` or
//! more, the circuit opens and no call is made for `cooldown`; then one probe goes
//! through (half-open): its success closes the circuit, its failure opens it again. A
//! probe that never reports (its request was dropped mid-call) counts as failed when the
//! caller says so, and is presumed lost after one more cooldown in any case, so the
//! circuit can never stay half-open for good.
//! Time is passed in, so the state machine is tested with a controlled clock.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    pub window: Duration,
    pub min_calls: u32,
    /// 0.0–1.0: the share of failed calls in the window that opens the circuit.
    pub failure_rate: f64,
    pub cooldown: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    Closed,
    Open,
    HalfOpen,
}

impl CircuitState {
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half_open",
        }
    }

    /// How the state is published as a gauge for instances that only read it.
    pub fn code(self) -> i64 {
        match self {
            CircuitState::Closed => 0,
            CircuitState::HalfOpen => 1,
            CircuitState::Open => 2,
        }
    }

    pub fn from_code(code: i64) -> Option<CircuitState> {
        match code {
            0 => Some(CircuitState::Closed),
            1 => Some(CircuitState::HalfOpen),
            2 => Some(CircuitState::Open),
            _ => None,
        }
    }
}

/// Whether a call may go out, and as what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    Call,
    /// The single trial call of a half-open circuit.
    Probe,
    Rejected,
}

#[derive(Debug)]
enum Inner {
    Closed,
    Open {
        until: Instant,
    },
    /// A probe went out at `probe_since` and has not reported yet.
    HalfOpen {
        probe_since: Instant,
    },
}

#[derive(Debug)]
pub struct Breaker {
    config: BreakerConfig,
    inner: Inner,
    /// (when, failed) of recent calls while closed.
    outcomes: VecDeque<(Instant, bool)>,
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Breaker {
        Breaker { config, inner: Inner::Closed, outcomes: VecDeque::new() }
    }

    /// The state as of `now` (an open circuit whose cooldown is over reads half-open).
    pub fn state(&self, now: Instant) -> CircuitState {
        match self.inner {
            Inner::Closed => CircuitState::Closed,
            Inner::Open { until } if now < until => CircuitState::Open,
            Inner::Open { .. } | Inner::HalfOpen { .. } => CircuitState::HalfOpen,
        }
    }

    pub fn try_acquire(&mut self, now: Instant) -> Permit {
        match self.inner {
            Inner::Closed => Permit::Call,
            Inner::Open { until } if now < until => Permit::Rejected,
            Inner::HalfOpen { probe_since } if now.saturating_duration_since(probe_since) < self.config.cooldown => {
                Permit::Rejected
            }
            // After the cooldown, or when the last probe is presumed lost: a new probe.
            Inner::Open { .. } | Inner::HalfOpen { .. } => {
                self.inner = Inner::HalfOpen { probe_since: now };
                Permit::Probe
            }
        }
    }

    /// A permitted call that will never report (its request went away mid-call). An
    /// abandoned probe tells nothing good about the provider: the circuit opens again.
    pub fn abandon(&mut self, now: Instant, permit: Permit) {
        if permit == Permit::Probe && matches!(self.inner, Inner::HalfOpen { .. }) {
            self.inner = Inner::Open { until: now + self.config.cooldown };
        }
    }

    /// Records how a permitted call went.
    pub fn record(&mut self, now: Instant, permit: Permit, success: bool) {
        match permit {
            Permit::Rejected => {}
            Permit::Probe => {
                self.outcomes.clear();
                self.inner = if success { Inner::Closed } else { Inner::Open { until: now + self.config.cooldown } };
            }
            Permit::Call => {
                // A call that started while closed may end after the circuit opened.
                if !matches!(self.inner, Inner::Closed) {
                    return;
                }
                self.outcomes.push_back((now, !success));
                while self.outcomes.front().is_some_and(|(at, _)| now.duration_since(*at) > self.config.window) {
                    self.outcomes.pop_front();
                }
                let calls = self.outcomes.len();
                let failures = self.outcomes.iter().filter(|(_, failed)| *failed).count();
                if calls >= self.config.min_calls as usize && failures as f64 >= self.config.failure_rate * calls as f64
                {
                    self.outcomes.clear();
                    self.inner = Inner::Open { until: now + self.config.cooldown };
                }
            }
        }
    }

    /// Calls and failures currently in the window.
    pub fn window(&self) -> (usize, usize) {
        (self.outcomes.len(), self.outcomes.iter().filter(|(_, f)| *f).count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BreakerConfig {
        BreakerConfig {
            window: Duration::from_secs(60),
            min_calls: 4,
            failure_rate: 0.5,
            cooldown: Duration::from_secs(30),
        }
    }

    fn call(b: &mut Breaker, now: Instant, success: bool) -> Permit {
        let permit = b.try_acquire(now);
        b.record(now, permit, success);
        permit
    }

    #[test]
    fn stays_closed_below_the_minimum_number_of_calls() {
        let t0 = Instant::now();
        let mut b = Breaker::new(config());
        for i in 0..3 {
            assert_eq!(call(&mut b, t0 + Duration::from_secs(i), false), Permit::Call);
        }
        assert_eq!(b.state(t0 + Duration::from_secs(3)), CircuitState::Closed);
    }

    #[test]
    fn opens_at_the_failure_rate_and_rejects_during_the_cooldown() {
        let t0 = Instant::now();
        let mut b = Breaker::new(config());
        call(&mut b, t0, true);
        call(&mut b, t0, true);
        call(&mut b, t0, false);
        assert_eq!(b.state(t0), CircuitState::Closed, "1 of 3 below the minimum");
        call(&mut b, t0, false);
        assert_eq!(b.state(t0), CircuitState::Open, "2 of 4 = 50 %");
        assert_eq!(b.try_acquire(t0 + Duration::from_secs(29)), Permit::Rejected);
    }

    #[test]
    fn old_outcomes_slide_out_of_the_window() {
        let t0 = Instant::now();
        let mut b = Breaker::new(config());
        call(&mut b, t0, false);
        call(&mut b, t0, false);
        call(&mut b, t0, false);
        // A minute later those failures no longer count.
        let later = t0 + Duration::from_secs(61);
        call(&mut b, later, true);
        assert_eq!(b.window(), (1, 0));
        assert_eq!(b.state(later), CircuitState::Closed);
    }

    #[test]
    fn after_the_cooldown_exactly_one_probe_goes_through() {
        let t0 = Instant::now();
        let mut b = Breaker::new(config());
        for _ in 0..4 {
            call(&mut b, t0, false);
        }
        let after = t0 + Duration::from_secs(30);
        assert_eq!(b.state(after), CircuitState::HalfOpen);
        assert_eq!(b.try_acquire(after), Permit::Probe);
        assert_eq!(b.try_acquire(after), Permit::Rejected, "only one probe at a time");
        b.record(after, Permit::Probe, true);
        assert_eq!(b.state(after), CircuitState::Closed);
        assert_eq!(b.try_acquire(after), Permit::Call);
    }

    #[test]
    fn a_failed_probe_opens_again_for_a_full_cooldown() {
        let t0 = Instant::now();
        let mut b = Breaker::new(config());
        for _ in 0..4 {
            call(&mut b, t0, false);
        }
        let probe_at = t0 + Duration::from_secs(31);
        assert_eq!(b.try_acquire(probe_at), Permit::Probe);
        b.record(probe_at, Permit::Probe, false);
        assert_eq!(b.state(probe_at + Duration::from_secs(29)), CircuitState::Open);
        assert_eq!(b.try_acquire(probe_at + Duration::from_secs(30)), Permit::Probe);
    }

    #[test]
    fn calls_finishing_after_the_circuit_opened_do_not_count() {
        let t0 = Instant::now();
        let mut b = Breaker::new(config());
        let slow = b.try_acquire(t0);
        for _ in 0..4 {
            call(&mut b, t0, false);
        }
        b.record(t0 + Duration::from_secs(1), slow, true);
        assert_eq!(b.state(t0 + Duration::from_secs(1)), CircuitState::Open);
    }

    #[test]
    fn a_probe_that_never_reports_is_replaced_after_a_cooldown() {
        let t0 = Instant::now();
        let mut b = Breaker::new(config());
        for _ in 0..4 {
            call(&mut b, t0, false);
        }
        let probe_at = t0 + Duration::from_secs(30);
        assert_eq!(b.try_acquire(probe_at), Permit::Probe);
        assert_eq!(b.try_acquire(probe_at + Duration::from_secs(29)), Permit::Rejected);
        assert_eq!(b.try_acquire(probe_at + Duration::from_secs(30)), Permit::Probe, "the lost probe is replaced");
        b.record(probe_at + Duration::from_secs(31), Permit::Probe, true);
        assert_eq!(b.state(probe_at + Duration::from_secs(31)), CircuitState::Closed);
    }

    #[test]
    fn an_abandoned_probe_reopens_the_circuit() {
        let t0 = Instant::now();
        let mut b = Breaker::new(config());
        for _ in 0..4 {
            call(&mut b, t0, false);
        }
        let probe_at = t0 + Duration::from_secs(30);
        let probe = b.try_acquire(probe_at);
        b.abandon(probe_at, probe);
        assert_eq!(b.state(probe_at), CircuitState::Open);
        assert_eq!(b.try_acquire(probe_at + Duration::from_secs(30)), Permit::Probe);
        let call_permit = Permit::Call;
        b.abandon(probe_at + Duration::from_secs(30), call_permit);
        assert_eq!(
            b.state(probe_at + Duration::from_secs(30)),
            CircuitState::HalfOpen,
            "an abandoned call changes nothing"
        );
    }

    #[test]
    fn state_codes_round_trip() {
        for s in [CircuitState::Closed, CircuitState::Open, CircuitState::HalfOpen] {
            assert_eq!(CircuitState::from_code(s.code()), Some(s));
        }
        assert_eq!(CircuitState::from_code(9), None);
    }
}
