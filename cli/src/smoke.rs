//! `sti smoke`: the production-approval smoke list (health, greeting, validate, chat,
//! upload-image, upload-url with its signed PUT, whatsapp-ticket, logs) against any deployment, one line per step, and a
//! non-zero exit when a step fails or `/api/chat` takes 2 s or more.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

const CHAT_LIMIT_MS: u128 = 2_000;
const UPLOAD_WAIT: Duration = Duration::from_secs(20);

struct Step {
    name: &'static str,
    ok: bool,
    status: Option<u16>,
    millis: u128,
    detail: String,
}

struct Smoke {
    client: Client,
    base: String,
    steps: Vec<Step>,
}

struct Answer {
    status: StatusCode,
    body: String,
    millis: u128,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

fn short(s: &str, n: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > n { format!("{}…", flat.chars().take(n).collect::<String>()) } else { flat }
}

impl Smoke {
    async fn call(
        &self,
        method: Method,
        path: &str,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<Answer, String> {
        let started = Instant::now();
        let request = build(self.client.request(method, format!("{}{path}", self.base)));
        let response = request.send().await.map_err(|e| describe(&e))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| describe(&e))?;
        Ok(Answer { status, body, millis: started.elapsed().as_millis() })
    }

    fn record(
        &mut self,
        name: &'static str,
        answer: &Result<Answer, String>,
        check: impl FnOnce(&Answer) -> Result<String, String>,
    ) -> Option<Value> {
        let step = match answer {
            Err(e) => Step { name, ok: false, status: None, millis: 0, detail: e.clone() },
            Ok(a) => {
                let verdict = check(a);
                Step {
                    name,
                    ok: verdict.is_ok(),
                    status: Some(a.status.as_u16()),
                    millis: a.millis,
                    detail: verdict.unwrap_or_else(|e| format!("{e} — body: {}", short(&a.body, 160))),
                }
            }
        };
        println!(
            "  {:<16} {:<5} {:>6} {:>8}  {}",
            step.name,
            if step.ok { "PASS" } else { "FAIL" },
            step.status.map(|s| s.to_string()).unwrap_or_else(|| "—".into()),
            if step.status.is_some() { format!("{} ms", step.millis) } else { "—".into() },
            step.detail
        );
        let value = match (step.ok, answer) {
            (true, Ok(a)) => Some(a.json()),
            _ => None,
        };
        self.steps.push(step);
        value
    }
}

impl Smoke {
    /// `PUT`s `bytes` to a signed upload URL with the headers it came with (the URL may
    /// be S3's, not the API's).
    async fn put_signed(&self, offer: &Value, bytes: Vec<u8>) -> Result<Answer, String> {
        let url = offer["url"].as_str().unwrap_or_default();
        let started = Instant::now();
        let mut request = self.client.put(url).body(bytes);
        for (name, value) in offer["headers"].as_object().into_iter().flatten() {
            request = request.header(name.as_str(), value.as_str().unwrap_or_default());
        }
        let response = request.send().await.map_err(|e| describe(&e))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| describe(&e))?;
        Ok(Answer { status, body, millis: started.elapsed().as_millis() })
    }

