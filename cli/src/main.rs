//! `sti`: the local server, the PII masker and the smoke test.

mod mask;
mod serve;
mod smoke;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "sti", version, about = "STI Chat: tech-support chat back end")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum AwsCommand {
    /// Create the table, bucket, queues (with DLQ), bucket notification and secret that the
    /// SAM template declares, with the same names; on an emulator or a sandbox account.
    Bootstrap {
        /// Endpoint of an emulator such as moto or LocalStack (sets AWS_ENDPOINT_URL).
        #[arg(long)]
        endpoint_url: Option<String>,
        /// LOG_TOKEN to store in the new secret (default: a random one, printed once).
        #[arg(long, env = "LOG_TOKEN")]
        log_token: Option<String>,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Serve every endpoint on one port with the embedded store and the image worker.
    Serve {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
        /// Data directory of the embedded store [env: STI_DATA_DIR; default: .sti-data]
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Do not run the in-process image worker (another process drains the queue).
        #[arg(long)]
        no_worker: bool,
        /// Backend: local (embedded store) or aws [env: STI_BACKEND; default: local]
        #[arg(long, value_parser = ["local", "aws"])]
        backend: Option<String>,
    },
    /// Switch smart mode off (or on again) for every instance, without a deploy; or show
    /// its state.
    Smart {
        #[arg(value_parser = ["on", "off", "status"])]
        action: String,
        /// Data directory of the embedded store [env: STI_DATA_DIR; default: .sti-data]
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Backend: local or aws [env: STI_BACKEND; default: local]
        #[arg(long, value_parser = ["local", "aws"])]
        backend: Option<String>,
    },
    /// Operator commands for the AWS backend.
    Aws {
        #[command(subcommand)]
        command: AwsCommand,
    },
    /// Run the image worker alone: drains the embedded store's queue (for `cargo lambda
    /// watch`) or, with the AWS backend, the SQS queue fed by S3 notifications.
    Worker {
        /// Data directory of the embedded store [env: STI_DATA_DIR; default: .sti-data]
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Backend: local or aws [env: STI_BACKEND; default: local]
        #[arg(long, value_parser = ["local", "aws"])]
        backend: Option<String>,
    },
    /// Create the demo session, upload and ticket that the sample events in `events/`
    /// refer to (development only).
    Seed {
        /// Data directory of the embedded store [env: STI_DATA_DIR; default: .sti-data]
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Mask personal data: reads stdin, writes each line masked to stdout.
    Mask,
    /// Run the production smoke checks against a deployment.
    Smoke {
        /// Base URL of the deployment, e.g. https://chat.example.com
        #[arg(long)]
        base_url: String,
        /// LOG_TOKEN, to check /api/logs with it.
        #[arg(long, env = "STI_SMOKE_LOG_TOKEN")]
        log_token: Option<String>,
        /// Per-request timeout.
        #[arg(long, default_value_t = 10_000)]
        timeout_ms: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Mask => mask::run(),
        Command::Worker { data_dir, backend } => {
            runtime().map_or(ExitCode::FAILURE, |rt| rt.block_on(serve::worker(data_dir, backend)))
        }
        Command::Smart { action, data_dir, backend } => {
            runtime().map_or(ExitCode::FAILURE, |rt| rt.block_on(serve::smart(data_dir, backend, &action)))
        }
        Command::Aws { command: AwsCommand::Bootstrap { endpoint_url, log_token } } => {
            runtime().map_or(ExitCode::FAILURE, |rt| rt.block_on(serve::aws_bootstrap(endpoint_url, log_token)))
        }
        Command::Seed { data_dir } => runtime().map_or(ExitCode::FAILURE, |rt| rt.block_on(serve::seed(data_dir))),
        Command::Serve { addr, data_dir, no_worker, backend } => {
            runtime().map_or(ExitCode::FAILURE, |rt| rt.block_on(serve::run(addr, data_dir, backend, !no_worker)))
        }
        Command::Smoke { base_url, log_token, timeout_ms } => runtime()
            .map_or(ExitCode::FAILURE, |rt| rt.block_on(smoke::run(&base_url, log_token.as_deref(), timeout_ms))),
    }
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("sti: cannot start the async runtime: {e}");
            None
        }
    }
}
