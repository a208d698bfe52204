//! The writer thread, group commit, riders and the in-memory rate limiter of the
//! embedded store (the port contracts are in `ports::contract`).

use std::path::Path;
use std::sync::Arc;

use rusqlite::params;

use super::db::execute;
use super::limiter::REFRESH_MS;
use super::{Local, open};
use crate::chat::{Conversation, Locale};
use crate::ids::SessionId;
use crate::ports::{
    AppLog, CommitOutcome, Counters, LogEntry, LogLevel, RateDecision, RateLimiter, Riders, Role, SecretValues,
    Session, SessionStore, StoreError, TranscriptEntry, TurnRecord,
};
use crate::time::{HOUR_MS, MINUTE_MS, now_ms};

fn local(dir: &Path) -> Arc<Local> {
    match open(dir, SecretValues::default()) {
        Ok((_, local)) => local,
        Err(e) => panic!("open: {e}"),
    }
}

fn session(now: i64) -> Session {
    Session {
        id: SessionId::generate().unwrap_or_else(|e| panic!("{e}")),
        version: 1,
        created_at: now,
        updated_at: now,
        expires_at: now + HOUR_MS,
        conversation: Conversation::new(Locale::Es),
        transcript_expires_at: 0,
        last_visitor_line: None,
        last_options: Vec::new(),
        feedback: Vec::new(),
        abandoned: None,
        chat_tat_us: None,
    }
}

fn turn(s: &Session, now: i64, message_id: &str) -> TurnRecord {
    let next = Session { version: s.version + 1, updated_at: now, ..s.clone() };
    TurnRecord {
        rewritten: None,
        expected_version: s.version,
        entries: vec![TranscriptEntry { seq: next.version * 2, at: now, role: Role::Visitor, text: "hola".into() }],
        session: std::sync::Arc::new(next),
        message_id: Some(message_id.to_owned()),
        response_json: "{\"reply\":\"ok\"}".into(),
    }
}

fn riders(now: i64, event: &str) -> Riders {
    let entry = LogEntry {
        ts: crate::time::rfc3339(now),
        at: now,
        level: LogLevel::Info,
        event: event.to_owned(),
        request_id: None,
        session_tag: None,
        message: "turn".into(),
    };
    Riders { counters: vec![("chat.totalMessages", 1)], daily: Vec::new(), log: Some((entry, now + HOUR_MS)) }
}

fn rows(local: &Local, sql: &str) -> i64 {
    local.db.read_now(|c| c.query_row(sql, [], |r| r.get(0)).map_err(super::db::map_err)).unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_turns_commit_together_and_a_failing_write_rolls_back_alone() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = local(dir.path());
    let now = now_ms();
    let mut sessions = Vec::new();
    for _ in 0..200 {
        let s = session(now);
        assert_eq!(store.create(&s).await.ok(), Some(true));
        sessions.push(s);
    }
    let mut tasks = Vec::new();
    for (i, s) in sessions.iter().enumerate() {
        let (store, record) = (Arc::clone(&store), turn(s, now + 1, &format!("m{i}")));
        tasks.push(tokio::spawn(async move { store.commit_turn_with(&record, &riders(now, "chat.turn")).await }));
    }
    // In the middle of the burst: a write that inserts, then fails.
    let failing = store
        .db
        .write(move |tx| {
            execute(tx, "INSERT INTO counters (name, value) VALUES ('half.written', 1)", params![])?;
            Err::<(), _>(StoreError::Rejected("refused half-way".into()))
        })
        .await;
    assert!(matches!(failing, Err(StoreError::Rejected(_))), "{failing:?}");
    for task in tasks {
        let outcome = task.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(outcome, Ok((CommitOutcome::Committed, true))), "{outcome:?}");
    }
    assert_eq!(rows(&store, "SELECT count(*) FROM turns"), 200);
    assert_eq!(rows(&store, "SELECT count(*) FROM turns WHERE response IS NOT NULL"), 200);
    assert_eq!(rows(&store, "SELECT count(*) FROM applog"), 200, "every turn's log line rode with it");
    assert_eq!(Counters::get(&*store, "chat.totalMessages").await.ok().flatten(), Some(200));
    assert_eq!(
        Counters::get(&*store, "half.written").await.ok().flatten(),
        None,
        "the failed write's insert was rolled back"
    );
}

