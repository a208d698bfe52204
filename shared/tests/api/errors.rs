//! Every public error code, provoked for real through the router with its status, its
//! envelope and (for 429/503) its Retry-After: bad requests, limits, a handler that
//! panics, a store that is down or keeps losing races, randomness that fails or keeps
//! drawing the same ids.

use std::sync::atomic::{AtomicBool, Ordering};

use sti_shared::ids::{OsRandom, RandomUnavailable, Randomness};

use super::faulty_sessions::Fault;
use super::support::*;

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

#[tokio::test]
async fn every_error_code_is_provoked_with_its_status_and_envelope() {
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
    let stale = api.app.backend().signer.sign_get("thumbnails/uploads/x/upl-1.jpg", 1_000, "http://h").await;
    let stale = path_of(&stale.unwrap_or_else(|e| panic!("{e}")));
    expect(api.get(&stale, &[]).await, ErrorCode::LinkExpired, s).await;
    let gone = api.app.backend().signer.sign_get("thumbnails/uploads/x/upl-1.jpg", i64::MAX / 2, "http://h").await;
    let gone = path_of(&gone.unwrap_or_else(|e| panic!("{e}")));
    expect(api.get(&gone, &[]).await, ErrorCode::FileNotFound, s).await;
    let rate = |body: Value| api.post_json("/api/feedback", body);
    expect(rate(json!({ "sessionId": session, "rating": "5" })).await, ErrorCode::InvalidRating, s).await;
    expect(rate(json!({ "sessionId": session, "rating": "up" })).await, ErrorCode::NothingToRate, s).await;
    let solved = session_with_steps(&api).await;
    assert_eq!(
        chat(json!({ "sessionId": solved, "action": "button", "value": "yes" })).await.json()["state"],
        "solved"
    );
    assert_eq!(rate(json!({ "sessionId": solved, "rating": "up" })).await.status, StatusCode::CREATED);
    expect(rate(json!({ "sessionId": solved, "rating": "down" })).await, ErrorCode::AlreadyRated, s).await;
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

    signed_url_errors(s).await;
    around_the_edge(s).await;
    body_ceiling_error(s).await;
    a_panicking_handler(s).await;
    a_store_that_is_down(s).await;
    a_session_that_keeps_losing_commit_races(s).await;
    a_conversation_at_its_turn_limit(s).await;
    randomness_that_fails(s).await;
    ids_that_keep_colliding(s).await;

    let missing: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).filter(|c| !seen.contains(c)).collect();
    assert!(missing.is_empty(), "error codes no test provokes: {missing:?}");
}

async fn signed_url_errors(s: &mut HashSet<&'static str>) {
    let clock = Arc::new(ManualClock::new());
    let hosting = Hosting { clock: Some(clock.clone()), ..Hosting::default() };
    let api = api_with(&[("UPLOAD_URL_TTL", "60s")], hosting, |_| {}).await;
    let session = api.greet().await;
    let offered = api.upload_url(&session, "image/png", DEMO_PNG.len()).await.json();
    let url = offered["url"].as_str().unwrap_or_default().to_owned();
    let tampered = url.replace("signature=", "signature=0");
    expect(api.put(&tampered, "image/png", DEMO_PNG).await, ErrorCode::InvalidSignature, s).await;
    let unmeasured = Request::put(path_of(&url))
        .header(header::CONTENT_TYPE, "image/png")
        .body(Body::from_stream(futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(DEMO_PNG))])));
    expect(api.send(unmeasured.unwrap_or_else(|e| panic!("{e}"))).await, ErrorCode::LengthRequired, s).await;
    assert_eq!(api.put(&url, "image/png", DEMO_PNG).await.status, StatusCode::OK);
    expect(api.put(&url, "image/png", DEMO_PNG).await, ErrorCode::UploadAlreadyReceived, s).await;
    let later = api.upload_url(&session, "image/png", DEMO_PNG.len()).await.json();
    clock.advance(Duration::from_secs(60));
    let late = api.put(later["url"].as_str().unwrap_or_default(), "image/png", DEMO_PNG).await;
    expect(late, ErrorCode::UploadUrlExpired, s).await;
}

