//! Operators' endpoints, the janitor and the reconciler.

use super::support::*;

#[tokio::test]
async fn operator_endpoints_need_a_token_unless_development_is_explicit() {
    use std::sync::Arc;
    use sti_shared::backends::StaticSecrets;
    use sti_shared::ports::{Secret, SecretValues};

    let implicit = api(&[]).await;
    let refused = implicit.get("/api/logs", &[]).await;
    assert_eq!((refused.status, refused.error_code().as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    assert_eq!(api(&[("STI_ENV", "development")]).await.get("/api/logs", &[]).await.status, StatusCode::OK);

    // Production without a token: the operator endpoints are closed, the API is not.
    let tokenless = api(&[("STI_ENV", "production")]).await;
    for path in ["/api/logs", "/api/metrics"] {
        let closed = tokenless.get(path, &[]).await;
        assert_eq!(
            (closed.status, closed.error_code().as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "operator_endpoint_disabled"),
            "{path}"
        );
    }
    assert_eq!(tokenless.get("/api/health", &[]).await.status, StatusCode::OK);

    // A production secret whose LOG_TOKEN is too short keeps the endpoints closed.
    let short = SecretValues { log_token: Some(Secret::new("short")), ..SecretValues::default() };
    let production = api_with(&[("STI_ENV", "production")], Hosting::default(), |backend| {
        backend.secrets = Arc::new(StaticSecrets(short));
    })
    .await;
    let closed = production.get("/api/logs", &[("authorization", "Bearer short")]).await;
    assert_eq!(
        (closed.status, closed.error_code().as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "operator_endpoint_disabled")
    );
}

#[tokio::test]
async fn lost_jobs_are_requeued_and_missing_files_settled() {
    use sti_shared::services::janitor::{Reconciled, STALE_QUEUED_MS, reconcile_once};
    use sti_shared::services::worker::{JobResult, process_job};
    let api = api(&[]).await;
    let session = api.greet().await;
    let b = api.app.backend();
    let kept = api.upload(&session, DEMO_PNG).await.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let lost = api.upload(&session, DEMO_PNG).await.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    assert!(b.blobs.delete(&original_key(&session, &lost)).await.is_ok());
    // Both jobs vanish, as if the process died before enqueueing them.
    let now = sti_shared::time::now_ms();
    for delivery in b.queue.receive(10, 60_000, now).await.unwrap_or_default() {
        assert!(b.queue.ack(&delivery.receipt).await.is_ok());
    }
    assert_eq!(reconcile_once(&api.app, now).await.ok(), Some(Reconciled::default()), "not stale yet");
    let later = now + STALE_QUEUED_MS + 1_000;
    assert_eq!(reconcile_once(&api.app, later).await.ok(), Some(Reconciled { requeued: 1, failed: 1 }));
    let jobs = b.queue.receive(10, 60_000, later).await.unwrap_or_default();
    assert_eq!(jobs.len(), 1);
    assert_eq!(process_job(&api.app, &jobs[0].job.key, 1).await, JobResult::Processed);
    let headers = [("x-session-id", session.as_str())];
    assert_eq!(api.get(&format!("/api/upload/{kept}"), &headers).await.json()["status"], "done");
    let failed = api.get(&format!("/api/upload/{lost}"), &headers).await.json();
    assert_eq!((failed["status"].as_str(), failed["error"].as_str()), (Some("failed"), Some("not_stored")));
}

#[tokio::test]
async fn the_janitor_purges_expired_uploads_files_first() {
    use sti_shared::services::janitor::purge_once;
    let api = api(&[("UPLOAD_RETENTION", "1d")]).await;
    let session = api.greet().await;
    let id = api.upload(&session, DEMO_PNG).await.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let key = original_key(&session, &id);
    let b = api.app.backend();
    let later = sti_shared::time::now_ms() + 2 * sti_shared::time::DAY_MS;
    let purged = purge_once(&api.app, later).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((purged.uploads, purged.blobs), (1, 1));
    assert!(!b.blobs.exists(&key).await.unwrap_or(true), "the file is gone");
    assert!(b.uploads.expired(later, 10).await.unwrap_or_default().is_empty(), "and so is the record");
}

/// `/api/metrics` tells where chat turns spend their time, phase by phase: a store whose
/// commits are slow shows in the commit phase and in the whole request, and each phase
/// counts the turns it saw. (The histograms are the process's: other tests add to them.)
#[tokio::test]
async fn chat_turns_are_timed_by_phase() {
    use sti_shared::app::Admission;

    use super::faulty_sessions::Fault;

    const SLOW: Duration = Duration::from_millis(40);
    let admitted = Hosting { admission: Some(Arc::new(Admission::new(4, 1 << 20, 1 << 20))), ..Hosting::default() };
    let api = api_with_faulty_sessions(Fault::SlowCommits(SLOW), admitted).await;
    let before = api.get("/api/metrics", &[]).await.json()["turnPhases"].clone();
    let session = api.greet().await;
    for message in ["hola, soy Ana", "la impresora no imprime", "no"] {
        assert_eq!(api.chat(&session, message).await.status, StatusCode::OK);
    }
    let after = api.get("/api/metrics", &[]).await.json()["turnPhases"].clone();
    let slow_us = SLOW.as_micros() as u64;
    for phase in ["admission", "limits", "session_read", "engine", "commit", "request"] {
        let (was, is) = (&before[phase], &after[phase]);
        let count = |v: &Value| v["count"].as_u64().unwrap_or_else(|| panic!("{phase}: {v}"));
        assert!(count(is) >= count(was) + 3, "{phase}: {was} → {is}");
        let q = |name: &str| is[name].as_u64().unwrap_or_default();
        assert!(q("p50Us") <= q("p90Us") && q("p90Us") <= q("p99Us") && q("p99Us") <= q("maxUs"), "{phase}: {is}");
    }
    for slow_phase in ["commit", "request"] {
        assert!(after[slow_phase]["maxUs"].as_u64().unwrap_or_default() >= slow_us, "{slow_phase}: {after}");
    }
    let prometheus = api.get("/api/metrics?format=prometheus", &[]).await.text();
    assert!(prometheus.contains("# TYPE sti_turn_phase_seconds summary"), "{prometheus}");
    assert!(prometheus.contains("sti_turn_phase_seconds{phase=\"commit\",quantile=\"0.99\"}"), "{prometheus}");
    assert!(prometheus.contains("sti_turn_phase_seconds_count{phase=\"engine\"}"), "{prometheus}");
}
