//! The image worker's batch semantics ([`handle_batch`]), as the Lambda runtime's partial-batch example
//! frames them: a batch of mixed messages in, exactly the ones that must come back out.

use bytes::Bytes;

use crate::app::App;
use crate::ids::{SessionId, UploadId};
use crate::ports::{SecretValues, Upload, UploadStatus};
use crate::services::demo::DEMO_PNG;
use crate::services::worker::{QueueMessage, handle_batch};
use crate::time::{HOUR_MS, now_ms};

fn app() -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = crate::config::Config::from_source(&|name: &str| match name {
        "WORKER_MAX_ATTEMPTS" => Some("3".to_owned()),
        _ => None,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let (backend, _) =
        crate::backends::local::open(dir.path(), SecretValues::default()).unwrap_or_else(|e| panic!("{e}"));
    let app = App::with_backend(config, backend, crate::app::Hosting::default()).unwrap_or_else(|e| panic!("{e}"));
    (app, dir)
}

/// A queued upload; its bytes are stored only when `bytes` is given.
async fn queued(app: &App, bytes: Option<&'static [u8]>) -> Upload {
    let session = SessionId::generate().unwrap_or_else(|e| panic!("{e}"));
    let id = UploadId::generate().unwrap_or_else(|e| panic!("{e}"));
    let now = now_ms();
    let upload = Upload::queued(id, session, "image/png", DEMO_PNG.len() as u64, now, now + HOUR_MS);
    app.backend().uploads.create(&upload).await.unwrap_or_else(|e| panic!("{e}"));
    if let Some(bytes) = bytes {
        app.backend()
            .blobs
            .put(&upload.key, Bytes::from_static(bytes), "image/png")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    upload
}

fn message(id: &str, attempt: u32, keys: Result<Vec<String>, String>) -> QueueMessage {
    QueueMessage { id: id.to_owned(), attempt, keys }
}

async fn status(app: &App, upload: &Upload) -> Option<UploadStatus> {
    let found = app.backend().uploads.get(&upload.session_id, &upload.id, now_ms()).await;
    found.unwrap_or_else(|e| panic!("{e}")).map(|u| u.status)
}

#[tokio::test]
async fn only_unreadable_messages_and_jobs_to_retry_come_back() {
    let (app, _dir) = app();
    let good = queued(&app, Some(DEMO_PNG)).await;
    let not_yet_stored = queued(&app, None).await;
    let batch = [
        message("good", 1, Ok(vec![good.key.clone()])),
        message("poison", 1, Err("not an S3 notification or an image job".into())),
        message("s3-test-event", 1, Ok(vec![])),
        message("stray-key", 1, Ok(vec!["uploads/not-a-session/not-an-upload".into()])),
        message("bytes-not-there-yet", 1, Ok(vec![not_yet_stored.key.clone()])),
    ];
    let failures = handle_batch(&app, &batch).await;
    assert_eq!(failures, vec!["poison".to_owned(), "bytes-not-there-yet".to_owned()]);
    assert_eq!(status(&app, &good).await, Some(UploadStatus::Done));
    assert_eq!(status(&app, &not_yet_stored).await, Some(UploadStatus::Queued));
}

#[tokio::test]
async fn a_redelivered_batch_does_the_work_once() {
    let (app, _dir) = app();
    let upload = queued(&app, Some(DEMO_PNG)).await;
    let batch = [message("m1", 1, Ok(vec![upload.key.clone()]))];
    assert!(handle_batch(&app, &batch).await.is_empty());
    let again = [message("m1", 2, Ok(vec![upload.key.clone()]))];
    assert!(handle_batch(&app, &again).await.is_empty(), "a finished upload is not retried");
    assert_eq!(status(&app, &upload).await, Some(UploadStatus::Done));
}

#[tokio::test]
async fn the_last_attempt_fails_the_upload_instead_of_coming_back() {
    let (app, _dir) = app();
    let upload = queued(&app, None).await;
    let last = [message("m1", 3, Ok(vec![upload.key.clone()]))];
    assert!(handle_batch(&app, &last).await.is_empty(), "after the last attempt the message is done with");
    assert_eq!(status(&app, &upload).await, Some(UploadStatus::Failed));
}

#[tokio::test]
async fn one_message_naming_a_good_and_a_retrying_upload_comes_back_whole() {
    let (app, _dir) = app();
    let good = queued(&app, Some(DEMO_PNG)).await;
    let missing = queued(&app, None).await;
    let batch = [message("both", 1, Ok(vec![good.key.clone(), missing.key.clone()]))];
    assert_eq!(handle_batch(&app, &batch).await, vec!["both".to_owned()]);
    // The redelivery finds the first one done and does not redo it.
    assert_eq!(status(&app, &good).await, Some(UploadStatus::Done));
}
