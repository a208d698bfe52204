//! `sti serve`: every endpoint on one port, the image worker, the janitor, the
//! ticket-notification deliverer and the count of abandoned cases in-process; graceful
//! shutdown on SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use sti_shared::app::{Admission, Hosting};
use sti_shared::handlers;
use sti_shared::http::router;
use sti_shared::services::{janitor, notify, outcomes, worker};
use tokio::sync::{Notify, watch};

use crate::listener::{self, ConnectionLimits};
use crate::store::{StoreArgs, open_app, shutdown_signal};

const JANITOR_EVERY: Duration = Duration::from_secs(600);
/// How often cases left at the bot's steps are looked for (an indexed look-up): a case
/// counts as abandoned within a minute of its thirty.
const ABANDONED_EVERY: Duration = Duration::from_secs(60);
/// How often the outbox of ticket notifications is swept (an indexed look-up).
const NOTIFY_EVERY: Duration = Duration::from_secs(1);
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// How much `sti serve` takes on at once, and how long it waits for it when stopping.
pub struct ServeLimits {
    /// Requests handled at once (their bodies already read).
    pub max_in_flight: usize,
    /// Memory for request bodies being read, shared by all of them.
    pub body_buffer_bytes: usize,
    pub connections: ConnectionLimits,
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
    let largest_body = handlers::largest_request_body(&config.limits);
    let admission = Admission::new(limits.max_in_flight, limits.body_buffer_bytes, largest_body);
    let hosting =
        Hosting { work_signal: Some(wake.clone()), admission: Some(Arc::new(admission)), ..Hosting::default() };
    let app = match open_app(config, hosting, "serve").await {
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

    let service = router(app, handlers::all());
    // Tests and scripts read this line to learn the port.
    println!("sti: listening on http://{local_addr} (data dir {})", data_dir.display());
    tracing::info!(%local_addr, data_dir = %data_dir.display(), with_worker, "serving");
    let (draining_tx, draining) = watch::channel(false);
    let server = listener::serve(listener, service, limits.connections, async move {
        shutdown_signal().await;
        let _ = draining_tx.send(true);
    });
    // A slow client must not hold the process forever: in-flight requests get `drain`.
    tokio::select! {
        () = server => {}
        () = drain_deadline(draining, limits.drain) => {
            tracing::warn!(drain_secs = limits.drain.as_secs(), "requests still in flight after the drain deadline");
        }
    }
    tracing::info!("no longer accepting requests; stopping background tasks");
    let _ = stop_tx.send(true);
    for task in worker_task.into_iter().chain([janitor_task, notify_task, outcomes_task]) {
        if tokio::time::timeout(DRAIN_TIMEOUT, task).await.is_err() {
            tracing::warn!("a background task did not stop in time");
        }
    }
    tracing::info!("stopped cleanly");
    ExitCode::SUCCESS
}