#[tokio::test]
async fn riders_are_written_only_with_a_committed_turn() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = local(dir.path());
    let now = now_ms();
    let s = session(now);
    assert_eq!(store.create(&s).await.ok(), Some(true));
    let first = store.commit_turn_with(&turn(&s, now, "a"), &riders(now, "first")).await;
    assert!(matches!(first, Ok((CommitOutcome::Committed, true))), "{first:?}");
    // The same expected version again: a conflict, and its riders must not count.
    let stale = store.commit_turn_with(&turn(&s, now, "b"), &riders(now, "stale")).await;
    assert!(matches!(stale, Ok((CommitOutcome::Conflict, true))), "{stale:?}");
    // A replayed messageId: the stored answer, nothing counted again.
    let replay = store.commit_turn_with(&turn(&s, now, "a"), &riders(now, "replay")).await;
    assert!(matches!(replay, Ok((CommitOutcome::Duplicate(_), true))), "{replay:?}");
    assert_eq!(Counters::get(&*store, "chat.totalMessages").await.ok().flatten(), Some(1));
    let log = store.recent(10, now).await.unwrap_or_default();
    assert_eq!(log.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(), ["first"]);
}

#[tokio::test]
async fn a_full_disk_fails_the_whole_batch_and_the_writer_recovers() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = local(dir.path());
    // SQLite reports a full disk when the database may not grow: the same path as ENOSPC.
    let page_count = rows(&store, "PRAGMA page_count");
    let limited = store
        .db
        .write(move |tx| {
            tx.query_row(&format!("PRAGMA max_page_count = {page_count}"), [], |_| Ok(())).map_err(super::db::map_err)
        })
        .await;
    assert!(limited.is_ok(), "{limited:?}");
    let big = "x".repeat(64 * 1024);
    let refused = store
        .db
        .write(move |tx| execute(tx, "INSERT INTO counters (name, value) VALUES (?1, 1)", params![big]).map(|_| ()))
        .await;
    assert!(matches!(refused, Err(StoreError::Unavailable(_))), "a full disk is retryable (503): {refused:?}");
    let lifted = store
        .db
        .write(|tx| tx.query_row("PRAGMA max_page_count = 1073741823", [], |_| Ok(())).map_err(super::db::map_err))
        .await;
    assert!(lifted.is_ok(), "{lifted:?}");
    assert!(store.add(&[("after.recovery", 1)]).await.is_ok());
    assert_eq!(Counters::get(&*store, "after.recovery").await.ok().flatten(), Some(1));
}

#[tokio::test]
async fn rate_limits_are_exact_in_a_process_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let now = now_ms();
    {
        let store = local(dir.path());
        for _ in 0..3 {
            assert_eq!(store.hit("k", 5, MINUTE_MS, now).await.ok(), Some(RateDecision::Allowed));
        }
        // An awaited write queues behind the hits: once it is acknowledged, so are they.
        assert!(store.add(&[("flush", 1)]).await.is_ok());
    }
    let store = local(dir.path());
    assert_eq!(store.hit("k", 5, MINUTE_MS, now + 1).await.ok(), Some(RateDecision::Allowed));
    assert_eq!(store.hit("k", 5, MINUTE_MS, now + 2).await.ok(), Some(RateDecision::Allowed));
    assert!(matches!(store.hit("k", 5, MINUTE_MS, now + 3).await, Ok(RateDecision::Limited { .. })));
}

