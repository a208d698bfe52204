//! `sti worker`: the image worker alone, until SIGTERM/Ctrl-C.

use std::process::ExitCode;
use std::sync::Arc;

use sti_shared::app::Hosting;
use sti_shared::services::worker::run_queue_worker;
use tokio::sync::{Notify, watch};

use crate::serve::DRAIN_TIMEOUT;
use crate::store::{StoreArgs, open_app, shutdown_signal};

pub async fn run(store: &StoreArgs) -> ExitCode {
    let config = match store.config("worker") {
        Ok(c) => c,
        Err(code) => return code,
    };
    let app = match open_app(config, Hosting::default(), "worker").await {
        Ok(app) => app,
        Err(code) => return code,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let task = tokio::spawn(run_queue_worker(app, Arc::new(Notify::new()), stop_rx));
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
