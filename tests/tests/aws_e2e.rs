//! The whole system on the AWS backend, over the real wire protocol on moto: `sti aws
//! bootstrap`, `sti serve --backend aws`, `sti worker --backend aws` consuming the SQS
//! queue that the bucket notification feeds; concurrency, redelivery and faults.

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use sti_e2e::aws_stack::{Running, Stack, running, wait_for};
use sti_e2e::moto::Moto;
use sti_e2e::{Api, Server, data_dir, photo_jpeg, png, sti_bin};
use sti_shared::ids::{SessionId, TicketId};
use sti_shared::ports::Job;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_conversation_on_the_aws_backend() {
    let moto = Moto::start();
    let Running { stack, aws, dir, server, worker, api } = running(&moto).await;

    let health = api.get("/api/health").await.json();
    assert_eq!(health["backend"], "aws");
    assert_eq!(health["status"], "ok", "{health}");

    let sid = api.greeting().await;
    api.chat(&sid, "me llamo Ana").await;
    let r = api.chat(&sid, "la compu está muy lenta, escribime a ana@example.com").await;
    assert_eq!(r["state"], "steps", "{r}");
    api.chat(&sid, "no").await;

    // The image lands in S3, the notification reaches SQS, `sti worker` processes it.
    let up = api.upload(&sid, png(640, 480), "captura.png").await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let upload_id = up.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let key = sti_e2e::original_key(&sid, &upload_id);
    assert!(aws.blobs.get(&key).await.ok().flatten().is_some(), "the original is in S3");
    let done = api.wait_upload(&sid, &upload_id).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["analysis"]["width"], 640);
    let sanitized = format!("sanitized/{key}.png");
    assert!(aws.blobs.get(&sanitized).await.ok().flatten().is_some(), "the sanitised copy is in S3");
    assert!(aws.blobs.get(&key).await.ok().flatten().is_none(), "the original (EXIF, GPS) is gone once processed");

    // A duplicate delivery of the same job is processed once.
    aws.queue.enqueue(&Job { key: key.clone() }).await.unwrap_or_else(|e| panic!("{e}"));
    let handled = || {
        worker.log_lines().into_iter().filter(|l| l.contains("image job") && l.contains(&upload_id)).collect::<Vec<_>>()
    };
    wait_for("the duplicate job to be handled", Duration::from_secs(30), || {
        let done = handled().iter().any(|l| l.contains("result=AlreadyDone"));
        async move { done }
    })
    .await;
    let processed = handled();
    assert_eq!(processed.iter().filter(|l| l.contains("result=Processed")).count(), 1, "{processed:?}");
    assert!(processed.iter().any(|l| l.contains("result=AlreadyDone")), "{processed:?}");

    // Objects outside uploads/ (and the worker's own copies) never reach the queue.
    aws.blobs
        .put("other/readme.txt", bytes::Bytes::from_static(b"x"), "text/plain")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(aws.queue.depth().await.ok(), Some(0));
    assert!(
        !worker.log_lines().iter().any(|l| l.contains("unreadable") || l.contains("other/readme")),
        "the s3:TestEvent and foreign objects are ignored: {:?}",
        worker.log_lines()
    );

    let r = api.chat(&sid, "no").await;
    assert_eq!(r["state"], "offer_ticket", "{r}");
    let r =
        api.post_json("/api/chat", &json!({ "sessionId": sid, "action": "button", "value": "ticket" })).await.json();
    let ticket_id = r["ticket"]["ticketId"].as_str().unwrap_or_default().to_owned();
    let ticket = aws
        .tickets
        .get(&TicketId::parse(&ticket_id).unwrap_or_else(|e| panic!("{e}")), sti_shared::time::now_ms())
        .await;
    let ticket = ticket.ok().flatten().unwrap_or_else(|| panic!("the ticket {ticket_id} is not in DynamoDB"));
    assert_eq!(ticket.images.len(), 1);
    assert!(ticket.summary.as_deref().is_some_and(|s| s.contains("[EMAIL]") && !s.contains("ana@example.com")));
    assert_eq!(ticket.category.as_deref(), Some("slow"));

    // Secrets come from Secrets Manager; the log holds no raw email.
    let logs = api.send(api.request(reqwest::Method::GET, "/api/logs").bearer_auth("aws-e2e-log-token-0001")).await;
    assert_eq!(logs.status, StatusCode::OK);
    assert!(logs.body.contains("ticket.created") && !logs.body.contains("ana@example.com"));
    // What the widget redraws after a reload, and the visitor's rating, through DynamoDB.
    let history = api.get(&format!("/api/session/{sid}/history")).await.json();
    assert_eq!(history["tickets"][0]["ticketId"], ticket_id.as_str(), "{history}");
    assert_eq!(history["options"], r["options"], "{history}");
    assert_eq!(history["uploads"][0]["status"], "done", "{history}");
    let said: Vec<&str> =
        history["messages"].as_array().into_iter().flatten().filter_map(|m| m["text"].as_str()).collect();
    assert!(said.contains(&"Sí, crear ticket"), "a button by its label: {said:?}");
    assert_eq!(history["canRate"], true);
    let rated =
        api.post_json("/api/feedback", &json!({ "sessionId": sid, "rating": "up", "comment": "gracias" })).await;
    assert_eq!(rated.status, StatusCode::CREATED, "{}", rated.body);
    let again = api.post_json("/api/feedback", &json!({ "sessionId": sid, "rating": "down" })).await;
    assert_eq!(again.error_code(), "already_rated");
    let metrics = api.get("/api/metrics").await.json();
    assert_eq!(metrics["uploads"]["processed"], 1);
    assert_eq!(metrics["tickets"]["created"], 1);
    assert_eq!(
        metrics["feedback"]["byOutcome"][0],
        json!({ "outcome": "ticket", "category": "slow", "up": 1, "down": 0 })
    );

    // A restart loses nothing.
    let before = api.export(&sid).await.json();
    assert!(server.stop().success());
    let server = stack.serve(dir.path(), &["--no-worker"]);
    let api = Api::new(&server.base);
    let after = api.export(&sid).await.json();
    assert_eq!(after["transcript"], before["transcript"]);
    assert_eq!(after["tickets"][0]["ticketId"], before["tickets"][0]["ticketId"]);
    assert_eq!(after["tickets"][0]["summary"], before["tickets"][0]["summary"]);
    assert_eq!(after["uploads"], before["uploads"]);
    let session =
        aws.sessions.get(&SessionId::parse(&sid).unwrap_or_else(|e| panic!("{e}")), sti_shared::time::now_ms()).await;
    assert!(session.ok().flatten().is_some_and(|s| s.conversation.ticket_id.as_deref() == Some(ticket_id.as_str())));
    drop(worker);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_messages_on_one_session_all_land() {
    let moto = Moto::start();
    let stack = Stack::new(&moto);
    stack.bootstrap(&moto);
    let dir = data_dir();
    let server = stack.serve(dir.path(), &["--no-worker"]);
    let api = Api::new(&server.base);
    let sid = api.greeting().await;
    api.chat(&sid, "Ana").await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (api, sid) = (api.clone(), sid.clone());
        tasks.push(tokio::spawn(async move {
            let r = api
                .post_json("/api/chat", &json!({ "sessionId": sid, "message": format!("mensaje número {i}") }))
                .await;
            assert_eq!(r.status, StatusCode::OK, "message {i}: {}", r.body);
        }));
    }
    for t in tasks {
        t.await.unwrap_or_else(|e| panic!("{e}"));
    }
    let transcript = api.export(&sid).await.json()["transcript"].as_array().cloned().unwrap_or_default();
    for i in 0..20 {
        let text = format!("mensaje número {i}");
        assert_eq!(transcript.iter().filter(|e| e["text"] == text.as_str()).count(), 1, "{text}");
    }
    assert_eq!(transcript.len(), 42);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_backend_gives_503_then_recovers() {
    let moto = Moto::start();
    let stack = Stack::new(&moto);
    stack.bootstrap(&moto);
    let dir = data_dir();
    let server = stack.serve(dir.path(), &["--no-worker"]);
    let api = Api::new(&server.base);
    let sid = api.greeting().await;
    api.chat(&sid, "Ana").await;

    moto.pause();
    for (what, answer) in [
        ("greeting", api.post_json("/api/greeting", &json!({})).await),
        ("chat", api.post_json("/api/chat", &json!({ "sessionId": sid, "message": "no anda internet" })).await),
        ("health", api.get("/api/health").await),
    ] {
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {}", answer.body);
        if what != "health" {
            assert!(answer.header("retry-after").is_some(), "{what}: Retry-After");
            assert_eq!(answer.error_code(), "storage_unavailable");
        }
    }
    let started = Instant::now();
    let slow = api.post_json("/api/session/validate", &json!({ "sessionId": sid })).await;
    assert_eq!(slow.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "must not hang near the Lambda timeout: {:?}",
        started.elapsed()
    );

    moto.resume();
    wait_for("the API to recover", Duration::from_secs(30), || async {
        api.get("/api/health").await.status == StatusCode::OK
    })
    .await;
    let r = api.chat(&sid, "no anda internet").await;
    assert_eq!(r["state"], "steps", "the session survived the outage: {r}");
}

