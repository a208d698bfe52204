//! A webhook receiver for the tests: a real HTTP server on loopback that records what it
//! gets and answers the statuses it was told to.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub headers: HeaderMap,
    pub body: String,
    pub answered: u16,
}

impl Delivery {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The check a receiver makes: HMAC-SHA256 of "<timestamp>.<body>" with the shared
    /// secret, and a plausible timestamp.
    pub fn signed_with(&self, secret: &str) -> bool {
        let timestamp: i64 = self.header("x-sti-timestamp").parse().unwrap_or(0);
        timestamp > 1_700_000_000
            && self.header("x-sti-signature") == sti_shared::services::notify::signature(secret, timestamp, &self.body)
    }
}

#[derive(Clone, Default)]
pub struct Receiver {
    /// Statuses to answer, in order; 200 once they run out.
    script: Arc<Mutex<Vec<u16>>>,
    got: Arc<Mutex<Vec<Delivery>>>,
}

impl Receiver {
    pub fn answering(script: &[u16]) -> Receiver {
        Receiver { script: Arc::new(Mutex::new(script.to_vec())), ..Receiver::default() }
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.got.lock().map(|g| g.clone()).unwrap_or_default()
    }

    /// Serves on `addr` until the test ends; returns the webhook's URL.
    pub async fn serve(&self, addr: SocketAddr) -> String {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap_or_else(|e| panic!("bind {addr}: {e}"));
        let app = axum::Router::new().route("/hook", post(receive)).with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        hook_url(addr)
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let answered = r.script.lock().ok().and_then(|mut s| (!s.is_empty()).then(|| s.remove(0))).unwrap_or(200);
    let body = String::from_utf8_lossy(&body).into_owned();
    if let Ok(mut got) = r.got.lock() {
        got.push(Delivery { headers, body, answered });
    }
    StatusCode::from_u16(answered).unwrap_or(StatusCode::OK)
}

/// The URL a receiver serving on `addr` answers at (or will, once it serves).
pub fn hook_url(addr: SocketAddr) -> String {
    format!("http://{addr}/hook")
}

/// A loopback port nothing listens on (yet).
pub fn free_port() -> SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    probe.local_addr().unwrap_or_else(|e| panic!("{e}"))
}
