//! The behaviour every backend must show, as one generic suite. A backend's tests call
//! [`contract_tests!`] with an expression that builds a fresh `Backend`; each area runs
//! as its own test. Nothing here assumes a clean store: every test uses fresh ids.

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;

use super::*;
use crate::chat::{Conversation, Locale};
use crate::ids::{SessionId, TicketId, UploadId};
use crate::time::{HOUR_MS, MINUTE_MS, now_ms};

/// Generates one `#[tokio::test]` per contract area for the backend built by `$make`
/// (an async expression evaluating to `Backend`).
#[macro_export]
macro_rules! contract_tests {
    ($make:expr) => {
        $crate::contract_tests!(@one $make; sessions_round_trip, sessions_conditional_commits, sessions_idempotent_replies,
            sessions_concurrent_turns_lose_nothing, sessions_long_transcripts, sessions_expire_and_delete,
            tickets_one_per_case, tickets_listing_expiry_and_erasure, uploads_complete_once, uploads_are_claimed_by_one_worker, uploads_erasure_and_expiry, uploads_arrive_once,
            blobs_round_trip, queue_lease_and_redelivery, queue_concurrent_consumers_get_distinct_jobs,
            limiter_counts_and_rejects, limiter_is_atomic_under_concurrency, counters_are_atomic, applog_recent_and_expiry);
    };
    (@one $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let backend = $make.await;
                $crate::ports::contract::$name(&backend).await;
            }
        )*
    };
}

fn new_session(now: i64) -> Session {
    Session {
        id: SessionId::generate().unwrap_or_else(|e| panic!("{e}")),
        version: 1,
        created_at: now,
        updated_at: now,
        expires_at: now + 48 * HOUR_MS,
        conversation: Conversation::new(Locale::Es),
        transcript_expires_at: 0,
    }
}

fn turn(session: &Session, now: i64, text: &str, message_id: Option<&str>) -> TurnRecord {
    let mut next = session.clone();
    next.version = session.version + 1;
    next.updated_at = now;
    next.conversation.problem = Some(text.to_owned());
    TurnRecord {
        expected_version: session.version,
        entries: vec![
            TranscriptEntry { seq: next.version * 2, at: now, role: Role::Visitor, text: text.to_owned() },
            TranscriptEntry { seq: next.version * 2 + 1, at: now, role: Role::Bot, text: format!("re: {text}") },
        ],
        session: next,
        message_id: message_id.map(str::to_owned),
        response_json: format!("{{\"reply\":\"re: {text}\"}}"),
    }
}

async fn created(b: &Backend, now: i64) -> Session {
    let s = new_session(now);
    assert_eq!(b.sessions.create(&s).await.ok(), Some(true));
    s
}

fn ok<T, E: std::fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what} failed: {e:?}"),
    }
}

pub async fn sessions_round_trip(b: &Backend) {
    let now = now_ms();
    let s = created(b, now).await;
    assert_eq!(ok(b.sessions.get(&s.id, now).await, "get"), Some(s.clone()));
    assert!(!ok(b.sessions.create(&s).await, "create twice"), "a second create must not overwrite");
    let unknown = new_session(now);
    assert_eq!(ok(b.sessions.get(&unknown.id, now).await, "get unknown"), None);
    ok(b.sessions.ping().await, "ping");
}

pub async fn sessions_conditional_commits(b: &Backend) {
    let now = now_ms();
    let s = created(b, now).await;
    let first = turn(&s, now + 1, "hola", None);
    assert_eq!(ok(b.sessions.commit_turn(&first).await, "commit"), CommitOutcome::Committed);
    // A writer that read version 1 loses: nothing of its turn is stored.
    let stale = turn(&s, now + 2, "stale", None);
    assert_eq!(ok(b.sessions.commit_turn(&stale).await, "stale commit"), CommitOutcome::Conflict);
    let stored = ok(b.sessions.get(&s.id, now + 3).await, "get").unwrap_or_else(|| panic!("session vanished"));
    assert_eq!(stored.version, 2);
    assert_eq!(stored.conversation.problem.as_deref(), Some("hola"));
    let transcript = ok(b.sessions.transcript(&s.id).await, "transcript");
    assert_eq!(transcript.len(), 2);
    assert!(transcript.iter().all(|e| e.text != "stale" && e.text != "re: stale"));
    // Committing to a session that does not exist is a conflict, not a creation.
    let ghost = turn(&new_session(now), now, "ghost", None);
    assert_eq!(ok(b.sessions.commit_turn(&ghost).await, "ghost"), CommitOutcome::Conflict);
    assert_eq!(ok(b.sessions.get(&ghost.session.id, now).await, "get ghost"), None);
}

