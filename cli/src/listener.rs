//! `sti serve`'s connections, accepted by hand so that a slow or greedy client cannot
//! starve the rest: HTTP/1.1 by hyper with a header read timeout (it also closes a
//! keep-alive connection that stays silent that long), at most `per_ip` connections per
//! client address and `total` in all, kept under the process's open-file limit. A
//! connection over either cap is closed as soon as it is accepted, so the listen queue
//! never fills with connections nobody will serve.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use sti_shared::http::ClientIp;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// File descriptors kept for everything but client connections (the store, blobs, logs).
const RESERVED_FILES: usize = 128;

#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub header_read_timeout: Duration,
    pub per_ip: usize,
    pub total: usize,
}

impl ConnectionLimits {
    /// `total` from the open-file limit, less what the rest of the process needs.
    pub fn new(header_read_timeout: Duration, per_ip: usize) -> ConnectionLimits {
        let files = open_file_limit().unwrap_or(1024);
        ConnectionLimits { header_read_timeout, per_ip, total: files.saturating_sub(RESERVED_FILES).max(64) }
    }
}

/// The soft limit on open files (Linux; `None` elsewhere).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Open connections, per client address and in all.
#[derive(Default)]
struct Open {
    counts: Mutex<Counts>,
    refused: AtomicU64,
    last_warned: Mutex<Option<std::time::Instant>>,
}

#[derive(Default)]
struct Counts {
    per_ip: HashMap<IpAddr, usize>,
    total: usize,
}

/// One admitted connection; gives its place back when dropped.
struct Place {
    open: Arc<Open>,
    ip: IpAddr,
}

impl Open {
    fn admit(self: &Arc<Self>, ip: IpAddr, limits: ConnectionLimits) -> Option<Place> {
        let mut counts = self.counts.lock().ok()?;
        let (mine, total) = (counts.per_ip.get(&ip).copied().unwrap_or(0), counts.total);
        if mine >= limits.per_ip || total >= limits.total {
            drop(counts);
            self.refused_one(ip, mine, total);
            return None;
        }
        counts.per_ip.insert(ip, mine + 1);
        counts.total += 1;
        Some(Place { open: Arc::clone(self), ip })
    }

    /// Counted always, logged at most once a second: a flood must not flood the log.
    fn refused_one(&self, ip: IpAddr, from_ip: usize, total: usize) {
        let refused = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
        let Ok(mut last) = self.last_warned.lock() else { return };
        if last.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
            *last = Some(std::time::Instant::now());
            // A public address is personal data: the line says how many, not whose.
            let ip = sti_shared::pii::ip::loggable(ip);
            tracing::warn!(%ip, from_ip, total, refused, "connection closed: over the connection caps");
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.open.counts.lock() {
            counts.total = counts.total.saturating_sub(1);
            if let Some(n) = counts.per_ip.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    counts.per_ip.remove(&self.ip);
                }
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open requests finish
/// (idle keep-alive connections close at once) and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(Open::default());
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of files or memory for a moment: wait instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(place) = open.admit(peer.ip(), limits) else { continue };
        let connection = http.serve_connection(TokioIo::new(nodelay(stream)), service(router.clone(), peer));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended");
            }
            drop(place);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

fn nodelay(stream: TcpStream) -> TcpStream {
    let _ = stream.set_nodelay(true);
    stream
}

/// The router for one connection's requests, each told the peer's address.
fn service(
    router: Router,
    peer: SocketAddr,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<axum::response::Response, std::convert::Infallible>> + Send,
> + Clone {
    let ip = ClientIp(peer.ip().to_string());
    hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(ip.clone());
        router.clone().oneshot(req)
    })
}
