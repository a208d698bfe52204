//! The per-IP and per-session limits of SPEC.md: refused with Retry-After, and open again
//! once the clock has moved that far.

use super::support::*;

fn api_on(clock: &Arc<ManualClock>, vars: &[(&str, &str)]) -> impl std::future::Future<Output = Api> {
    let hosting = Hosting { clock: Some(clock.clone()), ..Hosting::default() };
    let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    async move {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        api_with(&vars, hosting, |_| {}).await
    }
}

fn retry_after(answer: &Answer) -> u64 {
    let value = answer.headers.get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    value.unwrap_or_else(|| panic!("Retry-After missing or not a number: {:?}", answer.headers))
}

#[tokio::test]
async fn the_fourth_upload_in_a_minute_from_one_address_waits_its_retry_after() {
    let clock = Arc::new(ManualClock::new());
    let api = api_on(&clock, &[]).await;
    let (a, b) = (api.greet().await, api.greet().await);
    // The limit is per IP: the same address with two sessions shares it.
    for (i, session) in [&a, &b, &a].into_iter().enumerate() {
        let accepted = api.upload(session, DEMO_PNG).await;
        assert_eq!(accepted.status, StatusCode::ACCEPTED, "upload {}: {}", i + 1, accepted.text());
    }
    let fourth = api.upload(&b, DEMO_PNG).await;
    assert_eq!((fourth.status, fourth.error_code().as_str()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    let wait = retry_after(&fourth);
    // Three at once spend the burst; the first of them frees up one interval (20 s) later.
    assert_eq!(wait, 20, "Retry-After");
    clock.advance(Duration::from_secs(wait));
    let later = api.upload(&b, DEMO_PNG).await;
    assert_eq!(later.status, StatusCode::ACCEPTED, "after its Retry-After: {}", later.text());
    let metrics = api.get("/api/metrics", &[]).await.json();
    assert_eq!(metrics["uploads"]["total"], 4);
    assert!(metrics["ratelimit"]["rejected"].as_i64().is_some_and(|n| n >= 1));
}

#[tokio::test]
async fn greetings_and_chats_are_limited_until_their_window_passes() {
    let clock = Arc::new(ManualClock::new());
    let api = api_on(&clock, &[("RATE_LIMIT_GREETING_PER_MIN", "2"), ("RATE_LIMIT_CHAT_PER_MIN_SESSION", "3")]).await;
    let session = api.greet().await;
    api.greet().await;
    let third = api.post_json("/api/greeting", json!({})).await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    let greeting_wait = retry_after(&third);
    for text in ["Ana", "no tengo internet", "no"] {
        assert_eq!(api.chat(&session, text).await.status, StatusCode::OK);
    }
    let limited = api.chat(&session, "no").await;
    assert_eq!((limited.status, limited.error_code().as_str()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    let chat_wait = retry_after(&limited);
    let export = api.get(&format!("/api/session/{session}/export"), &[]).await.json();
    assert_eq!(export["transcript"].as_array().map(Vec::len), Some(6), "the limited message was not stored");

    clock.advance(Duration::from_secs(greeting_wait.max(chat_wait)));
    assert_eq!(api.post_json("/api/greeting", json!({})).await.status, StatusCode::OK);
    assert_eq!(api.chat(&session, "no").await.status, StatusCode::OK);
}

/// The per-session chat limit lives in the session and is written by the turn's own
/// commit: a second session of the same visitor has its own; a repeated message (which
/// stores nothing) is answered while the session is within its limit and refused beyond
/// it, like any message; concurrent turns of one session never pass more than the limit.
#[tokio::test]
async fn a_sessions_chat_limit_is_its_own_covers_repeats_and_holds_under_concurrency() {
    let clock = Arc::new(ManualClock::new());
    let api = Arc::new(api_on(&clock, &[("RATE_LIMIT_CHAT_PER_MIN_SESSION", "4")]).await);
    let (first, second) = (api.greet().await, api.greet().await);
    let with_id =
        |session: &str, id: &str| json!({ "sessionId": session, "message": "no tengo internet", "messageId": id });
    assert_eq!(api.post_json("/api/chat", with_id(&first, "m-1")).await.status, StatusCode::OK);
    assert_eq!(api.post_json("/api/chat", with_id(&first, "m-1")).await.status, StatusCode::OK, "a repeat");
    // Six at once on one session: the three the limit has left pass, whatever the order.
    let racing: Vec<_> = (0..6)
        .map(|i| {
            let (api, session) = (Arc::clone(&api), first.clone());
            tokio::spawn(async move { api.chat(&session, &format!("intento {i}")).await.status })
        })
        .collect();
    let mut passed = 0;
    for status in racing {
        match status.await.unwrap_or_else(|e| panic!("{e}")) {
            StatusCode::OK => passed += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("{other}"),
        }
    }
    assert_eq!(passed, 3, "4 a minute: one before, three of the six");
    let repeat = api.post_json("/api/chat", with_id(&first, "m-1")).await;
    assert_eq!((repeat.status, repeat.error_code().as_str()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    assert_eq!(api.chat(&second, "hola").await.status, StatusCode::OK, "another session has its own limit");
    clock.advance(Duration::from_secs(retry_after(&repeat)));
    assert_eq!(api.post_json("/api/chat", with_id(&first, "m-1")).await.status, StatusCode::OK);
}

/// A visitor who keeps exactly to a limit is never refused, for as long as they keep to it
/// (the limiter is exact: SPEC's 3 uploads a minute means one every 20 s, forever).
#[tokio::test]
async fn a_visitor_uploading_at_exactly_the_limit_is_never_refused() {
    let clock = Arc::new(ManualClock::new());
    let api = api_on(&clock, &[("MAX_IMAGES_PER_SESSION", "100")]).await;
    let session = api.greet().await;
    for i in 0..45 {
        let accepted = api.upload(&session, DEMO_PNG).await;
        assert_eq!(accepted.status, StatusCode::ACCEPTED, "upload {} at {} s: {}", i + 1, i * 20, accepted.text());
        clock.advance(Duration::from_secs(20));
    }
    // One a little early (19 s after the last, once the burst is spent) waits its second.
    for _ in 0..3 {
        assert_eq!(api.upload(&session, DEMO_PNG).await.status, StatusCode::ACCEPTED);
    }
    clock.advance(Duration::from_secs(19));
    let early = api.upload(&session, DEMO_PNG).await;
    assert_eq!(early.status, StatusCode::TOO_MANY_REQUESTS, "{}", early.text());
    assert_eq!(retry_after(&early), 1);
}

/// A status-polling loop gone wrong gets 429 with Retry-After after its minute's worth of
/// reads, not unlimited reads (each one a storage read, on AWS perhaps a HeadObject too).
#[tokio::test]
async fn upload_status_polls_are_limited_per_session() {
    let clock = Arc::new(ManualClock::new());
    let api = api_on(&clock, &[("RATE_LIMIT_STATUS_PER_MIN_SESSION", "20")]).await;
    let session = api.greet().await;
    let upload = api.upload(&session, DEMO_PNG).await.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let (path, header) = (format!("/api/upload/{upload}"), [("x-session-id", session.as_str())]);
    let poll = || api.get(&path, &header);
    for i in 0..20 {
        assert_eq!(poll().await.status, StatusCode::OK, "poll {}", i + 1);
    }
    let refused = poll().await;
    assert_eq!((refused.status, refused.error_code().as_str()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    assert_eq!(retry_after(&refused), 3, "one read every 3 s at 20 a minute");
    // Another session's polls are its own; and after the wait, this one reads again.
    let other = api.greet().await;
    assert_eq!(
        api.get(&format!("/api/upload/{upload}"), &[("x-session-id", other.as_str())]).await.status,
        StatusCode::NOT_FOUND,
        "someone else's upload is not found, and costs no quota"
    );
    clock.advance(Duration::from_secs(3));
    assert_eq!(poll().await.status, StatusCode::OK);
}
