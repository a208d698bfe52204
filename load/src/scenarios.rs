//! The checklist's scenarios as goose scenarios. Every request checks its status and the
//! shape of its body; a request that does not is a goose failure (and an error in our
//! report).
//!
//! - `visitor` (A): greeting → name → problem (steps) → "no" → "no" → ticket button →
//!   validate, the way the widget walks a conversation;
//! - `reader` (A): health, the status of an upload, and the metrics, as operators and the
//!   widget's polling read them;
//! - `uploader` (B): one image every 20 s (3 a minute) from the visitor's own loopback
//!   address, followed until the worker is done.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use goose::prelude::*;
use serde_json::{Value, json};

use crate::record::{Recorder, UploadOutcome};

/// What the transactions share: the recorder, the operator token, and an upload that
/// the readers poll.
pub struct Shared {
    pub recorder: Arc<Recorder>,
    /// The target is `cargo lambda watch`: each function has its own URL prefix.
    pub lambda_watch: bool,
    pub log_token: Option<String>,
    pub known_upload: OnceLock<(String, String)>,
    pub image: Vec<u8>,
}

static SHARED: OnceLock<Shared> = OnceLock::new();

pub fn install(shared: Shared) {
    let _ = SHARED.set(shared);
}

fn shared() -> Result<&'static Shared, Box<TransactionError>> {
    SHARED.get().ok_or_else(|| Box::new(TransactionError::Custom("the load test was not set up".into())))
}

/// Where a path of the API is served: as it is, or under `cargo lambda watch`'s
/// `/lambda-url/<function>` prefix for the function that owns it.
pub fn routed(path: &str, lambda_watch: bool) -> String {
    if !lambda_watch {
        return path.to_owned();
    }
    let route = path.split('?').next().unwrap_or(path);
    let function = match route {
        "/api/health" => "health",
        "/api/greeting" => "greeting",
        "/api/session/validate" => "session-validate",
        "/api/chat" => "chat",
        "/api/upload-image" => "upload-image",
        "/api/upload-url" => "upload-url",
        "/api/metrics" => "metrics",
        "/api/whatsapp-ticket" => "whatsapp-ticket",
        r if r.starts_with("/api/upload/") => "upload-status",
        r if r.starts_with("/api/ticket/") => "ticket",
        _ => "session-data",
    };
    format!("/lambda-url/{function}{path}")
}

/// The session a simulated visitor is in.
#[derive(Clone)]
struct Visit {
    session: String,
    uploads: usize,
}

/// What a checked request must answer: this status, and a JSON body with these keys.
#[derive(Clone, Copy)]
struct Want {
    status: u16,
    keys: &'static [&'static str],
    /// A 429 with `Retry-After` is an answer too (the rate limit doing its job): the
    /// caller waits and tries again, as the widget does.
    rate_limited_ok: bool,
}

const fn want(status: u16, keys: &'static [&'static str]) -> Want {
    Want { status, keys, rate_limited_ok: false }
}

/// One checked request.
async fn call(
    user: &mut GooseUser,
    name: &str,
    method: GooseMethod,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
    expect: Want,
) -> Result<Value, Box<TransactionError>> {
    let mut builder = user.get_request_builder(&method, &routed(path, shared()?.lambda_watch))?;
    for (header, value) in headers {
        builder = builder.header(*header, *value);
    }
    if let Some(body) = &body {
        builder = builder.json(body);
    }
    request(user, name, method, path, builder, expect).await
}

