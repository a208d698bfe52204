//! The whole API in-process: the router of `sti serve` over a temporary embedded store,
//! called with `tower::ServiceExt::oneshot`. Every endpoint's happy path, and every
//! public error code with its status and envelope; what only a real process shows stays
//! in the end-to-end tests of `tests/`.

use std::collections::HashSet;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sti_shared::app::{App, Hosting};
use sti_shared::config::Config;
use sti_shared::handlers;
use sti_shared::http::{ErrorCode, router};
use sti_shared::services::demo::DEMO_PNG;
use sti_shared::time::rfc3339;
use tower::ServiceExt;

struct Api {
    app: App,
    router: Router,
    _dir: tempfile::TempDir,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The error envelope's code, after checking the envelope itself.
    fn error_code(&self) -> String {
        let v = self.json();
        let request_id = self.headers.get("x-request-id").and_then(|h| h.to_str().ok()).unwrap_or("");
        assert_eq!(v["requestId"], request_id, "the envelope carries the request id: {v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "a message: {v}");
        v["error"]["code"].as_str().unwrap_or_else(|| panic!("no code in {v}")).to_owned()
    }
}

async fn api(vars: &[(&str, &str)]) -> Api {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().display().to_string();
    let mut env: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    env.push(("STI_DATA_DIR".into(), data_dir));
    let lookup = move |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let config = Config::from_source(&lookup).unwrap_or_else(|e| panic!("{e}"));
    let app = App::build(config, Hosting::default()).await.unwrap_or_else(|e| panic!("{e}"));
    Api { router: router(app.clone(), handlers::all()), app, _dir: dir }
}

impl Api {
    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
        Answer { status: parts.status, headers: parts.headers, body }
    }

    async fn get(&self, uri: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::empty()).unwrap_or_else(|e| panic!("{e}"))).await
    }

    async fn post_json(&self, uri: &str, body: Value) -> Answer {
        self.post_raw(uri, "application/json", body.to_string()).await
    }

    async fn post_raw(&self, uri: &str, content_type: &str, body: impl Into<Body>) -> Answer {
        let request = Request::post(uri).header(header::CONTENT_TYPE, content_type).body(body.into());
        self.send(request.unwrap_or_else(|e| panic!("{e}"))).await
    }

    async fn upload(&self, session: &str, image: &[u8]) -> Answer {
        let (content_type, body) = multipart("image", image);
        let request = Request::post("/api/upload-image")
            .header(header::CONTENT_TYPE, content_type)
            .header("x-session-id", session)
            .body(Body::from(body));
        self.send(request.unwrap_or_else(|e| panic!("{e}"))).await
    }

    async fn greet(&self) -> String {
        let answer = self.post_json("/api/greeting", json!({})).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        answer.json()["sessionId"].as_str().unwrap_or_default().to_owned()
    }

    async fn chat(&self, session: &str, message: &str) -> Answer {
        self.post_json("/api/chat", json!({ "sessionId": session, "message": message })).await
    }
}

