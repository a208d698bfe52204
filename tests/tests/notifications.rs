//! Every ticket reaches the support team: `sti serve` posts it to `TICKET_WEBHOOK_URL`,
//! signed, at least once — through a receiver that refuses connections, answers 500, is
//! down while the server is killed — and gives up for good on a 4xx. The receiver here is a
//! real HTTP server on loopback that checks the signature.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::Value;
use sti_e2e::aws_stack::wait_for;
use sti_e2e::webhook::{Delivery, Receiver, free_port, hook_url};
use sti_e2e::{Api, Server, data_dir};

const SECRET: &str = "webhook-secret-for-tests";

fn signed_correctly(d: &Delivery) -> bool {
    d.signed_with(SECRET)
}

fn env<'a>(hook: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![
        ("TICKET_WEBHOOK_URL", hook),
        ("TICKET_WEBHOOK_SECRET", SECRET),
        ("TICKET_WEBHOOK_BACKOFF", "200ms"),
        ("LOG_TOKEN", "e2e-log-token-123456"),
    ];
    env.extend_from_slice(extra);
    env
}

/// A conversation with a ticket; returns its id and the path of its view.
async fn ticket(api: &Api) -> (String, String) {
    let session = api.greeting().await;
    api.chat(&session, "me llamo Ana").await;
    api.chat(&session, "la impresora no imprime, escribime a ana@example.com").await;
    api.open_ticket(&session).await
}

async fn notification_of(api: &Api, path: &str) -> String {
    api.get(path).await.json()["notification"].as_str().unwrap_or_default().to_owned()
}

async fn until_delivered(api: &Api, path: &str) {
    wait_for("the ticket's notification to be delivered", Duration::from_secs(30), || async {
        notification_of(api, path).await == "delivered"
    })
    .await;
}

#[tokio::test]
async fn each_ticket_is_posted_once_signed_with_its_facts_and_link() {
    let addr = free_port();
    let receiver = Receiver::default();
    let hook = receiver.serve(addr).await;
    let dir = data_dir();
    let server = Server::start(dir.path(), &env(&hook, &[]));
    let api = Api::new(&server.base);
    let (id, path) = ticket(&api).await;
    until_delivered(&api, &path).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let got = receiver.deliveries();
    assert_eq!(got.len(), 1, "exactly one delivery: {got:?}");
    let d = &got[0];
    assert!(signed_correctly(d), "signature: {:?}", d.headers);
    assert!(d.header("x-sti-delivery").starts_with(&id));
    assert_eq!(d.header("content-type"), "application/json");
    let body: Value = serde_json::from_str(&d.body).unwrap_or_default();
    assert_eq!(body["ticketId"], id.as_str());
    assert_eq!(body["category"], "printer");
    assert!(
        body["summary"].as_str().is_some_and(|s| s.contains("[EMAIL]") && !s.contains("ana@example.com")),
        "{body}"
    );
    assert!(body["ticketUrl"].as_str().is_some_and(|u| u.starts_with(&server.base) && u.contains("?t=")), "{body}");
    assert!(body.get("transcript").is_none());
    let view = api.get(&body["ticketUrl"].as_str().unwrap_or_default().replace(&server.base, "")).await;
    assert_eq!(view.status, StatusCode::OK, "the link opens the ticket");
    let metrics = api.get("/api/metrics").await.json();
    assert_eq!(metrics["tickets"]["notified"], 1);
}

#[tokio::test]
async fn refused_connections_and_500s_are_retried_under_one_delivery_id() {
    let addr = free_port();
    let hook = hook_url(addr);
    let dir = data_dir();
    let server = Server::start(dir.path(), &env(&hook, &[]));
    let api = Api::new(&server.base);
    let (_, path) = ticket(&api).await;
    // Nobody listens: connection refused, retried.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(notification_of(&api, &path).await, "pending");
    let receiver = Receiver::answering(&[500, 500]);
    receiver.serve(addr).await;
    until_delivered(&api, &path).await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let got = receiver.deliveries();
    let answered: Vec<u16> = got.iter().map(|d| d.answered).collect();
    assert_eq!(answered, [500, 500, 200], "{got:?}");
    let ids: Vec<&str> = got.iter().map(|d| d.header("x-sti-delivery")).collect();
    assert!(ids.iter().all(|i| *i == ids[0] && !i.is_empty()), "one delivery id: {ids:?}");
    assert!(got.iter().all(signed_correctly));
}

#[tokio::test]
async fn a_ticket_whose_server_was_killed_before_delivery_is_delivered_after_restart() {
    let addr = free_port();
    let hook = hook_url(addr);
    let dir = data_dir();
    let server = Server::start(dir.path(), &env(&hook, &[]));
    let api = Api::new(&server.base);
    let (id, path) = ticket(&api).await;
    drop(server); // SIGKILL, with the notification still pending
    let receiver = Receiver::default();
    receiver.serve(addr).await;
    let server = Server::start(dir.path(), &env(&hook, &[]));
    let api = Api::new(&server.base);
    until_delivered(&api, &path).await;
    let got = receiver.deliveries();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].header("x-sti-delivery").starts_with(&id));
}

#[tokio::test]
async fn a_gone_webhook_fails_for_good_and_is_counted() {
    let addr = free_port();
    let receiver = Receiver::answering(&[410]);
    let hook = receiver.serve(addr).await;
    let dir = data_dir();
    let server = Server::start(dir.path(), &env(&hook, &[]));
    let api = Api::new(&server.base);
    let (_, path) = ticket(&api).await;
    wait_for("the notification to fail", Duration::from_secs(30), || async {
        notification_of(&api, &path).await == "failed"
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(receiver.deliveries().len(), 1, "not retried");
    let metrics = api.get("/api/metrics").await.json();
    assert_eq!(metrics["tickets"]["notificationsFailed"], 1, "{metrics}");
    let logs = api.send(api.request(reqwest::Method::GET, "/api/logs").bearer_auth("e2e-log-token-123456")).await;
    assert!(logs.body.contains("ticket.notify_failed") && logs.body.contains("410"), "{}", logs.body);
}

#[tokio::test]
async fn the_slack_format_posts_one_text_with_the_ticket_link() {
    let addr = free_port();
    let receiver = Receiver::default();
    let hook = receiver.serve(addr).await;
    let dir = data_dir();
    let server = Server::start(dir.path(), &env(&hook, &[("TICKET_WEBHOOK_FORMAT", "slack")]));
    let api = Api::new(&server.base);
    let (id, path) = ticket(&api).await;
    until_delivered(&api, &path).await;
    let got = receiver.deliveries();
    assert_eq!(got.len(), 1);
    let body: Value = serde_json::from_str(&got[0].body).unwrap_or_default();
    let text = body["text"].as_str().unwrap_or_default();
    assert!(text.contains(&id) && text.contains(&format!("<{}/api/ticket/{id}?t=", server.base)), "{text}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "Slack's incoming-webhook body: {body}");
}
