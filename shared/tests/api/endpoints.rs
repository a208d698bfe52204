//! Every endpoint's happy path, the per-IP quota before the session check, and the
//! widget's assets for other sites to embed.

use super::support::*;

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

#[tokio::test]
async fn sessions_expire_by_the_clock() {
    let clock = Arc::new(ManualClock::new());
    let hosting = Hosting { clock: Some(clock.clone()), ..Hosting::default() };
    let api = api_with(&[("SESSION_TTL", "2s")], hosting, |_| {}).await;
    let session = api.greet().await;
    let validate = || api.post_json("/api/session/validate", json!({ "sessionId": session }));
    clock.advance(Duration::from_millis(1_999));
    assert_eq!(validate().await.json()["valid"], true);
    clock.advance(Duration::from_millis(1));
    assert_eq!(validate().await.json()["valid"], false);
    let late = api.chat(&session, "hola").await;
    assert_eq!((late.status, late.error_code().as_str()), (StatusCode::NOT_FOUND, "session_not_found"));
}

/// Activity keeps a session alive only up to its absolute lifetime.
#[tokio::test]
async fn sessions_end_at_their_lifetime_however_active() {
    let clock = Arc::new(ManualClock::new());
    let hosting = Hosting { clock: Some(clock.clone()), ..Hosting::default() };
    let api = api_with(&[("SESSION_TTL", "10s"), ("SESSION_MAX_LIFETIME", "25s")], hosting, |_| {}).await;
    let session = api.greet().await;
    for second in [8, 16, 24] {
        clock.advance(Duration::from_secs(8));
        let answer = api.chat(&session, "hola, soy Ana").await;
        assert_eq!(answer.status, StatusCode::OK, "at {second} s: {}", answer.text());
    }
    // Last message at 24 s: a sliding TTL would keep it until 34 s; the lifetime ends it at 25.
    clock.advance(Duration::from_secs(1));
    let late = api.chat(&session, "sigo acá").await;
    assert_eq!((late.status, late.error_code().as_str()), (StatusCode::NOT_FOUND, "session_not_found"));
}

/// A browser that keeps a conversation across restarts keeps a resume token, never the
/// session id: each token resumes once and names the session until it expires.
#[tokio::test]
async fn a_resume_token_resumes_once_and_dies_with_its_session() {
    let api = api(&[]).await;
    let session = api.greet().await;
    api.chat(&session, "hola, soy Ana").await;
    let issued = api.post_json("/api/session/resume-token", json!({ "sessionId": session })).await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.text());
    let first = issued.json()["resumeToken"].as_str().unwrap_or_default().to_owned();
    assert!(!first.contains(&session) && first.len() == 32, "{first}");
    let resumed = api.post_json("/api/session/resume", json!({ "resumeToken": first })).await;
    assert_eq!(resumed.status, StatusCode::OK, "{}", resumed.text());
    let r = resumed.json();
    assert_eq!((r["sessionId"].as_str(), r["state"].as_str()), (Some(session.as_str()), Some("ask_problem")));
    let second = r["resumeToken"].as_str().unwrap_or_default().to_owned();
    assert_ne!(second, first, "a new token replaces the used one");
    let again = api.post_json("/api/session/resume", json!({ "resumeToken": first })).await;
    assert_eq!((again.status, again.error_code().as_str()), (StatusCode::NOT_FOUND, "session_not_found"));
    for bad in [json!({ "resumeToken": "not-a-token" }), json!({ "resumeToken": "0".repeat(32) })] {
        let answer = api.post_json("/api/session/resume", bad).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text());
    }
    let missing = api.post_json("/api/session/resume", json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    let erased = api
        .send(Request::delete(format!("/api/session/{session}")).body(Body::empty()).unwrap_or_else(|e| panic!("{e}")))
        .await;
    assert_eq!(erased.status, StatusCode::OK);
    let after = api.post_json("/api/session/resume", json!({ "resumeToken": second })).await;
    assert_eq!(after.status, StatusCode::NOT_FOUND, "erasure ends the token too: {}", after.text());
    let gone = api.post_json("/api/session/resume-token", json!({ "sessionId": session })).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}