fn multipart(field: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "sti-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"shot.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A session that went through the conversation up to the steps.
async fn session_with_steps(api: &Api) -> String {
    let session = api.greet().await;
    assert_eq!(api.chat(&session, "hola, soy Ana").await.status, StatusCode::OK);
    let steps = api.chat(&session, "la impresora no imprime").await;
    assert_eq!(steps.json()["state"], "steps", "{}", steps.text());
    session
}

#[tokio::test]
async fn every_endpoint_answers_its_happy_path() {
    let api = api(&[("STI_ENV", "development")]).await;
    let health = api.get("/api/health", &[]).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json()["checks"]["store"], "ok");
    assert_eq!(health.json()["backend"], "local");

    let greeting = api.post_json("/api/greeting", json!({"locale": "en"})).await;
    assert_eq!(greeting.status, StatusCode::OK);
    let g = greeting.json();
    assert_eq!((g["state"].as_str(), g["locale"].as_str()), (Some("ask_name"), Some("en")));
    let session = g["sessionId"].as_str().unwrap_or_default().to_owned();

    let valid = api.post_json("/api/session/validate", json!({ "sessionId": session })).await;
    assert_eq!(valid.json()["valid"], true);
    let gone =
        api.post_json("/api/session/validate", json!({ "sessionId": "web-00000000000000000000000000000000" })).await;
    assert_eq!(gone.json(), json!({ "valid": false }));

    let named = api.chat(&session, "I'm Ana").await;
    assert_eq!(named.json()["state"], "ask_problem", "{}", named.text());
    let steps = api
        .post_json(
            "/api/chat",
            json!({ "sessionId": session, "text": "my printer does not print", "messageId": "m-1" }),
        )
        .await;
    assert_eq!(steps.json()["state"], "steps");
    let replay =
        api.post_json("/api/chat", json!({ "sessionId": session, "text": "something else", "messageId": "m-1" })).await;
    assert_eq!(replay.body, steps.body, "a repeated messageId gets the first answer");

    let accepted = api.upload(&session, DEMO_PNG).await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.text());
    let upload_id = accepted.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(accepted.json()["statusUrl"], format!("/api/upload/{upload_id}"));
    let status = api.get(&format!("/api/upload/{upload_id}"), &[("x-session-id", &session)]).await;
    assert_eq!((status.status, status.json()["status"].as_str()), (StatusCode::OK, Some("queued")));

    let opened = api.post_json("/api/whatsapp-ticket", json!({ "sessionId": session })).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text());
    let t = opened.json();
    assert_eq!(t["created"], true);
    assert!(t["whatsappUrl"].as_str().is_some_and(|u| u.starts_with("https://wa.me/")));
    let again = api.post_json("/api/whatsapp-ticket", json!({ "sessionId": session })).await;
    assert_eq!((again.status, again.json()["ticketId"].clone()), (StatusCode::OK, t["ticketId"].clone()));

    let ticket_url = t["ticketUrl"].as_str().unwrap_or_default();
    let path = ticket_url.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..])).unwrap_or("");
    let view = api.get(path, &[]).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.text());
    assert_eq!(view.json()["ticketId"], t["ticketId"]);
    assert!(view.json()["transcript"].as_array().is_some_and(|t| t.len() >= 4));
    let html = api.get(path, &[("accept", "text/html")]).await;
    assert!(html.text().starts_with("<!doctype html>"));
    assert!(html.headers["content-security-policy"].to_str().is_ok_and(|c| c.contains("default-src 'none'")));

    let logs = api.get("/api/logs?limit=5", &[]).await;
    assert_eq!(logs.status, StatusCode::OK);
    assert_eq!(logs.text().lines().count(), 5);
    assert!(logs.text().lines().all(|l| serde_json::from_str::<Value>(l).is_ok()));
    assert!(!logs.text().contains(&session), "the app log never holds a session id: {}", logs.text());
    assert!(logs.text().contains(&sti_shared::ids::session_tag(&session)), "but a tag to follow it by");

    let metrics = api.get("/api/metrics", &[]).await;
    assert_eq!(metrics.json()["sessions"]["created"], 1);
    assert_eq!(metrics.json()["tickets"]["created"], 1);
    let prometheus = api.get("/api/metrics?format=prometheus", &[]).await;
    assert!(prometheus.text().contains("sti_chat_messages_total 2\n"), "{}", prometheus.text());

    let export = api.get(&format!("/api/session/{session}/export"), &[]).await;
    let e = export.json();
    assert_eq!(e["session"]["sessionId"], session.as_str());
    assert_eq!((e["uploads"].as_array().map(Vec::len), e["tickets"].as_array().map(Vec::len)), (Some(1), Some(1)));

    let erase = Request::delete(format!("/api/session/{session}")).body(Body::empty());
    let erased = api.send(erase.unwrap_or_else(|e| panic!("{e}"))).await;
    assert_eq!(erased.status, StatusCode::OK);
    assert_eq!(erased.json()["erased"]["uploads"], 1);
}

/// A request that must fail with `code`, and what it shows besides.
async fn expect(answer: Answer, code: ErrorCode, seen: &mut HashSet<&'static str>) -> Answer {
    assert_eq!(answer.error_code(), code.as_str(), "{}", answer.text());
    assert_eq!(answer.status, code.status(), "{}", code.as_str());
    if matches!(answer.status, StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE) {
        assert!(answer.headers.contains_key(header::RETRY_AFTER), "{} needs Retry-After", code.as_str());
    }
    seen.insert(code.as_str());
    answer
}

/// Codes this file cannot provoke in-process, and where they are proven instead.
const PROVEN_ELSEWHERE: &[(ErrorCode, &str)] = &[
    (ErrorCode::InternalError, "a panicking handler or unreadable stored data: tests/tests/bad_input.rs, http::error"),
    (ErrorCode::StorageUnavailable, "a stalled store: tests/tests/aws_e2e.rs"),
    (ErrorCode::SessionBusy, "a session that keeps losing commit races: services::turns"),
    (ErrorCode::RandomUnavailable, "the OS random source failing: http::error's mapping test"),
    (ErrorCode::SessionIdExhausted, "five colliding random ids: http::error's mapping test"),
    (ErrorCode::TicketIdExhausted, "five colliding random ids: http::error's mapping test"),
    (ErrorCode::InvalidSignature, "a_signed_url_takes_one_put_of_exactly_what_was_declared, below"),
    (ErrorCode::LengthRequired, "a_signed_url_takes_one_put_of_exactly_what_was_declared, below"),
    (ErrorCode::UploadAlreadyReceived, "a_signed_url_takes_one_put_of_exactly_what_was_declared, below"),
    (ErrorCode::UploadUrlExpired, "an_expired_upload_url_is_refused, below"),
    (ErrorCode::UseUploadUrl, "behind_a_body_ceiling_large_multipart_bodies_are_sent_to_the_upload_url, below"),
];