pub async fn sessions_idempotent_replies(b: &Backend) {
    let now = now_ms();
    let s = created(b, now).await;
    let first = turn(&s, now, "uno", Some("msg-1"));
    assert_eq!(ok(b.sessions.commit_turn(&first).await, "commit"), CommitOutcome::Committed);
    assert_eq!(ok(b.sessions.find_reply(&s.id, "msg-1").await, "find"), Some(first.response_json.clone()));
    // The same message id again, even with a correct version, writes nothing.
    let again = turn(&first.session, now + 1, "uno otra vez", Some("msg-1"));
    assert_eq!(
        ok(b.sessions.commit_turn(&again).await, "replay"),
        CommitOutcome::Duplicate(first.response_json.clone())
    );
    let stored = ok(b.sessions.get(&s.id, now + 2).await, "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!(stored.version, 2);
    assert_eq!(ok(b.sessions.transcript(&s.id).await, "transcript").len(), 2);
    assert_eq!(ok(b.sessions.find_reply(&s.id, "msg-2").await, "find other"), None);
    // The turn's first read: the session with the answer to its message id, if any.
    let (session, reply) = ok(b.sessions.get_for_turn(&s.id, Some("msg-1"), now + 2).await, "for turn");
    assert_eq!((session.map(|s| s.version), reply), (Some(2), Some(first.response_json.clone())));
    let (session, reply) = ok(b.sessions.get_for_turn(&s.id, Some("msg-2"), now + 2).await, "for turn, new id");
    assert_eq!((session.map(|s| s.version), reply), (Some(2), None));
    let (session, reply) = ok(b.sessions.get_for_turn(&s.id, None, now + 2).await, "for turn, no id");
    assert_eq!((session.map(|s| s.version), reply), (Some(2), None));
    let expired = stored.expires_at + 1;
    let (session, reply) = ok(b.sessions.get_for_turn(&s.id, Some("msg-1"), expired).await, "for turn, expired");
    assert_eq!((session.map(|s| s.version), reply), (None, None));
    // Message ids are per session.
    let other = created(b, now).await;
    let theirs = turn(&other, now, "suyo", Some("msg-1"));
    assert_eq!(ok(b.sessions.commit_turn(&theirs).await, "other session"), CommitOutcome::Committed);
    let (_, reply) = ok(b.sessions.get_for_turn(&other.id, Some("msg-1"), now + 2).await, "their reply");
    assert_eq!(reply, Some(theirs.response_json.clone()));
}

pub async fn sessions_concurrent_turns_lose_nothing(b: &Backend) {
    let now = now_ms();
    let s = created(b, now).await;
    let writers = 20;
    let mut tasks = Vec::new();
    for i in 0..writers {
        let sessions = Arc::clone(&b.sessions);
        let id = s.id.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..200 {
                let current = match sessions.get(&id, now).await {
                    Ok(Some(c)) => c,
                    other => panic!("read failed: {other:?}"),
                };
                let t = turn(&current, now + i, &format!("mensaje {i}"), Some(&format!("m{i}")));
                match sessions.commit_turn(&t).await {
                    Ok(CommitOutcome::Committed) | Ok(CommitOutcome::Duplicate(_)) => return,
                    Ok(CommitOutcome::Conflict) => tokio::task::yield_now().await,
                    Err(e) => panic!("commit failed: {e:?}"),
                }
            }
            panic!("writer {i} never committed");
        }));
    }
    for t in tasks {
        ok(t.await, "writer task");
    }
    let stored = ok(b.sessions.get(&s.id, now).await, "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!(stored.version, 1 + writers as u64);
    let transcript = ok(b.sessions.transcript(&s.id).await, "transcript");
    assert_eq!(transcript.len(), 2 * writers as usize);
    let texts: BTreeSet<&str> =
        transcript.iter().filter(|e| e.role == Role::Visitor).map(|e| e.text.as_str()).collect();
    assert_eq!(texts.len(), writers as usize, "every message landed once");
    let seqs: Vec<u64> = transcript.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "transcript is ordered");
}

pub async fn sessions_long_transcripts(b: &Backend) {
    let now = now_ms();
    let mut s = created(b, now).await;
    let long = "x".repeat(2_000);
    for i in 0..150 {
        let t = turn(&s, now + i, &format!("{i} {long}"), None);
        assert_eq!(ok(b.sessions.commit_turn(&t).await, "commit"), CommitOutcome::Committed);
        s = t.session;
    }
    // 300 entries of 2 KB: far beyond a single 400 KB item, and all of it readable.
    let transcript = ok(b.sessions.transcript(&s.id).await, "transcript");
    assert_eq!(transcript.len(), 300);
    assert!(transcript[0].text.starts_with("0 ") && transcript[299].text.starts_with("re: 149 "));
}

