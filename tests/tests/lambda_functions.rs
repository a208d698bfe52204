//! Every function binary under the real Lambda runtime client, driven through an emulated
//! Runtime API with the sample events of `events/`, on the embedded backend seeded with
//! the demo records those events refer to.

use std::io::{BufRead, BufReader};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use sti_e2e::runtime_api::{Outcome, RuntimeApi};
use sti_e2e::{data_dir, sample_event as event, sti_bin, workspace_bin};

const LOG_TOKEN: &str = "local-dev-log-token-0001";

struct Expect {
    function: &'static str,
    event: &'static str,
    status: u16,
    /// Top-level keys the JSON body must have.
    keys: &'static [&'static str],
}

const HTTP_CASES: &[Expect] = &[
    Expect { function: "health", event: "health", status: 200, keys: &["status", "version", "checks"] },
    Expect { function: "greeting", event: "greeting", status: 200, keys: &["sessionId", "reply", "state", "options"] },
    Expect {
        function: "session-validate",
        event: "session-validate",
        status: 200,
        keys: &["valid", "state", "expiresAt"],
    },
    Expect {
        function: "chat",
        event: "chat",
        status: 200,
        keys: &["sessionId", "reply", "state", "options", "degraded"],
    },
    Expect {
        function: "upload-url",
        event: "upload-url",
        status: 201,
        keys: &["uploadId", "method", "url", "headers", "expiresAt", "statusUrl"],
    },
    Expect { function: "upload-image", event: "upload-image", status: 202, keys: &["uploadId", "status"] },
    Expect { function: "upload-status", event: "upload-status", status: 200, keys: &["uploadId", "status"] },
    Expect {
        function: "whatsapp-ticket",
        event: "whatsapp-ticket",
        status: 201,
        keys: &["ticketId", "whatsappUrl", "ticketUrl"],
    },
    Expect { function: "ticket", event: "ticket", status: 200, keys: &["ticketId", "summary", "transcript"] },
    Expect { function: "logs", event: "logs", status: 200, keys: &[] },
    Expect {
        function: "metrics",
        event: "metrics",
        status: 200,
        keys: &["openai", "uploads", "chat", "sessions", "tickets"],
    },
    Expect {
        function: "session-data",
        event: "session-data",
        status: 200,
        keys: &["session", "transcript", "uploads", "tickets"],
    },
    Expect {
        function: "session-data",
        event: "session-history",
        status: 200,
        keys: &["messages", "options", "tickets", "uploads", "canRate"],
    },
    // By now the demo conversation handed its case to a technician (whatsapp-ticket): it can be rated.
    Expect { function: "chat", event: "feedback", status: 201, keys: &["caseNo", "outcome", "up"] },
];

/// Runs one function process, invokes it once with `event`, returns its answer and log.
async fn run_once(function: &str, event: Value, env: &[(&str, &str)]) -> (Value, Vec<String>) {
    let api = RuntimeApi::start().await;
    let mut child = api.spawn(&workspace_bin(function), function, env);
    let request_id = format!("req-{function}-0001");
    let outcome = api.invoke(&request_id, event, Duration::from_secs(30)).await;
    let _ = child.kill();
    let stdout = child.stdout.take().map(BufReader::new);
    let log: Vec<String> = stdout.map(|s| s.lines().map_while(Result::ok).collect()).unwrap_or_default();
    let _ = child.wait();
    match outcome {
        Outcome::Response(v) => {
            // Every line written while handling the invocation carries its request id.
            let during: Vec<&String> = log.iter().filter(|l| l.contains("\"spans\"")).collect();
            assert!(!during.is_empty(), "{function}: no log line for the invocation: {log:?}");
            for line in during {
                let parsed: Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{function}: log line is not JSON ({e}): {line}"));
                assert!(line.contains(&request_id), "{function}: log line without the request id: {parsed}");
            }
            (v, log)
        }
        Outcome::Error(e) => panic!("{function} failed: {e}\nlog: {log:?}"),
    }
}

/// The response body as a client sees it (API Gateway decodes base64 bodies).
fn body_of(answer: &Value) -> String {
    let raw = answer["body"].as_str().unwrap_or_default();
    if answer["isBase64Encoded"] == Value::Bool(true) {
        String::from_utf8_lossy(&sti_e2e::base64_decode(raw)).into_owned()
    } else {
        raw.to_owned()
    }
}