#[tokio::test]
async fn every_error_code_has_its_status_and_envelope() {
    let mut seen = HashSet::new();
    let s = &mut seen;
    let api = api(&[
        ("MAX_JSON_BYTES", "256"),
        ("MAX_MESSAGE_CHARS", "50"),
        ("MAX_IMAGE_BYTES", "4096"),
        ("MAX_IMAGES_PER_SESSION", "1"),
        ("MAX_TICKETS_PER_HOUR", "1"),
        ("LOG_TOKEN", "operator-token-0123456789"),
        ("BODY_READ_TIMEOUT", "1s"),
        ("RATE_LIMIT_UPLOAD_PER_MIN", "100"),
    ])
    .await;
    let session = session_with_steps(&api).await;
    let chat = |body: Value| api.post_json("/api/chat", body);

    expect(api.post_raw("/api/chat", "application/json", "{\"sessionId\": ").await, ErrorCode::InvalidJson, s).await;
    expect(api.post_raw("/api/chat", "application/json", "[1, 2]").await, ErrorCode::InvalidRequest, s).await;
    expect(chat(json!({ "message": "hola" })).await, ErrorCode::MissingSessionId, s).await;
    expect(chat(json!({ "sessionId": "nope", "message": "hola" })).await, ErrorCode::InvalidSessionId, s).await;
    expect(chat(json!({ "sessionId": session })).await, ErrorCode::MissingMessage, s).await;
    expect(chat(json!({ "sessionId": session, "message": " \u{7} " })).await, ErrorCode::EmptyMessage, s).await;
    expect(chat(json!({ "sessionId": session, "message": "a".repeat(51) })).await, ErrorCode::MessageTooLong, s).await;
    let button = |value: Value| json!({ "sessionId": session, "action": "button", "value": value });
    expect(chat(button(json!("launch"))).await, ErrorCode::InvalidButton, s).await;
    expect(chat(json!({ "sessionId": session, "action": "button" })).await, ErrorCode::MissingValue, s).await;
    expect(chat(json!({ "sessionId": session, "action": "dance" })).await, ErrorCode::InvalidAction, s).await;
    let both = json!({ "sessionId": session, "action": "button", "value": "yes", "message": "sí" });
    expect(chat(both).await, ErrorCode::AmbiguousRequest, s).await;
    let bad_id = json!({ "sessionId": session, "message": "hola", "messageId": "a b" });
    expect(chat(bad_id).await, ErrorCode::InvalidMessageId, s).await;
    expect(api.post_json("/api/greeting", json!({ "locale": "fr" })).await, ErrorCode::InvalidLocale, s).await;
    let unknown = json!({ "sessionId": "web-00000000000000000000000000000000", "message": "hola" });
    expect(chat(unknown).await, ErrorCode::SessionNotFound, s).await;
    let big = json!({ "sessionId": session, "message": "x".repeat(300) });
    expect(chat(big).await, ErrorCode::PayloadTooLarge, s).await;
    expect(api.post_raw("/api/chat", "text/plain", "hola").await, ErrorCode::UnsupportedMediaType, s).await;
    let broken = Body::from_stream(futures::stream::iter([
        Ok::<_, std::io::Error>(Bytes::from_static(b"{\"sessionId\"")),
        Err(std::io::Error::other("connection reset")),
    ]));
    expect(api.post_raw("/api/chat", "application/json", broken).await, ErrorCode::UnreadableBody, s).await;
    expect(api.post_raw("/api/chat", "application/json", endless_body()).await, ErrorCode::RequestTimeout, s).await;

    // Uploads.
    let (content_type, no_image) = multipart("file", DEMO_PNG);
    let request = Request::post("/api/upload-image")
        .header(header::CONTENT_TYPE, content_type)
        .header("x-session-id", session.as_str())
        .body(Body::from(no_image));
    expect(api.send(request.unwrap_or_else(|e| panic!("{e}"))).await, ErrorCode::MissingImage, s).await;
    expect(api.upload(&session, b"").await, ErrorCode::EmptyImage, s).await;
    let request = Request::post("/api/upload-image")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
        .header("x-session-id", session.as_str())
        .body(Body::from("not multipart at all"));
    expect(api.send(request.unwrap_or_else(|e| panic!("{e}"))).await, ErrorCode::InvalidMultipart, s).await;
    expect(api.upload(&session, &DEMO_PNG[..30]).await, ErrorCode::InvalidImage, s).await;
    expect(api.upload(&session, &tiny_png()).await, ErrorCode::ImageDimensions, s).await;
    expect(api.upload(&session, &vec![0u8; 8192]).await, ErrorCode::ImageTooLarge, s).await;
    expect(api.upload(&session, b"%PDF-1.7 not an image").await, ErrorCode::UnsupportedImageType, s).await;
    assert_eq!(api.upload(&session, DEMO_PNG).await.status, StatusCode::ACCEPTED);
    expect(api.upload(&session, DEMO_PNG).await, ErrorCode::UploadLimitReached, s).await;
    let with_session = [("x-session-id", session.as_str())];
    expect(api.get("/api/upload/upl-x", &with_session).await, ErrorCode::InvalidUploadId, s).await;
    let missing = "/api/upload/upl-00000000000000000000000000000000";
    expect(api.get(missing, &with_session).await, ErrorCode::UploadNotFound, s).await;

    // Tickets: one per hour here, and links cannot be probed.
    let ticket = api.post_json("/api/whatsapp-ticket", json!({ "sessionId": session })).await;
    assert_eq!(ticket.status, StatusCode::CREATED);
    let id = ticket.json()["ticketId"].as_str().unwrap_or_default().to_owned();
    expect(api.get(&format!("/api/ticket/{id}?t=wrong"), &[]).await, ErrorCode::TicketNotFound, s).await;
    assert_eq!(chat(button(json!("restart"))).await.status, StatusCode::OK);
    let limited = api.post_json("/api/whatsapp-ticket", json!({ "sessionId": session })).await;
    expect(limited, ErrorCode::TicketLimit, s).await;

    // Operator endpoints and the routing around everything.
    let bearer = [("authorization", "Bearer operator-token-0123456789")];
    expect(api.get("/api/logs?limit=0", &bearer).await, ErrorCode::InvalidLimit, s).await;
    expect(api.get("/api/logs", &[("authorization", "Bearer nope")]).await, ErrorCode::Unauthorized, s).await;
    expect(api.get("/api/metrics?format=xml", &[]).await, ErrorCode::InvalidFormat, s).await;
    expect(api.get("/api/logs?limit=1&limit=2", &bearer).await, ErrorCode::InvalidQuery, s).await;
    expect(api.get(&format!("/api/ticket/{id}?t=a&t=b"), &[]).await, ErrorCode::InvalidQuery, s).await;
    expect(api.get("/api/upload/%FF", &with_session).await, ErrorCode::InvalidPath, s).await;
    expect(api.get("/api/nothing-here", &[]).await, ErrorCode::NotFound, s).await;
    expect(api.get("/api/chat", &[]).await, ErrorCode::MethodNotAllowed, s).await;
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/api/chat")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .body(Body::empty());
    expect(api.send(preflight.unwrap_or_else(|e| panic!("{e}"))).await, ErrorCode::OriginNotAllowed, s).await;

    let strict = self::api(&[("RATE_LIMIT_GREETING_PER_MIN", "1")]).await;
    strict.greet().await;
    expect(strict.post_json("/api/greeting", json!({})).await, ErrorCode::RateLimited, s).await;
    let production = self::api(&[("STI_ENV", "production")]).await;
    expect(production.get("/api/metrics", &[]).await, ErrorCode::OperatorEndpointDisabled, s).await;

    let elsewhere: HashSet<&str> = PROVEN_ELSEWHERE.iter().map(|(c, _)| c.as_str()).collect();
    for code in ErrorCode::ALL {
        assert!(
            seen.contains(code.as_str()) ^ elsewhere.contains(code.as_str()),
            "{} must be provoked here or listed in PROVEN_ELSEWHERE (exactly one)",
            code.as_str()
        );
    }
}

