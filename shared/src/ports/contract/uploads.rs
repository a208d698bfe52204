//! Uploads and their blobs: completing once, claims, erasure, expiry, arrival.

use super::*;

fn upload(session: &SessionId, now: i64) -> Upload {
    let id = UploadId::generate().unwrap_or_else(|e| panic!("{e}"));
    Upload::queued(id, session.clone(), "image/png", 1234, now, now + 30 * 24 * HOUR_MS)
}

fn analysis() -> crate::images::Analysis {
    crate::images::Analysis {
        format: "png".into(),
        bytes: 1234,
        width: 800,
        height: 600,
        blur_score: 512.5,
        brightness: 200.25,
        hint: None,
        sanitized_bytes: 1000,
        analysis_ms: 12,
        description: Some("Una pantalla azul".into()),
        error_text: None,
    }
}

pub async fn uploads_complete_once(b: &Backend) {
    let now = now_ms();
    let session = new_session(now).id;
    let u = upload(&session, now);
    ok(b.uploads.create(&u).await, "create");
    assert_eq!(ok(b.uploads.get(&session, &u.id, now).await, "get"), Some(u.clone()));
    // A chat turn lists the session's uploads before and after the worker is done: the
    // second list shows the analysis (a store that keeps lists must drop them on writes).
    assert_eq!(ok(b.uploads.list_for_session(&session, now).await, "list queued"), vec![u.clone()]);
    let done = UploadOutcome::Done {
        analysis: analysis(),
        sanitized_key: format!("sanitized/{}", u.key),
        thumbnail_key: format!("thumbnails/{}", u.key),
    };
    assert!(ok(b.uploads.complete(&session, &u.id, &done, now + 5).await, "complete"));
    let failed = UploadOutcome::Failed { reason: "late".into() };
    assert!(!ok(b.uploads.complete(&session, &u.id, &failed, now + 6).await, "complete twice"), "first outcome wins");
    let stored = ok(b.uploads.get(&session, &u.id, now).await, "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!(stored.status, UploadStatus::Done);
    assert_eq!(stored.analysis, Some(analysis()));
    assert_eq!(stored.completed_at, Some(now + 5));
    assert!(stored.sanitized_key.is_some() && stored.thumbnail_key.is_some() && stored.error.is_none());
    assert_eq!(ok(b.uploads.list_for_session(&session, now).await, "list done"), vec![stored]);

    let bad = upload(&session, now);
    ok(b.uploads.create(&bad).await, "create bad");
    assert!(ok(b.uploads.complete(&session, &bad.id, &failed, now).await, "fail"));
    let stored = ok(b.uploads.get(&session, &bad.id, now).await, "get bad").unwrap_or_else(|| panic!("gone"));
    assert_eq!((stored.status, stored.error.as_deref()), (UploadStatus::Failed, Some("late")));
    let missing = upload(&session, now);
    assert!(!ok(b.uploads.complete(&session, &missing.id, &done, now).await, "complete unknown"));
    assert_eq!(ok(b.uploads.get(&session, &missing.id, now).await, "unknown stays unknown"), None);
}

pub async fn uploads_are_claimed_by_one_worker(b: &Backend) {
    let now = now_ms();
    let session = new_session(now).id;
    let u = upload(&session, now);
    ok(b.uploads.create(&u).await, "create");
    let other_session = new_session(now).id;
    assert!(!ok(b.uploads.claim(&other_session, &u.id, now + MINUTE_MS, now).await, "foreign claim"));
    assert!(
        ok(b.uploads.get(&other_session, &u.id, now).await, "foreign get").is_none(),
        "uploads belong to their session"
    );
    assert!(ok(b.uploads.claim(&session, &u.id, now + MINUTE_MS, now).await, "claim"));
    assert!(
        !ok(b.uploads.claim(&session, &u.id, now + MINUTE_MS, now + 1).await, "second claim"),
        "a live claim excludes others"
    );
    assert!(ok(b.uploads.claim(&session, &u.id, now + 3 * MINUTE_MS, now + 2 * MINUTE_MS).await, "expired claim"));
    // Concurrent claims: exactly one wins.
    let v = upload(&session, now);
    ok(b.uploads.create(&v).await, "create v");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, s, id) = (Arc::clone(&b.uploads), session.clone(), v.id.clone());
        tasks.push(tokio::spawn(async move { store.claim(&s, &id, now + MINUTE_MS, now).await }));
    }
    let mut won = 0;
    for t in tasks {
        if ok(ok(t.await, "task"), "claim") {
            won += 1;
        }
    }
    assert_eq!(won, 1);
    let failed = UploadOutcome::Failed { reason: "x".into() };
    assert!(ok(b.uploads.complete(&session, &v.id, &failed, now).await, "complete"));
    assert!(!ok(
        b.uploads.claim(&session, &v.id, now + MINUTE_MS, now + 2 * MINUTE_MS).await,
        "finished uploads cannot be claimed"
    ));
}

