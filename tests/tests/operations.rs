//! What operators and QA rely on from the `sti` process: `sti smoke`, `sti mask`, graceful
//! shutdown that finishes in-flight requests and keeps queued jobs, slow clients, the
//! in-flight bound. (Rate limits are proven in-process: `shared/tests/api/limits.rs`.)

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use sti_e2e::{Api, Server, data_dir, png, sti_bin};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_passes_against_serve_and_fails_against_a_dead_address() {
    let dir = data_dir();
    let server = Server::start(dir.path(), &[("LOG_TOKEN", "smoke-token-0123456789")]);
    let base = server.base.clone();
    let run = move |base: String, token: Option<&'static str>| {
        let mut cmd = Command::new(sti_bin());
        cmd.args(["smoke", "--base-url", &base, "--timeout-ms", "5000"]);
        if let Some(t) = token {
            cmd.args(["--log-token", t]);
        }
        cmd.env_remove("STI_SMOKE_LOG_TOKEN").output().unwrap_or_else(|e| panic!("sti smoke: {e}"))
    };
    let ok = tokio::task::spawn_blocking({
        let base = base.clone();
        move || run(base, Some("smoke-token-0123456789"))
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "smoke failed against a healthy server:\n{out}");
    for step in [
        "health",
        "greeting",
        "session/validate",
        "chat",
        "upload-image",
        "upload-status",
        "upload-url",
        "upload PUT",
        "upload-url status",
        "whatsapp-ticket",
        "logs",
        "cleanup",
    ] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with(step) && l.contains("PASS")),
            "step {step} missing:\n{out}"
        );
    }
    assert!(out.contains("RESULT: PASS"), "{out}");

    let wrong_token =
        tokio::task::spawn_blocking(move || run(base, Some("not-the-token"))).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!wrong_token.status.success(), "a refused log token must fail the smoke run");

    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        drop(listener);
        format!("http://{addr}")
    };
    let failed = tokio::task::spawn_blocking(move || run(dead, None)).await.unwrap_or_else(|e| panic!("{e}"));
    let out = String::from_utf8_lossy(&failed.stdout);
    assert!(!failed.status.success(), "smoke must fail against a dead address:\n{out}");
    assert!(out.contains("RESULT: FAIL") && out.contains("cannot connect"), "{out}");
}

#[test]
fn mask_reads_stdin_and_writes_only_masked_lines() {
    let input = "mi mail es ana@example.com\nerror 0x80070005 desde el 15/03/2024\r\n\nDNI 30.123.456 y cel 11 4567-8901\nsin salto final";
    let mut child = Command::new(sti_bin())
        .arg("mask")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    child.stdin.take().unwrap_or_else(|| panic!("stdin")).write_all(input.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "mi mail es [EMAIL]\nerror 0x80070005 desde el 15/03/2024\r\n\nDNI [DNI] y cel [PHONE]\nsin salto final\n"
    );
    assert!(out.stderr.is_empty(), "nothing but the masked text is written");
}