/// A body whose first bytes arrive and whose rest never does.
fn endless_body() -> Body {
    let first = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"--sti-test-boundary\r\n"))]);
    Body::from_stream(futures::StreamExt::chain(first, futures::stream::pending()))
}

/// A valid 4×4 PNG: below the smallest side accepted.
fn tiny_png() -> Vec<u8> {
    let mut out = Vec::new();
    let image = image::RgbImage::from_pixel(4, 4, image::Rgb([200, 10, 10]));
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("{e}"));
    out
}

#[tokio::test]
async fn a_failed_upload_shows_a_stable_reason_and_no_internal_detail() {
    use sti_shared::services::worker::{JobResult, process_job};
    let api = api(&[]).await;
    let session = api.greet().await;
    let status_of = |id: String| {
        let session = session.clone();
        let api = &api;
        async move { api.get(&format!("/api/upload/{id}"), &[("x-session-id", &session)]).await }
    };

    // The file vanished from storage, and this was the last delivery.
    let lost = api.upload(&session, DEMO_PNG).await.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let key = format!("uploads/{session}/{lost}");
    assert!(api.app.backend().blobs.delete(&key).await.is_ok());
    let attempts = api.app.config().worker_max_attempts;
    assert!(matches!(process_job(&api.app, &key, attempts).await, JobResult::Failed(_)));
    let answer = status_of(lost).await;
    assert_eq!(
        (answer.json()["status"].as_str(), answer.json()["error"].as_str()),
        (Some("failed"), Some("not_processed"))
    );
    let data_dir = api._dir.path().display().to_string();
    assert!(!answer.text().contains(&data_dir), "no file path reaches the visitor: {}", answer.text());

    // A PNG whose pixels are damaged: it passes the header check, then fails to decode.
    let mut damaged = DEMO_PNG.to_vec();
    let idat = damaged.windows(4).position(|w| w == b"IDAT").unwrap_or_else(|| panic!("no IDAT"));
    for byte in &mut damaged[idat + 6..idat + 14] {
        *byte ^= 0x5a;
    }
    let bad = api.upload(&session, &damaged).await.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let key = format!("uploads/{session}/{bad}");
    assert!(matches!(process_job(&api.app, &key, 1).await, JobResult::Failed(_)));
    assert_eq!(status_of(bad).await.json()["error"], "undecodable_image");
}