/// Two processes on one data directory (two stores here): each sees the other's hits
/// once it reads the key — at first use, then at most `REFRESH_MS` later. Within that
/// second a burst on both may pass more than the limit; never after it.
#[tokio::test]
async fn across_processes_the_limit_is_approximate_within_the_refresh_interval() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = (local(dir.path()), local(dir.path()));
    let now = now_ms() - now_ms() % MINUTE_MS + 1_000;
    let limit = 5;
    for _ in 0..3 {
        assert_eq!(a.hit("ip", limit, MINUTE_MS, now).await.ok(), Some(RateDecision::Allowed));
    }
    assert!(a.add(&[("flush", 1)]).await.is_ok());
    // B meets the key after A's hits were committed: exact.
    assert_eq!(b.hit("ip", limit, MINUTE_MS, now + 10).await.ok(), Some(RateDecision::Allowed));
    assert_eq!(b.hit("ip", limit, MINUTE_MS, now + 11).await.ok(), Some(RateDecision::Allowed));
    assert!(matches!(b.hit("ip", limit, MINUTE_MS, now + 12).await, Ok(RateDecision::Limited { .. })));
    assert!(b.add(&[("flush", 1)]).await.is_ok());
    // A still counts 3 (its view is under a second old): it lets 2 more through.
    assert_eq!(a.hit("ip", limit, MINUTE_MS, now + 20).await.ok(), Some(RateDecision::Allowed));
    assert_eq!(a.hit("ip", limit, MINUTE_MS, now + 21).await.ok(), Some(RateDecision::Allowed));
    assert!(matches!(a.hit("ip", limit, MINUTE_MS, now + 22).await, Ok(RateDecision::Limited { .. })));
    assert!(a.add(&[("flush", 1)]).await.is_ok());
    // Once its view is refreshed, A sees all 7 and refuses, as does B.
    let later = now + REFRESH_MS + 30;
    assert!(matches!(a.hit("ip", limit, MINUTE_MS, later).await, Ok(RateDecision::Limited { .. })));
    assert!(matches!(b.hit("ip", limit, MINUTE_MS, later).await, Ok(RateDecision::Limited { .. })));
    assert_eq!(
        a.db.read_now(|c| c
            .query_row("SELECT tat_us FROM rate_limits WHERE key = 'ip'", [], |r| r.get::<_, i64>(0))
            .map_err(super::db::map_err))
            .ok(),
        Some((now + 7 * (MINUTE_MS / 5)) * 1_000),
        "both processes' hits are in the table: seven intervals from the first"
    );
}

