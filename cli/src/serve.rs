//! `sti serve`: every endpoint on one port, the embedded backend, the image worker
//! and the janitor in-process; graceful shutdown on SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::middleware::Next;
use axum::response::Response;
use sti_shared::config::{BackendKind, Config, Environment};
use sti_shared::http::{AppState, ClientIp, Endpoint, router};
use sti_shared::services::{janitor, worker};
use tokio::sync::{Notify, watch};

const JANITOR_EVERY: Duration = Duration::from_secs(600);
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

fn init_tracing(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("STI_LOG_FORMAT").map(|f| f == "json").unwrap_or(config.env == Environment::Production);
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour);
    if json {
        builder.json().flatten_event(true).with_current_span(true).init();
    } else {
        builder.compact().init();
    }
}

/// Sets `ClientIp` from the TCP peer for the shared middleware.
async fn client_ip(mut req: Request<Body>, next: Next) -> Response {
    if let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        req.extensions_mut().insert(ClientIp(addr.ip().to_string()));
    }
    next.run(req).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

/// Configuration with the command-line overrides applied, and the backend it names;
/// the error is already printed when this returns `Err` (with the exit code to use).
async fn open(
    data_dir: Option<PathBuf>,
    backend: Option<String>,
    command: &str,
) -> Result<(Config, sti_shared::ports::Backend), ExitCode> {
    let mut config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sti {command}: {e}");
            return Err(ExitCode::from(2));
        }
    };
    if let Some(dir) = data_dir {
        config.data_dir = dir;
    }
    match backend.as_deref() {
        Some("aws") => config.backend = BackendKind::Aws,
        Some("local") => config.backend = BackendKind::Local,
        _ => {}
    }
    init_tracing(&config);
    match sti_shared::backends::connect(&config).await {
        Ok(backend) => Ok((config, backend)),
        Err(e) => {
            match config.backend {
                BackendKind::Local => {
                    eprintln!("sti {command}: cannot open the data dir {}: {e}", config.data_dir.display())
                }
                BackendKind::Aws => eprintln!("sti {command}: cannot reach the AWS backend: {e}"),
            }
            Err(ExitCode::FAILURE)
        }
    }
}

fn with_smart(state: AppState, command: &str) -> Result<AppState, ExitCode> {
    sti_shared::smart::attach(state).map_err(|e| {
        eprintln!("sti {command}: cannot set up smart mode: {e}");
        ExitCode::FAILURE
    })
}

/// `sti smart on|off|status`: the operator's switch, shared by every instance (each
/// rereads it within SMART_FLAG_CACHE_SECS).
pub async fn smart(data_dir: Option<PathBuf>, backend: Option<String>, action: &str) -> ExitCode {
    let (config, backend) = match open(data_dir, backend, "smart").await {
        Ok(v) => v,
        Err(code) => return code,
    };
    use sti_shared::smart::{CIRCUIT_GAUGE, CircuitState, FORCED_OFF_FLAG};
    let counters = &backend.counters;
    let changed = match action {
        "off" => counters.set(FORCED_OFF_FLAG, 1).await,
        "on" => counters.set(FORCED_OFF_FLAG, 0).await,
        _ => Ok(()),
    };
    let forced_off = match changed {
        Ok(()) => counters.get(FORCED_OFF_FLAG).await.map(|v| v.unwrap_or(0) != 0),
        Err(e) => Err(e),
    };
    let forced_off = match forced_off {
        Ok(v) => v,
        Err(e) => {
            eprintln!("sti smart: {e}");
            return ExitCode::FAILURE;
        }
    };
    let circuit = counters.get(CIRCUIT_GAUGE).await.ok().flatten().and_then(CircuitState::from_code);
    println!("smart mode switch: {}", if forced_off { "off (knowledge base only)" } else { "on" });
    println!("circuit last published by the chat instances: {}", circuit.map_or("none yet", CircuitState::as_str));
    if action != "status" {
        println!("instances pick this up within SMART_FLAG_CACHE_SECS (default {} s)", config.openai.flag_cache_secs);
    }
    ExitCode::SUCCESS
}

