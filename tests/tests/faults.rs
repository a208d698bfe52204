//! Faults survived with nothing lost: `sti serve` killed with SIGKILL in the middle of a
//! burst of chat turns; the data directory's disk filling up; the OpenAI provider hanging
//! while scenario A runs. (The AWS backend's store stalling and recovering is in
//! `aws_e2e.rs`.)

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sti_e2e::fake_openai::{Behaviour, FakeOpenAi};
use sti_e2e::{Api, Server, data_dir, png, workspace_bin};

const FAST: &[(&str, &str)] = &[
    ("RATE_LIMIT_CHAT_PER_MIN_SESSION", "100000"),
    ("MAX_TURNS_PER_SESSION", "1000000000"),
    ("RATE_LIMIT_CHAT_PER_MIN_IP", "100000"),
    ("RATE_LIMIT_GREETING_PER_MIN", "100000"),
    ("RATE_LIMIT_UPLOAD_PER_MIN", "100000"),
];

fn visitor_lines(export: &Value) -> Vec<String> {
    export["transcript"]
        .as_array()
        .map(|t| {
            t.iter().filter(|e| e["from"] == "visitor").filter_map(|e| e["text"].as_str().map(str::to_owned)).collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_in_the_middle_of_a_burst_loses_no_acknowledged_turn() {
    let dir = data_dir();
    let server = Server::start(dir.path(), FAST);
    let api = Api::new(&server.base);
    let mut sessions = Vec::new();
    for _ in 0..6 {
        sessions.push(api.greeting().await);
    }
    // Each visitor writes as fast as it is answered; what got a 2xx is recorded.
    let acknowledged: Arc<Mutex<HashMap<String, Vec<usize>>>> = Arc::default();
    let mut writers = Vec::new();
    for sid in sessions.clone() {
        let (acked, base) = (Arc::clone(&acknowledged), server.base.clone());
        writers.push(tokio::spawn(async move {
            let client =
                reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_else(|e| panic!("{e}"));
            for i in 0.. {
                let body =
                    json!({ "sessionId": sid, "message": format!("mensaje {i}"), "messageId": format!("m-{i}") });
                match client.post(format!("{base}/api/chat")).json(&body).send().await {
                    Ok(r) if r.status() == StatusCode::OK => {
                        if let Ok(mut acked) = acked.lock() {
                            acked.entry(sid.clone()).or_default().push(i);
                        }
                    }
                    Ok(r) => panic!("a turn answered {} before the crash", r.status()),
                    Err(_) => return i, // the server is gone: this one was never acknowledged
                }
            }
            unreachable!()
        }));
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    drop(server); // SIGKILL, no shutdown of any kind
    let mut in_flight = HashMap::new();
    for (sid, writer) in sessions.iter().zip(writers) {
        in_flight.insert(sid.clone(), writer.await.unwrap_or_else(|e| panic!("{e}")));
    }
    let acknowledged = acknowledged.lock().map(|a| a.clone()).unwrap_or_default();
    assert!(acknowledged.values().map(Vec::len).sum::<usize>() > 50, "the burst was a burst: {acknowledged:?}");

    let server = Server::start(dir.path(), FAST);
    let api = Api::new(&server.base);
    for sid in &sessions {
        let lines = visitor_lines(&api.export(sid).await.json());
        let acked = acknowledged.get(sid).cloned().unwrap_or_default();
        for i in &acked {
            let wanted = format!("mensaje {i}");
            assert_eq!(
                lines.iter().filter(|l| **l == wanted).count(),
                1,
                "{sid}: acknowledged turn {i} must be there once"
            );
        }
        // Nothing beyond the one in flight when the process died, in order, none twice.
        let expected: Vec<String> = (0..lines.len()).map(|i| format!("mensaje {i}")).collect();
        assert_eq!(lines, expected, "{sid}");
        assert!(
            lines.len() == acked.len() || lines.len() == acked.len() + 1,
            "{sid}: {} lines, {} acked",
            lines.len(),
            acked.len()
        );
        // The visitor's client retries the unanswered message with its id: stored once.
        let last = in_flight[sid];
        let retry = json!({ "sessionId": sid, "message": format!("mensaje {last}"), "messageId": format!("m-{last}") });
        assert_eq!(api.post_json("/api/chat", &retry).await.status, StatusCode::OK);
        let lines = visitor_lines(&api.export(sid).await.json());
        assert_eq!(
            lines.iter().filter(|l| **l == format!("mensaje {last}")).count(),
            1,
            "{sid}: the retry is stored once"
        );
        let transcript = api.export(sid).await.json()["transcript"].as_array().map(Vec::len).unwrap_or(1);
        assert_eq!(transcript % 2, 0, "{sid}: no half turn");
    }
}

/// A size-limited tmpfs mounted for the data dir, unmounted on drop.
struct SmallDisk {
    path: std::path::PathBuf,
    _parent: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> SmallDisk {
        let parent = data_dir();
        let path = parent.path().join("disk");
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("{e}"));
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("mount: {e}"));
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs as the data dir and needs root (CI runs as root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk { path, _parent: parent }
    }

    /// Fills the disk to the last byte; returns the filler to delete.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap_or_else(|e| panic!("{e}"));
        let chunk = vec![0u8; 64 * 1024];
        while file.write_all(&chunk).is_ok() {}
        for size in [4096, 512, 1] {
            while file.write_all(&chunk[..size]).is_ok() {}
        }
        let _ = file.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_and_recovers() {
    let disk = SmallDisk::mount(16);
    let server = Server::start(&disk.path, FAST);
    let api = Api::new(&server.base);
    let sid = api.greeting().await;
    assert_eq!(api.chat(&sid, "me llamo Ana").await["state"], "ask_problem");
    let before = api.export(&sid).await.json();

    let filler = disk.fill();
    // The next write that needs new space is refused. One that fits in log space a
    // checkpoint has just freed still goes through (and is kept), so send turns until one
    // is refused: each accepted one uses up some of that space.
    let mut accepted = Vec::new();
    let mut refused = None;
    for i in 0..20 {
        let message = if i == 0 { "la impresora no imprime".to_owned() } else { format!("sigo probando ({i})") };
        let id = format!("full-{i}");
        let turn = api.post_json("/api/chat", &json!({ "sessionId": sid, "message": message, "messageId": id })).await;
        match turn.status {
            StatusCode::OK => accepted.push(message),
            StatusCode::SERVICE_UNAVAILABLE => {
                refused = Some((message, id, turn));
                break;
            }
            other => panic!("turn {i} on a full disk: {other} {}", turn.body),
        }
    }
    let Some((message, id, turn)) = refused else { panic!("20 turns on a full disk and none refused") };
    assert_eq!(turn.json()["error"]["code"], "storage_unavailable");
    assert!(turn.headers.get("retry-after").is_some(), "503 carries Retry-After");
    let upload = api.upload(&sid, png(320, 240), "captura.png").await;
    assert_eq!(upload.status, StatusCode::SERVICE_UNAVAILABLE, "{}", upload.body);
    let health = api.get("/api/health").await;
    assert_eq!(health.json()["status"], "degraded", "{}", health.body);
    let mut expected = visitor_lines(&before);
    expected.extend(accepted.iter().cloned());
    assert_eq!(visitor_lines(&api.export(&sid).await.json()), expected, "accepted turns kept, nothing half-written");

    std::fs::remove_file(filler).unwrap_or_else(|e| panic!("{e}"));
    let retried = api.post_json("/api/chat", &json!({ "sessionId": sid, "message": message, "messageId": id })).await;
    assert_eq!(retried.status, StatusCode::OK, "recovered once space returns: {}", retried.body);
    assert_eq!(api.get("/api/health").await.json()["status"], "ok");
    drop(server);
    // A restart reads everything back: nothing was corrupted.
    let server = Server::start(&disk.path, FAST);
    let api = Api::new(&server.base);
    expected.push(message);
    assert_eq!(visitor_lines(&api.export(&sid).await.json()), expected);
}

#[test]
fn a_hanging_provider_under_load_keeps_chat_under_the_slo() {
    let fake = FakeOpenAi::start(Behaviour::Hang);
    let dir = data_dir();
    let mut env = FAST.to_vec();
    env.extend_from_slice(&[
        ("STI_ENV", "development"),
        ("SMART_MODE", "true"),
        ("OPENAI_BASE_URL", fake.base_url.as_str()),
        ("OPENAI_API_KEY", "sk-fake-test-key-123"),
        ("OPENAI_MODEL", "fake-model"),
        ("MAX_TICKETS_PER_HOUR", "100000"),
        ("RATE_LIMIT_TICKET_PER_MIN_IP", "100000"),
    ]);
    let server = Server::start(dir.path(), &env);
    let reports = data_dir();
    let out = Command::new(workspace_bin("sti-load"))
        .args(["A", "--rate", "20", "--duration", "15s", "--p95-limit-ms", "2000", "--base-url", &server.base])
        .args(["--report-dir", &reports.path().to_string_lossy()])
        .output()
        .unwrap_or_else(|e| panic!("sti-load: {e}"));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "chat must stay under its SLO while the provider hangs:\n{printed}");
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let health = runtime.block_on(async { Api::new(&server.base).get("/api/health").await.json() });
    assert_eq!(health["checks"]["openai"], "open", "the breaker opened: {health}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_job_has_the_job_redelivered_and_done_once() {
    let dir = data_dir();
    let mut env = FAST.to_vec();
    env.push(("WORKER_CLAIM", "4s")); // the lease is 2 s: the test need not wait minutes
    let server = Server::start_with_args(dir.path(), &env, &["--no-worker"]);
    let api = Api::new(&server.base);
    let sid = api.greeting().await;
    let up = api.upload(&sid, sti_e2e::photo_jpeg(5 * 1024 * 1024), "foto.jpg").await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let upload_id = up.json()["uploadId"].as_str().unwrap_or_default().to_owned();

    let worker = Server::start_worker(dir.path(), &env);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !worker.log_lines().iter().any(|l| l.contains("worker took an upload to process")) {
        assert!(std::time::Instant::now() < deadline, "the worker never took the job: {:?}", worker.log_lines());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(worker); // SIGKILL while it decodes
    assert_eq!(api.upload_status(&sid, &upload_id).await["status"], "queued", "killed before it finished");

    let worker = Server::start_worker(dir.path(), &env);
    let done = api.wait_upload(&sid, &upload_id).await;
    assert_eq!(done["status"], "done", "{done}");
    // The worker logs a job's result just after recording it: give the line a moment.
    let processed = || worker.log_lines().iter().filter(|l| l.contains("result=Processed")).count();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while processed() == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(processed(), 1, "{:?}", worker.log_lines());
    assert_eq!(api.get("/api/metrics").await.json()["uploads"]["processed"], 1, "processed exactly once");
}
