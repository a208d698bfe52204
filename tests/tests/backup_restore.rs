//! `sti backup` while `sti serve` takes a burst of chat turns, then `sti restore` into a
//! fresh data dir: the restored server serves the same sessions, tickets and images, and
//! no conversation is restored with half a turn.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sti_e2e::{Api, Server, data_dir, png, sti_bin};

const FAST: &[(&str, &str)] = &[
    ("RATE_LIMIT_CHAT_PER_MIN_SESSION", "100000"),
    ("RATE_LIMIT_CHAT_PER_MIN_IP", "100000"),
    ("RATE_LIMIT_GREETING_PER_MIN", "100000"),
];

/// A conversation that ends with a ticket; returns (session, ticket path).
async fn with_ticket(api: &Api, name: &str) -> (String, String) {
    let sid = api.greeting().await;
    api.chat(&sid, &format!("me llamo {name}")).await;
    api.chat(&sid, "la compu está muy lenta").await;
    let r = api.post_json("/api/chat", &json!({ "sessionId": sid, "action": "button", "value": "tech" })).await.json();
    let r = if r["ticket"].is_null() {
        api.post_json("/api/chat", &json!({ "sessionId": sid, "action": "button", "value": "ticket" })).await.json()
    } else {
        r
    };
    let url = r["ticket"]["ticketUrl"].as_str().unwrap_or_else(|| panic!("no ticket: {r}")).to_owned();
    let path =
        url.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned())).unwrap_or_default();
    (sid, path)
}

fn sti(args: &[&str]) -> std::process::Output {
    Command::new(sti_bin()).args(args).output().unwrap_or_else(|e| panic!("sti {args:?}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_serving_restores_into_a_fresh_store() {
    let source_dir = data_dir();
    let server = Server::start(source_dir.path(), FAST);
    let api = Api::new(&server.base);

    let mut kept: Vec<(String, String, Value)> = Vec::new();
    for name in ["Ana", "Juan", "María"] {
        let (sid, ticket) = with_ticket(&api, name).await;
        kept.push((sid, ticket, Value::Null));
    }
    let up = api.upload(&kept[0].0, png(640, 480), "captura.png").await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let upload_id = up.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(api.wait_upload(&kept[0].0, &upload_id).await["status"], "done");
    for entry in &mut kept {
        entry.2 = api.export(&entry.0).await.json();
    }

    // Visitors keep writing while the backup runs.
    let mut busy = Vec::new();
    for _ in 0..4 {
        busy.push(api.greeting().await);
    }
    let burst = tokio::spawn({
        let api = api.clone();
        let busy = busy.clone();
        async move {
            for round in 0..40 {
                for sid in &busy {
                    let r = api
                        .post_json("/api/chat", &json!({ "sessionId": sid, "message": format!("mensaje {round}") }))
                        .await;
                    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                }
            }
        }
    });
    let file = source_dir.path().join("..").join(format!("sti-backup-{}.db", std::process::id()));
    let backed = tokio::task::spawn_blocking({
        let (dir, file) = (source_dir.path().to_owned(), file.clone());
        move || sti(&["backup", "--data-dir", &dir.to_string_lossy(), "--out", &file.to_string_lossy()])
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let printed = String::from_utf8_lossy(&backed.stdout).into_owned();
    assert!(backed.status.success(), "backup failed: {printed} {}", String::from_utf8_lossy(&backed.stderr));
    burst.await.unwrap_or_else(|e| panic!("the burst failed while the backup ran: {e}"));
    assert!(printed.contains("3 tickets") && printed.contains("1 uploads"), "{printed}");
    let again = sti(&["backup", "--data-dir", &source_dir.path().to_string_lossy(), "--out", &file.to_string_lossy()]);
    assert!(!again.status.success(), "a backup never overwrites a file");
    let old_base = server.base.clone();
    drop(server);

    let restored_dir = data_dir();
    let target = restored_dir.path().join("store");
    let restored = sti(&["restore", "--from", &file.to_string_lossy(), "--data-dir", &target.to_string_lossy()]);
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    let twice = sti(&["restore", "--from", &file.to_string_lossy(), "--data-dir", &target.to_string_lossy()]);
    assert!(!twice.status.success(), "a restore never overwrites a store");
    let _ = std::fs::remove_file(&file);

    let server = Server::start(&target, FAST);
    let api = Api::new(&server.base);
    for (sid, ticket, before) in &kept {
        let after = api.export(sid).await.json();
        for part in ["session", "transcript", "tickets", "uploads"] {
            // Links name the server that answered: compare what follows the host.
            let (a, b) = (after[part].to_string(), before[part].to_string());
            let (a, b) = (a.replace(&server.base, ""), b.replace(&old_base, ""));
            assert_eq!(a, b, "{part} of {sid}");
        }
        let view = api.get(ticket).await;
        assert_eq!(view.status, StatusCode::OK, "the ticket link works after the restore: {}", view.body);
    }
    let status = api.upload_status(&kept[0].0, &upload_id).await;
    assert_eq!(status["status"], "done");
    let sanitized =
        target.join("blobs").join(format!("sanitized/{}.png", sti_e2e::original_key(&kept[0].0, &upload_id)));
    assert!(sanitized.exists(), "the image came back with its record");
    // The busy sessions are as they were at one instant: whole turns only.
    for sid in &busy {
        let transcript = api.export(sid).await.json()["transcript"].as_array().cloned().unwrap_or_default();
        assert_eq!(transcript.len() % 2, 0, "a turn restored by halves in {sid}: {transcript:?}");
        let visitor: Vec<&str> =
            transcript.iter().filter(|e| e["from"] == "visitor").filter_map(|e| e["text"].as_str()).collect();
        let expected: Vec<String> = (0..visitor.len()).map(|i| format!("mensaje {i}")).collect();
        assert_eq!(visitor, expected, "a prefix of what was sent, in order");
        let next = api.post_json("/api/chat", &json!({ "sessionId": sid, "message": "sigo acá" })).await;
        assert_eq!(next.status, StatusCode::OK, "the restored session goes on: {}", next.body);
    }
}