/// The function binaries themselves on the AWS backend: they carry no aws-config and
/// read region, credentials and endpoint from the environment, as Lambda provides them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_functions_run_on_the_aws_backend() {
    use sti_e2e::runtime_api::invoke_once;
    use sti_e2e::sample_event as event;
    let moto = Moto::start();
    let stack = Stack::new(&moto);
    stack.bootstrap(&moto);
    let env = stack.env();
    let invoke = |function: &'static str, event: serde_json::Value| invoke_once(function, &env, event);
    let health = invoke("health", event("health")).await;
    assert_eq!(health["statusCode"], 200, "{health}");
    assert!(health["body"].as_str().is_some_and(|b| b.contains("\"backend\":\"aws\"")), "{health}");
    let greeting = invoke("greeting", event("greeting")).await;
    assert_eq!(greeting["statusCode"], 200, "{greeting}");
    let sid = serde_json::from_str::<serde_json::Value>(greeting["body"].as_str().unwrap_or("{}")).unwrap_or_default()
        ["sessionId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let aws = stack.backend(&moto).await;
    let session =
        aws.sessions.get(&SessionId::parse(&sid).unwrap_or_else(|e| panic!("{e}")), sti_shared::time::now_ms()).await;
    assert!(session.ok().flatten().is_some(), "the session is in DynamoDB");
    // The worker function skips S3's test event (the first message the bootstrap produced).
    let test_event = json!({ "Records": [{ "messageId": "t-1", "body": json!({"Service": "Amazon S3", "Event": "s3:TestEvent"}).to_string(), "attributes": {} }] });
    let worker = invoke("image-worker", test_event).await;
    assert_eq!(worker["batchItemFailures"], json!([]), "{worker}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_conversation_gets_its_ticket_within_the_item_limit() {
    let moto = Moto::start();
    let stack = Stack::new(&moto);
    stack.bootstrap(&moto);
    let dir = data_dir();
    let server = stack.serve(dir.path(), &["--no-worker"]);
    sti_e2e::long_conversation_gets_its_ticket(&Api::new(&server.base)).await;
}

/// The query parameters of a URL, decoded.
fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            let decoded = percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned();
            (k.to_owned(), decoded)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5_mb_photo_goes_straight_to_s3_and_is_analysed() {
    let moto = Moto::start();
    let Running { stack, aws, dir: _dir, server: _server, worker, api } = running(&moto).await;
    let sid = api.greeting().await;

    let photo = photo_jpeg(5 * 1024 * 1024);
    assert!(photo.len() > 4_700_000, "a photo too large for a Lambda invocation: {} bytes", photo.len());
    let offer = api.upload_url(&sid, "image/jpeg", photo.len()).await;
    assert_eq!(offer.status, StatusCode::CREATED, "{}", offer.body);
    let offer = offer.json();
    let upload_id = offer["uploadId"].as_str().unwrap_or_default().to_owned();
    let key = sti_e2e::original_key(&sid, &upload_id);
    let url = offer["url"].as_str().unwrap_or_default();
    assert!(url.starts_with(&format!("{}/{}/{key}?", moto.endpoint, stack.resources.bucket)), "{url}");

    // moto accepts any presigned request (it does not check signatures: a PUT with another
    // length, type, or after expiry is stored all the same). What S3 will check is proven
    // on the request itself: type, exact length and encryption are signed, and it expires.
    let query = query_of(url);
    let signed: Vec<&str> = query.get("X-Amz-SignedHeaders").map(|h| h.split(';').collect()).unwrap_or_default();
    for header in ["content-length", "content-type", "host", "if-none-match", "x-amz-server-side-encryption"] {
        assert!(signed.contains(&header), "{header} is not signed: {signed:?}");
    }
    let expires: u64 = query.get("X-Amz-Expires").and_then(|e| e.parse().ok()).unwrap_or(u64::MAX);
    assert!((1..=300).contains(&expires), "expires in {expires} s");
    assert_eq!(query.get("X-Amz-Algorithm").map(String::as_str), Some("AWS4-HMAC-SHA256"));
    assert!(query.get("X-Amz-Signature").is_some_and(|s| s.len() == 64));
    assert!(!query.keys().any(|k| k.to_ascii_lowercase().contains("checksum")), "no checksum of an empty body: {url}");
    let headers = offer["headers"].as_object().cloned().unwrap_or_default();
    assert_eq!(headers.get("content-type").or(headers.get("Content-Type")), Some(&json!("image/jpeg")));
    assert_eq!(headers.get("x-amz-server-side-encryption"), Some(&json!("AES256")));
    // Single use: the URL only writes where no object is (S3 answers 412 to a second PUT).
    assert_eq!(headers.get("if-none-match"), Some(&json!("*")), "{headers:?}");
    assert_eq!(api.upload_status(&sid, &upload_id).await["status"], "awaiting_upload");

    let put = api.put_signed(&offer, photo.clone()).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let stored = Instant::now();
    let done = api.wait_upload(&sid, &upload_id).await;
    let put_to_done = stored.elapsed();
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["analysis"]["format"], "jpeg");
    assert_eq!(done["analysis"]["bytes"], photo.len());
    assert!(aws.blobs.exists(&format!("sanitized/{key}.jpg")).await.unwrap_or(false), "the sanitised copy is in S3");
    assert!(!aws.blobs.exists(&key).await.unwrap_or(true), "the original is gone once processed");
    println!("PUT response → done for a {} byte JPEG on moto: {put_to_done:?}", photo.len());

    // Bytes that are not the declared type: failed with a reason, nothing of them kept.
    let page = b"<!doctype html><script>alert(1)</script>".repeat(50);
    let offer = api.upload_url(&sid, "image/png", page.len()).await.json();
    let bad_id = offer["uploadId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(api.put_signed(&offer, page).await.status, StatusCode::OK);
    let failed = api.wait_upload(&sid, &bad_id).await;
    assert_eq!(
        (failed["status"].as_str(), failed["error"].as_str()),
        (Some("failed"), Some("type_mismatch")),
        "{failed}"
    );
    // The worker records the failure, then deletes the refused bytes.
    let bad_key = sti_e2e::original_key(&sid, &bad_id);
    for leftover in [bad_key.clone(), format!("sanitized/{bad_key}.png"), format!("thumbnails/{bad_key}.jpg")] {
        wait_for(&format!("{leftover} to be gone"), Duration::from_secs(10), || {
            let (aws, leftover) = (aws.clone(), leftover.clone());
            async move { !aws.blobs.exists(&leftover).await.unwrap_or(true) }
        })
        .await;
    }

    // An object for an upload nobody asked for (here: an erased session) is deleted.
    let stray = sti_e2e::original_key(&sid, "upl-00000000000000000000000000000002");
    aws.blobs.put(&stray, bytes::Bytes::from(png(64, 64)), "image/png").await.unwrap_or_else(|e| panic!("{e}"));
    wait_for("the stray object to be deleted", Duration::from_secs(30), || {
        let (aws, stray) = (aws.clone(), stray.clone());
        async move { !aws.blobs.exists(&stray).await.unwrap_or(true) }
    })
    .await;
    let metrics = api.get("/api/metrics?format=prometheus").await.body;
    assert!(metrics.contains("sti_uploads_orphaned_total 1"), "{metrics}");
    drop(worker);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_restore_drill_restores_the_table_into_a_new_one() {
    let moto = Moto::start();
    let Running { stack, api, server: _server, worker: _worker, dir: _dir, aws: _aws } = running(&moto).await;
    let sid = api.greeting().await;
    api.chat(&sid, "me llamo Ana").await;
    api.chat(&sid, "no tengo internet").await;
    let target = format!("{}-restored", stack.resources.table);
    let drill = |session: &str| {
        Command::new(sti_bin())
            .args(["aws", "restore-drill", "--endpoint-url", &moto.endpoint, "--target-table", &target])
            .args(["--session", session])
            .envs(stack.env())
            .output()
            .unwrap_or_else(|e| panic!("sti aws restore-drill: {e}"))
    };
    let out = drill(&sid);
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{printed}{}", String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains("found in the restored table") && printed.contains("verdict: PASS"), "{printed}");
    let counts: Vec<u64> = printed
        .lines()
        .find(|l| l.starts_with("items:"))
        .map(|l| l.split_whitespace().filter_map(|w| w.parse().ok()).collect())
        .unwrap_or_default();
    assert!(counts.len() == 2 && counts[0] == counts[1] && counts[0] > 0, "{printed}");
    assert!(printed.contains(&format!("STI_TABLE_NAME={target}")), "the switch-over is spelled out: {printed}");
    // The target exists now: a second drill into it is refused, the source untouched.
    assert!(!drill(&sid).status.success());
    assert_eq!(api.export(&sid).await.json()["transcript"].as_array().map(Vec::len), Some(4));
}

/// Visitors writing continuously, each message retried with its messageId until it gets
/// a 200, as the widget does; anything but 200 or 503 + Retry-After fails the test.
struct Writers {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<(String, usize, usize)>>,
}

fn start_writers(api: &Api, sessions: &[String]) -> Writers {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tasks = sessions
        .iter()
        .map(|sid| {
            let (api, stop, sid) = (api.clone(), std::sync::Arc::clone(&stop), sid.clone());
            tokio::spawn(async move {
                let (mut sent, mut refused) = (0usize, 0usize);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let body =
                        json!({ "sessionId": sid, "message": format!("mensaje {sent}"), "messageId": format!("m-{sent}") });
                    let answer = api.post_json("/api/chat", &body).await;
                    match answer.status {
                        StatusCode::OK => sent += 1,
                        StatusCode::SERVICE_UNAVAILABLE => {
                            assert!(answer.header("retry-after").is_some(), "503 without Retry-After: {}", answer.body);
                            refused += 1;
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        other => panic!("{other} while the store misbehaved: {}", answer.body),
                    }
                }
                (sid, sent, refused)
            })
        })
        .collect();
    Writers { stop, tasks }
}

impl Writers {
    /// Stops the writers and checks every session holds exactly what was acknowledged,
    /// in order, in whole turns; returns how many 503s they were given.
    async fn finish(self, api: &Api) -> usize {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut refused_total = 0;
        for task in self.tasks {
            let (sid, sent, refused) = task.await.unwrap_or_else(|e| panic!("{e}"));
            refused_total += refused;
            let transcript = api.export(&sid).await.json()["transcript"].as_array().cloned().unwrap_or_default();
            let visitor: Vec<&str> =
                transcript.iter().filter(|e| e["from"] == "visitor").filter_map(|e| e["text"].as_str()).collect();
            let expected: Vec<String> = (0..sent).map(|i| format!("mensaje {i}")).collect();
            assert_eq!(visitor, expected, "{sid}: every acknowledged message once, in order, nothing else");
            assert_eq!(transcript.len(), 2 * sent, "{sid}: whole turns only");
        }
        refused_total
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn visitors_writing_through_a_store_outage_lose_nothing() {
    let moto = Moto::start();
    let Running { api, server: _server, worker: _worker, dir: _dir, aws: _aws, stack: _stack } = running(&moto).await;
    let mut sessions = Vec::new();
    for _ in 0..4 {
        sessions.push(api.greeting().await);
    }
    let writers = start_writers(&api, &sessions);
    tokio::time::sleep(Duration::from_secs(2)).await;
    moto.pause();
    tokio::time::sleep(Duration::from_secs(4)).await;
    moto.resume();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(writers.finish(&api).await > 0, "the outage was felt (503s), so the test tested something");
}

/// `sti serve` (no worker) on a fresh stack on `moto`, reaching it through a proxy that can
/// throttle DynamoDB and counts every call; with its data dir and the API.
fn served_through_proxy(moto: &Moto) -> (sti_e2e::throttle::ThrottlingProxy, tempfile::TempDir, Server, Api) {
    let stack = Stack::new(moto);
    stack.bootstrap(moto);
    let proxy = sti_e2e::throttle::ThrottlingProxy::start(&moto.endpoint);
    let env: Vec<(&str, &str)> = stack
        .env()
        .into_iter()
        .map(|(k, v)| if k == "AWS_ENDPOINT_URL" { (k, proxy.endpoint.as_str()) } else { (k, v) })
        .collect();
    let dir = data_dir();
    let server = Server::start_with_args(dir.path(), &env, &["--no-worker"]);
    let api = Api::new(&server.base);
    (proxy, dir, server, api)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_throttling_gives_503s_with_retry_after_and_loses_nothing() {
    let moto = Moto::start();
    let (proxy, _dir, _server, api) = served_through_proxy(&moto);
    let mut sessions = Vec::new();
    for _ in 0..4 {
        sessions.push(api.greeting().await);
    }
    let writers = start_writers(&api, &sessions);
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.throttle_one_in(2); // every other DynamoDB call: ProvisionedThroughputExceeded
    tokio::time::sleep(Duration::from_secs(5)).await;
    proxy.throttle_one_in(0);
    tokio::time::sleep(Duration::from_secs(2)).await;
    writers.finish(&api).await;
    assert!(proxy.throttled() > 20, "throttling was injected: {}", proxy.throttled());
    let health = api.get("/api/health").await;
    assert_eq!(health.status, StatusCode::OK, "recovered: {}", health.body);
}

/// The privacy promise on the AWS backend: every form of personal data and secret (the
/// same as on `sti serve`, `tests/tests/privacy.rs`) is in neither the ticket (as DynamoDB
/// holds it and as the API shows it) nor the export; a card split over two messages has
/// its first half rewritten in DynamoDB too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_reach_neither_the_ticket_nor_the_export_on_aws() {
    use sti_e2e::privacy_forms::{FORMS, readable};
    let moto = Moto::start();
    let Running { aws, server, api, .. } = running(&moto).await;
    for form in FORMS {
        let sid = api.greeting().await;
        api.chat(&sid, "me llamo Ana").await;
        for message in form.messages {
            let reply = api.chat(&sid, message).await;
            assert!(reply["reply"].as_str().is_some_and(|r| !r.is_empty()), "{}: {reply}", form.name);
        }
        let (ticket_id, path) = api.open_ticket(&sid).await;
        let shown = api.get(&path).await;
        assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
        let stored = aws
            .tickets
            .get(&TicketId::parse(&ticket_id).unwrap_or_else(|e| panic!("{e}")), sti_shared::time::now_ms())
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("the ticket {ticket_id} is not in DynamoDB"));
        let stored = serde_json::to_string(&stored).unwrap_or_default();
        let export = api.export(&sid).await;
        assert_eq!(export.status, StatusCode::OK);
        let transcript = aws.sessions.transcript(&SessionId::parse(&sid).unwrap_or_else(|e| panic!("{e}"))).await;
        let transcript = serde_json::to_string(&transcript.unwrap_or_default()).unwrap_or_default();
        if form.name == "card over two messages" {
            assert!(transcript.contains("tarjeta [CARD]"), "the first half was rewritten in DynamoDB: {transcript}");
        }
        for (what, text) in [
            ("the stored ticket", &stored),
            ("the ticket", &shown.body),
            ("the export", &export.body),
            ("DynamoDB", &transcript),
        ] {
            for secret in form.secrets {
                assert!(!readable(text, secret), "{}: {secret:?} is readable in {what}: {text}", form.name);
            }
        }
    }
    drop(server);
}

/// A new ticket on AWS: the ticket-notifier binary (under the runtime client, on moto) gets
/// the table's stream record, publishes the ticket to the tickets topic once and posts it
/// to the webhook, signed; the ticket records both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_ticket_is_published_to_the_topic_and_posted_to_the_webhook_on_aws() {
    use sti_e2e::runtime_api::invoke_once;
    use sti_e2e::sample_event as event;
    use sti_e2e::webhook::{Receiver, free_port};
    let moto = Moto::start();
    let mut stack = Stack::new(&moto);
    stack.bootstrap(&moto);
    let inbox = sti_e2e::aws_stack::TicketsInbox::create(&moto).await;
    let addr = free_port();
    let receiver = Receiver::default();
    let hook = receiver.serve(addr).await;
    for (k, v) in [
        ("TICKETS_TOPIC_ARN", inbox.topic_arn.as_str()),
        ("TICKET_WEBHOOK_URL", &hook),
        ("TICKET_WEBHOOK_SECRET", "aws-hook-secret"),
        ("CASE_ABANDONED_AFTER", "1s"),
    ] {
        stack.env.push((k.to_owned(), v.to_owned()));
    }
    let env = stack.env();
    let invoke = |function: &'static str, event: serde_json::Value| invoke_once(function, &env, event);
    let body = |answer: &serde_json::Value| -> serde_json::Value {
        serde_json::from_str(answer["body"].as_str().unwrap_or("{}")).unwrap_or_default()
    };
    let greeting = body(&invoke("greeting", event("greeting")).await);
    let sid = greeting["sessionId"].as_str().unwrap_or_default().to_owned();
    let mut open = event("whatsapp-ticket");
    open["body"] = serde_json::Value::String(json!({ "sessionId": sid }).to_string());
    let opened = invoke("whatsapp-ticket", open).await;
    let ticket_id = body(&opened)["ticketId"].as_str().unwrap_or_else(|| panic!("{opened}")).to_owned();

    let mut stream = event("ticket-notifier");
    stream["Records"][0]["dynamodb"]["Keys"]["pk"]["S"] = json!(format!("T#{ticket_id}"));
    let answer = invoke("ticket-notifier", stream.clone()).await;
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    let again = invoke("ticket-notifier", stream).await;
    assert_eq!(again["batchItemFailures"], json!([]), "a redelivered record: {again}");

    let got = receiver.deliveries();
    assert_eq!(got.len(), 1, "posted once: {got:?}");
    assert!(got[0].signed_with("aws-hook-secret") && got[0].body.contains(&ticket_id), "{got:?}");
    let published = inbox.published().await;
    assert_eq!(published.len(), 1, "published once: {published:?}");
    assert!(published[0].contains(&ticket_id) && published[0].contains("/api/ticket/"), "{}", published[0]);
    let aws = stack.backend(&moto).await;
    let stored = aws
        .tickets
        .get(&TicketId::parse(&ticket_id).unwrap_or_else(|e| panic!("{e}")), sti_shared::time::now_ms())
        .await;
    let notification = stored.ok().flatten().map(|t| t.notification).unwrap_or_default();
    assert_eq!(notification.state, sti_shared::ports::NotifyState::Delivered);
    assert!(notification.announced);

    // The schedule counts a case left at the bot's steps (CASE_ABANDONED_AFTER, 1s here), once.
    let left = body(&invoke("greeting", event("greeting")).await)["sessionId"].as_str().unwrap_or_default().to_owned();
    for message in ["soy Ana", "la impresora no imprime"] {
        let mut say = event("chat");
        say["body"] = serde_json::Value::String(json!({ "sessionId": left, "message": message }).to_string());
        invoke("chat", say).await;
    }
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let swept = invoke("ticket-notifier", event("ticket-notifier-schedule")).await;
    assert_eq!(swept, json!({ "abandonedCases": 1 }));
    let again = invoke("ticket-notifier", event("ticket-notifier-schedule")).await;
    assert_eq!(again, json!({ "abandonedCases": 0 }), "each case once");
    let counters = aws.counters.snapshot().await.unwrap_or_default();
    assert_eq!(counters.get("outcomes.printer.abandoned"), Some(&1), "{counters:?}");
}

/// Behind CloudFront on AWS: the functions read the origin secret from Secrets Manager
/// (`STI_ORIGIN_SECRET_ID`, a plain secret beside the app's JSON one) and refuse an
/// invocation that lacks its `X-STI-Origin` header — the way around the edge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_aws_a_request_that_did_not_come_through_cloudfront_is_refused() {
    use sti_e2e::runtime_api::invoke_once;
    use sti_e2e::sample_event as event;
    let moto = Moto::start();
    let mut stack = Stack::new(&moto);
    stack.bootstrap(&moto);
    let sdk = sti_shared::backends::aws::emulator_sdk_config(&moto.endpoint).await;
    let name = Moto::unique("origin");
    let value = "origin-value-kept-in-secrets-manager";
    let created =
        aws_sdk_secretsmanager::Client::new(&sdk).create_secret().name(&name).secret_string(value).send().await;
    assert!(created.is_ok(), "{created:?}");
    stack.env.push(("STI_ORIGIN_SECRET_ID".to_owned(), name));
    let env = stack.env();
    let body = |answer: &serde_json::Value| -> serde_json::Value {
        serde_json::from_str(answer["body"].as_str().unwrap_or("{}")).unwrap_or_default()
    };
    let around = invoke_once("greeting", &env, event("greeting")).await;
    assert_eq!(around["statusCode"], 403, "{around}");
    assert_eq!(body(&around)["error"]["code"], "direct_access_refused");
    let mut through = event("greeting");
    through["headers"]["x-sti-origin"] = json!(value);
    through["headers"]["cloudfront-viewer-address"] = json!("203.0.113.9:51234");
    let served = invoke_once("greeting", &env, through).await;
    assert_eq!(served["statusCode"], 200, "{served}");
    assert!(body(&served)["sessionId"].is_string());
}

/// What a chat turn costs on AWS, counted at the wire (issue 27): the calls an ordinary
/// turn makes to DynamoDB, S3 and SQS, with the bytes it sends, through a counting proxy in
/// front of moto. Pinned, so that a change that adds a round trip to every turn fails here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordinary_chat_turn_costs_a_pinned_number_of_aws_calls() {
    let moto = Moto::start();
    let (proxy, _dir, _server, api) = served_through_proxy(&moto);
    let sid = api.greeting().await;
    api.chat(&sid, "hola, soy Ana").await;
    // Riders (counters, the app log) are written behind a turn: let them land.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = proxy.take_operations();

    let turns = ["la impresora no imprime", "no, sigue igual"];
    for message in turns {
        api.chat(&sid, message).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ops = proxy.take_operations();
    let per_turn: Vec<String> = ops
        .iter()
        .map(|(op, c)| format!("{op}: {} calls, {} request bytes", c.calls as f64 / 2.0, c.request_bytes / 2))
        .collect();
    println!("per ordinary chat turn:\n  {}", per_turn.join("\n  "));
    let calls: u64 = ops.values().map(|c| c.calls).sum::<u64>();
    let dynamo = |op: &str| ops.get(&format!("DynamoDB_20120810.{op}")).map_or(0, |c| c.calls);
    assert!(ops.keys().all(|op| op.starts_with("DynamoDB_")), "a chat turn touches only DynamoDB: {ops:?}");
    // One commit per turn (session, transcript lines, reply and the per-session limit's
    // state in one transaction); the rest is reads, the per-address limit's update and the
    // riders written behind the answer (counters, the app-log line).
    assert_eq!(dynamo("TransactWriteItems"), 2, "one commit per turn: {ops:?}");
    assert_eq!(dynamo("UpdateItem") % 2, 0, "{ops:?}");
    assert!(
        calls <= 2 * PINNED_CALLS_PER_TURN,
        "{calls} calls for 2 turns, pinned at {PINNED_CALLS_PER_TURN} each: {ops:?}"
    );
}

/// Every call an ordinary turn makes today, measured on moto: GetItem 1, Query 1,
/// UpdateItem 2, TransactWriteItems 1, PutItem 1 (the test prints them with their bytes).
const PINNED_CALLS_PER_TURN: u64 = 6;
