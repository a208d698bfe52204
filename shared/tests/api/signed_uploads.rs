//! Images through a signed URL: what the URL allows, once, and until when.

use super::support::*;

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
    let key = original_key(&session, &upload_id);
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
    let key = original_key(&session, &upload_id);
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
    let clock = Arc::new(ManualClock::new());
    let hosting = Hosting { clock: Some(clock.clone()), ..Hosting::default() };
    let api = api_with(&[("UPLOAD_URL_TTL", "1s")], hosting, |_| {}).await;
    let session = api.greet().await;
    let offered = api.upload_url(&session, "image/png", DEMO_PNG.len()).await.json();
    clock.advance(Duration::from_millis(999));
    let url = offered["url"].as_str().unwrap_or_default();
    let in_time = api.put(url, "image/png", &DEMO_PNG[..10]).await;
    assert_eq!(in_time.error_code(), "invalid_signature", "a millisecond before the expiry the URL still counts");
    clock.advance(Duration::from_millis(1));
    let late = api.put(offered["url"].as_str().unwrap_or_default(), "image/png", DEMO_PNG).await;
    assert_eq!((late.status, late.error_code().as_str()), (StatusCode::FORBIDDEN, "upload_url_expired"));
    assert!(!api.blob_exists(&original_key(&session, offered["uploadId"].as_str().unwrap_or_default())).await);
}
