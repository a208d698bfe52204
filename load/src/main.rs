//! `sti-load`: the production checklist's load scenarios on goose, against any base URL
//! (`sti serve`, `cargo lambda watch`, a deployed stage), always bounded by `--duration`.
//!
//! - `A`: mixed chat traffic at a target rate (default 50 req/s);
//! - `B`: 100 visitors, each from its own loopback address, uploading an image at 3/min
//!   and following it to `done`; every accepted upload must be processed exactly once;
//! - `soak`: A at a rate for a long time with the server's RSS and CPU sampled each second.
//!
//! Writes goose's HTML report and our `summary.html` (figures and SVG plots) into
//! `--report-dir`, and exits non-zero when a check fails (errors, p95 over the SLO, an
//! upload lost or processed twice, RSS growing by 10 % or more during a soak).

mod record;
mod report;
mod sampler;
mod scenarios;
mod warm;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use clap::{Parser, ValueEnum};
use goose::config::GooseConfiguration;
use goose::prelude::*;

use crate::record::Recorder;
use crate::sampler::Sampler;
use crate::scenarios::{Shared, conversation, own_address, prepare, reads, upload_and_follow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    #[value(name = "A")]
    A,
    #[value(name = "B")]
    B,
    #[value(name = "soak")]
    Soak,
}

#[derive(Parser)]
#[command(name = "sti-load", about = "STI Chat load tests (goose): scenarios A, B and soak")]
struct Cli {
    #[arg(value_enum)]
    scenario: Which,
    /// Base URL of the system under test.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    base_url: String,
    /// Target requests per second (A and soak).
    #[arg(long, default_value_t = 50)]
    rate: u64,
    /// How long to run: 10s, 5m, 15m, 1h.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    duration: Duration,
    /// Simulated users (default: rate/10, at least 8, for A and soak; 100 for B).
    #[arg(long)]
    users: Option<usize>,
    /// Where the reports go.
    #[arg(long, default_value = "load-report")]
    report_dir: PathBuf,
    /// The server's process id, to sample its RSS and CPU from /proc (local targets).
    #[arg(long)]
    pid: Option<u32>,
    /// The base URL is `cargo lambda watch`'s: requests go to `/lambda-url/<function>/…`, and
    /// each function is touched once before the run so its cold start is not in the figures.
    #[arg(long)]
    lambda_watch: bool,
    /// LOG_TOKEN, for /api/metrics on a production-mode target.
    #[arg(long, env = "STI_LOAD_LOG_TOKEN")]
    log_token: Option<String>,
    /// The latency SLO: p95 must stay under this many milliseconds.
    #[arg(long, default_value_t = 2_000.0)]
    p95_limit_ms: f64,
    /// The share of failed requests tolerated (0.005 = the rollback criterion's 0.5 %).
    #[arg(long, default_value_t = 0.0)]
    max_error_rate: f64,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (number, unit) = s.trim().split_at(s.trim().find(|c: char| !c.is_ascii_digit()).unwrap_or(s.trim().len()));
    let n: u64 = number.parse().map_err(|_| format!("{s:?}: a duration like 10s, 5m or 1h"))?;
    let seconds = match unit {
        "s" | "" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("{s:?}: a duration like 10s, 5m or 1h")),
    };
    (seconds > 0).then_some(Duration::from_secs(seconds)).ok_or_else(|| "the duration must be positive".into())
}

/// The demo screenshot of the product, for scenario B and the readers' upload.
const IMAGE: &[u8] = include_bytes!("../../shared/src/services/demo.png");