#[tokio::test]
async fn messages_to_made_up_sessions_spend_the_senders_quota() {
    let api = api(&[("RATE_LIMIT_CHAT_PER_MIN_IP", "2"), ("RATE_LIMIT_TICKET_PER_MIN_IP", "1")]).await;
    let made_up = "web-00000000000000000000000000000000";
    for _ in 0..2 {
        assert_eq!(api.chat(made_up, "hola").await.status, StatusCode::NOT_FOUND);
    }
    let probing = api.chat(made_up, "hola").await;
    assert_eq!((probing.status, probing.error_code().as_str()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));

    let ticket = |session: &str| api.post_json("/api/whatsapp-ticket", json!({ "sessionId": session }));
    assert_eq!(ticket(made_up).await.status, StatusCode::NOT_FOUND);
    let limited = ticket(made_up).await;
    assert_eq!((limited.status, limited.error_code().as_str()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
}

#[tokio::test]
async fn uploads_are_refused_before_their_body_is_read() {
    let api = api(&[]).await;
    let session = api.greet().await;
    let (content_type, _) = multipart("image", b"");
    let endless = |session: &str, length: Option<&str>| {
        let mut request = Request::post("/api/upload-image")
            .header(header::CONTENT_TYPE, content_type.as_str())
            .header("x-session-id", session);
        if let Some(length) = length {
            request = request.header(header::CONTENT_LENGTH, length);
        }
        request.body(endless_body()).unwrap_or_else(|e| panic!("{e}"))
    };
    // Each answer comes at once: waiting for the body would take BODY_READ_TIMEOUT (30 s).
    let quick = |request| tokio::time::timeout(std::time::Duration::from_secs(3), api.send(request));
    let too_big = quick(endless(&session, Some("9999999999"))).await.unwrap_or_else(|_| panic!("read the body"));
    assert_eq!((too_big.status, too_big.error_code().as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "image_too_large"));
    let made_up = "web-00000000000000000000000000000000";
    for _ in 0..3 {
        let unknown = quick(endless(made_up, None)).await.unwrap_or_else(|_| panic!("read the body"));
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    }
    let limited = quick(endless(&session, None)).await.unwrap_or_else(|_| panic!("read the body"));
    assert_eq!(
        (limited.status, limited.error_code().as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        "uploads to made-up sessions count against the IP's upload rate"
    );
}

#[tokio::test]
async fn operator_endpoints_need_a_token_unless_development_is_explicit() {
    use std::sync::Arc;
    use sti_shared::backends::StaticSecrets;
    use sti_shared::ports::{Secret, SecretValues};

    let implicit = api(&[]).await;
    let refused = implicit.get("/api/logs", &[]).await;
    assert_eq!((refused.status, refused.error_code().as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    assert_eq!(api(&[("STI_ENV", "development")]).await.get("/api/logs", &[]).await.status, StatusCode::OK);

    // A production secret whose LOG_TOKEN is too short keeps the endpoints closed.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let lookup = |name: &str| (name == "STI_ENV").then(|| "production".to_owned());
    let config = Config::from_source(&lookup).unwrap_or_else(|e| panic!("{e}"));
    let (mut backend, _) =
        sti_shared::backends::local::open(dir.path(), SecretValues::default()).unwrap_or_else(|e| panic!("{e}"));
    let short = SecretValues { log_token: Some(Secret::new("short")), ..SecretValues::default() };
    backend.secrets = Arc::new(StaticSecrets(short));
    let app = App::with_backend(config, backend, Hosting::default()).unwrap_or_else(|e| panic!("{e}"));
    let production = Api { router: router(app.clone(), handlers::all()), app, _dir: dir };
    let closed = production.get("/api/logs", &[("authorization", "Bearer short")]).await;
    assert_eq!(
        (closed.status, closed.error_code().as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "operator_endpoint_disabled")
    );
}

#[tokio::test]
async fn processing_keeps_only_the_sanitised_copy() {
    use sti_shared::services::worker::{JobResult, process_job};
    let api = api(&[]).await;
    let session = api.greet().await;
    let id = api.upload(&session, DEMO_PNG).await.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let key = format!("uploads/{session}/{id}");
    assert_eq!(process_job(&api.app, &key, 1).await, JobResult::Processed);
    let blobs = &api.app.backend().blobs;
    assert!(blobs.get(&key).await.ok().flatten().is_none(), "the original, metadata and all, is deleted");
    assert!(blobs.get(&format!("sanitized/{key}.png")).await.ok().flatten().is_some());
    assert!(blobs.get(&format!("thumbnails/{key}.jpg")).await.ok().flatten().is_some());
    let status = api.get(&format!("/api/upload/{id}"), &[("x-session-id", &session)]).await;
    assert_eq!(status.json()["status"], "done");
}

#[tokio::test]
async fn lost_jobs_are_requeued_and_missing_files_settled() {
    use sti_shared::services::janitor::{Reconciled, STALE_QUEUED_MS, reconcile_once};
    use sti_shared::services::worker::{JobResult, process_job};
    let api = api(&[]).await;
    let session = api.greet().await;
    let b = api.app.backend();
    let kept = api.upload(&session, DEMO_PNG).await.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let lost = api.upload(&session, DEMO_PNG).await.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    assert!(b.blobs.delete(&format!("uploads/{session}/{lost}")).await.is_ok());
    // Both jobs vanish, as if the process died before enqueueing them.
    let now = sti_shared::time::now_ms();
    for delivery in b.queue.receive(10, 60_000, now).await.unwrap_or_default() {
        assert!(b.queue.ack(&delivery.receipt).await.is_ok());
    }
    assert_eq!(reconcile_once(&api.app, now).await.ok(), Some(Reconciled::default()), "not stale yet");
    let later = now + STALE_QUEUED_MS + 1_000;
    assert_eq!(reconcile_once(&api.app, later).await.ok(), Some(Reconciled { requeued: 1, failed: 1 }));
    let jobs = b.queue.receive(10, 60_000, later).await.unwrap_or_default();
    assert_eq!(jobs.len(), 1);
    assert_eq!(process_job(&api.app, &jobs[0].job.key, 1).await, JobResult::Processed);
    let headers = [("x-session-id", session.as_str())];
    assert_eq!(api.get(&format!("/api/upload/{kept}"), &headers).await.json()["status"], "done");
    let failed = api.get(&format!("/api/upload/{lost}"), &headers).await.json();
    assert_eq!((failed["status"].as_str(), failed["error"].as_str()), (Some("failed"), Some("not_stored")));
}

#[tokio::test]
async fn the_janitor_purges_expired_uploads_files_first() {
    use sti_shared::services::janitor::purge_once;
    let api = api(&[("UPLOAD_RETENTION", "1d")]).await;
    let session = api.greet().await;
    let id = api.upload(&session, DEMO_PNG).await.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let key = format!("uploads/{session}/{id}");
    let b = api.app.backend();
    let later = sti_shared::time::now_ms() + 2 * sti_shared::time::DAY_MS;
    let purged = purge_once(&api.app, later).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((purged.uploads, purged.blobs), (1, 1));
    assert!(!b.blobs.exists(&key).await.unwrap_or(true), "the file is gone");
    assert!(b.uploads.expired(later, 10).await.unwrap_or_default().is_empty(), "and so is the record");
}

/// The path and query of an absolute URL the API handed out.
fn path_of(url: &str) -> String {
    url.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned())).unwrap_or_default()
}

impl Api {
    async fn upload_url(&self, session: &str, content_type: &str, size: usize) -> Answer {
        let request = Request::post("/api/upload-url")
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-session-id", session)
            .body(Body::from(json!({ "contentType": content_type, "size": size }).to_string()));
        self.send(request.unwrap_or_else(|e| panic!("{e}"))).await
    }

    /// A `PUT` to `url` as a browser sends it: `Content-Length` from the body.
    async fn put(&self, url: &str, content_type: &str, body: &[u8]) -> Answer {
        let request = Request::put(path_of(url))
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body.to_vec()));
        self.send(request.unwrap_or_else(|e| panic!("{e}"))).await
    }

    async fn upload_status(&self, session: &str, upload_id: &str) -> Value {
        self.get(&format!("/api/upload/{upload_id}"), &[("x-session-id", session)]).await.json()
    }

    async fn blob_exists(&self, key: &str) -> bool {
        self.app.backend().blobs.exists(key).await.unwrap_or_else(|e| panic!("{e}"))
    }

    async fn queued_jobs(&self) -> u64 {
        self.app.backend().queue.depth().await.unwrap_or_else(|e| panic!("{e}"))
    }
}

#[tokio::test]
async fn a_signed_url_takes_one_put_of_exactly_what_was_declared() {
    use sti_shared::services::worker::{JobResult, process_job};
    let api = api(&[("RATE_LIMIT_UPLOAD_PER_MIN", "100")]).await;
    let session = api.greet().await;
    let offered = api.upload_url(&session, "image/png", DEMO_PNG.len()).await;
    assert_eq!(offered.status, StatusCode::CREATED, "{}", offered.text());
    let o = offered.json();
    let upload_id = o["uploadId"].as_str().unwrap_or_default().to_owned();
    let url = o["url"].as_str().unwrap_or_default().to_owned();
    assert_eq!(o["method"], "PUT");
    assert!(path_of(&url).starts_with(&format!("/api/upload/{upload_id}/content?")), "{url}");
    assert_eq!(o["headers"], json!({ "Content-Type": "image/png" }));
    assert_eq!(o["statusUrl"], format!("/api/upload/{upload_id}"));
    // RFC 3339 times of one format sort as they fall.
    let expires = o["expiresAt"].as_str().unwrap_or_default().to_owned();
    let now = sti_shared::time::now_ms();
    let (earliest, latest) = (rfc3339(now + 4 * 60_000), rfc3339(now + 5 * 60_000 + 1_000));
    assert!(earliest <= expires && expires <= latest, "{expires} not within 5 minutes");
    assert_eq!(api.upload_status(&session, &upload_id).await["status"], "awaiting_upload");

    // Anything but exactly what was signed is refused before the body is read, and
    // changes nothing.
    let key = format!("uploads/{session}/{upload_id}");
    let refused = [
        (api.put(&url, "image/jpeg", DEMO_PNG).await, "invalid_signature"),
        (api.put(&url, "image/png", &DEMO_PNG[..DEMO_PNG.len() - 1]).await, "invalid_signature"),
        (api.put(&url.replace("length=", "length=1"), "image/png", DEMO_PNG).await, "invalid_signature"),
        (
            api.put(&url.replace("type=image%2Fpng", "type=image%2Fgif"), "image/gif", DEMO_PNG).await,
            "invalid_signature",
        ),
        (api.put(&format!("{}x", &url[..url.len() - 1]), "image/png", DEMO_PNG).await, "invalid_signature"),
        (api.put(url.split('?').next().unwrap_or_default(), "image/png", DEMO_PNG).await, "invalid_signature"),
    ];
    for (answer, code) in &refused {
        assert_eq!((answer.status, answer.error_code().as_str()), (StatusCode::FORBIDDEN, *code), "{}", answer.text());
    }
    let no_length = Request::put(path_of(&url))
        .header(header::CONTENT_TYPE, "image/png")
        .body(Body::from_stream(futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(DEMO_PNG))])));
    let no_length = api.send(no_length.unwrap_or_else(|e| panic!("{e}"))).await;
    assert_eq!((no_length.status, no_length.error_code().as_str()), (StatusCode::LENGTH_REQUIRED, "length_required"));
    // The connection drops half-way: nothing is stored, nothing is queued.
    let half = Request::put(path_of(&url))
        .header(header::CONTENT_TYPE, "image/png")
        .header(header::CONTENT_LENGTH, DEMO_PNG.len())
        .body(Body::from_stream(futures::stream::iter([
            Ok::<_, std::io::Error>(Bytes::from_static(&DEMO_PNG[..DEMO_PNG.len() / 2])),
            Err(std::io::Error::other("connection reset")),
        ])));
    let half = api.send(half.unwrap_or_else(|e| panic!("{e}"))).await;
    assert_eq!(half.error_code(), "unreadable_body");
    assert!(!api.blob_exists(&key).await, "no blob of a truncated PUT");
    assert_eq!(api.queued_jobs().await, 0, "no job of a refused PUT");
    assert_eq!(api.upload_status(&session, &upload_id).await["status"], "awaiting_upload");

    let put = api.put(&url, "image/png", DEMO_PNG).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    assert_eq!(put.json()["status"], "queued");
    assert!(api.blob_exists(&key).await);
    assert_eq!(api.queued_jobs().await, 1);
    assert_eq!(api.upload_status(&session, &upload_id).await["status"], "queued");
    let again = api.put(&url, "image/png", DEMO_PNG).await;
    assert_eq!((again.status, again.error_code().as_str()), (StatusCode::CONFLICT, "upload_already_received"));
    assert_eq!(api.queued_jobs().await, 1, "a second PUT queues nothing");

    assert_eq!(process_job(&api.app, &key, 1).await, JobResult::Processed);
    let done = api.upload_status(&session, &upload_id).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["analysis"]["format"], "png");
}