pub async fn sessions_expire_and_delete(b: &Backend) {
    let now = now_ms();
    let mut s = new_session(now);
    s.expires_at = now + MINUTE_MS;
    assert!(ok(b.sessions.create(&s).await, "create"));
    assert!(ok(b.sessions.get(&s.id, now).await, "get").is_some());
    assert_eq!(ok(b.sessions.get(&s.id, now + 2 * MINUTE_MS).await, "get expired"), None);

    let d = created(b, now).await;
    let t = turn(&d, now, "borrame", Some("m"));
    ok(b.sessions.commit_turn(&t).await, "commit");
    assert!(ok(b.sessions.delete(&d.id).await, "delete"));
    assert_eq!(ok(b.sessions.get(&d.id, now).await, "get deleted"), None);
    assert!(ok(b.sessions.transcript(&d.id).await, "transcript").is_empty());
    assert_eq!(ok(b.sessions.find_reply(&d.id, "m").await, "reply"), None);
    assert!(!ok(b.sessions.delete(&d.id).await, "delete twice"));

    let live = created(b, now).await;
    let purged = ok(b.sessions.purge_expired(now + 2 * MINUTE_MS).await, "purge");
    assert!(
        ok(b.sessions.get(&live.id, now + 2 * MINUTE_MS).await, "live after purge").is_some(),
        "purge keeps live sessions"
    );
    // Read as of a time it was alive: a purging backend has removed it for good; one with
    // native TTL (DynamoDB) removes it on its own schedule and purges nothing itself.
    let still_stored = ok(b.sessions.get(&s.id, now).await, "expired after purge").is_some();
    if b.name == "aws" {
        assert_eq!(purged, 0, "DynamoDB TTL does the purging");
    } else {
        assert!(purged >= 1 && !still_stored, "the expired session was purged ({purged} purged)");
    }
}

fn ticket(session: &SessionId, case_no: u32, now: i64) -> Ticket {
    Ticket {
        id: TicketId::generate(now).unwrap_or_else(|e| panic!("{e}")),
        access_token: crate::ids::access_token().unwrap_or_else(|e| panic!("{e}")),
        session_id: session.clone(),
        case_no,
        created_at: now,
        expires_at: now + 90 * 24 * HOUR_MS,
        locale: Locale::Es,
        name: Some("Ana".into()),
        category: Some("printer".into()),
        category_title: Some("la impresora no imprime".into()),
        summary: Some("no imprime [EMAIL]".into()),
        attempts: Vec::new(),
        images: Vec::new(),
        transcript: vec![TranscriptEntry { seq: 4, at: now, role: Role::Visitor, text: "no imprime".into() }],
        transcript_omitted: 0,
        whatsapp_url: "https://wa.me/?text=x".into(),
    }
}

pub async fn tickets_one_per_case(b: &Backend) {
    let now = now_ms();
    let session = new_session(now).id;
    let first = ticket(&session, 1, now);
    assert_eq!(ok(b.tickets.create(&first).await, "create"), CreateTicketOutcome::Created);
    assert_eq!(ok(b.tickets.get(&first.id, now).await, "get"), Some(first.clone()));
    // The same case again gives back the first ticket.
    let second = ticket(&session, 1, now);
    assert_eq!(ok(b.tickets.create(&second).await, "again"), CreateTicketOutcome::AlreadyOpen(Box::new(first.clone())));
    assert_eq!(ok(b.tickets.get(&second.id, now).await, "not stored"), None);
    // A colliding id for another case is reported, not overwritten.
    let mut collision = ticket(&session, 2, now);
    collision.id = first.id.clone();
    assert_eq!(ok(b.tickets.create(&collision).await, "collision"), CreateTicketOutcome::IdTaken);
    assert_eq!(ok(b.tickets.find_for_case(&session, 2, now).await, "case 2"), None);
    assert_eq!(ok(b.tickets.get(&first.id, now).await, "first intact"), Some(first.clone()));
    // Concurrent creations for one case: exactly one wins, all see the same ticket.
    let case3: Vec<Ticket> = (0..8).map(|_| ticket(&session, 3, now)).collect();
    let mut tasks = Vec::new();
    for t in case3 {
        let store = Arc::clone(&b.tickets);
        tasks.push(tokio::spawn(async move { store.create(&t).await }));
    }
    let mut created_count = 0;
    for t in tasks {
        if ok(ok(t.await, "task"), "create") == CreateTicketOutcome::Created {
            created_count += 1;
        }
    }
    assert_eq!(created_count, 1);
    assert!(ok(b.tickets.find_for_case(&session, 3, now).await, "case 3").is_some());
}