fn seed(dir: &std::path::Path) {
    let out = Command::new(sti_bin())
        .args(["seed", "--data-dir"])
        .arg(dir)
        .env_remove("STI_ENV")
        .env_remove("STI_BACKEND")
        .output()
        .unwrap_or_else(|e| panic!("sti seed: {e}"));
    assert!(out.status.success(), "sti seed failed: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_answers_its_sample_event() {
    let dir = data_dir();
    seed(dir.path());
    let data = dir.path().to_string_lossy().into_owned();
    let env = [("STI_DATA_DIR", data.as_str()), ("LOG_TOKEN", LOG_TOKEN), ("RUST_LOG", "info")];

    for case in HTTP_CASES {
        let (answer, _) = run_once(case.function, event(case.event), &env).await;
        let status =
            answer["statusCode"].as_u64().unwrap_or_else(|| panic!("{}: not an HTTP answer: {answer}", case.function));
        let body_text = body_of(&answer);
        let body_text = body_text.as_str();
        assert_eq!(status, u64::from(case.status), "{}: {body_text}", case.function);
        assert!(answer["headers"]["x-request-id"].is_string(), "{}: no request id header", case.function);
        if case.function == "logs" {
            assert!(
                body_text.lines().all(|l| serde_json::from_str::<Value>(l).is_ok()),
                "logs: not NDJSON: {body_text}"
            );
            assert!(body_text.contains("session.created"), "logs: {body_text}");
            continue;
        }
        let body: Value = serde_json::from_str(body_text)
            .unwrap_or_else(|e| panic!("{}: body not JSON ({e}): {body_text}", case.function));
        for key in case.keys {
            assert!(body.get(*key).is_some(), "{}: no {key:?} in {body}", case.function);
        }
        if case.event == "chat" {
            assert_eq!(body["state"], "steps", "the demo session is at ask_problem; a printer problem gets steps");
        }
    }

    // The worker processes the demo upload named by the S3 notification.
    let (answer, _) = run_once("image-worker", event("image-worker"), &env).await;
    assert_eq!(answer["batchItemFailures"], Value::Array(vec![]), "{answer}");
    let (status, _) = run_once("upload-status", event("upload-status"), &env).await;
    let body: Value = serde_json::from_str(status["body"].as_str().unwrap_or("{}")).unwrap_or_default();
    assert_eq!(body["status"], "done", "{body}");
    assert_eq!(body["analysis"]["width"], 64);

    // One unreadable record among good ones: only it is reported.
    let (answer, _) = run_once("image-worker", event("image-worker-bad-record"), &env).await;
    let failures: Vec<&str> = answer["batchItemFailures"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["itemIdentifier"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(failures, vec!["bad-record-7d2e9a4b"], "{answer}");

    // The demo ticket was opened without a webhook: the notifier has nothing to send.
    let (answer, _) = run_once("ticket-notifier", event("ticket-notifier"), &env).await;
    assert_eq!(answer["batchItemFailures"], Value::Array(vec![]), "{answer}");

    // Erasure last: it removes the demo records the other events use.
    let (answer, _) = run_once("session-data", event("session-data-delete"), &env).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let (answer, _) = run_once("session-validate", event("session-validate"), &env).await;
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap_or("{}")).unwrap_or_default();
    assert_eq!(body["valid"], false);
}

/// A multipart body that API Gateway could still pass (base64 under 6 MiB) but that is
/// over what this code accepts through a Lambda invocation: sent to the signed-URL path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_image_too_large_for_an_invocation_is_sent_to_upload_url() {
    let dir = data_dir();
    seed(dir.path());
    let data = dir.path().to_string_lossy().into_owned();
    let env = [("STI_DATA_DIR", data.as_str()), ("RUST_LOG", "info")];
    let boundary = "----StiSampleBoundary7MA4YWxk";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"foto.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend(std::iter::repeat_n(0x5au8, 4_700_000));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut big = event("upload-image");
    big["body"] = Value::String(sti_e2e::base64_encode(&body));
    big["headers"]["content-length"] = Value::String(body.len().to_string());
    assert!(big.to_string().len() < 6 * 1024 * 1024, "API Gateway would have refused this event itself");
    let (answer, _) = run_once("upload-image", big, &env).await;
    assert_eq!(answer["statusCode"], 413, "{answer}");
    let error: Value = serde_json::from_str(&body_of(&answer)).unwrap_or_default();
    assert_eq!(error["error"]["code"], "use_upload_url", "{error}");
    assert!(error["error"]["message"].as_str().is_some_and(|m| m.contains("4620288") && m.contains("/api/upload-url")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_setting_fails_the_init_naming_the_variable() {
    let dir = data_dir();
    let data = dir.path().to_string_lossy().into_owned();
    let api = RuntimeApi::start().await;
    let mut child = api.spawn(
        &workspace_bin("health"),
        "health",
        &[("STI_DATA_DIR", &data), ("RATE_LIMIT_CHAT_PER_MIN_IP", "lots")],
    );
    let status = tokio::task::spawn_blocking(move || child.wait()).await.ok().and_then(Result::ok);
    assert!(status.is_some_and(|s| !s.success()), "init must fail");
    let reported = api.init_error().unwrap_or_default();
    assert!(reported.contains("RATE_LIMIT_CHAT_PER_MIN_IP"), "init error should name the variable: {reported:?}");
}

/// The ticket-notifier function under the runtime client: a new ticket named by its stream
/// record is posted to the webhook once and marked delivered; while the webhook answers
/// 500 the record is reported back (Lambda retries it), and a record already delivered is
/// not posted again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ticket_notifier_posts_new_tickets_and_reports_the_ones_to_retry() {
    use sti_e2e::webhook::{Receiver, free_port};
    let addr = free_port();
    let receiver = Receiver::answering(&[500]);
    let hook = receiver.serve(addr).await;
    let dir = data_dir();
    seed(dir.path());
    let data = dir.path().to_string_lossy().into_owned();
    let env = [
        ("STI_DATA_DIR", data.as_str()),
        ("RUST_LOG", "info"),
        ("TICKET_WEBHOOK_URL", hook.as_str()),
        // The redelivered record waits for the ticket's next try to be due: keep it short.
        ("TICKET_WEBHOOK_BACKOFF", "300ms"),
    ];
    let (opened, _) = run_once("whatsapp-ticket", event("whatsapp-ticket"), &env).await;
    let ticket: Value = serde_json::from_str(&body_of(&opened)).unwrap_or_default();
    let id = ticket["ticketId"].as_str().unwrap_or_else(|| panic!("no ticket: {opened}")).to_owned();
    let mut stream = event("ticket-notifier");
    stream["Records"][0]["dynamodb"]["Keys"]["pk"]["S"] = Value::String(format!("T#{id}"));
    let sequence = stream["Records"][0]["dynamodb"]["SequenceNumber"].clone();

    let (answer, _) = run_once("ticket-notifier", stream.clone(), &env).await;
    assert_eq!(answer["batchItemFailures"], serde_json::json!([{ "itemIdentifier": sequence }]), "500: retry");
    let (answer, _) = run_once("ticket-notifier", stream.clone(), &env).await;
    assert_eq!(answer["batchItemFailures"], Value::Array(vec![]), "{answer}");
    let (answer, _) = run_once("ticket-notifier", stream, &env).await;
    assert_eq!(answer["batchItemFailures"], Value::Array(vec![]), "{answer}");
    let got = receiver.deliveries();
    let answered: Vec<u16> = got.iter().map(|d| d.answered).collect();
    assert_eq!(answered, [500, 200], "posted until delivered, then never again");
    assert!(got[1].body.contains(&id));
}

/// The ticket-notifier's schedule under the runtime client: the demo session, at the
/// bot's steps and then silent for `CASE_ABANDONED_AFTER`, is counted abandoned once, and
/// the metrics function shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ticket_notifiers_schedule_counts_the_cases_left_at_the_steps() {
    let dir = data_dir();
    seed(dir.path());
    let data = dir.path().to_string_lossy().into_owned();
    let env = [
        ("STI_DATA_DIR", data.as_str()),
        ("LOG_TOKEN", LOG_TOKEN),
        ("RUST_LOG", "info"),
        ("CASE_ABANDONED_AFTER", "1s"),
    ];
    let (answer, _) = run_once("chat", event("chat"), &env).await;
    let body: Value = serde_json::from_str(&body_of(&answer)).unwrap_or_default();
    assert_eq!(body["state"], "steps", "{body}");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let (swept, _) = run_once("ticket-notifier", event("ticket-notifier-schedule"), &env).await;
    assert_eq!(swept, serde_json::json!({ "abandonedCases": 1 }));
    let (again, _) = run_once("ticket-notifier", event("ticket-notifier-schedule"), &env).await;
    assert_eq!(again, serde_json::json!({ "abandonedCases": 0 }), "each case once");
    let (metrics, _) = run_once("metrics", event("metrics"), &env).await;
    let metrics: Value = serde_json::from_str(&body_of(&metrics)).unwrap_or_default();
    let lines = metrics["outcomes"]["byCategory"].as_array().cloned().unwrap_or_default();
    assert!(
        lines.iter().any(|l| l["outcome"] == "abandoned" && l["count"] == 1 && l["category"] == "printer"),
        "{metrics}"
    );
}
