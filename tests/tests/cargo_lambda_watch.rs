//! A whole conversation through the function-URL paths of `cargo lambda watch` on the
//! embedded backend, as QA runs it: every request goes to its own function process, the
//! image worker is invoked through the emulator's invoke API.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sti_e2e::{Api, data_dir, png, repo_root};

/// `cargo lambda watch` in its own process group, stopped (with its function processes)
/// when dropped.
struct Watch {
    child: Child,
    base: String,
}

impl Drop for Watch {
    fn drop(&mut self) {
        // `--` so that kill(1) reads the negative process-group id as an id, not an option.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-s", "TERM", "--", &group]).status();
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill").args(["-s", "KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

fn cargo_lambda() -> std::path::PathBuf {
    let venv = repo_root().join(".venv/bin/cargo-lambda");
    if venv.exists() {
        return venv;
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("cargo-lambda")).find(|c| c.exists()))
        .unwrap_or_default();
    on_path.unwrap_or_else(|| {
        panic!(
            "cargo-lambda is not installed: `./scripts/test` installs it into .venv (python3 -m venv .venv && .venv/bin/pip install cargo-lambda)"
        )
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(9000)
}

async fn start_watch(data: &std::path::Path, env: &[(&str, &str)]) -> Watch {
    let port = free_port();
    let mut cmd = Command::new(cargo_lambda());
    cmd.args(["lambda", "watch", "-A", "127.0.0.1", "-P", &port.to_string(), "--ignore-changes"])
        .current_dir(repo_root())
        .env("STI_DATA_DIR", data)
        .env("RATE_LIMIT_UPLOAD_PER_MIN", "100")
        .env_remove("STI_ENV")
        .env_remove("STI_BACKEND")
        .env_remove("LOG_TOKEN")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        // Its log goes to a file: kept for a failure's message (and a closed or null stderr
        // makes its `cargo run` of the functions misbehave).
        .stderr(
            std::fs::File::create(data.join("watch.log")).map(Stdio::from).unwrap_or_else(|e| panic!("log file: {e}")),
        )
        .process_group(0);
    let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start cargo lambda watch: {e}"));
    let watch = Watch { child, base: format!("http://127.0.0.1:{port}") };
    // The first request may wait for the functions to compile.
    let client = reqwest::Client::builder().timeout(Duration::from_secs(600)).build().unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        if let Ok(r) = client.get(format!("{}/lambda-url/health/api/health", watch.base)).send().await
            && r.status() == StatusCode::OK
        {
            return watch;
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(data.join("watch.log")).unwrap_or_default();
            panic!("cargo lambda watch did not serve /api/health within 15 minutes; its log:\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The function-URL path of the function that serves `path`.
fn url(watch: &Watch, function: &str, path: &str) -> String {
    format!("{}/lambda-url/{function}{path}", watch.base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_through_cargo_lambda_watch() {
    let dir = data_dir();
    let watch = start_watch(dir.path(), &[]).await;
    let api = Api::new(&watch.base);
    let post = |function: &'static str, path: &'static str, body: Value| {
        let api = api.clone();
        let target = url(&watch, function, path);
        async move { api.send(api.client.post(target).json(&body)).await }
    };

    let g = post("greeting", "/api/greeting", json!({})).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.body);
    let sid = g.json()["sessionId"].as_str().unwrap_or_default().to_owned();
    let v = post("session-validate", "/api/session/validate", json!({ "sessionId": sid })).await;
    assert_eq!(v.json()["valid"], true);

    let mut state = Value::Null;
    for message in ["me llamo Ana", "mi notebook no prende", "no, sigo igual", "no"] {
        let r = post("chat", "/api/chat", json!({ "sessionId": sid, "message": message })).await;
        assert_eq!(r.status, StatusCode::OK, "{message}: {}", r.body);
        state = r.json()["state"].clone();
    }
    assert_eq!(state, "offer_ticket");

    // A screenshot, processed by the image-worker function through the invoke API.
    let upload_image = |bytes: Vec<u8>, name: &'static str| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name);
        let request = api
            .client
            .post(url(&watch, "upload-image", "/api/upload-image"))
            .header("x-session-id", &sid)
            .multipart(reqwest::multipart::Form::new().part("image", part));
        api.send(request)
    };
    let up = upload_image(png(320, 240), "captura.png").await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let upload_id = up.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let job = json!({ "Records": [{
        "messageId": "watch-1",
        "body": json!({ "key": sti_e2e::original_key(&sid, &upload_id) }).to_string(),
        "attributes": { "ApproximateReceiveCount": "1" },
        "eventSource": "aws:sqs",
    }]});
    let invoked = api
        .send(api.client.post(format!("{}/2015-03-31/functions/image-worker/invocations", watch.base)).json(&job))
        .await;
    assert_eq!(invoked.status, StatusCode::OK, "{}", invoked.body);
    assert_eq!(invoked.json()["batchItemFailures"], json!([]));
    let status = api
        .send(
            api.client
                .get(url(&watch, "upload-status", &format!("/api/upload/{upload_id}")))
                .header("x-session-id", &sid),
        )
        .await;
    assert_eq!(status.json()["status"], "done", "{}", status.body);

    // A signed URL from the upload-url function; a multipart body too large for an
    // invocation is sent there.
    let offer = api
        .send(
            api.client
                .post(url(&watch, "upload-url", "/api/upload-url"))
                .header("x-session-id", &sid)
                .json(&json!({ "contentType": "image/jpeg", "size": 4_800_000 })),
        )
        .await;
    assert_eq!(offer.status, StatusCode::CREATED, "{}", offer.body);
    let o = offer.json();
    assert_eq!(o["method"], "PUT");
    assert!(o["url"].as_str().is_some_and(|u| u.contains("/content?") && u.contains("signature=")), "{o}");
    let big = upload_image(vec![0x5a; 4_700_000], "foto.jpg").await;
    assert_eq!(
        (big.status, big.json()["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("use_upload_url"))
    );

    let r = post("chat", "/api/chat", json!({ "sessionId": sid, "action": "button", "value": "ticket" })).await;
    let t = r.json();
    assert_eq!(t["state"], "ticket_created", "{t}");
    let ticket_id = t["ticket"]["ticketId"].as_str().unwrap_or_default().to_owned();
    assert!(ticket_id.starts_with("STI-"));
    let again = post("whatsapp-ticket", "/api/whatsapp-ticket", json!({ "sessionId": sid })).await;
    assert_eq!(again.json()["ticketId"], ticket_id.as_str(), "{}", again.body);

    let export = api.send(api.client.get(url(&watch, "session-data", &format!("/api/session/{sid}/export")))).await;
    let e = export.json();
    assert_eq!(e["tickets"][0]["ticketId"], ticket_id.as_str());
    assert_eq!(e["uploads"][0]["status"], "done");
    assert!(e["transcript"].as_array().is_some_and(|t| t.len() >= 10));
    let metrics = api.send(api.client.get(url(&watch, "metrics", "/api/metrics"))).await.json();
    assert_eq!(metrics["tickets"]["created"], 1);
}

/// The CodeDeploy pre-traffic hook's smoke checks, run through the same invoke API the
/// hook uses in AWS: every function must pass them, and the session they create is gone
/// afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pre_traffic_hook_passes_against_every_function() {
    let dir = data_dir();
    // As in AWS: production mode, so the operator endpoints must refuse a caller without the token.
    let token = "watch-log-token-0123456789";
    let watch = start_watch(dir.path(), &[("STI_ENV", "production"), ("LOG_TOKEN", token)]).await;
    let python = repo_root().join(".venv/bin/python");
    assert!(python.exists(), "the test venv is missing: run ./scripts/test (it creates .venv with boto3)");
    let out = Command::new(&python)
        .arg(repo_root().join("infra/hooks/pre_traffic/app.py"))
        .args(["--endpoint-url", &watch.base])
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the hook: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the hook failed:\n{stdout}\n{stderr}");
    let passed: Vec<&str> = stdout.lines().filter(|l| l.starts_with("PASS")).collect();
    assert_eq!(passed.len(), 14, "one check per function (the ticket notifier's empty stream batch too):\n{stdout}");

    let api = Api::new(&watch.base);
    let metrics = api.send(api.client.get(url(&watch, "metrics", "/api/metrics")).bearer_auth(token)).await.json();
    assert_eq!(metrics["sessions"]["created"], 1, "{metrics}");
    assert_eq!(metrics["sessions"]["erased"], 1, "the hook erases the session it created: {metrics}");
}

/// `sti-load` drives the functions under `cargo lambda watch` too: scenario A, briefly,
/// every request routed to its own function's URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_tool_runs_against_cargo_lambda_watch() {
    let dir = data_dir();
    let watch = start_watch(dir.path(), sti_e2e::LOAD_ENV).await;
    let reports = data_dir();
    let out = tokio::task::spawn_blocking({
        let (base, report) = (watch.base.clone(), reports.path().to_string_lossy().into_owned());
        move || {
            Command::new(sti_e2e::workspace_bin("sti-load"))
                .args([
                    "A",
                    "--lambda-watch",
                    "--rate",
                    "10",
                    "--duration",
                    "8s",
                    "--base-url",
                    &base,
                    "--report-dir",
                    &report,
                ])
                .output()
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("sti-load: {e}"));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains(" 0 errors"), "{printed}");
    // Each function's cold start is taken before the run, not counted in its p95.
    assert!(printed.contains("cold starts (not in the figures): /lambda-url/health/api/health"), "{printed}");
    println!("{printed}");
}

/// The ticket-notifier under `cargo lambda watch` on the AWS backend (moto), invoked as
/// Lambda invokes it: the table stream's record from `events/` naming a new ticket is
/// posted to the webhook, signed, and published to the tickets topic, once (a redelivery
/// changes nothing); the schedule's event from `events/` counts the case left at the
/// bot's steps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ticket_notifier_under_cargo_lambda_watch_on_moto() {
    use sti_e2e::aws_stack::{Stack, TicketsInbox};
    use sti_e2e::moto::Moto;
    use sti_e2e::sample_event;
    use sti_e2e::webhook::{Receiver, free_port};
    let moto = Moto::start();
    let mut stack = Stack::new(&moto);
    stack.bootstrap(&moto);
    let inbox = TicketsInbox::create(&moto).await;
    let receiver = Receiver::default();
    let hook = receiver.serve(free_port()).await;
    for (k, v) in [
        ("TICKETS_TOPIC_ARN", inbox.topic_arn.as_str()),
        ("TICKET_WEBHOOK_URL", &hook),
        ("TICKET_WEBHOOK_SECRET", "watch-hook-secret"),
        ("CASE_ABANDONED_AFTER", "1s"),
    ] {
        stack.env.push((k.to_owned(), v.to_owned()));
    }
    let dir = data_dir();
    let watch = start_watch(dir.path(), &stack.env()).await;
    let api = Api::new(&watch.base);
    let post = |function: &'static str, path: &'static str, body: Value| {
        let api = api.clone();
        let target = url(&watch, function, path);
        async move { api.send(api.client.post(target).json(&body)).await }
    };
    let invoke = |function: &'static str, event: Value| {
        let api = api.clone();
        let target = format!("{}/2015-03-31/functions/{function}/invocations", watch.base);
        async move { api.send(api.client.post(target).json(&event)).await.json() }
    };
    let greet = || async { post("greeting", "/api/greeting", json!({})).await.json()["sessionId"].clone() };

    let left = greet().await;
    for message in ["soy Ana", "la impresora no imprime"] {
        let r = post("chat", "/api/chat", json!({ "sessionId": left, "message": message })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let opened = post("whatsapp-ticket", "/api/whatsapp-ticket", json!({ "sessionId": greet().await })).await;
    let ticket_id = opened.json()["ticketId"].as_str().unwrap_or_else(|| panic!("{}", opened.body)).to_owned();

    let mut stream = sample_event("ticket-notifier");
    stream["Records"][0]["dynamodb"]["Keys"]["pk"]["S"] = json!(format!("T#{ticket_id}"));
    assert_eq!(invoke("ticket-notifier", stream.clone()).await["batchItemFailures"], json!([]));
    assert_eq!(invoke("ticket-notifier", stream).await["batchItemFailures"], json!([]), "a redelivery");
    let got = receiver.deliveries();
    assert_eq!(got.len(), 1, "posted once: {got:?}");
    assert!(got[0].signed_with("watch-hook-secret") && got[0].body.contains(&ticket_id), "{got:?}");
    let published = inbox.published().await;
    assert_eq!(published.len(), 1, "published once: {published:?}");
    assert!(published[0].contains(&ticket_id), "{}", published[0]);

    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let schedule = sample_event("ticket-notifier-schedule");
    assert_eq!(invoke("ticket-notifier", schedule.clone()).await, json!({ "abandonedCases": 1 }));
    assert_eq!(invoke("ticket-notifier", schedule).await, json!({ "abandonedCases": 0 }), "each case once");
}
