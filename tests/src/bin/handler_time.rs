//! How long the Lambda functions of a conversation run, warm, as Lambda bills them: each
//! function is one process under a Runtime API (`sti_e2e::runtime_api`), as one warm
//! instance, and the harness plays whole conversations through them — a greeting, the
//! seven messages of `scripts/throughput/messages.txt`, a WhatsApp ticket in one
//! conversation of five — timing every invocation from hand-over to answer. The figures
//! feed `docs/cost.md`.
//!
//! ```sh
//! cargo build --release --workspace --bins
//! cargo run -p sti-e2e --bin handler_time --release -- --aws --conversations 30
//! ```
//!
//! With `--aws` the functions use the AWS backend on moto (from `.venv`), so a turn's time
//! includes its DynamoDB round trips to an emulator on loopback; without it, the embedded
//! store.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sti_e2e::runtime_api::{Outcome, RuntimeApi, aws_function_environment};
use sti_e2e::{repo_root, sample_event};

/// The conversation of the throughput workload, one message a line.
fn messages() -> Vec<String> {
    let path = repo_root().join("scripts/throughput/messages.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().filter(|line| !line.is_empty()).map(str::to_owned).collect()
}
const TICKET_EVERY: usize = 5;
/// Limits high enough that every invocation of the run is served.
const RAISED: &[(&str, &str)] = &[
    ("RATE_LIMIT_CHAT_PER_MIN_IP", "1000000"),
    ("RATE_LIMIT_CHAT_PER_MIN_SESSION", "1000000"),
    ("RATE_LIMIT_GREETING_PER_MIN", "1000000"),
    ("RATE_LIMIT_TICKET_PER_MIN_IP", "1000000"),
];

struct Args {
    bin_dir: PathBuf,
    conversations: usize,
    aws: bool,
}

fn args() -> Args {
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| repo_root().join("target"));
    let mut parsed = Args { bin_dir: target.join("release"), conversations: 30, aws: false };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bin-dir" => parsed.bin_dir = it.next().map(PathBuf::from).unwrap_or(parsed.bin_dir),
            "--conversations" => {
                parsed.conversations = it.next().and_then(|n| n.parse().ok()).unwrap_or(parsed.conversations)
            }
            "--aws" => parsed.aws = true,
            other => {
                eprintln!("unknown argument {other}; usage: handler_time [--bin-dir DIR] [--conversations N] [--aws]");
                std::process::exit(2);
            }
        }
    }
    parsed
}

/// One warm function instance.
struct Warm {
    api: RuntimeApi,
    child: std::process::Child,
    invocations: usize,
    times_ms: Vec<f64>,
}

impl Warm {
    async fn start(bin_dir: &std::path::Path, function: &str, env: &[(&str, &str)]) -> Warm {
        let api = RuntimeApi::start().await;
        let mut child = api.spawn(&bin_dir.join(function), function, env);
        // A function writes a log line or two per invocation: drained, they never fill the pipe.
        if let Some(mut out) = child.stdout.take() {
            std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        }
        if let Some(mut err) = child.stderr.take() {
            std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        }
        Warm { api, child, invocations: 0, times_ms: Vec::new() }
    }

