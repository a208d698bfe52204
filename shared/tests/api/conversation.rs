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

/// After a reload the widget draws the conversation again from `/history`: pressed
/// buttons by their label, the last message's quick replies, the ticket with its whole
/// WhatsApp link (the business's number is never masked), images with their notes.
#[tokio::test]
async fn the_history_has_what_the_widget_redraws() {
    use sti_shared::services::worker::{JobResult, process_job};
    let api = api(&[("WHATSAPP_NUMBER", "5491100000000")]).await;
    let session = api.greet().await;
    let history = || async { api.get(&format!("/api/session/{session}/history"), &[]).await.json() };
    assert_eq!(history().await["messages"].as_array().map(Vec::len), Some(1), "the greeting");
    api.chat(&session, "Ana").await;
    let steps = api.chat(&session, "no tengo internet, mi cel es 11 4567-8901").await.json();
    let h = history().await;
    assert_eq!(h["options"], steps["options"], "the last message's quick replies");
    assert_eq!(h["state"], "steps");
    let press = |value: &str| json!({ "sessionId": session, "action": "button", "value": value });
    api.post_json("/api/chat", press("no")).await;
    api.post_json("/api/chat", press("tech")).await;
    let upload_id = api.upload(&session, DEMO_PNG).await.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(process_job(&api.app, &original_key(&session, &upload_id), 1).await, JobResult::Processed);
    let opened = api.post_json("/api/chat", press("ticket")).await.json();
    let ticket_id = opened["ticket"]["ticketId"].as_str().unwrap_or_default().to_owned();

    let h = history().await;
    let said: Vec<&str> = h["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["from"] == "visitor")
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(
        said,
        ["Ana", "no tengo internet, mi cel es [PHONE]", "No", "Hablar con un técnico", "Sí, crear ticket"]
    );
    assert_eq!(h["state"], "ticket_created");
    assert_eq!(h["canRate"], true, "a ticket is a case end the visitor may rate");
    assert_eq!(h["options"], opened["options"]);
    for (key, value) in opened["ticket"].as_object().into_iter().flatten() {
        assert_eq!(&h["tickets"][0][key], value, "the ticket card's {key}, as the chat answer gave it");
    }
    assert_eq!(h["tickets"][0]["status"], "open");
    let whatsapp = h["tickets"][0]["whatsappUrl"].as_str().unwrap_or_default();
    assert!(whatsapp.starts_with("https://wa.me/5491100000000?text=") && whatsapp.contains(&ticket_id), "{whatsapp}");
    let text = h.to_string();
    assert!(!text.contains("wa.me/[PHONE]") && !text.contains("4567-8901"), "{text}");
    let last_bot = h["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
    assert!(last_bot["text"].as_str().is_some_and(|t| t.contains(&ticket_id) && !t.contains("http")), "{last_bot}");
    assert_eq!(h["uploads"][0]["uploadId"], upload_id.as_str());
    assert_eq!(h["uploads"][0]["status"], "done");
    assert!(h["uploads"][0]["at"].as_str().is_some_and(|at| at.ends_with('Z')));

    let unknown = api.get("/api/session/web-00000000000000000000000000000000/history", &[]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/api/session/nope/history", &[]).await.status, StatusCode::BAD_REQUEST);
}

/// A rating counts once per case and outcome, by outcome and category, in JSON and for
/// Prometheus; its comment is stored masked and exported with the session.
#[tokio::test]
async fn ratings_are_counted_by_outcome_and_category() {
    let api = api(&[]).await;
    let solved = session_with_steps(&api).await;
    api.post_json("/api/chat", json!({ "sessionId": solved, "action": "button", "value": "yes" })).await;
    let rated = api
        .post_json(
            "/api/feedback",
            json!({ "sessionId": solved, "rating": "up", "comment": "genial, llamame al 11 4567-8901" }),
        )
        .await;
    assert_eq!(rated.status, StatusCode::CREATED, "{}", rated.text());
    assert_eq!(rated.json()["outcome"], "solved");
    let export = api.get(&format!("/api/session/{solved}/export"), &[]).await.json();
    assert_eq!(export["session"]["feedback"][0]["comment"], "genial, llamame al [PHONE]");
    let history = api.get(&format!("/api/session/{solved}/history"), &[]).await.json();
    assert_eq!(history["canRate"], false, "rated once");

    let escalated = session_with_steps(&api).await;
    for value in ["tech", "ticket"] {
        api.post_json("/api/chat", json!({ "sessionId": escalated, "action": "button", "value": value })).await;
    }
    let down = api.post_json("/api/feedback", json!({ "sessionId": escalated, "rating": "down" })).await;
    assert_eq!(down.json()["outcome"], "ticket", "{}", down.text());

    let metrics = api.get("/api/metrics", &[]).await.json();
    let f = &metrics["feedback"];
    assert_eq!((f["up"].as_i64(), f["down"].as_i64(), f["satisfaction"].as_f64()), (Some(1), Some(1), Some(0.5)));
    let lines = f["byOutcome"].as_array().cloned().unwrap_or_default();
    assert!(lines.contains(&json!({ "outcome": "solved", "category": "printer", "up": 1, "down": 0 })), "{f}");
    assert!(lines.contains(&json!({ "outcome": "ticket", "category": "printer", "up": 0, "down": 1 })), "{f}");
    let prometheus = api.get("/api/metrics?format=prometheus", &[]).await.text();
    assert!(
        prometheus.contains("sti_feedback_total{outcome=\"solved\",category=\"printer\",rating=\"up\"} 1"),
        "{prometheus}"
    );
    assert!(prometheus.contains("sti_feedback_down_total 1"), "{prometheus}");
}
