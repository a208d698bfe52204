//! Where a command keeps its data: the backend and the embedded store's directory, on
//! top of the environment's configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use sti_shared::app::{App, Hosting};
use sti_shared::config::{BackendKind, Config, Environment};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BackendArg {
    /// The embedded store: SQLite and a blob folder.
    Local,
    /// DynamoDB, S3, SQS and Secrets Manager.
    Aws,
}

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Data directory of the embedded store [env: STI_DATA_DIR; default: .sti-data]
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Backend [env: STI_BACKEND; default: local]
    #[arg(long, value_enum)]
    backend: Option<BackendArg>,
}

impl StoreArgs {
    /// The environment's configuration with these overrides; logging is set up by then.
    /// An error is printed here; the caller exits with the code returned.
    pub fn config(&self, command: &str) -> Result<Config, ExitCode> {
        let mut config = Config::from_env().map_err(|e| {
            eprintln!("sti {command}: {e}");
            ExitCode::from(2)
        })?;
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        match self.backend {
            Some(BackendArg::Local) => config.backend = BackendKind::Local,
            Some(BackendArg::Aws) => config.backend = BackendKind::Aws,
            None => {}
        }
        init_tracing(&config);
        Ok(config)
    }
}

/// The application over `config`, as every host builds it.
pub async fn open_app(config: Config, hosting: Hosting, command: &str) -> Result<App, ExitCode> {
    App::build(config, hosting).await.map_err(|e| {
        eprintln!("sti {command}: {e}");
        ExitCode::FAILURE
    })
}

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

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
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
