//! `sti serve`: every endpoint on one port, the image worker, the janitor, the
//! ticket-notification deliverer and the count of abandoned cases in-process; graceful
//! shutdown on SIGTERM or Ctrl-C.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::middleware::Next;
use axum::response::Response;
use sti_shared::app::Hosting;
use sti_shared::handlers;
use sti_shared::http::{ClientIp, router};
use sti_shared::services::{janitor, notify, outcomes, worker};
use tokio::sync::{Notify, watch};
use tower::limit::GlobalConcurrencyLimitLayer;

use crate::store::{StoreArgs, open_app, shutdown_signal};

const JANITOR_EVERY: Duration = Duration::from_secs(600);
/// How often cases left at the bot's steps are looked for (an indexed look-up): a case
/// counts as abandoned within a minute of its thirty.
const ABANDONED_EVERY: Duration = Duration::from_secs(60);
/// How often the outbox of ticket notifications is swept (an indexed look-up).
const NOTIFY_EVERY: Duration = Duration::from_secs(1);
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Sets `ClientIp` from the TCP peer for the shared middleware.
async fn client_ip(mut req: Request<Body>, next: Next) -> Response {
    if let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        req.extensions_mut().insert(ClientIp(addr.ip().to_string()));
    }
    next.run(req).await
}

/// How much `sti serve` takes on at once, and how long it waits for it when stopping.
pub struct ServeLimits {
    pub max_in_flight: usize,
    pub drain: Duration,
}

/// Resolves `drain` after shutdown began; never before.
async fn drain_deadline(mut draining: watch::Receiver<bool>, drain: Duration) {
    if draining.wait_for(|started| *started).await.is_err() {
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(drain).await;
}

pub async fn run(addr: SocketAddr, store: &StoreArgs, with_worker: bool, limits: ServeLimits) -> ExitCode {
    let config = match store.config("serve") {
        Ok(c) => c,
        Err(code) => return code,
    };
    let data_dir = config.data_dir.clone();
    let wake = Arc::new(Notify::new());
    let app = match open_app(config, Hosting { work_signal: Some(wake.clone()), ..Hosting::default() }, "serve").await {
        Ok(app) => app,
        Err(code) => return code,
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("sti serve: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let local_addr = listener.local_addr().unwrap_or(addr);
    let (stop_tx, stop_rx) = watch::channel(false);
    let worker_task =
        with_worker.then(|| tokio::spawn(worker::run_queue_worker(app.clone(), wake.clone(), stop_rx.clone())));
    let notify_task = tokio::spawn(notify::deliver::run(app.clone(), NOTIFY_EVERY, stop_rx.clone()));
    let outcomes_task = tokio::spawn(outcomes::run(app.clone(), ABANDONED_EVERY, stop_rx.clone()));
    let janitor_task = tokio::spawn(janitor::run(app.clone(), JANITOR_EVERY, stop_rx));

    let service = router(app, handlers::all())
        // One semaphore for the whole router: a per-route limit would let each route fill up.
        .layer(GlobalConcurrencyLimitLayer::new(limits.max_in_flight))
        .layer(axum::middleware::from_fn(client_ip));
    // Tests and scripts read this line to learn the port.
    println!("sti: listening on http://{local_addr} (data dir {})", data_dir.display());
    tracing::info!(%local_addr, data_dir = %data_dir.display(), with_worker, "serving");
    let (draining_tx, draining) = watch::channel(false);
    let server = axum::serve(listener, service.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = draining_tx.send(true);
        });
    // A slow client must not hold the process forever: in-flight requests get `drain`.
    let served = tokio::select! {
        served = server.into_future() => served,
        () = drain_deadline(draining, limits.drain) => {
            tracing::warn!(drain_secs = limits.drain.as_secs(), "requests still in flight after the drain deadline");
            Ok(())
        }
    };
    tracing::info!("no longer accepting requests; stopping background tasks");
    let _ = stop_tx.send(true);
    for task in worker_task.into_iter().chain([janitor_task, notify_task, outcomes_task]) {
        if tokio::time::timeout(DRAIN_TIMEOUT, task).await.is_err() {
            tracing::warn!("a background task did not stop in time");
        }
    }
    match served {
        Ok(()) => {
            tracing::info!("stopped cleanly");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sti serve: {e}");
            ExitCode::FAILURE
        }
    }
}
