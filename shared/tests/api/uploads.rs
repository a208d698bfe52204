//! Images through the function (multipart) and what the worker makes of them.

use super::support::*;

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
    let key = original_key(&session, &lost);
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
    let key = original_key(&session, &bad);
    assert!(matches!(process_job(&api.app, &key, 1).await, JobResult::Failed(_)));
    assert_eq!(status_of(bad).await.json()["error"], "undecodable_image");
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
async fn processing_keeps_only_the_sanitised_copy() {
    use sti_shared::services::worker::{JobResult, process_job};
    let api = api(&[]).await;
    let session = api.greet().await;
    let id = api.upload(&session, DEMO_PNG).await.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let key = original_key(&session, &id);
    assert_eq!(process_job(&api.app, &key, 1).await, JobResult::Processed);
    let blobs = &api.app.backend().blobs;
    assert!(blobs.get(&key).await.ok().flatten().is_none(), "the original, metadata and all, is deleted");
    assert!(blobs.get(&format!("sanitized/{key}.png")).await.ok().flatten().is_some());
    assert!(blobs.get(&format!("thumbnails/{key}.jpg")).await.ok().flatten().is_some());
    let status = api.get(&format!("/api/upload/{id}"), &[("x-session-id", &session)]).await;
    assert_eq!(status.json()["status"], "done");
    // The same presigned PUT replayed while still valid (S3 takes it): the new original
    // is deleted when its notification arrives, the sanitised copy stays.
    assert!(blobs.put(&key, Bytes::from_static(DEMO_PNG), "image/png").await.is_ok());
    assert_eq!(process_job(&api.app, &key, 1).await, JobResult::AlreadyDone);
    assert!(!api.blob_exists(&key).await, "a replayed original is not kept");
    assert!(blobs.get(&format!("sanitized/{key}.png")).await.ok().flatten().is_some());
}

#[tokio::test]
async fn an_object_nobody_asked_for_is_deleted_and_counted() {
    use sti_shared::services::worker::{JobResult, process_job};
    let api = api(&[]).await;
    let session = api.greet().await;
    let key = original_key(&session, "upl-00000000000000000000000000000001");
    let stray = Bytes::from_static(DEMO_PNG);
    assert!(api.app.backend().blobs.put(&key, stray, "image/png").await.is_ok());
    assert!(matches!(process_job(&api.app, &key, 1).await, JobResult::Ignored(_)));
    assert!(!api.blob_exists(&key).await);
    let metrics = api.get("/api/metrics?format=prometheus", &[]).await.text();
    assert!(metrics.contains("sti_uploads_orphaned_total 1\n"), "{metrics}");
}

#[tokio::test]
async fn behind_a_body_ceiling_large_multipart_bodies_are_sent_to_the_upload_url() {
    let hosting = Hosting { request_body_ceiling: Some(64 * 1024), ..Hosting::default() };
    let api = api_with(&[], hosting, |_| {}).await;
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

/// Upload requests with arbitrary multipart bodies: always a documented 4xx or a 202,
/// never a 5xx, and always the envelope on errors.
#[test]
fn arbitrary_upload_bodies_get_a_clear_answer() {
    use proptest::prelude::*;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    let api = runtime.block_on(api(&[("RATE_LIMIT_UPLOAD_PER_MIN", "100000"), ("MAX_IMAGES_PER_SESSION", "100000")]));
    let session = runtime.block_on(api.greet());
    let strategy = (
        proptest::collection::vec(any::<u8>(), 0..3_000),
        proptest::sample::select(vec!["image", "file", ""]),
        any::<bool>(),
    );
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(96));
    let result = runner.run(&strategy, |(payload, field, well_formed)| {
        let (content_type, well_formed_body) = multipart(field, &payload);
        let body = if well_formed { well_formed_body } else { payload };
        let request = Request::post("/api/upload-image")
            .header(header::CONTENT_TYPE, content_type)
            .header("x-session-id", session.as_str())
            .body(Body::from(body))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let answer = runtime.block_on(api.send(request));
        let status = answer.status;
        prop_assert!(status == StatusCode::ACCEPTED || status.is_client_error(), "{status}: {:?}", answer.body);
        if status.is_client_error() {
            let v: Value = serde_json::from_slice(&answer.body).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(v["error"]["code"].is_string() && v["requestId"].is_string(), "{v}");
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