#[tokio::test]
async fn a_turn_always_reads_the_latest_version_even_when_another_process_wrote_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (here, there) = (local(dir.path()), local(dir.path()));
    let now = now_ms();
    let s = session(now);
    assert!(matches!(here.create(&s).await, Ok(true)));
    let read = |store: &Arc<Local>, mid: &'static str| {
        let (store, id) = (Arc::clone(store), s.id.clone());
        async move {
            match store.get_for_turn(&id, Some(mid), now).await {
                Ok((Some(session), reply)) => (session.version, session.conversation.name.clone(), reply),
                other => panic!("{other:?}"),
            }
        }
    };
    // This process decodes version 1 and keeps it; then commits version 2 itself.
    assert_eq!(read(&here, "m1").await, (1, None, None));
    assert!(matches!(here.commit_turn(&turn(&s, now, "m1")).await, Ok(CommitOutcome::Committed)));
    assert_eq!(read(&here, "m1").await.0, 2);
    // Another process (its own store on the same file) commits version 3 with a name.
    let (v2, _) = there.get_for_turn(&s.id, None, now).await.unwrap_or_else(|e| panic!("{e}"));
    let v2 = v2.unwrap_or_else(|| panic!("gone"));
    let mut third = turn(&v2, now, "m2");
    std::sync::Arc::make_mut(&mut third.session).conversation.name = Some("Ana".into());
    assert!(matches!(there.commit_turn(&third).await, Ok(CommitOutcome::Committed)));
    // This process sees version 3 and its content, and the answer to m2, at once.
    assert_eq!(read(&here, "m2").await, (3, Some("Ana".into()), Some("{\"reply\":\"ok\"}".into())));
    // A turn built on a stale copy conflicts; erasure elsewhere makes the session gone here.
    assert!(matches!(here.commit_turn(&turn(&v2, now, "m3")).await, Ok(CommitOutcome::Conflict)));
    assert!(matches!(there.delete(&s.id).await, Ok(true)));
    assert!(matches!(here.get_for_turn(&s.id, Some("m2"), now).await, Ok((None, None))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_hits_queued_together_are_written_by_one_write() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = local(dir.path());
    let now = now_ms() - now_ms() % MINUTE_MS + 1_000;
    // Hold the writer inside a write until the hits below are all allowed.
    let (release, held) = std::sync::mpsc::channel::<()>();
    let holder = Arc::clone(&store);
    let busy = tokio::spawn(async move {
        holder
            .db
            .write(move |_| {
                let _ = held.recv();
                Ok(())
            })
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let before = store.db.writes_submitted();
    for i in 0..100 {
        let key = format!("chat:session:{}", i % 5);
        assert_eq!(store.hit(&key, 1_000, MINUTE_MS, now).await.ok(), Some(RateDecision::Allowed));
    }
    assert_eq!(store.db.writes_submitted() - before, 1, "one write carries every hit queued while the writer was busy");
    let _ = release.send(());
    assert!(matches!(busy.await, Ok(Ok(()))));
    assert!(store.add(&[("flush", 1)]).await.is_ok());
    let stored: Vec<i64> = store
        .db
        .read_now(|c| {
            let mut stmt = c.prepare("SELECT tat_us FROM rate_limits ORDER BY key").map_err(super::db::map_err)?;
            let counts = stmt.query_map([], |r| r.get(0)).map_err(super::db::map_err)?;
            counts.map(|n| n.map_err(super::db::map_err)).collect()
        })
        .unwrap_or_default();
    let twenty = (now + 20 * (MINUTE_MS / 1_000)) * 1_000;
    assert_eq!(stored, [twenty; 5], "every hit is in the table: twenty intervals on each key");
    // The next hit, after that write ran, queues a write of its own.
    let before = store.db.writes_submitted();
    assert_eq!(store.hit("chat:session:0", 1_000, MINUTE_MS, now).await.ok(), Some(RateDecision::Allowed));
    assert_eq!(store.db.writes_submitted() - before, 1);
    // And this process still counts exactly: of 1,000 at one instant, 979 more pass, not one more.
    for _ in 21..1_000 {
        assert_eq!(store.hit("chat:session:0", 1_000, MINUTE_MS, now).await.ok(), Some(RateDecision::Allowed));
    }
    assert!(matches!(store.hit("chat:session:0", 1_000, MINUTE_MS, now).await, Ok(RateDecision::Limited { .. })));
}

#[tokio::test]
async fn the_turn_read_is_planned_once_not_again_after_every_commit() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = local(dir.path());
    let now = now_ms();
    let mut s = session(now);
    assert!(matches!(store.create(&s).await, Ok(true)));
    for i in 0..5 {
        let mid = format!("m{i}");
        assert!(matches!(store.get_for_turn(&s.id, Some(&mid), now).await, Ok((Some(_), None))));
        let next = turn(&s, now, &mid);
        assert!(matches!(store.commit_turn(&next).await, Ok(CommitOutcome::Committed)));
        s = std::sync::Arc::unwrap_or_clone(next.session);
    }
    // One read connection served every read above (one at a time): its cached statement.
    let replans = store.db.read_now(|conn| {
        let stmt = conn.prepare_cached(super::sessions::SESSION_AND_REPLY).map_err(super::db::map_err)?;
        Ok(stmt.get_status(rusqlite::StatementStatus::RePrepare))
    });
    assert_eq!(replans.ok(), Some(0), "the statement must not be re-parsed and re-planned on each run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_is_started_over_under_a_steady_stream_of_commits() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = local(dir.path());
    let created = store
        .db
        .write(|tx| {
            tx.execute_batch("CREATE TABLE scratch (id INTEGER PRIMARY KEY, body BLOB)").map_err(super::db::map_err)
        })
        .await;
    assert!(created.is_ok(), "{created:?}");
    let wal = dir.path().join(super::DATABASE_FILE).with_extension("db-wal");
    let mut largest = 0;
    // 16 rows of 4 KB per commit, the rows of two commits ago deleted: the database stays
    // small while each commit appends ~17 pages to the WAL, ~170 MB of WAL in all.
    for round in 0..2_500_i64 {
        let written = store
            .db
            .write(move |tx| {
                for i in 0..16 {
                    execute(tx, "INSERT INTO scratch (id, body) VALUES (?1, zeroblob(4000))", params![round * 16 + i])?;
                }
                execute(tx, "DELETE FROM scratch WHERE id < ?1", params![(round - 2) * 16]).map(|_| ())
            })
            .await;
        assert!(written.is_ok(), "{written:?}");
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    assert!(largest > 0, "{} never existed", wal.display());
    assert!(largest < 48 << 20, "the WAL grew to {} MB", largest >> 20);
}
