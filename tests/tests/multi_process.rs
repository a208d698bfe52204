//! Two `sti serve` processes on one data dir, as `cargo lambda watch` runs functions:
//! concurrent chats on one session lose nothing, and every queued image is processed
//! by exactly one of the two workers, exactly once.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::json;
use sti_e2e::{Api, Server, data_dir, png};

const ENV: &[(&str, &str)] = &[
    ("RATE_LIMIT_CHAT_PER_MIN_SESSION", "1000"),
    ("MAX_TURNS_PER_SESSION", "1000000000"),
    ("RATE_LIMIT_CHAT_PER_MIN_IP", "1000"),
    ("RATE_LIMIT_UPLOAD_PER_MIN", "1000"),
    ("MAX_IMAGES_PER_SESSION", "50"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_share_one_data_dir_safely() {
    let dir = data_dir();
    let a = Server::start(dir.path(), ENV);
    let b = Server::start(dir.path(), ENV);
    let (api_a, api_b) = (Api::new(&a.base), Api::new(&b.base));

    let sid = api_a.greeting().await;
    api_b.chat(&sid, "Ana").await;

    let mut tasks = Vec::new();
    for i in 0..20 {
        let api = if i % 2 == 0 { api_a.clone() } else { api_b.clone() };
        let sid = sid.clone();
        tasks.push(tokio::spawn(async move {
            let r = api
                .post_json("/api/chat", &json!({ "sessionId": sid, "message": format!("mensaje número {i}"), "messageId": format!("c-{i}") }))
                .await;
            assert_eq!(r.status, StatusCode::OK, "message {i}: {}", r.body);
        }));
    }
    for t in tasks {
        t.await.unwrap_or_else(|e| panic!("chat task: {e}"));
    }
    let export = api_b.export(&sid).await.json();
    let transcript = export["transcript"].as_array().cloned().unwrap_or_default();
    let visitor: Vec<String> = transcript
        .iter()
        .filter(|e| e["from"] == "visitor")
        .filter_map(|e| e["text"].as_str().map(str::to_owned))
        .collect();
    for i in 0..20 {
        let text = format!("mensaje número {i}");
        assert_eq!(visitor.iter().filter(|t| **t == text).count(), 1, "{text:?} must land exactly once");
    }
    assert_eq!(transcript.len(), 2 * 21, "name turn plus 20 concurrent turns, each with the bot's answer");

    // Uploads through both processes; both workers compete for the jobs.
    let mut ids = Vec::new();
    for i in 0..8 {
        let api = if i % 2 == 0 { &api_a } else { &api_b };
        let r = api.upload(&sid, png(120 + i, 90), "x.png").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        ids.push(r.json()["uploadId"].as_str().unwrap_or_default().to_owned());
    }
    for id in &ids {
        assert_eq!(api_a.wait_upload(&sid, id).await["status"], "done");
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // Every job appears once in the two workers' logs, as processed.
    let mut results: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in a.log_lines().into_iter().chain(b.log_lines()) {
        if !line.contains("image job") {
            continue;
        }
        for id in &ids {
            if line.contains(id.as_str()) {
                let result =
                    line.split("result=").nth(1).unwrap_or("?").split_whitespace().next().unwrap_or("?").to_owned();
                results.entry(id.clone()).or_default().push(result);
            }
        }
    }
    for id in &ids {
        assert_eq!(
            results.get(id).map(Vec::as_slice),
            Some(&["Processed".to_owned()][..]),
            "job for {id}: {results:?}"
        );
    }
    let metrics = api_b.get("/api/metrics").await.json();
    assert_eq!(metrics["uploads"]["processed"], 8);
    assert_eq!(metrics["uploads"]["failed"], 0);
    assert_eq!(metrics["chat"]["totalMessages"], 21);
}
