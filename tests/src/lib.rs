//! Helpers for the end-to-end tests: spawn real `sti` processes on free loopback ports,
//! talk to them over HTTP, make test images.

pub mod aws_stack;
pub mod fake_openai;
pub mod moto;
pub mod privacy_forms;
pub mod runtime_api;
pub mod throttle;
pub mod webhook;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

/// A binary of this workspace, built next to this test binary (`cargo test --workspace`
/// builds every workspace binary before running tests).
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("cannot locate the test binary: {e}"));
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| panic!("unexpected test binary location {}", exe.display()));
    let bin = dir.join(name);
    assert!(
        bin.exists(),
        "{} is missing: build the workspace first with `cargo build --workspace` (./scripts/test does)",
        bin.display()
    );
    bin
}

/// Where the original of upload `upload_id` of session `sid` is stored.
pub fn original_key(sid: &str, upload_id: &str) -> String {
    let session = sti_shared::ids::SessionId::parse(sid).unwrap_or_else(|e| panic!("{e}"));
    let upload = sti_shared::ids::UploadId::parse(upload_id).unwrap_or_else(|e| panic!("{e}"));
    sti_shared::ports::original_key(&session, &upload)
}

pub fn sti_bin() -> PathBuf {
    workspace_bin("sti")
}

/// The repository root (where `events/` lives).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

/// The sample Lambda event `events/<name>.json`.
pub fn sample_event(name: &str) -> Value {
    let path = repo_root().join("events").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Environment variables a test server must not inherit from the developer's shell.
const CLEARED: &[&str] = &[
    "STI_ENV",
    "STI_BACKEND",
    "STI_DATA_DIR",
    "LOG_TOKEN",
    "WHATSAPP_NUMBER",
    "SMART_MODE",
    "ALLOWED_ORIGINS",
    "RATE_LIMIT_GREETING_PER_MIN",
    "RATE_LIMIT_CHAT_PER_MIN_SESSION",
    "RATE_LIMIT_CHAT_PER_MIN_IP",
    "RATE_LIMIT_UPLOAD_PER_MIN",
    "MAX_MESSAGE_CHARS",
    "MAX_JSON_BYTES",
    "MAX_IMAGE_BYTES",
    "SESSION_TTL",
    "SESSION_MAX_LIFETIME",
    "MAX_TURNS_PER_SESSION",
    "BACKUP_RETENTION",
    "PUBLIC_BASE_URL",
    "TRUST_X_FORWARDED_FOR",
    "STI_LOG_FORMAT",
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_MODEL",
    "OPENAI_VISION_MODEL",
    "OPENAI_TIMEOUT",
    "OPENAI_BUDGET",
    "OPENAI_CB_WINDOW_SECS",
    "OPENAI_CB_MIN_CALLS",
    "OPENAI_CB_FAILURE_RATE",
    "OPENAI_CB_COOLDOWN_SECS",
    "SMART_FLAG_CACHE_SECS",
    "STI_EMF",
];

/// What says a spawned `sti` is ready.
enum Ready {
    /// `sti serve` prints the URL it listens on.
    Listening,
    /// A process without a port logs this line.
    LogLine(&'static str),
}

/// A running `sti serve` (or `sti worker`). Dropping it kills the process.
pub struct Server {
    child: Child,
    pub base: String,
    pub data_dir: PathBuf,
    /// Everything the server wrote to stderr (its log).
    pub log: Arc<Mutex<Vec<String>>>,
    /// Everything it wrote to stdout (start-up lines, EMF metric records).
    pub out: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        Server::start_with_args(data_dir, env, &[])
    }

    pub fn start_with_args(data_dir: &Path, env: &[(&str, &str)], extra: &[&str]) -> Server {
        let mut args = vec!["serve", "--addr", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        Server::spawn(data_dir, env, &args, Ready::Listening)
    }

    /// `sti serve` allowed at most `open_files` open files (`ulimit -n`), as on a small host.
    pub fn start_with_open_files(data_dir: &Path, env: &[(&str, &str)], extra: &[&str], open_files: u32) -> Server {
        let mut args = vec!["serve", "--addr", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut cmd = Command::new("sh");
        // `exec` keeps the process id: the server is the child the test holds.
        cmd.arg("-c").arg(format!("ulimit -n {open_files} && exec \"$0\" \"$@\"")).arg(sti_bin());
        Server::spawn_command(cmd, data_dir, env, &args, Ready::Listening)
    }

    /// `sti worker` on `data_dir`, ready once it says its worker started.
    pub fn start_worker(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        Server::spawn(data_dir, env, &["worker"], Ready::LogLine("image worker started"))
    }

    fn spawn(data_dir: &Path, env: &[(&str, &str)], args: &[&str], ready: Ready) -> Server {
        Server::spawn_command(Command::new(sti_bin()), data_dir, env, args, ready)
    }

    fn spawn_command(mut cmd: Command, data_dir: &Path, env: &[(&str, &str)], args: &[&str], ready: Ready) -> Server {
        cmd.args(args).arg("--data-dir").arg(data_dir);
        for var in CLEARED {
            cmd.env_remove(var);
        }
        cmd.env("RUST_LOG", "info");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start sti {args:?}: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = Arc::clone(&log);
        let log_ready = tx.clone();
        let wanted = match ready {
            Ready::LogLine(line) => Some(line),
            Ready::Listening => None,
        };
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if wanted.is_some_and(|w| line.contains(w)) {
                    let _ = log_ready.send(String::new());
                }
                if let Ok(mut l) = sink.lock() {
                    l.push(line);
                }
            }
        });
        let out = Arc::new(Mutex::new(Vec::new()));
        let out_sink = Arc::clone(&out);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("sti: listening on ") {
                    let url = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send(url);
                }
                if let Ok(mut o) = out_sink.lock() {
                    o.push(line);
                }
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let lines = log.lock().map(|l| l.join("\n")).unwrap_or_default();
                panic!("sti {args:?} did not start within 60 s; its log:\n{lines}");
            }
        };
        Server { child, base, data_dir: data_dir.to_owned(), log, out }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stdout_lines(&self) -> Vec<String> {
        self.out.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Sends SIGTERM without waiting.
    pub fn terminate(&self) {
        let status = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        assert!(status.is_ok_and(|s| s.success()), "could not signal the server");
    }

    /// SIGTERM, then waits for a clean exit; returns the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.terminate();
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
                _ => {
                    let _ = self.child.kill();
                    panic!("the server did not stop within 40 s of SIGTERM");
                }
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP answer, kept whole for assertions.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the documented error schema and returns the error code.
    pub fn error_code(&self) -> String {
        let v = self.json();
        let code = v["error"]["code"].as_str().unwrap_or_else(|| panic!("no error.code in {}", self.body)).to_owned();
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "no error.message in {}", self.body);
        let rid = v["requestId"].as_str().unwrap_or_else(|| panic!("no requestId in {}", self.body));
        assert_eq!(Some(rid), self.header("x-request-id"), "requestId must match the x-request-id header");
        code
    }
}

