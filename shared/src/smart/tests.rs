use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::app::App;
use crate::ports::SecretValues;
use crate::time::ManualClock;

/// A scripted model: each call takes the next answer (the last one repeats).
struct Scripted {
    answers: Vec<(Duration, Result<String, Failure>)>,
    calls: Arc<AtomicUsize>,
}

#[async_trait]
impl Completer for Scripted {
    async fn complete(&self, _model: &str, _messages: Value, timeout: Duration) -> Result<String, Failure> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let (delay, answer) = self.answers[n.min(self.answers.len() - 1)].clone();
        if delay > timeout {
            tokio::time::sleep(timeout).await;
            return Err(Failure::Timeout);
        }
        tokio::time::sleep(delay).await;
        answer
    }
}

const STEPS: &str = r#"{"steps": ["Reiniciá el router", "Probá otro cable", "Llamá a tu proveedor"]}"#;

fn config() -> OpenAiConfig {
    let defaults = crate::config::Config::from_source(&|_: &str| None).unwrap_or_else(|e| panic!("{e}")).openai;
    OpenAiConfig {
        model: "m".into(),
        vision_model: "v".into(),
        timeout: Duration::from_millis(200),
        budget: Duration::from_millis(450),
        breaker_window: Duration::from_secs(60),
        breaker_min_calls: 2,
        breaker_failure_rate: 0.5,
        breaker_cooldown: Duration::from_secs(60),
        flag_cache: Duration::from_millis(10),
        ..defaults
    }
}

/// The application with a scripted model, the number of calls it got, its data dir, and
/// the clock the breaker and the switch cache read.
type Setup = (App, Arc<AtomicUsize>, tempfile::TempDir, Arc<ManualClock>);

fn setup(answers: Vec<(Duration, Result<String, Failure>)>) -> Setup {
    setup_with(answers, self::config())
}

fn setup_with(answers: Vec<(Duration, Result<String, Failure>)>, smart_config: OpenAiConfig) -> Setup {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = crate::config::Config::from_source(&|_: &str| None).unwrap_or_else(|e| panic!("{e}"));
    let (backend, _) =
        crate::backends::local::open(dir.path(), SecretValues::default()).unwrap_or_else(|e| panic!("{e}"));
    let calls = Arc::new(AtomicUsize::new(0));
    let completer = Box::new(Scripted { answers, calls: Arc::clone(&calls) });
    let clock = Arc::new(ManualClock::new());
    let app = App::with_smart(config, backend, clock.clone(), |tally, clock| {
        Smart::new(completer, smart_config, tally, clock)
    });
    (app, calls, dir, clock)
}

fn ok(text: &str) -> (Duration, Result<String, Failure>) {
    (Duration::from_millis(5), Ok(text.to_owned()))
}

async fn ask(state: &App) -> Result<Vec<String>, Failure> {
    let smart = state.smart().unwrap_or_else(|| panic!("no smart"));
    smart.steps(Locale::Es, "sin internet", Some("no navega"), 1, &[]).await
}

async fn counter(state: &App, name: &str) -> i64 {
    state.backend().counters.get(name).await.ok().flatten().unwrap_or(0)
}

#[tokio::test]
async fn a_good_answer_is_used_and_counted() {
    let (state, calls, _dir, _clock) = setup(vec![ok(STEPS)]);
    assert_eq!(ask(&state).await.map(|s| s.len()), Ok(3));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!((counter(&state, "openai.requests").await, counter(&state, "openai.failures").await), (1, 0));
}

#[tokio::test]
async fn invalid_output_is_a_failure_and_not_retried() {
    let (state, calls, _dir, _clock) = setup(vec![ok("{\"steps\": []}")]);
    assert!(matches!(ask(&state).await, Err(Failure::Invalid(_))));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(counter(&state, "openai.failures").await, 1);
}