#[tokio::test]
async fn bytes_that_are_not_the_declared_image_fail_and_leave_nothing() {
    use sti_shared::services::worker::{JobResult, process_job};
    let api = api(&[]).await;
    let session = api.greet().await;
    let page = b"<html><body><script>alert(document.cookie)</script></body></html>".repeat(8);
    let offered = api.upload_url(&session, "image/png", page.len()).await.json();
    let upload_id = offered["uploadId"].as_str().unwrap_or_default().to_owned();
    // Like S3, the PUT checks what was signed, not what the bytes are.
    let put = api.put(offered["url"].as_str().unwrap_or_default(), "image/png", &page).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    let key = format!("uploads/{session}/{upload_id}");
    assert_eq!(process_job(&api.app, &key, 1).await, JobResult::Failed("type_mismatch".into()));
    let status = api.upload_status(&session, &upload_id).await;
    assert_eq!((status["status"].as_str(), status["error"].as_str()), (Some("failed"), Some("type_mismatch")));
    assert!(!api.blob_exists(&key).await, "the refused bytes are deleted");
    for prefix in ["sanitized/", "thumbnails/"] {
        assert!(
            !api.blob_exists(&format!("{prefix}{key}.png")).await
                && !api.blob_exists(&format!("{prefix}{key}.jpg")).await
        );
    }
}

