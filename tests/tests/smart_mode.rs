//! Smart mode against a fake OpenAI-compatible server on loopback: steps from the model
//! with no raw PII in what it receives, fallback within the budget when it is slow,
//! failing or talking nonsense, a circuit breaker that stops calling it, metrics that
//! match what it saw, the operator's switch, and image descriptions.

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sti_e2e::fake_openai::{Behaviour, FakeOpenAi, MODEL_MARK, VISION_DESCRIPTION, VISION_ERROR};
use sti_e2e::{Api, Server, data_dir, png, sti_bin};

const API_KEY: &str = "sk-fake-test-key-123";

fn smart_env<'a>(fake: &'a FakeOpenAi, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![
        ("SMART_MODE", "true"),
        ("OPENAI_BASE_URL", fake.base_url.as_str()),
        ("OPENAI_API_KEY", API_KEY),
        ("OPENAI_MODEL", "fake-model"),
        ("RATE_LIMIT_GREETING_PER_MIN", "1000"),
        ("RATE_LIMIT_CHAT_PER_MIN_IP", "1000"),
    ];
    env.extend_from_slice(extra);
    env
}

/// A new session taken to its first steps; returns (session id, the steps reply).
async fn reach_steps(api: &Api, problem: &str) -> (String, Value) {
    let sid = api.greeting().await;
    let r = api.chat(&sid, "me llamo Ana").await;
    assert_eq!(r["state"], "ask_problem", "{r}");
    let r = api.chat(&sid, problem).await;
    assert_eq!(r["state"], "steps", "{r}");
    (sid, r)
}

fn from_model(reply: &Value) -> bool {
    reply["reply"].as_str().is_some_and(|t| t.contains(MODEL_MARK))
}

