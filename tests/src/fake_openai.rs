//! A fake OpenAI-compatible chat-completions server on loopback for the smart-mode tests:
//! it can answer well, slowly, with an HTTP error, with garbage, or not at all, and it
//! records every request it receives.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// Steps the fake proposes; every one carries this marker so tests can tell model steps
/// from knowledge-base steps.
pub const MODEL_MARK: &str = "(según el modelo)";
pub const VISION_DESCRIPTION: &str = "Una ventana de Windows Update con un cartel rojo";
pub const VISION_ERROR: &str = "0x80070005";

#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
    /// A valid answer right away.
    Good,
    /// A valid answer after this delay.
    Slow(Duration),
    /// This HTTP status with an OpenAI-style error body.
    Status(u16),
    /// HTTP 200 whose content is not the structured answer asked for.
    Garbage,
    /// Accepts the request and never answers.
    Hang,
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub body: Value,
    pub authorization: Option<String>,
    pub at: Instant,
    /// The request carried an image (a vision call).
    pub vision: bool,
}

struct Shared {
    behaviour: Mutex<Behaviour>,
    requests: Mutex<Vec<Recorded>>,
}

pub struct FakeOpenAi {
    /// What `OPENAI_BASE_URL` should be set to.
    pub base_url: String,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeOpenAi {
    /// Starts the fake on its own thread and runtime, so it keeps answering whatever
    /// the test's runtime is doing.
    pub fn start(behaviour: Behaviour) -> FakeOpenAi {
        let shared = Arc::new(Shared { behaviour: Mutex::new(behaviour), requests: Mutex::new(Vec::new()) });
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = std_listener.local_addr().unwrap_or_else(|e| panic!("local addr: {e}"));
        std_listener.set_nonblocking(true).unwrap_or_else(|e| panic!("nonblocking: {e}"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new().route("/v1/chat/completions", post(completions)).with_state(Arc::clone(&shared));
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("fake runtime: {e}"));
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(std_listener).unwrap_or_else(|e| panic!("listener: {e}"));
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
            // Hanging requests are dropped with the runtime.
            runtime.shutdown_timeout(Duration::from_millis(100));
        });
        FakeOpenAi { base_url: format!("http://{addr}/v1"), shared, shutdown: Some(tx), thread: Some(thread) }
    }

    pub fn set(&self, behaviour: Behaviour) {
        if let Ok(mut b) = self.shared.behaviour.lock() {
            *b = behaviour;
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Requests received so far.
    pub fn calls(&self) -> usize {
        self.shared.requests.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// Chat (non-vision) requests received so far.
    pub fn step_calls(&self) -> usize {
        self.requests().iter().filter(|r| !r.vision).count()
    }
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Hanging handlers would keep graceful shutdown waiting; the thread is detached
        // rather than joined in that case.
        if let Some(thread) = self.thread.take()
            && thread.is_finished()
        {
            let _ = thread.join();
        }
    }
}

async fn completions(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let vision = body.to_string().contains("image_url");
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Ok(mut r) = shared.requests.lock() {
        r.push(Recorded { body: body.clone(), authorization, at: Instant::now(), vision });
    }
    let behaviour = shared.behaviour.lock().map(|b| b.clone()).unwrap_or(Behaviour::Good);
    match behaviour {
        Behaviour::Good => answer(&body, vision),
        Behaviour::Slow(delay) => {
            tokio::time::sleep(delay).await;
            answer(&body, vision)
        }
        Behaviour::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let error = json!({ "error": { "message": "fake failure", "type": "server_error", "code": code } });
            (status, axum::Json(error)).into_response()
        }
        Behaviour::Garbage => completion("Claro, acá van unos pasos: reiniciá todo y listo."),
        Behaviour::Hang => std::future::pending().await,
    }
}

fn answer(body: &Value, vision: bool) -> Response {
    if vision {
        return completion(&json!({ "description": VISION_DESCRIPTION, "errorText": VISION_ERROR }).to_string());
    }
    let english = body["messages"][0]["content"].as_str().is_some_and(|s| s.starts_with("You are"));
    let steps: Vec<String> = if english {
        ["Unplug the device and plug it back in", "Check the cable on both ends", "Try again and tell me"]
            .iter()
            .map(|s| format!("{s} (model)"))
            .collect()
    } else {
        ["Desenchufá el equipo y volvé a enchufarlo", "Revisá el cable en las dos puntas", "Probá de nuevo y contame"]
            .iter()
            .map(|s| format!("{s} {MODEL_MARK}"))
            .collect()
    };
    completion(&json!({ "steps": steps }).to_string())
}

fn completion(content: &str) -> Response {
    axum::Json(json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content },
            "finish_reason": "stop",
        }],
        "usage": { "prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2 },
    }))
    .into_response()
}
