//! A whole support conversation over HTTP against a spawned `sti serve`, an image on the
//! way, a ticket at the end, no raw PII anywhere it is stored, and a restart that loses
//! nothing.

use reqwest::StatusCode;
use serde_json::json;
use sti_e2e::{Api, Server, data_dir, png};

const EMAIL: &str = "ana.gomez@example.com";
const PHONE: &str = "11 4567-8901";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greeting_to_ticket_with_an_image_survives_a_restart() {
    let dir = data_dir();
    let server =
        Server::start(dir.path(), &[("WHATSAPP_NUMBER", "5491100000000"), ("LOG_TOKEN", "e2e-log-token-123456")]);
    let api = Api::new(&server.base);

    let greeting = api.post_json("/api/greeting", &json!({})).await;
    assert_eq!(greeting.status, StatusCode::OK);
    let g = greeting.json();
    assert_eq!(g["state"], "ask_name");
    assert!(g["reply"].as_str().is_some_and(|r| r.contains("Privacidad") && r.contains("¿Cómo te llamás?")));
    let sid = g["sessionId"].as_str().unwrap_or_default().to_owned();

    let r = api.chat(&sid, "hola, me llamo Ana").await;
    assert_eq!(r["state"], "ask_problem");
    assert!(r["reply"].as_str().is_some_and(|t| t.contains("Ana")));

    let problem = format!("la impresora no imprime nada. Mi mail es {EMAIL} y mi cel {PHONE}");
    let r = api.chat(&sid, &problem).await;
    assert_eq!(r["state"], "steps");
    assert!(r["reply"].as_str().is_some_and(|t| t.contains("1. ") && t.contains("¿Se solucionó?")));
    let values: Vec<&str> =
        r["options"].as_array().map(|o| o.iter().filter_map(|x| x["value"].as_str()).collect()).unwrap_or_default();
    assert_eq!(values, vec!["yes", "no", "tech"]);
    assert_eq!(r["degraded"], false);

    // A screenshot of the problem, analysed by the in-process worker.
    let up = api.upload(&sid, png(800, 600), "captura.png").await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let upload_id = up.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let done = api.wait_upload(&sid, &upload_id).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["analysis"]["width"], 800);
    assert_eq!(done["analysis"]["height"], 600);
    assert_eq!(done["analysis"]["format"], "png");
    assert!(done["analysis"]["blurScore"].as_f64().is_some_and(|b| b > 0.0));
    assert!(done["analysis"]["brightness"].as_f64().is_some());

    let r = api.chat(&sid, "No, sigo igual").await;
    assert_eq!(r["state"], "steps");
    assert!(r["reply"].as_str().is_some_and(|t| t.contains("📷") && t.contains("otros pasos")), "{r}");

    let r = api.chat(&sid, "no").await;
    assert_eq!(r["state"], "offer_ticket");
    let r =
        api.post_json("/api/chat", &json!({ "sessionId": sid, "action": "button", "value": "ticket" })).await.json();
    assert_eq!(r["state"], "ticket_created", "{r}");
    let ticket_id = r["ticket"]["ticketId"].as_str().unwrap_or_default().to_owned();
    let whatsapp = r["ticket"]["whatsappUrl"].as_str().unwrap_or_default().to_owned();
    let ticket_url = r["ticket"]["ticketUrl"].as_str().unwrap_or_default().to_owned();
    assert!(ticket_id.starts_with("STI-"), "{r}");
    assert!(whatsapp.starts_with("https://wa.me/5491100000000?text=") && whatsapp.contains(&ticket_id));
    assert!(r["reply"].as_str().is_some_and(|t| t.contains(&ticket_id)));

    // The same ticket through the dedicated endpoint: idempotent per case.
    let again = api.post_json("/api/whatsapp-ticket", &json!({ "sessionId": sid })).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.json()["ticketId"], ticket_id.as_str());
    assert_eq!(again.json()["created"], false);

    // The technician's view: masked, with steps tried and the image analysis.
    let path = ticket_url.trim_start_matches(&server.base).to_owned();
    let view = api.get(&path).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    let t = view.json();
    assert_eq!(t["name"], "Ana");
    assert_eq!(t["category"], "printer");
    assert_eq!(t["stepsTried"].as_array().map(Vec::len), Some(2));
    assert_eq!(t["images"][0]["analysis"]["width"], 800);
    assert!(t["summary"].as_str().is_some_and(|s| s.contains("[EMAIL]") && s.contains("[PHONE]")));
    assert_no_raw_pii(&view.body, "ticket JSON");
    let html = api.send(api.request(reqwest::Method::GET, &path).header("accept", "text/html")).await;
    assert!(html.header("content-type").is_some_and(|c| c.starts_with("text/html")));
    assert!(html.header("content-security-policy").is_some_and(|c| c.contains("default-src 'none'")));
    assert_no_raw_pii(&html.body, "ticket page");

    let logs =
        api.send(api.request(reqwest::Method::GET, "/api/logs?limit=500").bearer_auth("e2e-log-token-123456")).await;
    assert_eq!(logs.status, StatusCode::OK);
    assert!(logs.body.lines().count() >= 8, "{}", logs.body);
    assert!(logs.body.contains("ticket.created") && logs.body.contains("upload.processed"));
    assert_no_raw_pii(&logs.body, "app log");

    let before = api.export(&sid).await.json();
    assert_no_raw_pii(&before.to_string(), "export");
    assert_no_raw_pii(&server.log_lines().join("\n"), "server log");

    // Restart on the same data dir: nothing is lost.
    let status = server.stop();
    assert!(status.success(), "SIGTERM should stop the server cleanly: {status}");
    let server = Server::start(dir.path(), &[("WHATSAPP_NUMBER", "5491100000000")]);
    let api = Api::new(&server.base);
    let v = api.post_json("/api/session/validate", &json!({ "sessionId": sid })).await.json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["state"], "ticket_created");
    let after = api.export(&sid).await.json();
    assert_eq!(after["transcript"], before["transcript"]);
    assert_eq!(after["uploads"], before["uploads"]);
    assert_eq!(after["tickets"][0]["ticketId"], ticket_id.as_str());
    let path = sti_e2e::ticket_path(&ticket_url);
    assert_eq!(api.get(&path).await.status, StatusCode::OK);
    let status = api.wait_upload(&sid, &upload_id).await;
    assert_eq!(status["status"], "done");
    let r = api.chat(&sid, "gracias").await;
    assert_eq!(r["state"], "ticket_created");
    assert!(r["reply"].as_str().is_some_and(|t| t.contains(&ticket_id)));
}

fn assert_no_raw_pii(text: &str, what: &str) {
    assert!(!text.contains(EMAIL), "{what} holds the raw email");
    assert!(!text.contains("4567-8901") && !text.contains("45678901"), "{what} holds the raw phone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_conversation_still_gets_its_ticket() {
    let dir = data_dir();
    let limits = [("RATE_LIMIT_CHAT_PER_MIN_SESSION", "1000"), ("RATE_LIMIT_CHAT_PER_MIN_IP", "1000")];
    let server = Server::start(dir.path(), &limits);
    sti_e2e::long_conversation_gets_its_ticket(&Api::new(&server.base)).await;
}