pub async fn tickets_listing_expiry_and_erasure(b: &Backend) {
    let now = now_ms();
    let session = new_session(now).id;
    let a = ticket(&session, 1, now);
    let mut short = ticket(&session, 2, now);
    short.expires_at = now + MINUTE_MS;
    ok(b.tickets.create(&a).await, "a");
    ok(b.tickets.create(&short).await, "short");
    let listed = ok(b.tickets.list_for_session(&session, now).await, "list");
    assert_eq!(listed.len(), 2);
    let later = now + 2 * MINUTE_MS;
    assert_eq!(ok(b.tickets.list_for_session(&session, later).await, "list later").len(), 1);
    assert_eq!(ok(b.tickets.get(&short.id, later).await, "expired"), None);
    assert_eq!(ok(b.tickets.find_for_case(&session, 2, later).await, "expired case"), None);
    ok(b.tickets.purge_expired(later).await, "purge");
    // Whether the expired one was already gone (purge) or still there (native TTL lags).
    assert!((1..=2).contains(&ok(b.tickets.delete_for_session(&session).await, "delete")));
    assert!(ok(b.tickets.list_for_session(&session, now).await, "after delete").is_empty());
    assert_eq!(ok(b.tickets.get(&a.id, now).await, "a deleted"), None);
}

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

fn job() -> Job {
    Job { key: format!("uploads/{}/{}", new_session(0).id, UploadId::generate().unwrap_or_else(|e| panic!("{e}"))) }
}

/// Receives until `wanted` shows up (other tests may share the queue), or gives up.
async fn receive_job(b: &Backend, wanted: &Job, lease_ms: i64, now: i64) -> Option<Delivery> {
    let mut found = None;
    for d in ok(b.queue.receive(10, lease_ms, now).await, "receive") {
        if d.job == *wanted {
            found = Some(d);
        } else {
            ok(b.queue.retry_later(&d.receipt, 0, now).await, "give back");
        }
    }
    found
}

/// Leases run on the wall clock (a real queue knows no other), so this test sleeps.
pub async fn queue_lease_and_redelivery(b: &Backend) {
    const LEASE: i64 = 1_000;
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(1_300));
    let j = job();
    ok(b.queue.enqueue(&j).await, "enqueue");
    assert!(ok(b.queue.depth().await, "depth") >= 1);
    let first = receive_job(b, &j, LEASE, now_ms()).await.unwrap_or_else(|| panic!("job not delivered"));
    assert_eq!(first.attempt, 1);
    assert!(receive_job(b, &j, LEASE, now_ms()).await.is_none(), "leased jobs are hidden");
    // The lease runs out: delivered again, as a second attempt.
    pause().await;
    let second = receive_job(b, &j, LEASE, now_ms()).await.unwrap_or_else(|| panic!("not redelivered"));
    assert_eq!(second.attempt, 2);
    ok(b.queue.retry_later(&second.receipt, LEASE, now_ms()).await, "retry later");
    assert!(receive_job(b, &j, LEASE, now_ms()).await.is_none(), "delayed");
    pause().await;
    let third = receive_job(b, &j, LEASE, now_ms()).await.unwrap_or_else(|| panic!("not back after the delay"));
    assert_eq!(third.attempt, 3);
    ok(b.queue.ack(&third.receipt).await, "ack");
    pause().await;
    assert!(receive_job(b, &j, LEASE, now_ms()).await.is_none(), "acked jobs are gone");
}

pub async fn queue_concurrent_consumers_get_distinct_jobs(b: &Backend) {
    let now = now_ms();
    let jobs: Vec<Job> = (0..12).map(|_| job()).collect();
    for j in &jobs {
        ok(b.queue.enqueue(j).await, "enqueue");
    }
    let wanted: BTreeSet<String> = jobs.iter().map(|j| j.key.clone()).collect();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let queue = Arc::clone(&b.queue);
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..20 {
                match queue.receive(3, 60_000, now).await {
                    Ok(batch) => got.extend(batch),
                    Err(e) => panic!("receive: {e:?}"),
                }
            }
            got
        }));
    }
    let mut seen = Vec::new();
    for t in tasks {
        for d in ok(t.await, "consumer") {
            if wanted.contains(&d.job.key) {
                seen.push(d.job.key.clone());
                ok(b.queue.ack(&d.receipt).await, "ack");
            }
        }
    }
    seen.sort();
    let distinct: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), distinct.len(), "a job went to two consumers");
    assert_eq!(distinct, wanted, "every job was delivered");
}