#[tokio::test]
async fn an_object_nobody_asked_for_is_deleted_and_counted() {
    use sti_shared::services::worker::{JobResult, process_job};
    let api = api(&[]).await;
    let session = api.greet().await;
    let key = format!("uploads/{session}/upl-00000000000000000000000000000001");
    let stray = Bytes::from_static(DEMO_PNG);
    assert!(api.app.backend().blobs.put(&key, stray, "image/png").await.is_ok());
    assert!(matches!(process_job(&api.app, &key, 1).await, JobResult::Ignored(_)));
    assert!(!api.blob_exists(&key).await);
    let metrics = api.get("/api/metrics?format=prometheus", &[]).await.text();
    assert!(metrics.contains("sti_uploads_orphaned_total 1\n"), "{metrics}");
}

#[tokio::test]
async fn an_upload_url_is_refused_before_any_record_exists() {
    let api = api(&[("MAX_IMAGE_BYTES", "4096"), ("RATE_LIMIT_UPLOAD_PER_MIN", "100")]).await;
    let session = api.greet().await;
    let id = sti_shared::ids::SessionId::parse(&session).unwrap_or_else(|e| panic!("{e:?}"));
    let records = || async { api.app.backend().uploads.list_for_session(&id, 0).await.map(|u| u.len()).unwrap_or(99) };
    let too_big = api.upload_url(&session, "image/png", 4097).await;
    assert_eq!((too_big.status, too_big.error_code().as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "image_too_large"));
    let svg = api.upload_url(&session, "image/svg+xml", 100).await;
    assert_eq!(svg.error_code(), "unsupported_image_type");
    let empty = api.upload_url(&session, "image/png", 0).await;
    assert_eq!(empty.error_code(), "empty_image");
    let nobody = api.upload_url("web-00000000000000000000000000000000", "image/png", 100).await;
    assert_eq!(nobody.error_code(), "session_not_found");
    assert_eq!(records().await, 0);
    for _ in 0..10 {
        assert_eq!(api.upload_url(&session, "image/png", 100).await.status, StatusCode::CREATED);
    }
    let eleventh = api.upload_url(&session, "image/png", 100).await;
    let code = eleventh.error_code();
    assert_eq!((eleventh.status, code.as_str()), (StatusCode::TOO_MANY_REQUESTS, "upload_limit_reached"));
    let wait: u64 = eleventh.headers[header::RETRY_AFTER].to_str().ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!((1..=15 * 60).contains(&wait), "an unused URL frees its place within its grace: {wait}");
    assert_eq!(records().await, 10);
}