/// Behind CloudFront (`ORIGIN_SECRET` set) a request without the origin header, or with a
/// wrong one, is refused before anything runs — preflights included; with it, the viewer's
/// address CloudFront reports is the caller's, so per-IP limits count visitors, not edges.
async fn around_the_edge(s: &mut HashSet<&'static str>) {
    let secret = "origin-secret-0123456789abcdef";
    let api = api(&[("ORIGIN_SECRET", secret), ("RATE_LIMIT_GREETING_PER_MIN", "1")]).await;
    let greet = |origin: Option<&'static str>, viewer: &'static str| {
        let mut request = Request::post("/api/greeting")
            .header(header::CONTENT_TYPE, "application/json")
            .header("cloudfront-viewer-address", viewer);
        if let Some(origin) = origin {
            request = request.header("x-sti-origin", origin);
        }
        api.send(request.body(Body::from("{}")).unwrap_or_else(|e| panic!("{e}")))
    };
    expect(greet(None, "198.51.100.7:40000").await, ErrorCode::DirectAccessRefused, s).await;
    let wrong = expect(
        greet(Some("origin-secret-0123456789abcdeX"), "198.51.100.7:40000").await,
        ErrorCode::DirectAccessRefused,
        s,
    )
    .await;
    assert!(!wrong.text().contains(secret), "{}", wrong.text());
    assert_eq!(greet(Some(secret), "198.51.100.7:40000").await.status, StatusCode::OK);
    assert_eq!(
        greet(Some(secret), "198.51.100.7:40001").await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the same visitor"
    );
    assert_eq!(greet(Some(secret), "[2001:db8::7]:40000").await.status, StatusCode::OK, "another visitor");
    assert_eq!(greet(Some(secret), "2001:db8::8:40000").await.status, StatusCode::OK, "IPv6 without brackets");
    let sessions = api.app.backend().counters.get("sessions.created").await.ok().flatten();
    assert_eq!(sessions, Some(3), "nothing ran for the refused requests");
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/api/chat")
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .body(Body::empty());
    expect(api.send(preflight.unwrap_or_else(|e| panic!("{e}"))).await, ErrorCode::DirectAccessRefused, s).await;

    // Without the origin secret the header proves nothing and is ignored: one caller.
    let open = self::api(&[("RATE_LIMIT_GREETING_PER_MIN", "1")]).await;
    let greet = |viewer: &'static str| {
        let request = Request::post("/api/greeting")
            .header(header::CONTENT_TYPE, "application/json")
            .header("cloudfront-viewer-address", viewer);
        open.send(request.body(Body::from("{}")).unwrap_or_else(|e| panic!("{e}")))
    };
    assert_eq!(greet("198.51.100.7:1").await.status, StatusCode::OK);
    assert_eq!(
        greet("198.51.100.9:1").await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a spoofed address changes nothing"
    );
}

async fn body_ceiling_error(s: &mut HashSet<&'static str>) {
    let hosting = Hosting { request_body_ceiling: Some(64 * 1024), ..Hosting::default() };
    let api = api_with(&[], hosting, |_| {}).await;
    let session = api.greet().await;
    let (content_type, body) = multipart("image", &vec![7u8; 100 * 1024]);
    let request = Request::post("/api/upload-image")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, body.len())
        .header("x-session-id", session.as_str())
        .body(Body::from(body));
    expect(api.send(request.unwrap_or_else(|e| panic!("{e}"))).await, ErrorCode::UseUploadUrl, s).await;
}