async fn request(
    user: &mut GooseUser,
    name: &str,
    method: GooseMethod,
    path: &str,
    builder: reqwest::RequestBuilder,
    expect: Want,
) -> Result<Value, Box<TransactionError>> {
    let Want { status: expect, keys, rate_limited_ok } = expect;
    let request = GooseRequest::builder()
        .method(method)
        .path(path)
        .name(name)
        .expect_status_code(expect)
        .set_request_builder(builder)
        .build();
    let mut goose = user.request(request).await?;
    let status = goose.response.as_ref().map(|r| r.status().as_u16()).unwrap_or(0);
    let text = match goose.response {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let shaped = keys.iter().all(|k| !json[*k].is_null());
    let limited = rate_limited_ok && status == 429 && json["error"]["code"] == "rate_limited";
    let ok = (status == expect && shaped) || limited;
    shared()?.recorder.request(goose.request.response_time as f64, ok);
    if limited {
        shared()?.recorder.rate_limited();
        user.set_success(&mut goose.request)?;
        return Ok(json);
    }
    if !ok {
        let why = format!("{name}: HTTP {status} (expected {expect}), keys {keys:?} present: {shaped}");
        user.set_failure(&why, &mut goose.request, None, Some(&text))?;
    }
    Ok(json)
}

async fn greet(user: &mut GooseUser) -> TransactionResult {
    let body = call(
        user,
        "greeting",
        GooseMethod::Post,
        "/api/greeting",
        Some(json!({})),
        &[],
        want(200, &["sessionId", "reply"]),
    )
    .await?;
    let session = body["sessionId"].as_str().unwrap_or_default().to_owned();
    user.set_session_data(Visit { session, uploads: 0 });
    Ok(())
}

fn session_of(user: &GooseUser) -> String {
    user.get_session_data::<Visit>().map(|v| v.session.clone()).unwrap_or_default()
}

async fn say(user: &mut GooseUser, name: &str, turn: Value) -> Result<Value, Box<TransactionError>> {
    let mut body = turn;
    body["sessionId"] = json!(session_of(user));
    call(user, name, GooseMethod::Post, "/api/chat", Some(body), &[], want(200, &["reply", "state", "options"])).await
}

pub async fn conversation(user: &mut GooseUser) -> TransactionResult {
    greet(user).await?;
    say(user, "chat: name", json!({ "message": "hola, me llamo Ana" })).await?;
    say(user, "chat: problem", json!({ "message": "la impresora no imprime" })).await?;
    say(user, "chat: no", json!({ "message": "no, sigo igual" })).await?;
    say(user, "chat: no again", json!({ "message": "no" })).await?;
    say(user, "chat: ticket", json!({ "action": "button", "value": "ticket" })).await?;
    let session = session_of(user);
    let body = json!({ "sessionId": session });
    call(user, "validate", GooseMethod::Post, "/api/session/validate", Some(body), &[], want(200, &["valid"])).await?;
    Ok(())
}

pub async fn reads(user: &mut GooseUser) -> TransactionResult {
    call(user, "health", GooseMethod::Get, "/api/health", None, &[], want(200, &["status", "checks"])).await?;
    let shared = shared()?;
    if let Some((session, upload)) = shared.known_upload.get() {
        let path = format!("/api/upload/{upload}");
        call(
            user,
            "upload-status",
            GooseMethod::Get,
            &path,
            None,
            &[("x-session-id", session)],
            want(200, &["status"]),
        )
        .await?;
    }
    let bearer = shared.log_token.as_ref().map(|t| format!("Bearer {t}"));
    let auth: Vec<(&str, &str)> = bearer.as_deref().map(|b| vec![("authorization", b)]).unwrap_or_default();
    call(user, "metrics", GooseMethod::Get, "/api/metrics", None, &auth, want(200, &["uploads", "chat"])).await?;
    Ok(())
}

/// Run once before the users start: an image for the readers to poll.
pub async fn prepare(user: &mut GooseUser) -> TransactionResult {
    greet(user).await?;
    let session = session_of(user);
    if let Some(id) = upload(user, &session).await? {
        let _ = shared()?.known_upload.set((session, id));
    }
    Ok(())
}

/// Sends the shared image as one multipart upload; its id when accepted.
async fn upload(user: &mut GooseUser, session: &str) -> Result<Option<String>, Box<TransactionError>> {
    let image = shared()?.image.clone();
    let part = reqwest::multipart::Part::bytes(image).file_name("captura.png");
    let form = reqwest::multipart::Form::new().part("image", part);
    let builder = user
        .get_request_builder(&GooseMethod::Post, &routed("/api/upload-image", shared()?.lambda_watch))?
        .header("x-session-id", session)
        .multipart(form);
    let expect = Want { rate_limited_ok: true, ..want(202, &["uploadId"]) };
    let body = request(user, "upload-image", GooseMethod::Post, "/api/upload-image", builder, expect).await?;
    Ok(body["uploadId"].as_str().map(str::to_owned))
}

/// Scenario B's visitor speaks from its own loopback address (127.0.0.2, .3, …), so the
/// server's per-IP limits see as many visitors as there are users.
pub async fn own_address(user: &mut GooseUser) -> TransactionResult {
    let index = user.weighted_users_index;
    let address = std::net::Ipv4Addr::new(127, 0, (2 + index / 250) as u8, (2 + index % 250) as u8);
    let builder =
        reqwest::Client::builder().local_address(std::net::IpAddr::V4(address)).timeout(Duration::from_secs(30));
    user.set_client_builder(builder).await?;
    greet(user).await
}

/// How long a rate-limited visitor waits before sending again (the limit's windows are
/// a minute long; the widget counts `Retry-After` down the same way).
const RATE_LIMIT_PAUSE: Duration = Duration::from_secs(5);

/// How long an upload may take to be analysed before it counts as lost.
const PROCESSING_DEADLINE: Duration = Duration::from_secs(120);

pub async fn upload_and_follow(user: &mut GooseUser) -> TransactionResult {
    if user.get_session_data::<Visit>().is_some_and(|v| v.uploads >= 10) {
        greet(user).await?; // a session holds 10 images
    }
    let session = session_of(user);
    // A visitor told to wait by the per-IP limit waits and sends the same image again.
    let mut accepted = upload(user, &session).await?;
    for _ in 0..12 {
        if accepted.is_some() {
            break;
        }
        tokio::time::sleep(RATE_LIMIT_PAUSE).await;
        accepted = upload(user, &session).await?;
    }
    if let Some(visit) = user.get_session_data_mut::<Visit>() {
        visit.uploads += 1;
    }
    let recorder = Arc::clone(&shared()?.recorder);
    let Some(id) = accepted else {
        recorder.upload(UploadOutcome { upload_id: None, done_after_ms: None, final_status: "refused".into() });
        return Ok(());
    };
    let began = Instant::now();
    let path = format!("/api/upload/{id}");
    loop {
        let view = call(
            user,
            "upload-status",
            GooseMethod::Get,
            &path,
            None,
            &[("x-session-id", &session)],
            want(200, &["status"]),
        )
        .await?;
        let status = view["status"].as_str().unwrap_or("?").to_owned();
        let finished = status == "done" || status == "failed";
        if finished || began.elapsed() > PROCESSING_DEADLINE {
            let done_after_ms = finished.then(|| began.elapsed().as_secs_f64() * 1000.0);
            recorder.upload(UploadOutcome { upload_id: Some(id), done_after_ms, final_status: status });
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::routed;

    #[test]
    fn paths_go_to_their_function_under_cargo_lambda_watch() {
        assert_eq!(routed("/api/chat", false), "/api/chat");
        assert_eq!(routed("/api/chat", true), "/lambda-url/chat/api/chat");
        assert_eq!(routed("/api/upload/upl-1", true), "/lambda-url/upload-status/api/upload/upl-1");
        assert_eq!(routed("/api/session/validate", true), "/lambda-url/session-validate/api/session/validate");
        assert_eq!(routed("/api/session/web-1/export", true), "/lambda-url/session-data/api/session/web-1/export");
    }
}