#[tokio::test]
async fn one_retry_within_the_budget_after_a_provider_error() {
    let (state, calls, _dir, _clock) =
        setup(vec![(Duration::from_millis(5), Err(Failure::Provider("HTTP 500".into()))), ok(STEPS)]);
    assert!(ask(&state).await.is_ok());
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_slow_provider_is_cut_at_the_budget() {
    let (state, calls, _dir, _clock) = setup(vec![(Duration::from_secs(5), Ok(STEPS.to_owned()))]);
    let started = Instant::now();
    assert_eq!(ask(&state).await, Err(Failure::Timeout));
    assert!(started.elapsed() < Duration::from_millis(600), "{:?}", started.elapsed());
    assert!(calls.load(Ordering::SeqCst) <= 2);
}

#[tokio::test]
async fn an_open_circuit_makes_no_calls() {
    let failing = (Duration::from_millis(1), Err(Failure::Invalid("garbage".into())));
    let (state, calls, _dir, _clock) = setup(vec![failing]);
    let _ = ask(&state).await;
    let _ = ask(&state).await;
    let before = calls.load(Ordering::SeqCst);
    assert_eq!(state.smart().map(Smart::circuit_state), Some(CircuitState::Open));
    assert_eq!(ask(&state).await, Err(Failure::CircuitOpen));
    assert_eq!(calls.load(Ordering::SeqCst), before, "no call while open");
    assert_eq!(counter(&state, CIRCUIT_GAUGE).await, CircuitState::Open.code(), "published for other instances");
}

#[tokio::test]
async fn the_operator_switch_stops_calls() {
    let (state, calls, _dir, clock) = setup(vec![ok(STEPS)]);
    assert!(state.backend().counters.set(FORCED_OFF_FLAG, 1).await.is_ok());
    assert_eq!(ask(&state).await, Err(Failure::ForcedOff));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert!(state.backend().counters.set(FORCED_OFF_FLAG, 0).await.is_ok());
    assert_eq!(ask(&state).await, Err(Failure::ForcedOff), "the switch is cached");
    clock.advance(Duration::from_millis(20));
    assert!(ask(&state).await.is_ok(), "back on after the cache expires");
}

/// The version taking canary traffic does without the model; the version before it, and
/// the same version once the flag moves on, call it.
#[tokio::test]
async fn the_version_taking_canary_traffic_stays_off_the_model() {
    let canary = OpenAiConfig { deployed_as: Some(("sti-chat-prod-Chat".into(), 7)), ..self::config() };
    let (state, calls, _dir, clock) = setup_with(vec![ok(STEPS)], canary);
    let flag = canary_flag("sti-chat-prod-Chat");
    assert!(state.backend().counters.set(&flag, 7).await.is_ok());
    assert_eq!(ask(&state).await, Err(Failure::ForcedOff), "version 7 takes canary traffic");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert!(state.backend().counters.set(&flag, 0).await.is_ok());
    clock.advance(Duration::from_millis(20));
    assert!(ask(&state).await.is_ok(), "all traffic on version 7: the model again");

    let previous = OpenAiConfig { deployed_as: Some(("sti-chat-prod-Chat".into(), 6)), ..self::config() };
    let (state, _calls, _dir, _clock) = setup_with(vec![ok(STEPS)], previous);
    assert!(state.backend().counters.set(&flag, 7).await.is_ok());
    assert!(ask(&state).await.is_ok(), "the version serving most visitors keeps the model");
}

#[test]
fn the_lambda_runtime_tells_the_version() {
    let read = |vars: &'static [(&str, &str)]| {
        crate::config::Config::from_source(&|k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned()))
            .map(|c| c.openai.deployed_as)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(
        read(&[("AWS_LAMBDA_FUNCTION_NAME", "f"), ("AWS_LAMBDA_FUNCTION_VERSION", "12")]),
        Some(("f".into(), 12))
    );
    assert_eq!(read(&[("AWS_LAMBDA_FUNCTION_NAME", "f"), ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")]), None);
    assert_eq!(read(&[]), None);
}

#[test]
fn data_urls_are_standard_base64() {
    assert_eq!(data_url("image/png", b"Man"), "data:image/png;base64,TWFu");
    assert_eq!(data_url("image/png", b"Ma"), "data:image/png;base64,TWE=");
    assert_eq!(data_url("image/png", b"M"), "data:image/png;base64,TQ==");
    assert_eq!(data_url("image/jpeg", b""), "data:image/jpeg;base64,");
}

#[tokio::test]
async fn status_reports_the_circuit_or_the_switch() {
    let failing = (Duration::from_millis(1), Err(Failure::Invalid("garbage".into())));
    let (state, _calls, _dir, _clock) = setup(vec![failing]);
    let counters = state.backend().counters.as_ref();
    assert_eq!(status(false, counters, state.smart()).await, "disabled", "smart mode off");
    assert_eq!(status(true, counters, state.smart()).await, "closed", "this instance's own breaker");
    let _ = ask(&state).await;
    let _ = ask(&state).await;
    assert_eq!(status(true, counters, state.smart()).await, "open");
    assert_eq!(status(true, counters, None).await, "open", "an instance without the client reads the published state");
    assert!(counters.set(FORCED_OFF_FLAG, 1).await.is_ok());
    assert_eq!(status(true, counters, state.smart()).await, "forced_off", "the operator's switch wins");
    assert!(counters.set(FORCED_OFF_FLAG, 0).await.is_ok());
    assert!(counters.set(CIRCUIT_GAUGE, 99).await.is_ok());
    assert_eq!(status(true, counters, None).await, "closed", "an unknown published code reads as closed");
}

#[tokio::test]
async fn a_probe_dropped_mid_call_does_not_leave_the_circuit_half_open() {
    let failing = (Duration::from_millis(1), Err(Failure::Provider("HTTP 500".into())));
    let slow = (Duration::from_secs(5), Ok(STEPS.to_owned()));
    let config = OpenAiConfig { breaker_cooldown: Duration::from_millis(100), ..self::config() };
    let (state, calls, _dir, clock) = setup_with(vec![failing.clone(), failing, slow, ok(STEPS)], config);
    let _ = ask(&state).await;
    assert_eq!(state.smart().map(Smart::circuit_state), Some(CircuitState::Open));
    clock.advance(Duration::from_millis(110));
    // The probe's request goes away mid-call, as when a visitor closes the page.
    assert!(tokio::time::timeout(Duration::from_millis(50), ask(&state)).await.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 3, "the probe went out");
    assert_eq!(state.smart().map(Smart::circuit_state), Some(CircuitState::Open), "abandoned, not half-open");
    clock.advance(Duration::from_millis(110));
    assert_eq!(ask(&state).await.map(|s| s.len()), Ok(3), "a new probe goes through and closes the circuit");
    assert_eq!(state.smart().map(Smart::circuit_state), Some(CircuitState::Closed));
}