#[derive(Clone)]
pub struct Api {
    pub client: Client,
    pub base: String,
}

impl Api {
    pub fn new(base: &str) -> Api {
        let client =
            Client::builder().timeout(Duration::from_secs(30)).build().unwrap_or_else(|e| panic!("client: {e}"));
        Api { client, base: base.to_owned() }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let response = req.send().await.unwrap_or_else(|e| panic!("request failed: {e}"));
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        Answer { status, headers, body }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> Answer {
        self.send(self.request(Method::POST, path).header("content-type", content_type).body(body)).await
    }

    /// A new session; returns its id.
    pub async fn greeting(&self) -> String {
        let a = self.post_json("/api/greeting", &json!({})).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        a.json()["sessionId"].as_str().unwrap_or_else(|| panic!("no sessionId")).to_owned()
    }

    pub async fn chat(&self, session: &str, message: &str) -> Value {
        let a = self.post_json("/api/chat", &json!({ "sessionId": session, "message": message })).await;
        assert_eq!(a.status, StatusCode::OK, "chat {message:?}: {}", a.body);
        a.json()
    }

    pub async fn upload(&self, session: &str, bytes: Vec<u8>, file_name: &str) -> Answer {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned());
        let form = reqwest::multipart::Form::new().part("image", part);
        self.send(self.request(Method::POST, "/api/upload-image").header("x-session-id", session).multipart(form)).await
    }

    pub async fn upload_status(&self, session: &str, upload_id: &str) -> Value {
        let a = self
            .send(self.request(Method::GET, &format!("/api/upload/{upload_id}")).header("x-session-id", session))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        a.json()
    }