pub async fn limiter_counts_and_rejects(b: &Backend) {
    let now = now_ms();
    let key = format!("test:{}", new_session(now).id);
    let window = MINUTE_MS;
    for _ in 0..3 {
        assert_eq!(ok(b.limiter.hit(&key, 3, window, now).await, "hit"), RateDecision::Allowed);
    }
    match ok(b.limiter.hit(&key, 3, window, now + 10).await, "4th") {
        RateDecision::Limited { retry_after_secs } => assert!((1..=120).contains(&retry_after_secs)),
        RateDecision::Allowed => panic!("the 4th hit in a minute must be limited"),
    }
    let other = format!("{key}:other");
    assert_eq!(ok(b.limiter.hit(&other, 3, window, now).await, "other key"), RateDecision::Allowed);
    // Two windows later the old hits no longer count.
    assert_eq!(ok(b.limiter.hit(&key, 3, window, now + 2 * window + 1).await, "later"), RateDecision::Allowed);
}

pub async fn limiter_is_atomic_under_concurrency(b: &Backend) {
    let now = now_ms();
    let key = format!("test:{}", new_session(now).id);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let limiter = Arc::clone(&b.limiter);
        let key = key.clone();
        tasks.push(tokio::spawn(async move { limiter.hit(&key, 5, MINUTE_MS, now).await }));
    }
    let mut allowed = 0;
    for t in tasks {
        if ok(ok(t.await, "task"), "hit") == RateDecision::Allowed {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 5);
}

pub async fn counters_are_atomic(b: &Backend) {
    let name = format!("test.{}", new_session(0).id);
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let counters = Arc::clone(&b.counters);
        let name = name.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..5 {
                if let Err(e) = counters.add(&[(name.as_str(), 2), ("test.shared", 1)]).await {
                    panic!("add: {e:?}");
                }
            }
        }));
    }
    for t in tasks {
        ok(t.await, "task");
    }
    let snapshot = ok(b.counters.snapshot().await, "snapshot");
    assert_eq!(snapshot.get(&name), Some(&100));
    assert!(snapshot.get("test.shared").is_some_and(|v| *v >= 50));
    // Gauges are set outright and read one by one.
    let gauge = format!("{name}.gauge");
    assert_eq!(ok(b.counters.get(&gauge).await, "get unset"), None);
    ok(b.counters.set(&gauge, 2).await, "set");
    ok(b.counters.set(&gauge, 1).await, "set again");
    assert_eq!(ok(b.counters.get(&gauge).await, "get"), Some(1));
    assert_eq!(ok(b.counters.get(&name).await, "get counter"), Some(100));
}

pub async fn applog_recent_and_expiry(b: &Backend) {
    let now = now_ms();
    let marker = new_session(now).id.to_string();
    for i in 0..5 {
        let entry = LogEntry {
            ts: crate::time::rfc3339(now + i),
            at: now + i,
            level: LogLevel::Info,
            event: "test".into(),
            request_id: Some(format!("req-{i}")),
            session_tag: Some(marker.clone()),
            message: format!("entry {i}"),
        };
        let expires = if i == 0 { now + MINUTE_MS } else { now + HOUR_MS };
        ok(b.applog.append(&entry, expires).await, "append");
    }
    let recent = ok(b.applog.recent(500, now + 10).await, "recent");
    let ours: Vec<&str> =
        recent.iter().filter(|e| e.session_tag.as_deref() == Some(&marker)).map(|e| e.message.as_str()).collect();
    assert_eq!(ours, vec!["entry 0", "entry 1", "entry 2", "entry 3", "entry 4"], "oldest first");
    let last_two = ok(b.applog.recent(2, now + 10).await, "limit");
    assert_eq!(last_two.len(), 2);
    assert!(last_two[0].at <= last_two[1].at);
    let later = ok(b.applog.recent(500, now + 2 * MINUTE_MS).await, "later");
    assert!(!later.iter().any(|e| e.session_tag.as_deref() == Some(&marker) && e.message == "entry 0"));
    ok(b.applog.purge_expired(now + 2 * MINUTE_MS).await, "purge");
    // Purging removes only what expired (a backend with native TTL may remove nothing).
    let after: Vec<String> = ok(b.applog.recent(500, now + 2 * MINUTE_MS).await, "after purge")
        .into_iter()
        .filter(|e| e.session_tag.as_deref() == Some(&marker))
        .map(|e| e.message)
        .collect();
    assert_eq!(after, vec!["entry 1", "entry 2", "entry 3", "entry 4"], "live entries survive the purge");
}
