//! Cold-start benchmark of the Lambda functions: for each binary, the time from process
//! start to its first poll of the Runtime API (Lambda's "init duration"), the peak RSS
//! after answering its sample event, and the binary size (plus the arm64 build's size
//! when given).
//!
//! ```sh
//! cargo build --release --workspace --bins
//! cargo lambda build --release --arm64          # optional, for the arm64 sizes
//! cargo run -p sti-e2e --bin coldstart --release -- \
//!     --bin-dir ~/.cache/sti-target/release --arm64-dir ~/.cache/sti-target/lambda --runs 10
//! ```
//!
//! With `--aws` the functions run on the AWS backend against moto (from `.venv`), with the
//! environment the SAM template gives them: the init then includes building the SDK
//! clients, as in Lambda.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use sti_e2e::repo_root;
use sti_e2e::runtime_api::{Outcome, RuntimeApi, aws_function_environment};

const FUNCTIONS: &[(&str, &str)] = &[
    ("health", "health"),
    ("greeting", "greeting"),
    ("session-validate", "session-validate"),
    ("chat", "chat"),
    ("upload-image", "upload-image"),
    ("upload-status", "upload-status"),
    ("whatsapp-ticket", "whatsapp-ticket"),
    ("ticket", "ticket"),
    ("logs", "logs"),
    ("metrics", "metrics"),
    ("session-data", "session-data"),
    ("image-worker", "image-worker"),
];

struct Args {
    bin_dir: PathBuf,
    arm64_dir: Option<PathBuf>,
    runs: usize,
    aws: bool,
}

fn args() -> Args {
    let mut bin_dir = None;
    let mut arm64_dir = None;
    let mut runs = 10;
    let mut aws = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bin-dir" => bin_dir = it.next().map(PathBuf::from),
            "--arm64-dir" => arm64_dir = it.next().map(PathBuf::from),
            "--runs" => runs = it.next().and_then(|n| n.parse().ok()).unwrap_or(runs),
            "--aws" => aws = true,
            other => {
                eprintln!(
                    "unknown argument {other}; usage: coldstart --bin-dir DIR [--arm64-dir DIR] [--runs N] [--aws]"
                );
                std::process::exit(2);
            }
        }
    }
    let bin_dir = bin_dir.unwrap_or_else(|| {
        let target =
            std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| repo_root().join("target"));
        target.join("release")
    });
    Args { bin_dir, arm64_dir, runs, aws }
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}

fn size_mb(path: &std::path::Path) -> Option<f64> {
    std::fs::metadata(path).ok().map(|m| m.len() as f64 / (1024.0 * 1024.0))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = args();
    let moto = args.aws.then(sti_e2e::moto::Moto::start);
    let aws_env = moto.as_ref().map(|m| aws_function_environment(&args.bin_dir, m)).unwrap_or_default();
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let seeded = Command::new(args.bin_dir.join("sti")).args(["seed", "--data-dir"]).arg(data.path()).output();
    if !seeded.is_ok_and(|o| o.status.success()) {
        eprintln!("could not seed demo data with {}/sti (build it with --release first)", args.bin_dir.display());
        std::process::exit(1);
    }
    let data_path = data.path().to_string_lossy().into_owned();
    println!("| function | init p50 (ms) | init max (ms) | peak RSS (MB) | x86_64 size (MB) | arm64 size (MB) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (function, event_name) in FUNCTIONS {
        let binary = args.bin_dir.join(function);
        if !binary.exists() {
            println!("| {function} | missing: {} | | | | |", binary.display());
            continue;
        }
        let event: Value = std::fs::read_to_string(repo_root().join("events").join(format!("{event_name}.json")))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        let mut inits = Vec::new();
        let mut rss = 0u64;
        for run in 0..args.runs {
            let api = RuntimeApi::start().await;
            let started = Instant::now();
            let mut env = vec![("STI_DATA_DIR", data_path.as_str()), ("RUST_LOG", "warn")];
            env.extend(aws_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let mut child = api.spawn(&binary, function, &env);
            let deadline = Instant::now() + Duration::from_secs(10);
            while api.first_poll().is_none() && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            if let Some(first) = api.first_poll() {
                inits.push(first.duration_since(started).as_secs_f64() * 1000.0);
            }
            if let Outcome::Error(e) = api.invoke(&format!("bench-{run}"), event.clone(), Duration::from_secs(20)).await
            {
                eprintln!("{function}: {e}");
            }
            rss = rss.max(peak_rss_kb(child.id()).unwrap_or(0));
            let _ = child.kill();
            let _ = child.wait();
        }
        let arm64 = args
            .arm64_dir
            .as_ref()
            .and_then(|d| size_mb(&d.join(function).join("bootstrap")))
            .map(|s| format!("{s:.2}"))
            .unwrap_or_else(|| "—".into());
        println!(
            "| {function} | {:.1} | {:.1} | {:.1} | {:.2} | {arm64} |",
            median(inits.clone()),
            inits.iter().copied().fold(0.0, f64::max),
            rss as f64 / 1024.0,
            size_mb(&binary).unwrap_or(0.0),
        );
    }
}