/// `sti aws bootstrap`: the resources of the SAM template, on an emulator or sandbox.
pub async fn aws_bootstrap(endpoint_url: Option<String>, log_token: Option<String>) -> ExitCode {
    if let Some(url) = endpoint_url {
        // SAFETY of intent: set before any SDK client reads the environment, single-threaded here.
        unsafe { std::env::set_var("AWS_ENDPOINT_URL", url) };
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sti aws bootstrap: {e}");
            return ExitCode::from(2);
        }
    };
    match sti_shared::backends::aws::bootstrap::bootstrap(&config.aws, log_token.as_deref()).await {
        Ok(created) => {
            println!("table            {}", created.table);
            println!("bucket           {}", created.bucket);
            println!("queue            {}", created.queue_url);
            println!("dead-letter      {}", created.dead_letter_queue_url);
            println!("secret           {}", created.secret_id);
            if created.log_token_generated {
                println!(
                    "a LOG_TOKEN was generated and stored in the secret (read it with the Secrets Manager console or CLI)"
                );
            }
            println!(
                "export STI_BACKEND=aws STI_TABLE_NAME={} STI_BUCKET_NAME={} STI_QUEUE_URL={} STI_SECRET_ID={}",
                created.table, created.bucket, created.queue_url, created.secret_id
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sti aws bootstrap: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `sti worker`: the image worker alone, until SIGTERM/Ctrl-C.
pub async fn worker(data_dir: Option<PathBuf>, backend: Option<String>) -> ExitCode {
    let (config, backend) = match open(data_dir, backend, "worker").await {
        Ok(v) => v,
        Err(code) => return code,
    };
    let wake = Arc::new(Notify::new());
    let state = match with_smart(AppState::new(config, backend), "worker") {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let task = tokio::spawn(worker::run_queue_worker(state, wake, stop_rx));
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    match tokio::time::timeout(DRAIN_TIMEOUT, task).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(_) => {
            eprintln!("sti worker: the job in hand did not finish in time");
            ExitCode::FAILURE
        }
    }
}

/// `sti seed`: the demo records the sample events use.
pub async fn seed(data_dir: Option<PathBuf>) -> ExitCode {
    let (config, backend) = match open(data_dir, None, "seed").await {
        Ok(v) => v,
        Err(code) => return code,
    };
    if config.is_production() {
        eprintln!("sti seed: refusing to create demo data in production");
        return ExitCode::from(2);
    }
    let dir = config.data_dir.clone();
    match sti_shared::services::demo::seed(&AppState::new(config, backend)).await {
        Ok(()) => {
            println!(
                "demo data ready in {}: session {}, upload {}, ticket {}",
                dir.display(),
                sti_shared::services::demo::SESSION_ID,
                sti_shared::services::demo::UPLOAD_ID,
                sti_shared::services::demo::TICKET_ID
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sti seed: {e}");
            ExitCode::FAILURE
        }
    }
}

pub async fn run(addr: SocketAddr, data_dir: Option<PathBuf>, backend: Option<String>, with_worker: bool) -> ExitCode {
    let (config, backend) = match open(data_dir, backend, "serve").await {
        Ok(v) => v,
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
    let data_dir = config.data_dir.clone();
    let wake = Arc::new(Notify::new());
    let state = match with_smart(AppState::with_work_signal(config, backend, Some(wake.clone())), "serve") {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let worker_task =
        with_worker.then(|| tokio::spawn(worker::run_queue_worker(state.clone(), wake.clone(), stop_rx.clone())));
    let janitor_task = tokio::spawn(janitor::run(state.clone(), JANITOR_EVERY, stop_rx));

    let app = router(state, &Endpoint::ALL).layer(axum::middleware::from_fn(client_ip));
    // Tests and scripts read this line to learn the port.
    println!("sti: listening on http://{local_addr} (data dir {})", data_dir.display());
    tracing::info!(%local_addr, data_dir = %data_dir.display(), with_worker, "serving");
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await;
    tracing::info!("no longer accepting requests; stopping background tasks");
    let _ = stop_tx.send(true);
    for task in worker_task.into_iter().chain(std::iter::once(janitor_task)) {
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