    /// Polls an upload's status until the worker is done with it (or `UPLOAD_WAIT`).
    async fn await_analysis(&mut self, step: &'static str, sid: &str, upload_id: &str) {
        let started = Instant::now();
        let path = format!("/api/upload/{upload_id}");
        let mut last = self.call(Method::GET, &path, |r| r.header("x-session-id", sid)).await;
        while let Ok(a) = &last {
            let pending = matches!(a.json()["status"].as_str(), Some("queued" | "awaiting_upload"));
            if a.status != StatusCode::OK || !pending || started.elapsed() > UPLOAD_WAIT {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
            last = self.call(Method::GET, &path, |r| r.header("x-session-id", sid)).await;
        }
        let waited = started.elapsed().as_millis();
        self.record(step, &last, |a| {
            expect_status(a, &[200])?;
            let v = a.json();
            match v["status"].as_str() {
                Some("done") => Ok(format!(
                    "done after {waited} ms: {}x{} blur={} brightness={}",
                    v["analysis"]["width"],
                    v["analysis"]["height"],
                    v["analysis"]["blurScore"],
                    v["analysis"]["brightness"]
                )),
                Some(other) => Err(format!("status {other} after {waited} ms (error: {})", v["error"])),
                None => Err("no status".into()),
            }
        });
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_connect() {
        format!("cannot connect: {e}")
    } else if e.is_timeout() {
        "timed out".to_owned()
    } else {
        e.to_string()
    }
}

fn expect_status(a: &Answer, wanted: &[u16]) -> Result<(), String> {
    if wanted.contains(&a.status.as_u16()) { Ok(()) } else { Err(format!("expected HTTP {wanted:?}")) }
}

/// A small PNG with some structure (sharp edges, mid brightness) so the analysis is meaningful.
fn test_image() -> Vec<u8> {
    let img = image::RgbImage::from_fn(320, 240, |x, y| {
        if (x / 16 + y / 16) % 2 == 0 { image::Rgb([30, 60, 120]) } else { image::Rgb([230, 230, 220]) }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    match image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png) {
        Ok(()) => out.into_inner(),
        Err(_) => Vec::new(),
    }
}

pub async fn run(base_url: &str, log_token: Option<&str>, timeout_ms: u64) -> ExitCode {
    let client = match Client::builder().timeout(Duration::from_millis(timeout_ms)).build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sti smoke: cannot build an HTTP client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut s = Smoke { client, base: base_url.trim_end_matches('/').to_owned(), steps: Vec::new() };
    println!("STI smoke test against {}", s.base);
    println!("  {:<16} {:<5} {:>6} {:>8}  detail", "step", "result", "http", "latency");

    let a = s.call(Method::GET, "/api/health", |r| r).await;
    s.record("health", &a, |a| {
        expect_status(a, &[200])?;
        let v = a.json();
        match v["status"].as_str() {
            Some(status @ ("ok" | "degraded")) => Ok(format!(
                "status={status} version={} store={} blobs={} queue={} openai={}",
                v["version"].as_str().unwrap_or("?"),
                v["checks"]["store"].as_str().unwrap_or("?"),
                v["checks"]["blobs"].as_str().unwrap_or("?"),
                v["checks"]["queue"].as_str().unwrap_or("?"),
                v["checks"]["openai"].as_str().unwrap_or("?"),
            )),
            _ => Err("no status in the body".into()),
        }
    });

    let a = s.call(Method::POST, "/api/greeting", |r| r.json(&json!({}))).await;
    let session = s
        .record("greeting", &a, |a| {
            expect_status(a, &[200])?;
            let v = a.json();
            match (v["sessionId"].as_str(), v["reply"].as_str()) {
                (Some(id), Some(reply)) if !reply.is_empty() => {
                    Ok(format!("sessionId={id} state={}", v["state"].as_str().unwrap_or("?")))
                }
                _ => Err("no sessionId or reply".into()),
            }
        })
        .and_then(|v| v["sessionId"].as_str().map(str::to_owned));

    if let Some(sid) = session.clone() {
        let a = s.call(Method::POST, "/api/session/validate", |r| r.json(&json!({ "sessionId": sid }))).await;
        s.record("session/validate", &a, |a| {
            expect_status(a, &[200])?;
            let v = a.json();
            if v["valid"] == json!(true) {
                Ok(format!("valid state={}", v["state"].as_str().unwrap_or("?")))
            } else {
                Err("valid is not true".into())
            }
        });

        let a = s.call(Method::POST, "/api/chat", |r| r.json(&json!({ "sessionId": sid, "message": "hola" }))).await;
        s.record("chat", &a, |a| {
            expect_status(a, &[200])?;
            if a.millis >= CHAT_LIMIT_MS {
                return Err(format!("took {} ms; must be under {CHAT_LIMIT_MS} ms", a.millis));
            }
            let v = a.json();
            match v["reply"].as_str() {
                Some(reply) if !reply.is_empty() => {
                    Ok(format!("state={} reply=\"{}\"", v["state"].as_str().unwrap_or("?"), short(reply, 60)))
                }
                _ => Err("empty reply".into()),
            }
        });

        let png = test_image();
        let a = s
            .call(Method::POST, "/api/upload-image", |r| {
                let part = reqwest::multipart::Part::bytes(png).file_name("smoke.png").mime_str("image/png");
                let form = match part {
                    Ok(p) => reqwest::multipart::Form::new().part("image", p),
                    Err(_) => reqwest::multipart::Form::new(),
                };
                r.header("x-session-id", sid.clone()).multipart(form)
            })
            .await;
        let upload = s
            .record("upload-image", &a, |a| {
                expect_status(a, &[202])?;
                a.json()["uploadId"]
                    .as_str()
                    .map(|id| format!("uploadId={id} status=queued"))
                    .ok_or_else(|| "no uploadId".into())
            })
            .and_then(|v| v["uploadId"].as_str().map(str::to_owned));

        if let Some(upload_id) = upload {
            s.await_analysis("upload-status", &sid, &upload_id).await;
        }

        // The signed-URL path the widget uses: the bytes go straight to storage.
        let png = test_image();
        let size = png.len();
        let a = s
            .call(Method::POST, "/api/upload-url", |r| {
                r.header("x-session-id", sid.clone()).json(&json!({ "contentType": "image/png", "size": size }))
            })
            .await;
        let offer = s.record("upload-url", &a, |a| {
            expect_status(a, &[201])?;
            let v = a.json();
            match (v["uploadId"].as_str(), v["url"].as_str(), v["method"].as_str()) {
                (Some(id), Some(url), Some("PUT")) => Ok(format!("uploadId={id} url={}", short(url, 48))),
                _ => Err("no uploadId, url or PUT method".into()),
            }
        });
        if let Some(offer) = offer {
            let a = s.put_signed(&offer, png).await;
            let put = s.record("upload PUT", &a, |a| {
                expect_status(a, &[200])?;
                Ok(format!("{size} bytes stored"))
            });
            if let (Some(_), Some(upload_id)) = (put, offer["uploadId"].as_str()) {
                s.await_analysis("upload-url status", &sid, upload_id).await;
            }
        }

        let a = s.call(Method::POST, "/api/whatsapp-ticket", |r| r.json(&json!({ "sessionId": sid }))).await;
        s.record("whatsapp-ticket", &a, |a| {
            expect_status(a, &[200, 201])?;
            let v = a.json();
            match (v["ticketId"].as_str(), v["whatsappUrl"].as_str()) {
                (Some(id), Some(url)) if url.starts_with("https://wa.me/") && url.contains(id) => {
                    Ok(format!("ticketId={id} whatsappUrl={}", short(url, 48)))
                }
                _ => Err("no ticketId, or the WhatsApp link lacks it".into()),
            }
        });
    }

    let a = match log_token {
        Some(token) => s.call(Method::GET, "/api/logs?limit=40", |r| r.bearer_auth(token)).await,
        None => s.call(Method::GET, "/api/logs?limit=40", |r| r).await,
    };
    s.record("logs", &a, |a| {
        let lines = a.body.lines().filter(|l| !l.trim().is_empty()).count();
        let valid = a.body.lines().filter(|l| !l.trim().is_empty()).all(|l| serde_json::from_str::<Value>(l).is_ok());
        match (log_token, a.status.as_u16()) {
            (_, 200) if valid => Ok(format!(
                "{lines} NDJSON line(s){}",
                if log_token.is_none() { " (open: no LOG_TOKEN configured)" } else { "" }
            )),
            (_, 200) => Err("the body is not NDJSON".into()),
            (None, 401 | 503) => Ok(format!("protected (HTTP {}); pass --log-token to read it", a.status.as_u16())),
            (Some(_), 401) => Err("the token was refused".into()),
            _ => Err("unexpected answer".into()),
        }
    });

    if let Some(sid) = session {
        let a = s.call(Method::DELETE, &format!("/api/session/{sid}"), |r| r).await;
        s.record("cleanup", &a, |a| {
            expect_status(a, &[200])?;
            Ok("the smoke session and its data were erased".into())
        });
    }

    let failed: Vec<&str> = s.steps.iter().filter(|st| !st.ok).map(|st| st.name).collect();
    let total = s.steps.len();
    if failed.is_empty() && total > 1 {
        println!("RESULT: PASS — {total}/{total} steps passed, no 5xx, /api/chat under {CHAT_LIMIT_MS} ms");
        ExitCode::SUCCESS
    } else {
        println!("RESULT: FAIL — {} of {total} steps failed: {}", failed.len(), failed.join(", "));
        ExitCode::FAILURE
    }
}