async fn metrics_processed(base: &str, token: Option<&str>, lambda_watch: bool) -> Option<i64> {
    let client = reqwest::Client::new();
    let mut request =
        client.get(format!("{base}{}", if lambda_watch { "/lambda-url/metrics/api/metrics" } else { "/api/metrics" }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let body: serde_json::Value = request.send().await.ok()?.json().await.ok()?;
    body["uploads"]["processed"].as_i64()
}

fn goose_setup(cli: &Cli, users: usize, report: &std::path::Path) -> Result<GooseAttack, GooseError> {
    let mut attack = GooseAttack::initialize_with_config(GooseConfiguration::default())?;
    let goose_report = report.join("goose-report.html");
    attack = *attack
        .set_default(GooseDefault::Host, cli.base_url.as_str())?
        .set_default(GooseDefault::Users, users)?
        .set_default(GooseDefault::IncreaseRate, "20")?
        .set_default(GooseDefault::RunTime, usize::try_from(cli.duration.as_secs()).unwrap_or(usize::MAX))?
        .set_default(GooseDefault::ReportFile, goose_report.to_string_lossy().as_ref())?
        .set_default(GooseDefault::NoResetMetrics, true)?
        .set_default(GooseDefault::Quiet, 1)?
        .set_default(GooseDefault::NoTelnet, true)?;
    Ok(attack)
}

fn register(attack: GooseAttack, which: Which, rate: u64) -> Result<GooseAttack, GooseError> {
    Ok(match which {
        Which::A | Which::Soak => attack
            .set_default(GooseDefault::ThrottleRequests, usize::try_from(rate).unwrap_or(usize::MAX))?
            .test_start(transaction!(prepare))
            .register_scenario(scenario!("visitor").set_weight(9)?.register_transaction(transaction!(conversation)))
            .register_scenario(scenario!("reader").set_weight(1)?.register_transaction(transaction!(reads))),
        Which::B => attack.register_scenario(
            scenario!("uploader")
                .set_wait_time(Duration::from_secs(20), Duration::from_secs(20))?
                .register_transaction(transaction!(own_address).set_on_start())
                .register_transaction(transaction!(upload_and_follow)),
        ),
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    if let Err(e) = std::fs::create_dir_all(&cli.report_dir) {
        eprintln!("sti-load: cannot create {}: {e}", cli.report_dir.display());
        return ExitCode::from(2);
    }
    let users = cli.users.unwrap_or(match cli.scenario {
        Which::B => 100,
        _ => usize::try_from(cli.rate / 10).unwrap_or(8).max(8),
    });
    let recorder = Arc::new(Recorder::new());
    scenarios::install(Shared {
        recorder: Arc::clone(&recorder),
        lambda_watch: cli.lambda_watch,
        log_token: cli.log_token.clone(),
        known_upload: OnceLock::new(),
        image: IMAGE.to_vec(),
    });
    if cli.lambda_watch {
        match warm::cold_starts(&cli.base_url, warm::paths(cli.scenario == Which::B)).await {
            Ok(took) => {
                let listed: Vec<String> =
                    took.iter().map(|(target, d)| format!("{target} {:.1} s", d.as_secs_f64())).collect();
                println!("cold starts (not in the figures): {}", listed.join(", "));
            }
            Err(e) => {
                eprintln!("sti-load: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let processed_before = metrics_processed(&cli.base_url, cli.log_token.as_deref(), cli.lambda_watch).await;
    let sampler = cli.pid.and_then(Sampler::start);
    if cli.pid.is_some() && sampler.is_none() {
        eprintln!("sti-load: no process {:?} to sample", cli.pid);
    }
    let attack = match goose_setup(&cli, users, &cli.report_dir).and_then(|a| register(a, cli.scenario, cli.rate)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("sti-load: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = attack.execute().await {
        eprintln!("sti-load: the load test failed to run: {e}");
        return ExitCode::FAILURE;
    }
    let seconds = recorder.since_start();
    let process = sampler.map(Sampler::finish).unwrap_or_default();
    let samples = recorder.samples();
    let uploads = recorder.uploads();
    let figures = report::Figures {
        rate_limited: recorder.rate_limited_count(),
        ..report::figures(&samples, &process, &uploads, seconds)
    };

    let mut verdict = vec![
        (
            format!("errors {:.3} % ≤ {:.3} %", figures.error_share() * 100.0, cli.max_error_rate * 100.0),
            figures.error_share() <= cli.max_error_rate,
        ),
        (format!("p95 {:.1} ms < {:.0} ms", figures.p95, cli.p95_limit_ms), figures.p95 < cli.p95_limit_ms),
        ("requests were made".to_owned(), figures.requests > 0),
    ];
    if cli.scenario == Which::B {
        let ids: Vec<&String> = uploads.iter().filter_map(|u| u.upload_id.as_ref()).collect();
        let distinct: std::collections::BTreeSet<&String> = ids.iter().copied().collect();
        verdict.push((
            format!("every accepted upload done ({} of {})", figures.uploads_done, figures.uploads_accepted),
            figures.uploads_done == figures.uploads_accepted && figures.uploads_accepted > 0,
        ));
        verdict.push(("no upload id twice".to_owned(), distinct.len() == ids.len()));
        // Each visitor waits 20 s between uploads: exactly the per-address limit of 3 a
        // minute, which an exact limiter never refuses.
        verdict.push((
            format!("no visitor at the per-address limit refused ({} × 429)", figures.rate_limited),
            figures.rate_limited == 0,
        ));
        let processed_after = metrics_processed(&cli.base_url, cli.log_token.as_deref(), cli.lambda_watch).await;
        // The readers' own upload is not B's; B registers no reader.
        if let (Some(before), Some(after)) = (processed_before, processed_after) {
            let delta = after - before;
            verdict.push((
                format!("processed exactly once: metrics +{delta} for {} accepted", figures.uploads_accepted),
                delta == figures.uploads_accepted as i64,
            ));
        }
    }
    if cli.scenario == Which::Soak {
        match figures.rss_growth() {
            Some(growth) => {
                verdict.push((format!("RSS growth after warm-up {:+.1} % < 10 %", growth * 100.0), growth < 0.10))
            }
            None => verdict.push(("RSS sampled (pass --pid)".to_owned(), false)),
        }
    }
    let scenario = match cli.scenario {
        Which::A => format!("A — mixed chat traffic at {} req/s", cli.rate),
        Which::B => format!("B — {users} visitors uploading at 3/min each, own source IPs"),
        Which::Soak => format!("soak — A at {} req/s for {} s", cli.rate, cli.duration.as_secs()),
    };
    let run = report::Run {
        scenario: &scenario,
        command: &command,
        base_url: &cli.base_url,
        target_rate: (cli.scenario != Which::B).then_some(cli.rate),
        users,
        verdict: &verdict,
    };
    if let Err(e) = report::write(&cli.report_dir, &run, &figures, &samples, &process) {
        eprintln!("sti-load: cannot write the report: {e}");
        return ExitCode::FAILURE;
    }
    println!(
        "{scenario}: {} requests in {:.0} s ({:.1}/s), {} errors, p50 {:.1} ms p95 {:.1} ms p99 {:.1} ms",
        figures.requests,
        figures.seconds,
        figures.rate(),
        figures.errors,
        figures.p50,
        figures.p95,
        figures.p99
    );
    for (check, ok) in &verdict {
        println!("  {} {check}", if *ok { "PASS" } else { "FAIL" });
    }
    println!("report: {}", cli.report_dir.join("summary.html").display());
    if verdict.iter().all(|(_, ok)| *ok) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s").map(|d| d.as_secs()), Ok(10));
        assert_eq!(parse_duration("5m").map(|d| d.as_secs()), Ok(300));
        assert_eq!(parse_duration("1h").map(|d| d.as_secs()), Ok(3600));
        assert!(parse_duration("0s").is_err() && parse_duration("fast").is_err() && parse_duration("5d").is_err());
    }
}
