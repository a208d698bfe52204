//! Bad input, table-driven: every case gets its documented 4xx with the error schema,
//! never a 5xx, and the session it aimed at is unchanged afterwards.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sti_e2e::{Answer, Api, Server, data_dir, png};

const LOG_TOKEN: &str = "bad-input-log-token-0001";
const UNKNOWN_SESSION: &str = "web-0123456789abcdef0123456789abcdef";

/// What we compare before and after: everything the session holds.
async fn fingerprint(api: &Api, sid: &str) -> Value {
    let mut e = api.export(sid).await.json();
    e["exportedAt"] = Value::Null;
    e
}

fn multipart(field: &str, file_name: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----sti-e2e-boundary-7d1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

struct Case {
    name: &'static str,
    status: StatusCode,
    code: &'static str,
    answer: Answer,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_documented_4xx_and_changes_nothing() {
    let dir = data_dir();
    let server = Server::start(
        dir.path(),
        &[
            ("LOG_TOKEN", LOG_TOKEN),
            ("MAX_IMAGE_BYTES", "200000"),
            ("RATE_LIMIT_UPLOAD_PER_MIN", "1000"),
            ("RATE_LIMIT_CHAT_PER_MIN_SESSION", "1000"),
            ("RATE_LIMIT_CHAT_PER_MIN_IP", "1000"),
            ("RATE_LIMIT_GREETING_PER_MIN", "1000"),
        ],
    );
    let api = Api::new(&server.base);
    let sid = api.greeting().await;
    api.chat(&sid, "Ana").await;
    let upload = api.upload(&sid, png(64, 64), "ok.png").await.json();
    let upload_id = upload["uploadId"].as_str().unwrap_or_default().to_owned();
    api.wait_upload(&sid, &upload_id).await;
    let other = api.greeting().await;
    let before = fingerprint(&api, &sid).await;

    let long_message = "a".repeat(2_001);
    let huge_body = json!({ "sessionId": sid, "message": "x".repeat(20_000) });
    let mut truncated = png(120, 90);
    truncated.truncate(truncated.len() / 2);
    let mut oversize = png(400, 400);
    oversize.extend(std::iter::repeat_n(0u8, 250_000));
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();

    let chat = |body: Value| {
        let api = api.clone();
        async move { api.post_json("/api/chat", &body).await }
    };
    let upload_as = |session: Option<&str>, field: &str, content: Vec<u8>| {
        let (ct, body) = multipart(field, "file.bin", &content);
        let mut req = api.request(Method::POST, "/api/upload-image").header("content-type", ct).body(body);
        if let Some(s) = session {
            req = req.header("x-session-id", s);
        }
        api.send(req)
    };
    let status_of = |session: Option<&str>, id: &str| {
        let mut req = api.request(Method::GET, &format!("/api/upload/{id}"));
        if let Some(s) = session {
            req = req.header("x-session-id", s);
        }
        api.send(req)
    };

    let cases = vec![
        // greeting
        Case {
            name: "greeting: malformed JSON",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_json",
            answer: api.post_raw("/api/greeting", "application/json", "{\"locale\":").await,
        },
        Case {
            name: "greeting: wrong type",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            answer: api.post_json("/api/greeting", &json!({ "locale": 5 })).await,
        },
        Case {
            name: "greeting: unknown locale",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_locale",
            answer: api.post_json("/api/greeting", &json!({ "locale": "fr" })).await,
        },
        Case {
            name: "greeting: wrong content type",
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            answer: api.post_raw("/api/greeting", "text/plain", "{}").await,
        },
        Case {
            name: "greeting: oversize body",
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            answer: api.post_json("/api/greeting", &json!({ "locale": "x".repeat(20_000) })).await,
        },
        // session/validate
        Case {
            name: "validate: missing field",
            status: StatusCode::BAD_REQUEST,
            code: "missing_session_id",
            answer: api.post_json("/api/session/validate", &json!({})).await,
        },
        Case {
            name: "validate: malformed id",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_session_id",
            answer: api.post_json("/api/session/validate", &json!({ "sessionId": "web-123" })).await,
        },
        Case {
            name: "validate: wrong type",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            answer: api.post_json("/api/session/validate", &json!({ "sessionId": 42 })).await,
        },
        Case {
            name: "validate: JSON array",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            answer: api.post_json("/api/session/validate", &json!([sid])).await,
        },
        // chat
        Case {
            name: "chat: malformed JSON",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_json",
            answer: api.post_raw("/api/chat", "application/json", format!("{{\"sessionId\":\"{sid}\",")).await,
        },
        Case {
            name: "chat: missing message",
            status: StatusCode::BAD_REQUEST,
            code: "missing_message",
            answer: chat(json!({ "sessionId": sid })).await,
        },
        Case {
            name: "chat: missing session id",
            status: StatusCode::BAD_REQUEST,
            code: "missing_session_id",
            answer: chat(json!({ "message": "hola" })).await,
        },
        Case {
            name: "chat: message of the wrong type",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            answer: chat(json!({ "sessionId": sid, "message": ["hola"] })).await,
        },
        Case {
            name: "chat: session id of the wrong type",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            answer: chat(json!({ "sessionId": true, "message": "hola" })).await,
        },
        Case {
            name: "chat: empty message",
            status: StatusCode::BAD_REQUEST,
            code: "empty_message",
            answer: chat(json!({ "sessionId": sid, "message": "   \n " })).await,
        },
        Case {
            name: "chat: oversize message",
            status: StatusCode::BAD_REQUEST,
            code: "message_too_long",
            answer: chat(json!({ "sessionId": sid, "message": long_message })).await,
        },
        Case {
            name: "chat: oversize body",
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            answer: chat(huge_body).await,
        },
        Case {
            name: "chat: malformed session id",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_session_id",
            answer: chat(json!({ "sessionId": "../../etc/passwd", "message": "hola" })).await,
        },
        Case {
            name: "chat: unknown session",
            status: StatusCode::NOT_FOUND,
            code: "session_not_found",
            answer: chat(json!({ "sessionId": UNKNOWN_SESSION, "message": "hola" })).await,
        },
        Case {
            name: "chat: wrong content type",
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            answer: api
                .post_raw("/api/chat", "application/x-www-form-urlencoded", format!("sessionId={sid}&message=hola"))
                .await,
        },
        Case {
            name: "chat: unknown button",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_button",
            answer: chat(json!({ "sessionId": sid, "action": "button", "value": "drop_tables" })).await,
        },
        Case {
            name: "chat: unknown action",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_action",
            answer: chat(json!({ "sessionId": sid, "action": "click", "value": "yes" })).await,
        },
        Case {
            name: "chat: message and button at once",
            status: StatusCode::BAD_REQUEST,
            code: "ambiguous_request",
            answer: chat(json!({ "sessionId": sid, "message": "hola", "action": "button", "value": "yes" })).await,
        },
        Case {
            name: "chat: malformed messageId",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_message_id",
            answer: chat(json!({ "sessionId": sid, "message": "hola", "messageId": "has spaces" })).await,
        },
        // upload-image
        Case {
            name: "upload: missing x-session-id",
            status: StatusCode::BAD_REQUEST,
            code: "missing_session_id",
            answer: upload_as(None, "image", png(64, 64)).await,
        },
        Case {
            name: "upload: malformed x-session-id",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_session_id",
            answer: upload_as(Some("nope"), "image", png(64, 64)).await,
        },
        Case {
            name: "upload: unknown session",
            status: StatusCode::NOT_FOUND,
            code: "session_not_found",
            answer: upload_as(Some(UNKNOWN_SESSION), "image", png(64, 64)).await,
        },
        Case {
            name: "upload: not multipart",
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            answer: api
                .send(
                    api.request(Method::POST, "/api/upload-image")
                        .header("x-session-id", &sid)
                        .header("content-type", "image/png")
                        .body(png(64, 64)),
                )
                .await,
        },
        Case {
            name: "upload: non-image file",
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_image_type",
            answer: upload_as(Some(&sid), "image", pdf).await,
        },
        Case {
            name: "upload: truncated image",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_image",
            answer: upload_as(Some(&sid), "image", truncated).await,
        },
        Case {
            name: "upload: oversize image",
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "image_too_large",
            answer: upload_as(Some(&sid), "image", oversize).await,
        },
        Case {
            name: "upload: no image field",
            status: StatusCode::BAD_REQUEST,
            code: "missing_image",
            answer: upload_as(Some(&sid), "photo", png(64, 64)).await,
        },
        Case {
            name: "upload: empty image",
            status: StatusCode::BAD_REQUEST,
            code: "empty_image",
            answer: upload_as(Some(&sid), "image", Vec::new()).await,
        },
        Case {
            name: "upload: too few pixels",
            status: StatusCode::BAD_REQUEST,
            code: "image_dimensions",
            answer: upload_as(Some(&sid), "image", png(5, 5)).await,
        },
        Case {
            name: "upload: broken multipart",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_multipart",
            answer: api
                .send(
                    api.request(Method::POST, "/api/upload-image")
                        .header("x-session-id", &sid)
                        .header("content-type", "multipart/form-data; boundary=xyz")
                        .body("--xyz\r\nbroken"),
                )
                .await,
        },
        // upload status
        Case {
            name: "upload status: missing x-session-id",
            status: StatusCode::BAD_REQUEST,
            code: "missing_session_id",
            answer: status_of(None, &upload_id).await,
        },
        Case {
            name: "upload status: malformed id",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_upload_id",
            answer: status_of(Some(&sid), "upl-xyz").await,
        },
        Case {
            name: "upload status: another session's upload",
            status: StatusCode::NOT_FOUND,
            code: "upload_not_found",
            answer: status_of(Some(&other), &upload_id).await,
        },
        Case {
            name: "upload status: unknown upload",
            status: StatusCode::NOT_FOUND,
            code: "upload_not_found",
            answer: status_of(Some(&sid), "upl-0123456789abcdef0123456789abcdef").await,
        },
        // tickets
        Case {
            name: "whatsapp-ticket: missing session id",
            status: StatusCode::BAD_REQUEST,
            code: "missing_session_id",
            answer: api.post_json("/api/whatsapp-ticket", &json!({})).await,
        },
        Case {
            name: "whatsapp-ticket: unknown session",
            status: StatusCode::NOT_FOUND,
            code: "session_not_found",
            answer: api.post_json("/api/whatsapp-ticket", &json!({ "sessionId": UNKNOWN_SESSION })).await,
        },
        Case {
            name: "ticket: malformed id",
            status: StatusCode::NOT_FOUND,
            code: "ticket_not_found",
            answer: api.get("/api/ticket/TCK-1?t=0123456789abcdef0123456789abcdef").await,
        },
        Case {
            name: "ticket: no token",
            status: StatusCode::NOT_FOUND,
            code: "ticket_not_found",
            answer: api.get("/api/ticket/STI-20261122-ABCDEF").await,
        },
        Case {
            name: "ticket: unknown",
            status: StatusCode::NOT_FOUND,
            code: "ticket_not_found",
            answer: api.get("/api/ticket/STI-20261122-ABCDEF?t=0123456789abcdef0123456789abcdef").await,
        },
        // operator endpoints
        Case {
            name: "logs: missing token",
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            answer: api.get("/api/logs").await,
        },
        Case {
            name: "logs: wrong token",
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            answer: api.get("/api/logs?token=wrong-token").await,
        },
        Case {
            name: "logs: wrong bearer token",
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            answer: api.send(api.request(Method::GET, "/api/logs").bearer_auth("bad-input-log-token-0002")).await,
        },
        Case {
            name: "logs: limit out of range",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_limit",
            answer: api.send(api.request(Method::GET, "/api/logs?limit=501").bearer_auth(LOG_TOKEN)).await,
        },
        Case {
            name: "metrics: unknown format",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_format",
            answer: api.get("/api/metrics?format=xml").await,
        },
        // data rights
        Case {
            name: "export: malformed id",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_session_id",
            answer: api.get("/api/session/web-zz/export").await,
        },
        Case {
            name: "export: unknown session",
            status: StatusCode::NOT_FOUND,
            code: "session_not_found",
            answer: api.get(&format!("/api/session/{UNKNOWN_SESSION}/export")).await,
        },
        Case {
            name: "delete: malformed id",
            status: StatusCode::BAD_REQUEST,
            code: "invalid_session_id",
            answer: api.send(api.request(Method::DELETE, "/api/session/web-zz")).await,
        },
        Case {
            name: "delete: unknown session",
            status: StatusCode::NOT_FOUND,
            code: "session_not_found",
            answer: api.send(api.request(Method::DELETE, &format!("/api/session/{UNKNOWN_SESSION}"))).await,
        },
        // routing
        Case {
            name: "unknown route",
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            answer: api.get("/api/nope").await,
        },
        Case {
            name: "wrong method",
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "method_not_allowed",
            answer: api.get("/api/chat").await,
        },
    ];

    let mut failures = Vec::new();
    for case in &cases {
        let a = &case.answer;
        if a.status.is_server_error() {
            failures.push(format!("{}: got a 5xx ({}): {}", case.name, a.status, a.body));
            continue;
        }
        let code = std::panic::catch_unwind(|| a.error_code());
        match code {
            Ok(code) if a.status == case.status && code == case.code => {}
            Ok(code) => {
                failures.push(format!("{}: expected {} {}, got {} {code}", case.name, case.status, case.code, a.status))
            }
            Err(_) => failures.push(format!("{}: not the error schema: {} {}", case.name, a.status, a.body)),
        }
        if a.header("x-content-type-options") != Some("nosniff") {
            failures.push(format!("{}: security headers missing", case.name));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n  {}", failures.len(), cases.len(), failures.join("\n  "));

    let after = fingerprint(&api, &sid).await;
    assert_eq!(before, after, "bad input changed the session");
    let metrics = api.get("/api/metrics").await.json();
    assert_eq!(metrics["http"]["errors5xx"], 0);
    assert_eq!(metrics["uploads"]["total"], 1, "no rejected upload was counted or stored");
    drop(server);
}