async fn health_openai(api: &Api) -> String {
    api.get("/api/health").await.json()["checks"]["openai"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_provider_gives_the_steps_and_sees_no_raw_pii() {
    let fake = FakeOpenAi::start(Behaviour::Good);
    let dir = data_dir();
    let server = Server::start(dir.path(), &smart_env(&fake, &[]));
    let api = Api::new(&server.base);
    assert_eq!(health_openai(&api).await, "closed");

    let pii = ["ana.gomez@example.com", "11 4567-8901", "4111 1111 1111 1111", "0170099220000067797370", "30.123.456"];
    let problem = format!(
        "la impresora no imprime nada. Mi mail es {}, mi cel {}, pagué con la tarjeta {}, \
         mi CBU es {} y mi DNI {}",
        pii[0], pii[1], pii[2], pii[3], pii[4]
    );
    let (sid, r) = reach_steps(&api, &problem).await;
    assert!(from_model(&r), "the steps should come from the model: {r}");
    assert!(r["reply"].as_str().is_some_and(|t| t.contains("1. Desenchufá") && t.contains("¿Se solucionó?")), "{r}");
    assert_eq!(r["degraded"], false);

    // The second round tells the model what was already tried.
    let r = api.chat(&sid, "No, sigo igual").await;
    assert_eq!(r["state"], "steps", "{r}");
    assert!(from_model(&r), "{r}");

    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "one call per round of steps");
    for req in &requests {
        assert_eq!(req.authorization.as_deref(), Some(format!("Bearer {API_KEY}").as_str()));
        assert_eq!(req.body["model"], "fake-model");
        let text = req.body.to_string();
        for raw in pii {
            assert!(!text.contains(raw), "the provider received {raw:?}: {text}");
        }
        // Not even the digits, however they are spaced.
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        for raw in &pii[1..] {
            let raw_digits: String = raw.chars().filter(char::is_ascii_digit).collect();
            assert!(!digits.contains(&raw_digits), "the provider received the digits of {raw:?}");
        }
        assert!(text.contains("impresora"), "the problem itself is sent: {text}");
    }
    let second = requests[1].body.to_string();
    assert!(second.contains("Ya probó") && second.contains("Desenchufá"), "{second}");

    // A screenshot is described by the vision model; the description reaches the chat.
    let up = api.upload(&sid, png(640, 480), "captura.png").await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let upload_id = up.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let done = api.wait_upload(&sid, &upload_id).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["analysis"]["description"], VISION_DESCRIPTION, "{done}");
    assert_eq!(done["analysis"]["errorText"], VISION_ERROR, "{done}");
    let vision: Vec<_> = fake.requests().into_iter().filter(|r| r.vision).collect();
    assert_eq!(vision.len(), 1);
    let image_url = vision[0].body["messages"][0]["content"][1]["image_url"]["url"].as_str().unwrap_or_default();
    assert!(image_url.starts_with("data:image/jpeg;base64,"), "{}", &image_url[..image_url.len().min(60)]);
    let r = api.chat(&sid, "te mandé una captura").await;
    assert!(r["reply"].as_str().is_some_and(|t| t.contains(VISION_DESCRIPTION) && t.contains(VISION_ERROR)), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_silent_failing_or_nonsense_providers_fall_back_within_the_budget() {
    const TIMEOUT_MS: u64 = 600;
    let fake = FakeOpenAi::start(Behaviour::Slow(Duration::from_secs(5)));
    let dir = data_dir();
    // A high breaker threshold keeps the circuit closed: this test is about each call.
    let server =
        Server::start(dir.path(), &smart_env(&fake, &[("OPENAI_TIMEOUT", "600"), ("OPENAI_CB_MIN_CALLS", "100")]));
    let api = Api::new(&server.base);

    let cases = [
        ("slow", Behaviour::Slow(Duration::from_secs(5))),
        ("silent", Behaviour::Hang),
        ("429", Behaviour::Status(429)),
        ("500", Behaviour::Status(500)),
        ("garbage", Behaviour::Garbage),
    ];
    for (name, behaviour) in cases {
        fake.set(behaviour);
        let before = fake.calls();
        let sid = api.greeting().await;
        api.chat(&sid, "me llamo Ana").await;
        let started = Instant::now();
        let r = api.chat(&sid, "la impresora no imprime").await;
        let took = started.elapsed();
        assert_eq!(r["state"], "steps", "{name}: {r}");
        assert_eq!(r["degraded"], true, "{name}: {r}");
        assert!(!from_model(&r), "{name}: knowledge-base steps expected: {r}");
        assert!(r["reply"].as_str().is_some_and(|t| t.contains("1. ") && t.contains("¿Se solucionó?")), "{name}: {r}");
        // The budget (= the timeout by default) bounds the whole turn, retry included.
        assert!(
            took < Duration::from_millis(TIMEOUT_MS + 900),
            "{name}: /api/chat took {took:?} with a {TIMEOUT_MS} ms timeout"
        );
        assert!(fake.calls() > before, "{name}: the provider should have been tried");
        // The conversation goes on consistently from the fallback steps.
        let r = api.chat(&sid, "sí, se solucionó").await;
        assert_eq!(r["state"], "solved", "{name}: {r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_circuit_opens_stops_calling_and_closes_after_one_good_probe() {
    let fake = FakeOpenAi::start(Behaviour::Status(500));
    let dir = data_dir();
    let server = Server::start(
        dir.path(),
        &smart_env(
            &fake,
            &[
                ("OPENAI_CB_WINDOW_SECS", "60"),
                ("OPENAI_CB_MIN_CALLS", "3"),
                ("OPENAI_CB_FAILURE_RATE", "0.5"),
                ("OPENAI_CB_COOLDOWN_SECS", "3"),
            ],
        ),
    );
    let api = Api::new(&server.base);

    // First turn: a call and its one retry both fail (2 failures, below the minimum).
    let (_, r) = reach_steps(&api, "la impresora no imprime").await;
    assert_eq!(r["degraded"], true);
    assert_eq!(fake.calls(), 2, "one call and one retry");
    assert_eq!(health_openai(&api).await, "closed");

    // Second turn: the third failure opens the circuit; the retry is refused locally.
    let (_, r) = reach_steps(&api, "la impresora no imprime").await;
    assert_eq!(r["degraded"], true);
    assert_eq!(fake.calls(), 3);
    let opened = Instant::now();
    assert_eq!(health_openai(&api).await, "open");
    assert_eq!(api.get("/api/health").await.json()["status"], "degraded");

    // During the cooldown: fallback answers, and the provider hears nothing.
    fake.set(Behaviour::Slow(Duration::from_millis(400)));
    for _ in 0..3 {
        let (_, r) = reach_steps(&api, "no tengo internet").await;
        assert_eq!(r["degraded"], true, "{r}");
        assert!(!from_model(&r));
    }
    assert!(opened.elapsed() < Duration::from_secs(3), "the cooldown ended before the checks: slow machine?");
    assert_eq!(fake.calls(), 3, "an open circuit makes no calls");

    // After the cooldown, concurrent turns: exactly one probe reaches the provider.
    tokio::time::sleep(Duration::from_secs(3).saturating_sub(opened.elapsed()) + Duration::from_millis(200)).await;
    let mut sessions = Vec::new();
    for _ in 0..4 {
        let sid = api.greeting().await;
        api.chat(&sid, "me llamo Ana").await;
        sessions.push(sid);
    }
    let turns: Vec<_> = sessions
        .iter()
        .map(|sid| {
            let api = api.clone();
            let sid = sid.clone();
            tokio::spawn(async move { api.chat(&sid, "la impresora no imprime").await })
        })
        .collect();
    let mut replies = Vec::new();
    for t in turns {
        replies.push(t.await.unwrap_or_else(|e| panic!("turn task: {e}")));
    }
    assert_eq!(fake.calls(), 4, "exactly one probe in half-open");
    assert_eq!(replies.iter().filter(|r| from_model(r)).count(), 1, "the probe's turn gets the model's steps");
    assert_eq!(replies.iter().filter(|r| r["degraded"] == true).count(), 3);

    // The successful probe closed the circuit: calls flow again.
    assert_eq!(health_openai(&api).await, "closed");
    let (_, r) = reach_steps(&api, "la impresora no imprime").await;
    assert!(from_model(&r), "{r}");
    assert_eq!(fake.calls(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_match_what_the_provider_saw() {
    let fake = FakeOpenAi::start(Behaviour::Slow(Duration::from_millis(200)));
    let dir = data_dir();
    let server = Server::start(dir.path(), &smart_env(&fake, &[("OPENAI_CB_MIN_CALLS", "50"), ("STI_EMF", "1")]));
    let api = Api::new(&server.base);

    for _ in 0..2 {
        let (_, r) = reach_steps(&api, "la impresora no imprime").await;
        assert!(from_model(&r));
    }
    fake.set(Behaviour::Status(500));
    let (_, r) = reach_steps(&api, "la impresora no imprime").await;
    assert_eq!(r["degraded"], true);
    fake.set(Behaviour::Garbage);
    let (_, r) = reach_steps(&api, "la impresora no imprime").await;
    assert_eq!(r["degraded"], true);

    // 2 good calls, 2 × 500 (call + retry), 1 garbage (not retried: the provider answered).
    assert_eq!(fake.calls(), 5);
    let m = api.get("/api/metrics").await;
    assert_eq!(m.status, StatusCode::OK, "{}", m.body);
    let openai = &m.json()["openai"];
    assert_eq!(openai["requests"], 5, "{openai}");
    assert_eq!(openai["failures"], 3, "{openai}");
    assert_eq!(openai["circuitState"], "closed", "{openai}");
    // Two calls of ≥ 200 ms and three quick ones.
    let avg = openai["avgLatencyMs"].as_f64().unwrap_or(-1.0);
    assert!((80.0..1000.0).contains(&avg), "average latency {avg} ms: {openai}");

    let text = api.get("/api/metrics?format=prometheus").await.body;
    assert!(text.contains("sti_openai_requests_total 5"), "{text}");
    assert!(text.contains("sti_openai_failures_total 3"), "{text}");
    assert!(text.contains("sti_openai_circuit_state{state=\"closed\"} 1"), "{text}");

    // Every call left an EMF line for the CloudWatch alarms.
    let emf = server.stdout_lines().iter().filter(|l| l.contains("\"_aws\"") && l.contains("OpenAIRequests")).count();
    assert_eq!(emf, 5, "one EMF record per call");
}

fn sti_smart(dir: &std::path::Path, action: &str) -> String {
    let out = Command::new(sti_bin())
        .args(["smart", action, "--data-dir"])
        .arg(dir)
        .env_remove("STI_BACKEND")
        .output()
        .unwrap_or_else(|e| panic!("sti smart {action}: {e}"));
    assert!(out.status.success(), "sti smart {action}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_switches_smart_mode_off_and_on_without_a_restart() {
    let fake = FakeOpenAi::start(Behaviour::Good);
    let dir = data_dir();
    let server = Server::start(dir.path(), &smart_env(&fake, &[("SMART_FLAG_CACHE_SECS", "1")]));
    let api = Api::new(&server.base);

    let (_, r) = reach_steps(&api, "la impresora no imprime").await;
    assert!(from_model(&r));
    assert_eq!(fake.calls(), 1);

    let out = sti_smart(dir.path(), "off");
    assert!(out.contains("switch: off"), "{out}");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(health_openai(&api).await, "forced_off");
    let (_, r) = reach_steps(&api, "la impresora no imprime").await;
    assert!(!from_model(&r), "{r}");
    // Switched off on purpose: knowledge-base answers are not a degradation.
    assert_eq!(r["degraded"], false, "{r}");
    assert_eq!(fake.calls(), 1, "no calls while forced off");
    assert!(sti_smart(dir.path(), "status").contains("switch: off"));

    let out = sti_smart(dir.path(), "on");
    assert!(out.contains("switch: on"), "{out}");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(health_openai(&api).await, "closed");
    let (_, r) = reach_steps(&api, "la impresora no imprime").await;
    assert!(from_model(&r), "{r}");
    assert_eq!(fake.calls(), 2);
    assert_eq!(
        api.post_json("/api/chat", &json!({})).await.status,
        StatusCode::BAD_REQUEST,
        "bad input is still refused before any model call"
    );
    assert_eq!(fake.calls(), 2);
}
