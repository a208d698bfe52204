//! `sti`: the local server, the image worker, operator commands, the PII masker and the
//! smoke test. One file per command.

mod aws;
mod backup;
mod listener;
mod mask;
mod report;
mod seed;
mod serve;
mod smart;
mod smoke;
mod store;
mod worker;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::smart::Switch;
use crate::store::StoreArgs;

/// `sti serve` allocates and frees small buffers on every request across threads; mimalloc
/// does that with less work than glibc's allocator (measured with scripts/chat-throughput).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "sti", version, about = "STI Chat: tech-support chat back end")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every endpoint on one port with the embedded store and the image worker.
    Serve {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
        #[command(flatten)]
        store: StoreArgs,
        /// Do not run the in-process image worker (another process drains the queue).
        #[arg(long)]
        no_worker: bool,
        /// Requests handled at once; more wait for a slot. A request takes its slot once its
        /// body has arrived, so a slow sender never holds one.
        #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
        max_in_flight: u32,
        /// Memory for request bodies still arriving, shared by all of them (MiB); a body
        /// holds only what it has sent, and waits (against its pace) when this is full.
        #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(8..))]
        body_buffer_mib: u32,
        /// Seconds a connection has to send a request's headers (and a kept-alive one to
        /// start its next request) before it is closed.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
        header_timeout_secs: u64,
        /// Connections one client address may hold open at once; more are closed when
        /// accepted.
        #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..))]
        max_connections_per_ip: u32,
        /// After SIGTERM, how long in-flight requests may take to finish before the
        /// process stops anyway (seconds).
        #[arg(long, default_value_t = 30)]
        drain_secs: u64,
    },
    /// Run the image worker alone: drains the embedded store's queue (for `cargo lambda
    /// watch`) or, with the AWS backend, the SQS queue fed by S3 notifications.
    Worker {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Switch smart mode off (or on again) for every instance, without a deploy; or show
    /// its state.
    Smart {
        #[arg(value_enum)]
        switch: Switch,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// How cases ended (by category and outcome), the visitors' ratings and the tickets
    /// over the last days, from the store.
    Report {
        /// The period, today included: "7d", "30d", "48h" (whole UTC days, rounded up).
        #[arg(long, default_value = "7d")]
        since: String,
        /// Print JSON (the `/api/metrics` shapes) instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Operator commands for the AWS backend.
    Aws {
        #[command(subcommand)]
        command: AwsCommand,
    },
    /// Create the demo session, upload and ticket that the sample events in `events/`
    /// refer to (development only).
    Seed {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Back up the embedded store (database and the images it refers to) to one file,
    /// consistent as of one instant, while it serves.
    Backup {
        /// Data directory of the store [default: STI_DATA_DIR or .sti-data]
        #[arg(long, env = "STI_DATA_DIR", default_value = ".sti-data")]
        data_dir: std::path::PathBuf,
        /// The backup file to write (must not exist).
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Restore a backup made by `sti backup` into an empty data directory.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: std::path::PathBuf,
        /// The data directory to create the store in (must hold no store).
        #[arg(long)]
        data_dir: std::path::PathBuf,
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

#[derive(Subcommand)]
enum AwsCommand {
    /// Create the table, bucket, queues (with DLQ), bucket notification and secret that the
    /// SAM template declares, with the same names; on an emulator or a sandbox account.
    Bootstrap {
        /// Endpoint of an emulator such as moto or LocalStack (default: AWS_ENDPOINT_URL).
        #[arg(long)]
        endpoint_url: Option<String>,
        /// LOG_TOKEN to store in the new secret (default: a random one, printed once).
        #[arg(long, env = "LOG_TOKEN")]
        log_token: Option<String>,
    },
    /// Restore drill: the table (STI_TABLE_NAME) restored to its latest restorable time
    /// into a new table, checked (item counts, a known session, TTL on), and the commands
    /// to move the stack onto it printed. Never touches the source table.
    RestoreDrill {
        /// Endpoint of an emulator (default: AWS_ENDPOINT_URL, else AWS itself).
        #[arg(long)]
        endpoint_url: Option<String>,
        /// Name of the new table (must not exist).
        #[arg(long)]
        target_table: String,
        /// A session id known to be in the table, to look for in the restored one.
        #[arg(long)]
        session: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Serve {
            addr,
            store,
            no_worker,
            max_in_flight,
            body_buffer_mib,
            header_timeout_secs,
            max_connections_per_ip,
            drain_secs,
        } => {
            let limits = serve::ServeLimits {
                max_in_flight: max_in_flight as usize,
                body_buffer_bytes: body_buffer_mib as usize * 1024 * 1024,
                connections: listener::ConnectionLimits::new(
                    Duration::from_secs(header_timeout_secs),
                    max_connections_per_ip as usize,
                ),
                drain: Duration::from_secs(drain_secs),
            };
            serve::run(addr, &store, !no_worker, limits).await
        }
        Command::Worker { store } => worker::run(&store).await,
        Command::Smart { switch, store } => smart::run(switch, &store).await,
        Command::Aws { command: AwsCommand::Bootstrap { endpoint_url, log_token } } => {
            aws::bootstrap(endpoint_url.as_deref(), log_token.as_deref()).await
        }
        Command::Aws { command: AwsCommand::RestoreDrill { endpoint_url, target_table, session } } => {
            aws::restore_drill(endpoint_url.as_deref(), &target_table, &session).await
        }
        Command::Seed { store } => seed::run(&store).await,
        Command::Report { since, json, store } => report::run(&since, json, &store).await,
        Command::Backup { data_dir, out } => backup::backup(&data_dir, &out),
        Command::Restore { from, data_dir } => backup::restore(&from, &data_dir),
        Command::Mask => mask::run(),
        Command::Smoke { base_url, log_token, timeout_ms } => {
            smoke::run(&base_url, log_token.as_deref(), timeout_ms).await
        }
    }
}
