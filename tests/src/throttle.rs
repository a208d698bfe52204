//! A proxy in front of moto that answers a share of DynamoDB calls the way DynamoDB does
//! when a partition is hot (`ProvisionedThroughputExceededException`, HTTP 400), and
//! passes everything else through: the AWS backend's behaviour under throttling, which
//! moto cannot produce. It also counts every call it passes by operation, with the
//! bytes each sent: what a request costs on AWS.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

struct Shared {
    upstream: String,
    client: reqwest::Client,
    /// Throttle one DynamoDB call in this many (0: none).
    one_in: AtomicUsize,
    calls: AtomicU64,
    throttled: AtomicU64,
    operations: Mutex<BTreeMap<String, Counted>>,
}

/// Calls of one operation and the bytes their requests carried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    pub calls: u64,
    pub request_bytes: u64,
}

pub struct ThrottlingProxy {
    /// What `AWS_ENDPOINT_URL` should be set to.
    pub endpoint: String,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl ThrottlingProxy {
    /// A proxy to `upstream` (moto's endpoint), passing everything through until told to
    /// throttle.
    pub fn start(upstream: &str) -> ThrottlingProxy {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
            one_in: AtomicUsize::new(0),
            calls: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            operations: Mutex::new(BTreeMap::new()),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("local addr: {e}"));
        listener.set_nonblocking(true).unwrap_or_else(|e| panic!("nonblocking: {e}"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new().fallback(forward).with_state(Arc::clone(&shared));
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("proxy runtime: {e}"));
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap_or_else(|e| panic!("listener: {e}"));
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        });
        ThrottlingProxy { endpoint: format!("http://{addr}"), shared, shutdown: Some(tx) }
    }

    /// Throttles one DynamoDB call in `n` from now on (0 stops throttling).
    pub fn throttle_one_in(&self, n: usize) {
        self.shared.one_in.store(n, Ordering::Relaxed);
    }

    /// Every call passed so far by operation (`DynamoDB_20120810.UpdateItem`,
    /// `AmazonSQS.SendMessage`, `S3 PUT`, …), and forgets them: the calls since the last look.
    pub fn take_operations(&self) -> BTreeMap<String, Counted> {
        self.shared.operations.lock().map(|mut ops| std::mem::take(&mut *ops)).unwrap_or_default()
    }

    /// How many DynamoDB calls were answered with throttling so far.
    pub fn throttled(&self) -> u64 {
        self.shared.throttled.load(Ordering::Relaxed)
    }
}

impl Drop for ThrottlingProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn forward(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    let operation = target.map_or_else(|| format!("S3 {method}"), str::to_owned);
    if let Ok(mut ops) = shared.operations.lock() {
        let counted = ops.entry(operation).or_default();
        counted.calls += 1;
        counted.request_bytes += body.len() as u64;
    }
    let dynamodb = target.is_some_and(|t| t.starts_with("DynamoDB_"));
    if dynamodb {
        let n = shared.calls.fetch_add(1, Ordering::Relaxed);
        let one_in = shared.one_in.load(Ordering::Relaxed) as u64;
        if one_in > 0 && n % one_in == 0 {
            shared.throttled.fetch_add(1, Ordering::Relaxed);
            let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#;
            return (StatusCode::BAD_REQUEST, [("content-type", "application/x-amz-json-1.0")], body).into_response();
        }
    }
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut request = shared.client.request(method, format!("{}{path}", shared.upstream)).body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut out = HeaderMap::new();
            for (name, value) in answer.headers() {
                if name != "content-length" && name != "transfer-encoding" {
                    out.insert(name.clone(), value.clone());
                }
            }
            let bytes = answer.bytes().await.unwrap_or_default();
            (status, out, bytes).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}