#[tokio::test]
async fn the_fourth_upload_url_in_a_minute_from_one_address_waits() {
    let api = api(&[]).await;
    let sessions = [api.greet().await, api.greet().await];
    for i in 0..3 {
        assert_eq!(api.upload_url(&sessions[i % 2], "image/jpeg", 1000).await.status, StatusCode::CREATED);
    }
    let fourth = api.upload_url(&sessions[1], "image/jpeg", 1000).await;
    assert_eq!((fourth.status, fourth.error_code().as_str()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    assert!(fourth.headers.contains_key(header::RETRY_AFTER));
    let id = sti_shared::ids::SessionId::parse(&sessions[1]).unwrap_or_else(|e| panic!("{e:?}"));
    let held = api.app.backend().uploads.list_for_session(&id, 0);
    assert_eq!(held.await.map(|u| u.len()).ok(), Some(1), "the refused request created no record");
}

#[tokio::test]
async fn an_expired_upload_url_is_refused() {
    let api = api(&[("UPLOAD_URL_TTL", "1s")]).await;
    let session = api.greet().await;
    let offered = api.upload_url(&session, "image/png", DEMO_PNG.len()).await.json();
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let late = api.put(offered["url"].as_str().unwrap_or_default(), "image/png", DEMO_PNG).await;
    assert_eq!((late.status, late.error_code().as_str()), (StatusCode::FORBIDDEN, "upload_url_expired"));
    assert!(!api.blob_exists(&format!("uploads/{session}/{}", offered["uploadId"].as_str().unwrap_or_default())).await);
}

#[tokio::test]
async fn behind_a_body_ceiling_large_multipart_bodies_are_sent_to_the_upload_url() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().display().to_string();
    let lookup = move |name: &str| (name == "STI_DATA_DIR").then(|| data_dir.clone());
    let config = Config::from_source(&lookup).unwrap_or_else(|e| panic!("{e}"));
    let hosting = Hosting { request_body_ceiling: Some(64 * 1024), ..Hosting::default() };
    let app = App::build(config, hosting).await.unwrap_or_else(|e| panic!("{e}"));
    let api = Api { router: router(app.clone(), handlers::all()), app, _dir: dir };
    let session = api.greet().await;
    let (content_type, body) = multipart("image", &vec![7u8; 100 * 1024]);
    let declared = Request::post("/api/upload-image")
        .header(header::CONTENT_TYPE, content_type.as_str())
        .header(header::CONTENT_LENGTH, body.len())
        .header("x-session-id", session.as_str())
        .body(Body::from(body.clone()));
    let refused = api.send(declared.unwrap_or_else(|e| panic!("{e}"))).await;
    assert_eq!((refused.status, refused.error_code().as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "use_upload_url"));
    assert!(refused.json()["error"]["message"].as_str().is_some_and(|m| m.contains("/api/upload-url")));
    let streamed = Request::post("/api/upload-image")
        .header(header::CONTENT_TYPE, content_type.as_str())
        .header("x-session-id", session.as_str())
        .body(Body::from_stream(futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from(body))])));
    let refused = api.send(streamed.unwrap_or_else(|e| panic!("{e}"))).await;
    assert_eq!(refused.error_code(), "use_upload_url", "also when no length was declared");
    assert_eq!(api.upload(&session, DEMO_PNG).await.status, StatusCode::ACCEPTED, "small images still fit");
}

#[tokio::test]
async fn the_widget_is_served_for_other_sites_to_embed() {
    let api = api(&[]).await;
    for (path, kind) in [("/widget.js", "text/javascript"), ("/widget.css", "text/css")] {
        let first = api.get(path, &[("origin", "https://shop.example")]).await;
        assert_eq!(first.status, StatusCode::OK, "{path}");
        assert!(first.headers[header::CONTENT_TYPE].to_str().is_ok_and(|t| t.starts_with(kind)), "{path}");
        assert_eq!(first.headers["cross-origin-resource-policy"], "cross-origin", "{path}");
        assert_eq!(first.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*", "{path}");
        assert!(first.headers[header::CACHE_CONTROL].to_str().is_ok_and(|c| c.contains("max-age=300")));
        let etag = first.headers[header::ETAG].to_str().unwrap_or_default().to_owned();
        assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
        let again = api.get(path, &[("if-none-match", &etag)]).await;
        assert_eq!((again.status, again.body.len()), (StatusCode::NOT_MODIFIED, 0), "{path}");
    }
    let demo = api.get("/", &[]).await;
    assert_eq!(demo.status, StatusCode::OK);
    assert!(demo.text().contains("<script src=\"/widget.js\" defer"));
    let csp = demo.headers["content-security-policy"].to_str().unwrap_or_default().to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert_eq!(demo.headers["cross-origin-resource-policy"], "same-site");
    // The API itself still answers only the origins it allows.
    let health = api.get("/api/health", &[("origin", "https://shop.example")]).await;
    assert!(!health.headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}
