//! A chat turn that loses a commit race is retried; smart mode is asked once per
//! request all the same (a retry must not spend the model's time budget again).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use sti_shared::app::{App, Hosting};
use sti_shared::chat::Locale;
use sti_shared::config::Config;
use sti_shared::ports::{Counters, Riders, SecretValues, StoreResult};
use sti_shared::services::Origin;
use sti_shared::services::sessions;
use sti_shared::services::turns::{self, Message, Utterance};
use sti_shared::smart::{Completer, Failure, Smart};

#[path = "common/faulty_sessions.rs"]
mod faulty_sessions;
use faulty_sessions::{Fault, FaultySessions};

struct CountingModel(Arc<AtomicUsize>);

#[async_trait]
impl Completer for CountingModel {
    async fn complete(&self, _model: &str, _messages: Value, _timeout: Duration) -> Result<String, Failure> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(r#"{"steps": ["Revisá el cable de red", "Reiniciá el router", "Probá con otro equipo"]}"#.to_owned())
    }
}

#[tokio::test]
async fn a_retried_turn_asks_the_model_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = Config::from_source(&|_: &str| None).unwrap_or_else(|e| panic!("{e}"));
    let (mut backend, _) =
        sti_shared::backends::local::open(dir.path(), SecretValues::default()).unwrap_or_else(|e| panic!("{e}"));
    let armed = Arc::new(AtomicBool::new(false));
    let fault = Fault::LosesRaceWhenArmed(Arc::clone(&armed));
    backend.sessions = Arc::new(FaultySessions { inner: Arc::clone(&backend.sessions), fault });
    let calls = Arc::new(AtomicUsize::new(0));
    let model = CountingModel(Arc::clone(&calls));
    let openai = config.openai.clone();
    let clock = Arc::new(sti_shared::time::SystemClock);
    let app = App::with_smart(config, backend, clock, |tally, clock| Smart::new(Box::new(model), openai, tally, clock));

    let started = sessions::start(&app, "127.0.0.1", Locale::Es, "req-1").await.unwrap_or_else(|e| panic!("{e}"));
    let origin = Origin { base_url: "http://localhost", request_id: "req-2" };
    let say = |text: &str| Utterance::Text(text.to_owned());
    let named = say("soy Ana");
    let message = Message { session: &started.session.id, utterance: &named, message_id: None, ip: "127.0.0.1" };
    turns::chat(&app, &message, &origin).await.unwrap_or_else(|e| panic!("{e}"));

    // The next commit loses its race, and the turn is retried.
    armed.store(true, Ordering::SeqCst);
    let problem = say("no tengo internet en casa");
    let message = Message { session: &started.session.id, utterance: &problem, message_id: None, ip: "127.0.0.1" };
    let reply: Value =
        serde_json::from_str(&turns::chat(&app, &message, &origin).await.unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_default();
    assert_eq!(reply["state"], "steps", "{reply}");
    assert!(reply["reply"].as_str().is_some_and(|r| r.contains("Reiniciá el router")), "the model's steps: {reply}");
    assert!(!armed.load(Ordering::SeqCst), "the race was lost once");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "one model call for one request, retry included");
}

/// Counters that hold every `add` until the test lets them through.
struct Stalled {
    inner: Arc<dyn Counters>,
    gate: Arc<tokio::sync::Semaphore>,
}

#[async_trait]
impl Counters for Stalled {
    async fn add(&self, deltas: &[(&str, i64)]) -> StoreResult<()> {
        if let Ok(permit) = self.gate.acquire().await {
            permit.forget();
        }
        self.inner.add(deltas).await
    }
    async fn set(&self, name: &str, value: i64) -> StoreResult<()> {
        self.inner.set(name, value).await
    }
    async fn get(&self, name: &str) -> StoreResult<Option<i64>> {
        self.inner.get(name).await
    }
    async fn snapshot(&self) -> StoreResult<std::collections::BTreeMap<String, i64>> {
        self.inner.snapshot().await
    }
    async fn add_daily(&self, deltas: &[sti_shared::ports::DailyDelta]) -> StoreResult<()> {
        self.inner.add_daily(deltas).await
    }
    async fn daily_sums(&self, from: &str, to: &str) -> StoreResult<std::collections::BTreeMap<String, i64>> {
        self.inner.daily_sums(from, to).await
    }
}

async fn eventually(counters: &Arc<dyn Counters>, name: &str, want: i64) {
    for _ in 0..200 {
        if counters.get(name).await.ok().flatten() == Some(want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{name} never reached {want}: {:?}", counters.get(name).await);
}

/// A store that cannot write a turn's counters and log line with the turn (DynamoDB):
/// they are written in the background, so a slow counter store does not hold up the
/// answer; past `MAX_RIDERS_IN_FLIGHT` waiting writes, more are dropped and counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turn_bookkeeping_is_off_the_critical_path_when_the_store_cannot_carry_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = Config::from_source(&|_: &str| None).unwrap_or_else(|e| panic!("{e}"));
    let (mut backend, _) =
        sti_shared::backends::local::open(dir.path(), SecretValues::default()).unwrap_or_else(|e| panic!("{e}"));
    let fault = Fault::LosesRaceWhenArmed(Arc::new(AtomicBool::new(false)));
    backend.sessions = Arc::new(FaultySessions { inner: Arc::clone(&backend.sessions), fault });
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let store = Arc::clone(&backend.counters);
    let started = {
        let app =
            App::with_backend(config.clone(), backend.clone(), Hosting::default()).unwrap_or_else(|e| panic!("{e}"));
        sessions::start(&app, "127.0.0.1", Locale::Es, "req-1").await.unwrap_or_else(|e| panic!("{e}"))
    };
    backend.counters = Arc::new(Stalled { inner: Arc::clone(&store), gate: Arc::clone(&gate) });
    let app = App::with_backend(config, backend, Hosting::default()).unwrap_or_else(|e| panic!("{e}"));

    let origin = Origin { base_url: "http://localhost", request_id: "req-2" };
    let said = Utterance::Text("soy Ana".to_owned());
    let message = Message { session: &started.session.id, utterance: &said, message_id: None, ip: "127.0.0.1" };
    // The counter store holds every write; the answer must not wait for it.
    let answered = tokio::time::timeout(Duration::from_millis(500), turns::chat(&app, &message, &origin)).await;
    assert!(matches!(answered, Ok(Ok(_))), "the turn waited for its counters: {answered:?}");
    assert_eq!(store.get("chat.totalMessages").await.ok().flatten(), None);
    gate.add_permits(1);
    eventually(&store, "chat.totalMessages", 1).await;
    // The turn's log line follows its counters: its slot is free once both are written.
    for _ in 0..200 {
        if app.riders_in_flight() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(app.riders_in_flight(), 0, "the first turn's bookkeeping never finished");

    // With the store stalled again, the background writes are bounded.
    let max = sti_shared::app::MAX_RIDERS_IN_FLIGHT;
    for _ in 0..max + 10 {
        app.ride_behind(Riders { counters: vec![("bounded", 1)], daily: Vec::new(), log: None });
    }
    assert_eq!(app.riders_dropped(), 10, "the writes past the bound are dropped and counted");
    gate.add_permits(max + 10);
    eventually(&store, "bounded", i64::try_from(max).unwrap_or(i64::MAX)).await;
}