pub async fn uploads_erasure_and_expiry(b: &Backend) {
    let now = now_ms();
    let session = new_session(now).id;
    let a = upload(&session, now);
    let mut short = upload(&session, now);
    short.expires_at = now + MINUTE_MS;
    ok(b.uploads.create(&a).await, "a");
    ok(b.uploads.create(&short).await, "short");
    assert_eq!(ok(b.uploads.list_for_session(&session, now).await, "list").len(), 2);
    // Object keys do not name the session: the store does, while the upload lives.
    assert!(!a.key.contains(session.as_str()), "{}", a.key);
    assert_eq!(ok(b.uploads.owner(&a.id, now).await, "owner"), Some(session.clone()));
    assert_eq!(ok(b.uploads.owner(&short.id, now + 2 * MINUTE_MS).await, "owner after expiry"), None);
    let later = now + 2 * MINUTE_MS;
    assert_eq!(ok(b.uploads.list_for_session(&session, later).await, "later").len(), 1);
    assert_eq!(ok(b.uploads.get(&session, &short.id, later).await, "expired"), None);
    // The janitor's view: only expired uploads (none where the store expires them itself).
    let expired = ok(b.uploads.expired(later, 1_000).await, "expired list");
    assert!(!expired.iter().any(|u| u.id == a.id), "a live upload is never listed as expired");
    if b.name != "aws" {
        assert!(expired.iter().any(|u| u.id == short.id), "the expired upload is listed");
    }
    assert!(ok(b.uploads.delete(&session, &short.id).await, "delete one"));
    assert_eq!(ok(b.uploads.owner(&short.id, now).await, "owner of a deleted upload"), None);
    assert!(!ok(b.uploads.delete(&session, &short.id).await, "delete one twice"));
    assert!(ok(b.uploads.get(&session, &a.id, now).await, "a kept").is_some());
    // Queued too long: a lost job, for the reconciler (never a finished upload).
    let done = UploadOutcome::Failed { reason: "x".into() };
    let c = upload(&session, now - 20 * MINUTE_MS);
    ok(b.uploads.create(&c).await, "c");
    let stale = ok(b.uploads.stale_queued(now - 10 * MINUTE_MS, now, 100).await, "stale");
    assert!(!stale.iter().any(|u| u.id == a.id), "a recent upload is not stale");
    if b.name != "aws" {
        assert!(stale.iter().any(|u| u.id == c.id), "an old queued upload is stale");
    }
    assert!(ok(b.uploads.complete(&session, &c.id, &done, now).await, "finish c"));
    let stale = ok(b.uploads.stale_queued(now - 10 * MINUTE_MS, now, 100).await, "stale after");
    assert!(!stale.iter().any(|u| u.id == c.id), "a finished upload is not stale");
    let deleted = ok(b.uploads.delete_for_session(&session).await, "delete");
    assert!(deleted.iter().any(|u| u.id == a.id));
    assert!(ok(b.uploads.list_for_session(&session, now).await, "after").is_empty());
    assert_eq!(ok(b.uploads.owner(&a.id, now).await, "owner after erasure"), None, "no session id is left behind");
}