    /// Invokes the function with its sample event carrying `body`; returns the answer's body.
    async fn call(&mut self, function: &str, body: Value) -> Value {
        let mut event = sample_event(function);
        event["body"] = Value::String(body.to_string());
        self.invocations += 1;
        let started = Instant::now();
        let outcome =
            self.api.invoke(&format!("{function}-{}", self.invocations), event, Duration::from_secs(30)).await;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let answer = match outcome {
            Outcome::Response(answer) => answer,
            Outcome::Error(e) => panic!("{function}: {e}"),
        };
        let status = answer["statusCode"].as_u64().unwrap_or_default();
        let body: Value = answer["body"].as_str().and_then(|b| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
        assert!(status == 200 || status == 201, "{function} answered {status}: {body}");
        // The first call after the init pays for lazily built clients: not a warm call.
        if self.invocations > 1 {
            self.times_ms.push(elapsed);
        }
        body
    }
}

impl Drop for Warm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted.get(((sorted.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = args();
    let moto = args.aws.then(sti_e2e::moto::Moto::start);
    let mut aws_env = moto.as_ref().map(|m| aws_function_environment(&args.bin_dir, m)).unwrap_or_default();
    // On AWS every request of a function goes through a counting proxy in front of moto.
    let proxy = moto.as_ref().map(|m| sti_e2e::throttle::ThrottlingProxy::start(&m.endpoint));
    if let Some(proxy) = &proxy {
        for (name, value) in &mut aws_env {
            if name == "AWS_ENDPOINT_URL" {
                value.clone_from(&proxy.endpoint);
            }
        }
    }
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_path = data.path().to_string_lossy().into_owned();
    let mut env: Vec<(&str, &str)> = vec![("STI_DATA_DIR", data_path.as_str()), ("RUST_LOG", "warn")];
    env.extend(RAISED.iter().copied());
    env.extend(aws_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));

    let mut functions: BTreeMap<&str, Warm> = BTreeMap::new();
    for function in ["greeting", "chat", "whatsapp-ticket"] {
        functions.insert(function, Warm::start(&args.bin_dir, function, &env).await);
    }
    // Per function: AWS operation → (calls, request bytes), over its warm invocations.
    let mut requests: BTreeMap<&str, BTreeMap<String, (u64, u64)>> = BTreeMap::new();
    let mut call = async |function: &'static str, body: Value| -> Value {
        let Some(warm) = functions.get_mut(function) else { panic!("{function} is not started") };
        let answer = warm.call(function, body).await;
        if let Some(proxy) = &proxy {
            // What a function writes behind its answer lands within milliseconds.
            tokio::time::sleep(Duration::from_millis(40)).await;
            let operations = proxy.take_operations();
            if warm.invocations > 1 {
                let counted = requests.entry(function).or_default();
                for (operation, c) in operations {
                    let entry = counted.entry(operation).or_default();
                    entry.0 += c.calls;
                    entry.1 += c.request_bytes;
                }
            }
        }
        answer
    };
    let messages = messages();
    for conversation in 0..args.conversations {
        let greeted = call("greeting", json!({})).await;
        let Some(session) = greeted["sessionId"].as_str().map(str::to_owned) else {
            panic!("the greeting gave no session: {greeted}")
        };
        for (turn, message) in messages.iter().enumerate() {
            let body =
                json!({ "sessionId": session, "message": message, "messageId": format!("c{conversation}-m{turn}") });
            call("chat", body).await;
        }
        if conversation % TICKET_EVERY == 0 {
            call("whatsapp-ticket", json!({ "sessionId": session })).await;
        }
    }
    println!(
        "{} conversations, {} backend; warm invocations (the first of each instance left out), ms from hand-over to answer:",
        args.conversations,
        if args.aws { "AWS (moto)" } else { "embedded" }
    );
    println!("| function | invocations | p50 (ms) | p90 (ms) | max (ms) | mean (ms) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (function, warm) in &mut functions {
        warm.times_ms.sort_by(f64::total_cmp);
        let t = &warm.times_ms;
        if t.is_empty() {
            println!("| {function} | 0 | — | — | — | — |");
            continue;
        }
        let mean = t.iter().sum::<f64>() / t.len() as f64;
        println!(
            "| {function} | {} | {:.2} | {:.2} | {:.2} | {mean:.2} |",
            t.len(),
            percentile(t, 0.5),
            percentile(t, 0.9),
            t.last().copied().unwrap_or(f64::NAN)
        );
    }
    let warm_calls: BTreeMap<&str, usize> = functions.iter().map(|(f, w)| (*f, w.times_ms.len())).collect();
    if !requests.is_empty() {
        println!("\nAWS requests per warm invocation (counted at the wire, through a proxy in front of moto):");
        println!("| function | operation | requests per invocation | request bytes per invocation |");
        println!("|---|---|---:|---:|");
        for (function, operations) in &requests {
            let n = warm_calls.get(function).copied().unwrap_or(1).max(1) as f64;
            for (operation, (calls, bytes)) in operations {
                println!("| {function} | {operation} | {:.2} | {:.0} |", *calls as f64 / n, *bytes as f64 / n);
            }
        }
    }
    if let (Some(moto), Some((_, table))) = (&moto, aws_env.iter().find(|(k, _)| k == "STI_TABLE_NAME")) {
        println!("\nThe table's items after the run, sized as DynamoDB bills them:");
        let sizes = std::process::Command::new(repo_root().join(".venv/bin/python"))
            .arg(repo_root().join("scripts/dynamo-item-sizes.py"))
            .args([&moto.endpoint, table])
            .output();
        match sizes {
            Ok(out) if out.status.success() => print!("{}", String::from_utf8_lossy(&out.stdout)),
            Ok(out) => eprintln!("dynamo-item-sizes failed: {}", String::from_utf8_lossy(&out.stderr)),
            Err(e) => eprintln!("dynamo-item-sizes: {e}"),
        }
    }
}