async fn a_panicking_handler(s: &mut HashSet<&'static str>) {
    let api = api(&[]).await;
    let boom = with_panicking_route(api);
    let answer = expect(boom.get("/api/boom", &[]).await, ErrorCode::InternalError, s).await;
    assert!(!answer.text().contains("a bug in a handler"), "no internal detail: {}", answer.text());
}

/// A session holding `MAX_TURNS_PER_SESSION` turns takes no more: the refusal stores
/// nothing, and a new session goes on.
async fn a_conversation_at_its_turn_limit(s: &mut HashSet<&'static str>) {
    let api = api(&[("MAX_TURNS_PER_SESSION", "3")]).await;
    let session = api.greet().await;
    for message in ["hola, soy Ana", "la impresora no imprime"] {
        assert_eq!(api.chat(&session, message).await.status, StatusCode::OK);
    }
    let export = || async { api.get(&format!("/api/session/{session}/export"), &[]).await.json() };
    let before = export().await;
    let full = expect(api.chat(&session, "no, sigo igual").await, ErrorCode::ConversationFull, s).await;
    assert!(full.text().contains("start a new one"), "{}", full.text());
    let after = export().await;
    assert_eq!(
        (&after["session"], &after["transcript"]),
        (&before["session"], &before["transcript"]),
        "nothing stored"
    );
    let fresh = api.greet().await;
    assert_eq!(api.chat(&fresh, "hola, soy Ana").await.status, StatusCode::OK);
}

async fn a_store_that_is_down(s: &mut HashSet<&'static str>) {
    let api = api_with_faulty_sessions(Fault::Down, Hosting::default()).await;
    expect(api.post_json("/api/greeting", json!({})).await, ErrorCode::StorageUnavailable, s).await;
}

async fn a_session_that_keeps_losing_commit_races(s: &mut HashSet<&'static str>) {
    let clock = Arc::new(ManualClock::new());
    let hosting = Hosting { clock: Some(clock.clone()), ..Hosting::default() };
    let api = api_with_faulty_sessions(Fault::LosesEveryRace { clock }, hosting).await;
    let session = api.greet().await;
    let busy = expect(api.chat(&session, "hola, soy Ana").await, ErrorCode::SessionBusy, s).await;
    assert_eq!(busy.headers[header::RETRY_AFTER], "1");
}

/// Randomness that fails, or (once `stuck`) keeps drawing the same bits.
struct TestRandom {
    fails: bool,
    stuck: AtomicBool,
}

impl Randomness for TestRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomUnavailable> {
        if self.fails {
            return Err(RandomUnavailable);
        }
        if self.stuck.load(Ordering::SeqCst) {
            buf.fill(7);
            return Ok(());
        }
        OsRandom.fill(buf)
    }
}

async fn api_with_random(random: Arc<TestRandom>) -> Api {
    let hosting = Hosting { random: Some(random), ..Hosting::default() };
    api_with(&[], hosting, |_| {}).await
}

async fn randomness_that_fails(s: &mut HashSet<&'static str>) {
    let api = api_with_random(Arc::new(TestRandom { fails: true, stuck: AtomicBool::new(false) })).await;
    expect(api.post_json("/api/greeting", json!({})).await, ErrorCode::RandomUnavailable, s).await;
}

async fn ids_that_keep_colliding(s: &mut HashSet<&'static str>) {
    let random = Arc::new(TestRandom { fails: false, stuck: AtomicBool::new(false) });
    let api = api_with_random(Arc::clone(&random)).await;
    let (first, second) = (session_with_steps(&api).await, session_with_steps(&api).await);
    random.stuck.store(true, Ordering::SeqCst);
    api.greet().await;
    expect(api.post_json("/api/greeting", json!({})).await, ErrorCode::SessionIdExhausted, s).await;
    let opened = api.post_json("/api/whatsapp-ticket", json!({ "sessionId": first })).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text());
    let colliding = api.post_json("/api/whatsapp-ticket", json!({ "sessionId": second })).await;
    expect(colliding, ErrorCode::TicketIdExhausted, s).await;
}
