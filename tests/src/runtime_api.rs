//! A Lambda Runtime API emulator, enough to run a real function binary exactly as Lambda
//! does: the binary polls `/invocation/next`, we hand it an event, it posts the result.
//! It also notes when the first poll arrives, which is Lambda's "init duration".

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::{Notify, oneshot};

/// What the function answered to one invocation.
#[derive(Debug)]
pub enum Outcome {
    Response(Value),
    Error(String),
}

#[derive(Default)]
struct Inner {
    queue: Mutex<VecDeque<(String, Value)>>,
    ready: Notify,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    first_poll: Mutex<Option<Instant>>,
    init_error: Mutex<Option<String>>,
}

#[derive(Clone)]
pub struct RuntimeApi {
    pub addr: String,
    inner: Arc<Inner>,
}

async fn next(State(inner): State<Arc<Inner>>) -> Response {
    if let Ok(mut first) = inner.first_poll.lock()
        && first.is_none()
    {
        *first = Some(Instant::now());
    }
    loop {
        let notified = inner.ready.notified();
        let item = inner.queue.lock().ok().and_then(|mut q| q.pop_front());
        if let Some((id, event)) = item {
            let deadline = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() + 30_000).unwrap_or(0);
            let mut headers = HeaderMap::new();
            let mut put = |name: &'static str, value: String| {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    headers.insert(name, v);
                }
            };
            put("lambda-runtime-aws-request-id", id);
            put("lambda-runtime-deadline-ms", deadline.to_string());
            put("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:123456789012:function:test".into());
            put(
                "lambda-runtime-trace-id",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".into(),
            );
            return (StatusCode::OK, headers, event.to_string()).into_response();
        }
        notified.await;
    }
}

async fn respond(State(inner): State<Arc<Inner>>, UrlPath(id): UrlPath<String>, body: Bytes) -> StatusCode {
    let outcome = match serde_json::from_slice(&body) {
        Ok(v) => Outcome::Response(v),
        Err(_) => Outcome::Response(Value::String(String::from_utf8_lossy(&body).into_owned())),
    };
    deliver(&inner, &id, outcome)
}

async fn fail(State(inner): State<Arc<Inner>>, UrlPath(id): UrlPath<String>, body: Bytes) -> StatusCode {
    deliver(&inner, &id, Outcome::Error(String::from_utf8_lossy(&body).into_owned()))
}

fn deliver(inner: &Inner, id: &str, outcome: Outcome) -> StatusCode {
    match inner.waiting.lock().ok().and_then(|mut w| w.remove(id)) {
        Some(tx) => {
            let _ = tx.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::NOT_FOUND,
    }
}

async fn init_error(State(inner): State<Arc<Inner>>, body: Bytes) -> StatusCode {
    if let Ok(mut e) = inner.init_error.lock() {
        *e = Some(String::from_utf8_lossy(&body).into_owned());
    }
    StatusCode::ACCEPTED
}

/// Starts the workspace binary `function` with `env` under a fresh Runtime API, hands it
/// `event` once and returns its answer (a failed invocation fails the test).
pub async fn invoke_once(function: &str, env: &[(&str, &str)], event: Value) -> Value {
    let api = RuntimeApi::start().await;
    let mut child = api.spawn(&crate::workspace_bin(function), function, env);
    let outcome = api.invoke(&format!("req-{function}-once"), event, Duration::from_secs(30)).await;
    let _ = child.kill();
    let _ = child.wait();
    match outcome {
        Outcome::Response(v) => v,
        Outcome::Error(e) => panic!("{function}: {e}"),
    }
}

impl RuntimeApi {
    pub async fn start() -> RuntimeApi {
        let inner = Arc::new(Inner::default());
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(respond))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_else(|e| panic!("addr: {e}"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        RuntimeApi { addr, inner }
    }

    /// Starts a function binary against this API, with `env` on top of a minimal
    /// Lambda-like environment.
    pub fn spawn(&self, binary: &Path, function_name: &str, env: &[(&str, &str)]) -> Child {
        let mut cmd = Command::new(binary);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", &self.addr)
            .env("AWS_LAMBDA_FUNCTION_NAME", function_name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/22/[$LATEST]0123456789abcdef")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{function_name}"))
            .env("AWS_REGION", "us-east-1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()))
    }

    /// Hands `event` to the function and waits for its answer.
    pub async fn invoke(&self, request_id: &str, event: Value, timeout: Duration) -> Outcome {
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.inner.waiting.lock() {
            w.insert(request_id.to_owned(), tx);
        }
        if let Ok(mut q) = self.inner.queue.lock() {
            q.push_back((request_id.to_owned(), event));
        }
        self.inner.ready.notify_waiters();
        self.inner.ready.notify_one();
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Outcome::Error("the runtime API dropped the invocation".into()),
            Err(_) => Outcome::Error(format!(
                "no answer within {timeout:?}; init error: {:?}",
                self.inner.init_error.lock().ok().and_then(|e| e.clone())
            )),
        }
    }

    /// When the function first asked for work (the end of its init), if it has.
    pub fn first_poll(&self) -> Option<Instant> {
        self.inner.first_poll.lock().ok().and_then(|p| *p)
    }

    pub fn init_error(&self) -> Option<String> {
        self.inner.init_error.lock().ok().and_then(|e| e.clone())
    }
}

/// The AWS environment of the functions, on resources `sti aws bootstrap` made on moto.
pub fn aws_function_environment(bin_dir: &std::path::Path, moto: &crate::moto::Moto) -> Vec<(String, String)> {
    let table = crate::moto::Moto::unique("functions");
    let mut env: Vec<(String, String)> = [
        ("STI_BACKEND", "aws".to_owned()),
        ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("STI_TABLE_NAME", table.clone()),
        ("STI_BUCKET_NAME", table.to_lowercase()),
        ("STI_QUEUE_NAME", table.clone()),
        ("STI_SECRET_ID", format!("{table}/app")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let out = Command::new(bin_dir.join("sti"))
        .args(["aws", "bootstrap", "--endpoint-url", &moto.endpoint])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output();
    let printed = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => panic!("sti aws bootstrap failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => panic!("sti aws bootstrap: {e}"),
    };
    // The template sets the queue URL, so that no function looks it up during its init.
    if let Some(url) = printed.lines().find_map(|l| l.strip_prefix("queue").map(|u| u.trim().to_owned())) {
        env.push(("STI_QUEUE_URL".to_owned(), url));
    }
    env
}
