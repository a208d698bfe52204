//! The privacy promise on `sti serve`, end to end: for every form of personal data and
//! secret the masker learned (passwords, PINs, remote-access codes, IBANs, public IPs,
//! unusual separators, numbers split over two messages), a visitor types it, a ticket
//! opens, and it is in none of what anyone can read later: the export, the ticket (JSON
//! and HTML), `/api/logs`, the process log, and what the model was sent.

use reqwest::{Method, StatusCode};
use sti_e2e::fake_openai::{Behaviour, FakeOpenAi};
use sti_e2e::privacy_forms::{FORMS, Form, readable};
use sti_e2e::{Api, Server, data_dir};

const LOG_TOKEN: &str = "privacy-log-token-000001";

fn assert_hidden(what: &str, text: &str, form: &Form) {
    for secret in form.secrets {
        assert!(!readable(text, secret), "{}: {secret:?} is readable in {what}: {text}", form.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_form_of_personal_data_or_secret_is_readable_anywhere() {
    let fake = FakeOpenAi::start(Behaviour::Good);
    let dir = data_dir();
    let server = Server::start(
        dir.path(),
        &[
            ("SMART_MODE", "true"),
            ("OPENAI_BASE_URL", fake.base_url.as_str()),
            ("OPENAI_API_KEY", "sk-fake-privacy-key-1"),
            ("LOG_TOKEN", LOG_TOKEN),
            ("RUST_LOG", "debug"),
            ("RATE_LIMIT_GREETING_PER_MIN", "1000"),
            ("RATE_LIMIT_CHAT_PER_MIN_IP", "1000"),
            ("RATE_LIMIT_CHAT_PER_MIN_SESSION", "1000"),
            ("RATE_LIMIT_TICKET_PER_MIN_IP", "1000"),
        ],
    );
    let api = Api::new(&server.base);
    let mut readable_places = Vec::new();
    for form in FORMS {
        let sid = api.greeting().await;
        api.chat(&sid, "me llamo Ana").await;
        for message in form.messages {
            let reply = api.chat(&sid, message).await;
            assert!(reply["reply"].as_str().is_some_and(|r| !r.is_empty()), "{}: {reply}", form.name);
            assert_hidden("the bot's reply", &reply.to_string(), form);
        }
        // By now the model has been asked for steps with what the visitor said.
        let last = api.chat(&sid, "y además la impresora no imprime").await;
        assert_hidden("the bot's reply", &last.to_string(), form);
        let (_, path) = api.open_ticket(&sid).await;
        let ticket = api.get(&path).await;
        assert_eq!(ticket.status, StatusCode::OK, "{}", ticket.body);
        let page = api.send(api.request(Method::GET, &path).header("accept", "text/html")).await;
        assert!(page.body.contains("<html"), "{}", page.body);
        let export = api.export(&sid).await;
        assert_eq!(export.status, StatusCode::OK, "{}", export.body);
        for (what, text) in
            [("the ticket", &ticket.body), ("the ticket page", &page.body), ("the export", &export.body)]
        {
            assert_hidden(what, text, form);
            readable_places.push(what);
        }
        assert!(
            export.body.contains('[') && export.json()["transcript"].as_array().is_some_and(|t| t.len() >= 6),
            "{}: the transcript is there, masked: {}",
            form.name,
            export.body
        );
    }
    let logs = api.send(api.request(Method::GET, "/api/logs?limit=500").bearer_auth(LOG_TOKEN)).await;
    assert_eq!(logs.status, StatusCode::OK, "{}", logs.body);
    let process_log = server.log_lines().join("\n");
    assert!(process_log.contains("DEBUG") || process_log.contains("debug"), "the process log is at debug level");
    let requests = fake.requests();
    assert!(requests.len() >= FORMS.len(), "the model was asked for steps for every visitor: {}", requests.len());
    let prompts: String = requests.iter().map(|r| r.body.to_string()).collect::<Vec<_>>().join("\n");
    assert!(prompts.contains("impresora"), "the prompts carry the visitors' words: {prompts}");
    for form in FORMS {
        assert_hidden("/api/logs", &logs.body, form);
        assert_hidden("the process log", &process_log, form);
        assert_hidden("the model's prompts", &prompts, form);
    }
    assert_eq!(readable_places.len(), FORMS.len() * 3);
}

/// A session id is a credential for the session's data: the process log (stderr, which
/// CloudWatch keeps) never carries one, nor do the blob store's paths, whatever the
/// visitor does — chat, an image through the worker, a signed upload, a wrong path, an
/// export, erasure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_session_id_reaches_the_process_log_or_the_blob_paths() {
    let dir = data_dir();
    let server = Server::start(dir.path(), &[("RUST_LOG", "debug"), ("RATE_LIMIT_UPLOAD_PER_MIN", "100")]);
    let api = Api::new(&server.base);
    let sid = api.greeting().await;
    api.chat(&sid, "me llamo Ana").await;
    api.chat(&sid, "la impresora no imprime").await;
    let up = api.upload(&sid, sti_e2e::png(320, 240), "captura.png").await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let upload_id = up.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(api.wait_upload(&sid, &upload_id).await["status"], "done");
    let offer = api.upload_url(&sid, "image/png", sti_e2e::png(64, 64).len()).await.json();
    assert!(!offer.to_string().contains(&sid), "the presigned URL does not name the session: {offer}");
    for path in [format!("/api/session/{sid}/nothing-here"), format!("/api/upload/{sid}"), format!("/{sid}")] {
        assert!(api.get(&path).await.status.is_client_error(), "{path}");
    }
    assert_eq!(api.export(&sid).await.status, StatusCode::OK);
    let mut blob_paths = Vec::new();
    let mut stack = vec![dir.path().join("blobs")];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).into_iter().flatten().flatten() {
            blob_paths.push(entry.path().display().to_string());
            if entry.path().is_dir() {
                stack.push(entry.path());
            }
        }
    }
    assert!(blob_paths.iter().any(|p| p.contains(&upload_id)), "the image is stored: {blob_paths:?}");
    assert!(!blob_paths.iter().any(|p| p.contains(&sid)), "blob paths name no session: {blob_paths:?}");
    let erased = api.send(api.request(Method::DELETE, &format!("/api/session/{sid}"))).await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.body);
    let log = server.log_lines().join("\n");
    assert!(log.contains(&upload_id), "the log follows the upload by its id: {log}");
    assert!(!log.contains(&sid), "the process log carries the session id: {log}");
    assert!(!log.contains(sid.trim_start_matches("web-")), "not even its hex: {log}");
}
