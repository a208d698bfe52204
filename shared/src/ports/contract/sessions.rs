//! Sessions: round trips, conditional commits, idempotent replies, concurrency, expiry.

use super::*;

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
    let stale_with_id = turn(&s, now + 2, "stale", Some("msg-stale"));
    assert_eq!(ok(b.sessions.commit_turn(&stale_with_id).await, "stale, with an id"), CommitOutcome::Conflict);
    assert_eq!(ok(b.sessions.find_reply(&s.id, "msg-stale").await, "no answer kept for a lost race"), None);
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
        s = std::sync::Arc::unwrap_or_clone(t.session);
    }
    // 300 entries of 2 KB: far beyond a single 400 KB item, and all of it readable.
    let transcript = ok(b.sessions.transcript(&s.id).await, "transcript");
    assert_eq!(transcript.len(), 300);
    assert!(transcript[0].text.starts_with("0 ") && transcript[299].text.starts_with("re: 149 "));
}

/// A turn that rewrites the visitor's previous line (masked again with the new one)
/// replaces it in the same commit; a turn that loses its race rewrites nothing.
pub async fn sessions_rewrite_an_earlier_line(b: &Backend) {
    let now = now_ms();
    let s = created(b, now).await;
    let first = turn(&s, now, "tarjeta 4111 1111", None);
    assert_eq!(ok(b.sessions.commit_turn(&first).await, "commit"), CommitOutcome::Committed);
    let mut second = turn(&first.session, now + 1, "[CARD]", None);
    let earlier = first.entries[0].clone();
    second.rewritten = Some(TranscriptEntry { text: "tarjeta [CARD]".into(), ..earlier.clone() });
    let mut stale = second.clone();
    stale.expected_version = s.version;
    stale.rewritten = Some(TranscriptEntry { text: "lost".into(), ..earlier });
    assert_eq!(ok(b.sessions.commit_turn(&stale).await, "stale"), CommitOutcome::Conflict);
    assert_eq!(ok(b.sessions.commit_turn(&second).await, "commit"), CommitOutcome::Committed);
    let transcript = ok(b.sessions.transcript(&s.id).await, "transcript");
    let texts: Vec<&str> = transcript.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts, ["tarjeta [CARD]", "re: tarjeta 4111 1111", "[CARD]", "re: [CARD]"]);
}

/// A resume token names its session once, until it expires.
pub async fn sessions_resume_tokens_resume_once(b: &Backend) {
    let now = now_ms();
    let s = created(b, now).await;
    let (hash, short) = (format!("h-{}", s.id), format!("short-{}", s.id));
    ok(b.sessions.save_resume_token(&hash, &s.id, now + HOUR_MS).await, "save");
    ok(b.sessions.save_resume_token(&short, &s.id, now + MINUTE_MS).await, "save short");
    assert_eq!(ok(b.sessions.take_resume_token("h-unknown", now).await, "unknown"), None);
    assert_eq!(ok(b.sessions.take_resume_token(&short, now + 2 * MINUTE_MS).await, "expired"), None);
    assert_eq!(ok(b.sessions.take_resume_token(&hash, now).await, "take"), Some(s.id.clone()));
    assert_eq!(ok(b.sessions.take_resume_token(&hash, now).await, "take twice"), None, "a token resumes once");
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

pub async fn sessions_idle_cases_are_found_once_due(b: &Backend) {
    use crate::chat::State;
    const QUIET: i64 = 30 * MINUTE_MS;
    // Long ago, so that no other test's session is due by then.
    let t0 = 1_000_000_000 + i64::from(new_session(0).id.as_str().as_bytes()[10]) * 1_000;
    let at_steps = |updated: i64| {
        let mut s = new_session(updated);
        s.conversation.state = State::Steps;
        s
    };
    let first = at_steps(t0);
    let second = at_steps(t0 + 10 * MINUTE_MS);
    let chatting = new_session(t0);
    let counted =
        Session { abandoned: Some(Abandoned { case_no: 1, at: t0, category: "printer".into() }), ..at_steps(t0) };
    let mut expired = at_steps(t0);
    expired.expires_at = t0 + 20 * MINUTE_MS;
    for s in [&first, &second, &chatting, &counted, &expired] {
        assert!(ok(b.sessions.create(s).await, "create"));
    }
    let mine = [&first.id, &second.id, &chatting.id, &counted.id, &expired.id];
    let due = |now: i64| async move {
        let found = ok(b.sessions.idle_cases(now - QUIET, now, 100).await, "idle cases");
        found.into_iter().filter(|id| mine.contains(&id)).collect::<Vec<_>>()
    };
    assert_eq!(due(t0 + QUIET - 1).await, [] as [SessionId; 0], "not due yet");
    assert_eq!(due(t0 + QUIET).await, std::slice::from_ref(&first.id), "due, and the expired one is nobody's");
    assert_eq!(due(t0 + QUIET + 10 * MINUTE_MS).await, [first.id.clone(), second.id.clone()], "earliest first");

    // A turn that leaves the steps takes the session out; one that stays moves its time.
    let mut solved = turn(&first, t0 + 35 * MINUTE_MS, "sí", None);
    std::sync::Arc::make_mut(&mut solved.session).conversation.state = State::Solved;
    assert_eq!(ok(b.sessions.commit_turn(&solved).await, "commit"), CommitOutcome::Committed);
    let still = turn(&second, t0 + 36 * MINUTE_MS, "no", None);
    assert_eq!(ok(b.sessions.commit_turn(&still).await, "commit"), CommitOutcome::Committed);
    assert_eq!(due(t0 + 50 * MINUTE_MS).await, [] as [SessionId; 0]);
    assert_eq!(due(t0 + 36 * MINUTE_MS + QUIET).await, std::slice::from_ref(&second.id));
    assert!(ok(b.sessions.delete(&second.id).await, "delete"));
    assert_eq!(due(t0 + 2 * HOUR_MS).await, [] as [SessionId; 0], "an erased session is gone from the index");
}