pub async fn uploads_arrive_once(b: &Backend) {
    let now = now_ms();
    let session = new_session(now).id;
    let id = UploadId::generate().unwrap_or_else(|e| panic!("{e}"));
    let waiting = Upload::awaiting(id, session.clone(), "image/jpeg", 4_000_000, now, now + 15 * MINUTE_MS);
    ok(b.uploads.create(&waiting).await, "create");
    let stored = ok(b.uploads.get(&session, &waiting.id, now).await, "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!((stored.status, stored.bytes), (UploadStatus::AwaitingUpload, 4_000_000));
    assert!(
        !ok(b.uploads.claim(&session, &waiting.id, now + MINUTE_MS, now).await, "claim before arrival"),
        "nothing to process before the bytes arrive"
    );
    let keep_until = now + 30 * 24 * HOUR_MS;
    let other = new_session(now).id;
    assert!(!ok(b.uploads.mark_received(&other, &waiting.id, keep_until, now).await, "foreign"));
    // Two deliveries of the storage event (or the status reader and the worker) race:
    // exactly one moves the record.
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (store, s, id) = (Arc::clone(&b.uploads), session.clone(), waiting.id.clone());
        tasks.push(tokio::spawn(async move { store.mark_received(&s, &id, keep_until, now + 1).await }));
    }
    let mut moved = 0;
    for t in tasks {
        moved += usize::from(ok(ok(t.await, "task"), "mark_received"));
    }
    assert_eq!(moved, 1);
    let stored = ok(b.uploads.get(&session, &waiting.id, now).await, "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!((stored.status, stored.expires_at), (UploadStatus::Queued, keep_until));
    // Kept for the retention now, not for the URL's grace.
    assert!(ok(b.uploads.get(&session, &waiting.id, now + HOUR_MS).await, "later").is_some());
    assert!(ok(b.uploads.claim(&session, &waiting.id, now + MINUTE_MS, now).await, "claim after arrival"));

    // A URL that expired unused: its record is gone with it, and nothing can revive it.
    let id = UploadId::generate().unwrap_or_else(|e| panic!("{e}"));
    let late = Upload::awaiting(id, session.clone(), "image/png", 10, now, now + MINUTE_MS);
    ok(b.uploads.create(&late).await, "create late");
    let after = now + 2 * MINUTE_MS;
    assert!(!ok(b.uploads.mark_received(&session, &late.id, keep_until, after).await, "late arrival"));
    assert_eq!(ok(b.uploads.get(&session, &late.id, after).await, "expired"), None);
    assert!(
        !ok(b.uploads.list_for_session(&session, after).await, "list").iter().any(|u| u.id == late.id),
        "an abandoned upload no longer counts against the session's images"
    );
    if b.name != "aws" {
        assert!(ok(b.uploads.expired(after, 1_000).await, "expired").iter().any(|u| u.id == late.id));
    }
}

pub async fn blobs_round_trip(b: &Backend) {
    let prefix = format!("uploads/{}", new_session(now_ms()).id);
    let key = format!("{prefix}/upl-a");
    ok(b.blobs.put(&key, Bytes::from_static(b"first"), "image/png").await, "put");
    ok(b.blobs.put(&key, Bytes::from_static(b"second"), "image/png").await, "overwrite");
    assert_eq!(ok(b.blobs.get(&key).await, "get"), Some(Bytes::from_static(b"second")));
    assert_eq!(ok(b.blobs.get(&format!("{prefix}/missing")).await, "missing"), None);
    assert!(ok(b.blobs.exists(&key).await, "exists"));
    assert!(!ok(b.blobs.exists(&format!("{prefix}/missing")).await, "missing does not exist"));
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    ok(b.blobs.put(&format!("{prefix}/upl-b"), Bytes::from(big.clone()), "image/jpeg").await, "big");
    assert_eq!(ok(b.blobs.get(&format!("{prefix}/upl-b")).await, "get big").map(|b| b.to_vec()), Some(big));
    ok(b.blobs.put(&format!("{prefix}-other/upl-c"), Bytes::from_static(b"keep"), "image/png").await, "sibling");
    ok(b.blobs.delete(&key).await, "delete");
    assert_eq!(ok(b.blobs.get(&key).await, "deleted"), None);
    ok(b.blobs.delete(&key).await, "delete twice is fine");
    assert_eq!(ok(b.blobs.delete_prefix(&format!("{prefix}/")).await, "delete prefix"), 1);
    assert_eq!(
        ok(b.blobs.get(&format!("{prefix}-other/upl-c")).await, "sibling kept"),
        Some(Bytes::from_static(b"keep"))
    );
    ok(b.blobs.ping().await, "ping");
}
