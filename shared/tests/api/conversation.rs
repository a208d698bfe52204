//! A visitor's conversation through the API: another language, messages sent twice, and
//! the right to have everything erased.

use super::support::*;

#[tokio::test]
async fn english_visitor_and_idempotent_message_ids() {
    let api = api(&[]).await;
    let greeting = api.post_json("/api/greeting", json!({ "locale": "en" })).await.json();
    assert!(greeting["reply"].as_str().is_some_and(|r| r.contains("What's your name?")));
    let session = greeting["sessionId"].as_str().unwrap_or_default().to_owned();

    let body = json!({ "sessionId": session, "text": "I'm Ann", "messageId": "m-1" });
    let first = api.post_json("/api/chat", body.clone()).await;
    let second = api.post_json("/api/chat", body).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body, second.body, "a repeated messageId returns the first answer");
    let export = api.get(&format!("/api/session/{session}/export"), &[]).await.json();
    assert_eq!(export["transcript"].as_array().map(Vec::len), Some(2), "and stores nothing twice");

    let steps = api.chat(&session, "my laptop won't turn on").await.json();
    assert_eq!(steps["locale"], "en");
    assert!(steps["reply"].as_str().is_some_and(|t| t.contains("Did that fix it?")), "{steps}");
    let solved = api.post_json("/api/chat", json!({ "sessionId": session, "action": "button", "value": "yes" })).await;
    assert_eq!(solved.json()["state"], "solved");
}

/// Every file under `dir`.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

#[tokio::test]
async fn erasing_a_session_removes_everything() {
    use sti_shared::services::worker::{JobResult, process_job};
    let api = api(&[]).await;
    let session = api.greet().await;
    api.chat(&session, "Ana").await;
    api.chat(&session, "no tengo internet").await;
    let upload_id = api.upload(&session, DEMO_PNG).await.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let key = original_key(&session, &upload_id);
    assert_eq!(process_job(&api.app, &key, 1).await, JobResult::Processed);
    let ticket = api.post_json("/api/whatsapp-ticket", json!({ "sessionId": session })).await;
    assert_eq!(ticket.status, StatusCode::CREATED);
    let ticket_path = path_of(ticket.json()["ticketUrl"].as_str().unwrap_or_default());

    let export = api.get(&format!("/api/session/{session}/export"), &[]).await;
    assert_eq!(export.status, StatusCode::OK);
    let e = export.json();
    assert_eq!(e["session"]["name"], "Ana");
    assert_eq!(e["uploads"].as_array().map(Vec::len), Some(1));
    assert_eq!(e["tickets"].as_array().map(Vec::len), Some(1));
    let blobs = api._dir.path().join("blobs");
    let tag = sti_shared::ids::storage_tag(&session);
    let held = || files_under(&blobs).into_iter().filter(|p| p.contains(&tag)).collect::<Vec<_>>();
    assert!(!files_under(&blobs).iter().any(|p| p.contains(&session)), "no path names the session");
    assert_eq!(held().len(), 2, "the sanitised copy and the thumbnail: {:?}", held());

    let erase = || {
        api.send(
            Request::delete(format!("/api/session/{session}")).body(Body::empty()).unwrap_or_else(|e| panic!("{e}")),
        )
    };
    let erased = erase().await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.text());
    let d = erased.json();
    assert_eq!(
        (d["erased"]["session"].clone(), d["erased"]["tickets"].clone(), d["erased"]["uploads"].clone()),
        (json!(true), json!(1), json!(1))
    );

    assert_eq!(api.get(&format!("/api/session/{session}/export"), &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(api.get(&ticket_path, &[]).await.status, StatusCode::NOT_FOUND);
    let status = api.get(&format!("/api/upload/{upload_id}"), &[("x-session-id", &session)]).await;
    assert_eq!(status.status, StatusCode::NOT_FOUND);
    assert!(held().is_empty(), "files left behind: {:?}", held());
    assert_eq!(erase().await.status, StatusCode::NOT_FOUND, "nothing is left to erase");
}

/// The bot's ticket message keeps the business's own WhatsApp link whole in the stored
/// transcript: its number is the business's, not the visitor's.
#[tokio::test]
async fn the_stored_ticket_message_keeps_the_business_whatsapp_number() {
    let api = api(&[("WHATSAPP_NUMBER", "5491100000000")]).await;
    let session = api.greet().await;
    api.chat(&session, "Ana").await;
    api.chat(&session, "no tengo internet, mi cel es 11 4567-8901").await;
    let opened = api.post_json("/api/whatsapp-ticket", json!({ "sessionId": session })).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text());
    let export = api.get(&format!("/api/session/{session}/export"), &[]).await.text();
    assert!(export.contains("wa.me/5491100000000"), "{export}");
    assert!(!export.contains("wa.me/[PHONE]"), "{export}");
    assert!(!export.contains("4567-8901"), "the visitor's number is still masked: {export}");
}