    /// Polls the upload until it is done or failed; returns its final status body.
    pub async fn wait_upload(&self, session: &str, upload_id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let v = self.upload_status(session, upload_id).await;
            if v["status"] != json!("queued") && v["status"] != json!("awaiting_upload") {
                return v;
            }
            assert!(Instant::now() < deadline, "upload {upload_id} still {} after 60 s", v["status"]);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `POST /api/upload-url` for `size` bytes of `content_type`.
    pub async fn upload_url(&self, session: &str, content_type: &str, size: usize) -> Answer {
        let body = json!({ "contentType": content_type, "size": size });
        self.send(self.request(Method::POST, "/api/upload-url").header("x-session-id", session).json(&body)).await
    }

    /// `PUT`s `bytes` to the signed URL of an upload offer with the headers it names.
    pub async fn put_signed(&self, offer: &Value, bytes: Vec<u8>) -> Answer {
        let mut request = self.client.put(offer["url"].as_str().unwrap_or_default()).body(bytes);
        for (name, value) in offer["headers"].as_object().into_iter().flatten() {
            request = request.header(name.as_str(), value.as_str().unwrap_or_default());
        }
        self.send(request).await
    }

    pub async fn export(&self, session: &str) -> Answer {
        self.get(&format!("/api/session/{session}/export")).await
    }

    /// Opens the ticket of `session` (it must open) and returns its id and the path of
    /// its view (the link with the server's base taken off).
    pub async fn open_ticket(&self, session: &str) -> (String, String) {
        let opened = self.post_json("/api/whatsapp-ticket", &json!({ "sessionId": session })).await;
        assert!(matches!(opened.status.as_u16(), 200 | 201), "the ticket must open: {}", opened.body);
        let opened = opened.json();
        let id = opened["ticketId"].as_str().unwrap_or_default().to_owned();
        (id, ticket_path(opened["ticketUrl"].as_str().unwrap_or_default()))
    }
}

/// The path of a ticket link (`https://host/api/ticket/…?t=…` → `/api/ticket/…?t=…`).
pub fn ticket_path(ticket_url: &str) -> String {
    ticket_url.split_once("/api/").map(|(_, rest)| format!("/api/{rest}")).unwrap_or_default()
}

/// A picture with edges and mid-range brightness, encoded in `format`.
pub fn image_bytes(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        if (x / 12 + y / 12) % 2 == 0 { image::Rgb([40, 70, 130]) } else { image::Rgb([220, 220, 210]) }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, format).unwrap_or_else(|e| panic!("encode: {e}"));
    out.into_inner()
}

/// A real JPEG photo (edges and sensor-like noise, which compresses as poorly as a
/// phone's photos do) of a little under `max` bytes.
pub fn photo_jpeg(max: usize) -> Vec<u8> {
    let mut side = 1_200u32;
    loop {
        let bytes = noisy_jpeg(side * 4 / 3, side);
        if bytes.len() > max {
            side = side * 97 / 100;
        } else if bytes.len() > max * 9 / 10 {
            return bytes;
        } else {
            side = (f64::from(side) * (max as f64 * 0.95 / bytes.len() as f64).sqrt()) as u32;
        }
    }
}

fn noisy_jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state & 0x3f) as u8;
        let base = if (x / 40 + y / 40) % 2 == 0 { 60 } else { 170 };
        image::Rgb([base + noise, base / 2 + (noise >> 1), 200 - noise])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&img)
        .unwrap_or_else(|e| panic!("encode: {e}"));
    out
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    image_bytes(width, height, image::ImageFormat::Png)
}

/// Rate limits raised out of the way, in development mode (open metrics): what a load
/// run from one source address needs.
pub const LOAD_ENV: &[(&str, &str)] = &[
    ("STI_ENV", "development"),
    ("RATE_LIMIT_CHAT_PER_MIN_SESSION", "100000"),
    ("RATE_LIMIT_CHAT_PER_MIN_IP", "100000"),
    ("RATE_LIMIT_GREETING_PER_MIN", "100000"),
    ("RATE_LIMIT_TICKET_PER_MIN_IP", "100000"),
    ("MAX_TURNS_PER_SESSION", "1000000000"),
    ("MAX_TICKETS_PER_HOUR", "100000"),
];

/// A data directory that lives as long as the returned guard.
pub fn data_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

/// Standard base64 (as API Gateway and the Lambda runtime use it) to bytes.
pub fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text.trim()).unwrap_or_else(|e| panic!("not base64 ({e})"))
}

/// Bytes to standard base64, as API Gateway encodes a binary body.
pub fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A visitor who writes 130 messages of 2,000 characters, then asks for a ticket: it
/// opens (the ticket keeps a bounded excerpt, so no store's item limit is reached) and
/// says how many earlier messages it leaves to the session.
pub async fn long_conversation_gets_its_ticket(api: &Api) {
    let sid = api.greeting().await;
    let sentence = "La impresora de la oficina no imprime y muestra un error de papel atascado aunque no hay papel. ";
    for i in 0..130 {
        let message: String = format!("{i}. {}", sentence.repeat(25)).chars().take(2_000).collect();
        let reply = api.chat(&sid, &message).await;
        assert!(reply["reply"].as_str().is_some_and(|r| !r.is_empty()), "turn {i}: {reply}");
    }
    let (_, path) = api.open_ticket(&sid).await;
    let view = api.get(&path).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    let v = view.json();
    let shown = v["transcript"].as_array().map(Vec::len).unwrap_or(0);
    let omitted = v["transcriptOmitted"].as_u64().unwrap_or(0);
    assert!(shown > 0 && omitted > 0, "a bounded excerpt: {shown} shown, {omitted} omitted");
    assert_eq!(shown as u64 + omitted, 260, "130 turns of two messages each");
}