/// Writes an HTTP upload by hand, half of it, so a request is in flight when SIGTERM arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_requests_and_keeps_queued_jobs() {
    let dir = data_dir();
    let server = Server::start_with_args(dir.path(), &[], &["--no-worker"]);
    let api = Api::new(&server.base);
    let sid = api.greeting().await;
    let queued = api.upload(&sid, png(200, 150), "a.png").await.json();
    let queued_id = queued["uploadId"].as_str().unwrap_or_default().to_owned();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(api.upload_status(&sid, &queued_id).await["status"], "queued", "no worker runs in this server");

    let image = png(300, 200);
    let boundary = "inflight-boundary";
    let mut body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"b.png\"\r\n\r\n")
            .into_bytes();
    body.extend_from_slice(&image);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap_or_else(|e| panic!("{e}"));
    let head = format!(
        "POST /api/upload-image HTTP/1.1\r\nHost: {addr}\r\nx-session-id: {sid}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
    let half = body.len() / 2;
    stream.write_all(&body[..half]).await.unwrap_or_else(|e| panic!("{e}"));
    stream.flush().await.unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_millis(300)).await;

    server.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(&body[half..]).await.unwrap_or_else(|e| panic!("{e}"));
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(response.starts_with("HTTP/1.1 202"), "the in-flight upload must complete: {response}");
    let status = server.stop();
    assert!(status.success(), "clean exit after SIGTERM: {status}");

    // Both jobs stayed queued across the shutdown; a server with a worker drains them.
    let server = Server::start(dir.path(), &[]);
    let api = Api::new(&server.base);
    assert_eq!(api.wait_upload(&sid, &queued_id).await["status"], "done");
    let export = api.export(&sid).await.json();
    let uploads = export["uploads"].as_array().cloned().unwrap_or_default();
    assert_eq!(uploads.len(), 2);
    for u in uploads {
        let id = u["uploadId"].as_str().unwrap_or_default().to_owned();
        assert_eq!(api.wait_upload(&sid, &id).await["status"], "done");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_cannot_hold_up_shutdown() {
    let dir = data_dir();
    let server = Server::start_with_args(dir.path(), &[("BODY_READ_TIMEOUT", "120s")], &["--drain-secs", "1"]);
    let api = Api::new(&server.base);
    let sid = api.greeting().await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap_or_else(|e| panic!("{e}"));
    let head = format!(
        "POST /api/upload-image HTTP/1.1\r\nHost: {addr}\r\nx-session-id: {sid}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
    stream.flush().await.unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let stopping = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || server.stop()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "{status}");
    assert!(
        stopping.elapsed() < Duration::from_secs(10),
        "stopped after {:?} with a client still sending",
        stopping.elapsed()
    );
    drop(stream);
}

/// A request takes its in-flight slot only once its body has arrived: an upload whose body
/// stalls holds no slot (even the only one), and is cut off with 408 when it falls behind
/// its pace. (That a request waits for a slot is shown in process-free tests:
/// `shared/tests/api/admission.rs`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_holds_no_slot_and_is_cut_off_at_its_pace() {
    let dir = data_dir();
    let env = [("BODY_READ_TIMEOUT", "3s")];
    let server = Server::start_with_args(dir.path(), &env, &["--max-in-flight", "1"]);
    let api = Api::new(&server.base);
    let sid = api.greeting().await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap_or_else(|e| panic!("{e}"));
    let head = format!(
        "POST /api/upload-image HTTP/1.1\r\nHost: {addr}\r\nx-session-id: {sid}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n"
    );
    stalled.write_all(head.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let asked = std::time::Instant::now();
    assert_eq!(api.get("/api/health").await.status, StatusCode::OK);
    assert!(asked.elapsed() < Duration::from_millis(500), "answered after {:?} beside a stalled body", asked.elapsed());
    let mut answer = String::new();
    stalled.read_to_string(&mut answer).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(answer.starts_with("HTTP/1.1 408"), "the stalled body is cut off: {answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
}

/// `sti report` reads the store `sti serve` writes (while it serves): a case solved in the
/// first round, one handed to a technician, a rating and the ticket resolved, in a table
/// and as JSON — the same figures as `/api/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_prints_how_cases_ended_from_the_store() {
    use serde_json::json;
    let dir = data_dir();
    let server = Server::start(dir.path(), &[]);
    let api = Api::new(&server.base);
    let press = |sid: &str, value: &str| json!({ "sessionId": sid, "action": "button", "value": value });
    let solved = api.greeting().await;
    api.chat(&solved, "soy Ana").await;
    api.chat(&solved, "la impresora no imprime").await;
    assert_eq!(api.post_json("/api/chat", &press(&solved, "yes")).await.json()["state"], "solved");
    let rated = api.post_json("/api/feedback", &json!({ "sessionId": solved, "rating": "up" })).await;
    assert_eq!(rated.status, StatusCode::CREATED, "{}", rated.body);
    let handed = api.greeting().await;
    api.chat(&handed, "soy Beto").await;
    api.chat(&handed, "no tengo internet").await;
    let (_, ticket_path) = api.open_ticket(&handed).await;
    let resolve = ticket_path.replacen('?', "/resolve?", 1);
    let resolved = api.post_raw(&resolve, "application/x-www-form-urlencoded", "note=listo").await;
    assert!(resolved.status.is_success() || resolved.status == StatusCode::SEE_OTHER, "{}", resolved.body);

    let report = |args: &'static [&'static str]| {
        let data = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            Command::new(sti_bin())
                .arg("report")
                .args(args)
                .arg("--data-dir")
                .arg(&data)
                .env_remove("STI_BACKEND")
                .env_remove("STI_ENV")
                .output()
                .unwrap_or_else(|e| panic!("sti report: {e}"))
        })
    };
    let table = report(&["--since", "7d"]).await.unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(table.status.success(), "{text}{}", String::from_utf8_lossy(&table.stderr));
    let row = |name: &str| text.lines().find(|l| l.starts_with(name)).map(|l| l.split_whitespace().collect::<Vec<_>>());
    assert_eq!(row("internet"), Some(vec!["internet", "0", "0", "1", "0", "1", "0", "%"]), "{text}");
    assert_eq!(row("printer"), Some(vec!["printer", "1", "0", "0", "0", "1", "100", "%"]), "{text}");
    assert_eq!(row("all"), Some(vec!["all", "1", "0", "1", "0", "2", "50", "%"]), "{text}");
    assert!(text.contains("ratings: 1 up, 0 down; satisfaction 100 %"), "{text}");
    assert!(text.contains("tickets: 1 opened, 1 resolved;"), "{text}");

    let as_json = report(&["--since", "1d", "--json"]).await.unwrap_or_else(|e| panic!("{e}"));
    let reported: serde_json::Value = serde_json::from_slice(&as_json.stdout).unwrap_or_default();
    let metrics = api.get("/api/metrics").await.json();
    assert_eq!(reported["outcomes"], metrics["outcomes"], "{reported}");
    assert_eq!(reported["feedback"], metrics["feedback"]);
    assert_eq!(reported["tickets"]["resolved"], 1);

    let refused = report(&["--since", "a while"]).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--since a while: expected a period such as 7d"));
}
