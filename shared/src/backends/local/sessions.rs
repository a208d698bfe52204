use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::applog::insert_log;
use super::counters::{add_counters, add_daily_counters};
use super::db::{execute, map_err, query_all, query_value, to_json};
use super::session_cache::Lookup;
use super::{Local, session_body};
use crate::ids::SessionId;
use crate::ports::{
    CommitOutcome, Riders, Session, SessionStore, StoreError, StoreResult, TranscriptEntry, TurnRecord,
};

/// The stored answer to a `messageId`.
const REPLY: &str = "SELECT response FROM turns WHERE session_id = ?1 AND message_id = ?2";
/// A turn's first read: the live session and the stored answer to its `messageId`.
pub(super) const SESSION_AND_REPLY: &str = "SELECT s.body, r.response FROM sessions s \
     LEFT JOIN turns r ON r.session_id = s.id AND r.message_id = ?2 \
     WHERE s.id = ?1 AND s.expires_at > ?3";

#[async_trait]
impl SessionStore for Local {
    async fn create(&self, session: &Session) -> StoreResult<bool> {
        let body = session_body::encode(session)?;
        let (id, version, expires) = (session.id.to_string(), session.version as i64, session.expires_at);
        let waiting = session.waiting_since();
        let (cache, created) = (Arc::clone(&self.sessions), session.clone());
        self.db
            .write_settled(
                move |tx| {
                    let inserted = tx
                        .execute(
                            "INSERT INTO sessions (id, version, expires_at, body, waiting_since) VALUES (?1, ?2, ?3, ?4, ?5) \
                             ON CONFLICT(id) DO NOTHING",
                            params![id, version, expires, body, waiting],
                        )
                        .map_err(map_err)?;
                    Ok(inserted == 1)
                },
                move |outcome| {
                    if matches!(outcome, Ok(true)) {
                        cache.created(created);
                    }
                },
            )
            .await
    }

    async fn get(&self, id: &SessionId, now: i64) -> StoreResult<Option<Session>> {
        self.db
            .read(|conn| {
                conn.prepare_cached("SELECT body FROM sessions WHERE id = ?1 AND expires_at > ?2")
                    .and_then(|mut stmt| {
                        stmt.query_row(params![id.as_str(), now], |r| Ok(session_body::decode(r.get_ref(0)?)))
                            .optional()
                    })
                    .map_err(map_err)?
                    .transpose()
            })
            .await
    }

    async fn commit_turn(&self, turn: &TurnRecord) -> StoreResult<CommitOutcome> {
        Ok(self.commit_turn_with(turn, &Riders::default()).await?.0)
    }

    /// One write of the group commit: one `turns` row (the transcript entries and the
    /// stored reply; its unique index is the idempotency check), the conditional session
    /// update, and the turn's counters and log line — all or nothing.
    async fn commit_turn_with(&self, turn: &TurnRecord, riders: &Riders) -> StoreResult<(CommitOutcome, bool)> {
        let body = session_body::encode(&turn.session)?;
        let entries = to_json(&turn.entries)?;
        let rewritten = turn.rewritten.clone();
        let id = turn.session.id.to_string();
        let (version, expected, expires, now) = (
            turn.session.version as i64,
            turn.expected_version as i64,
            turn.session.expires_at,
            turn.session.updated_at,
        );
        let message_id = turn.message_id.clone();
        let response = turn.response_json.clone();
        let waiting = turn.session.waiting_since();
        let counters = riders.counters.clone();
        let daily = riders.daily.clone();
        let log = riders
            .log
            .as_ref()
            .map(|(entry, expires)| Ok::<_, StoreError>((entry.at, *expires, to_json(entry)?)))
            .transpose()?;
        let (cache, committed, answered) =
            (Arc::clone(&self.sessions), Arc::clone(&turn.session), turn.message_id.clone());
        let settled = move |outcome: &StoreResult<CommitOutcome>| match outcome {
            Ok(CommitOutcome::Committed) => cache.committed(committed, answered),
            _ => cache.drop_session(&committed.id),
        };
        let outcome = self
            .db
            .write_settled(
                move |tx| {
                    // The turn's row first: its unique (session, messageId) index answers
                    // whether the message was answered before, without a look-up of its own.
                    let response = message_id.as_ref().map(|_| &response);
                    let inserted = execute(
                        tx,
                        "INSERT INTO turns (session_id, message_id, entries, response) VALUES (?1, ?2, ?3, ?4) \
                         ON CONFLICT (session_id, message_id) DO NOTHING",
                        params![id, message_id, entries, response],
                    )?;
                    if inserted == 0 {
                        let earlier = message_id.as_ref().map(|mid| query_value(tx, REPLY, params![id, mid]));
                        return match earlier.transpose()?.flatten() {
                            Some(earlier) => Ok(CommitOutcome::Duplicate(earlier)),
                            None => {
                                Err(StoreError::Corrupt("a turn's row was refused without an earlier answer".into()))
                            }
                        };
                    }
                    let updated = execute(
                        tx,
                        "UPDATE sessions SET version = ?1, expires_at = ?2, body = ?3, waiting_since = ?7 \
                         WHERE id = ?4 AND version = ?5 AND expires_at > ?6",
                        params![version, expires, body, id, expected, now, waiting],
                    )?;
                    if updated == 0 {
                        // Not this turn's: its row goes with it (a conflict is an answer, not
                        // an error, so nothing rolls it back).
                        tx.execute("DELETE FROM turns WHERE id = last_insert_rowid()", []).map_err(map_err)?;
                        return Ok(CommitOutcome::Conflict);
                    }
                    if let Some(entry) = &rewritten {
                        rewrite_entry(tx, &id, entry)?;
                    }
                    add_counters(tx, &counters)?;
                    add_daily_counters(tx, &daily)?;
                    if let Some((at, expires, body)) = &log {
                        insert_log(tx, *at, *expires, body)?;
                    }
                    Ok(CommitOutcome::Committed)
                },
                settled,
            )
            .await?;
        Ok((outcome, true))
    }

    async fn find_reply(&self, id: &SessionId, message_id: &str) -> StoreResult<Option<String>> {
        self.db.read(|conn| query_value(conn, REPLY, params![id.as_str(), message_id])).await
    }

    /// From the session cache when it can vouch for the session and for `message_id`
    /// being new; else one statement, so one read snapshot: the reply is looked up with
    /// the session (and, to fill the cache, the ids answered in it are read after it).
    async fn get_for_turn(
        &self,
        id: &SessionId,
        message_id: Option<&str>,
        now: i64,
    ) -> StoreResult<(Option<Arc<Session>>, Option<String>)> {
        let permit = match self.sessions.look_up(id, message_id, now) {
            Lookup::Hit(session) => return Ok((Some(session), None)),
            Lookup::Miss(permit) => permit,
        };
        let (found, answered) = self
            .db
            .read(|conn| {
                let row = conn
                    .prepare_cached(SESSION_AND_REPLY)
                    .and_then(|mut stmt| {
                        stmt.query_row(params![id.as_str(), message_id, now], |r| {
                            Ok((session_body::decode(r.get_ref(0)?), r.get::<_, Option<String>>(1)?))
                        })
                        .optional()
                    })
                    .map_err(map_err)?;
                let Some((session, reply)) = row else {
                    return Ok((None, HashSet::new()));
                };
                let answered = match permit {
                    Some(_) => answered_ids(conn, id.as_str())?,
                    None => HashSet::new(),
                };
                Ok((Some((session?, reply)), answered))
            })
            .await?;
        match found {
            Some((session, reply)) => {
                let session = Arc::new(session);
                if let Some(permit) = permit {
                    self.sessions.fill(permit, Arc::clone(&session), answered);
                }
                Ok((Some(session), reply))
            }
            None => Ok((None, None)),
        }
    }

    async fn transcript(&self, id: &SessionId) -> StoreResult<Vec<TranscriptEntry>> {
        let turns: Vec<Vec<TranscriptEntry>> = self
            .db
            .read(|conn| {
                query_all(conn, "SELECT entries FROM turns WHERE session_id = ?1 ORDER BY id", params![id.as_str()])
            })
            .await?;
        let mut entries: Vec<TranscriptEntry> = turns.into_iter().flatten().collect();
        // Rowid order is commit order, which is seq order; sorting (stable, already
        // sorted) keeps the transcript's order independent of how rows were copied.
        entries.sort_by_key(|e| e.seq);
        Ok(entries)
    }

    async fn save_resume_token(&self, token_hash: &str, session: &SessionId, expires_at: i64) -> StoreResult<()> {
        let (hash, session) = (token_hash.to_owned(), session.to_string());
        self.db
            .write(move |tx| {
                execute(
                    tx,
                    "INSERT OR REPLACE INTO resume_tokens (hash, session_id, expires_at) VALUES (?1, ?2, ?3)",
                    params![hash, session, expires_at],
                )
                .map(|_| ())
            })
            .await
    }

    async fn take_resume_token(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionId>> {
        let hash = token_hash.to_owned();
        let session: Option<String> = self
            .db
            .write(move |tx| {
                query_value(
                    tx,
                    "DELETE FROM resume_tokens WHERE hash = ?1 AND expires_at > ?2 RETURNING session_id",
                    params![hash, now],
                )
            })
            .await?;
        session
            .map(|s| SessionId::parse(&s).map_err(|e| StoreError::Corrupt(format!("resume token owner: {e}"))))
            .transpose()
    }

    async fn delete(&self, id: &SessionId) -> StoreResult<bool> {
        let (cache, erased) = (Arc::clone(&self.sessions), id.clone());
        let id = id.to_string();
        self.db
            .write_settled(
                move |tx| {
                    let existed = tx.execute("DELETE FROM sessions WHERE id = ?1", params![id]).map_err(map_err)? > 0;
                    tx.execute("DELETE FROM turns WHERE session_id = ?1", params![id]).map_err(map_err)?;
                    tx.execute("DELETE FROM resume_tokens WHERE session_id = ?1", params![id]).map_err(map_err)?;
                    Ok(existed)
                },
                move |_| cache.drop_session(&erased),
            )
            .await
    }

    async fn idle_cases(&self, quiet_since: i64, now: i64, limit: usize) -> StoreResult<Vec<SessionId>> {
        let ids: Vec<String> = self
            .db
            .read(|conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT id FROM sessions WHERE waiting_since <= ?1 AND expires_at > ?2 ORDER BY waiting_since LIMIT ?3",
                    )
                    .map_err(map_err)?;
                let rows = stmt.query_map(params![quiet_since, now, limit as i64], |r| r.get::<_, String>(0)).map_err(map_err)?;
                rows.map(|r| r.map_err(map_err)).collect()
            })
            .await?;
        ids.iter()
            .map(|id| SessionId::parse(id).map_err(|e| StoreError::Corrupt(format!("session id {id}: {e}"))))
            .collect()
    }

    async fn purge_expired(&self, now: i64) -> StoreResult<u64> {
        self.sessions.forget_expired(now);
        self.db
            .write(move |tx| {
                let expired = "SELECT id FROM sessions WHERE expires_at <= ?1";
                tx.execute(&format!("DELETE FROM turns WHERE session_id IN ({expired})"), params![now])
                    .map_err(map_err)?;
                tx.execute("DELETE FROM resume_tokens WHERE expires_at <= ?1", params![now]).map_err(map_err)?;
                let n = tx.execute("DELETE FROM sessions WHERE expires_at <= ?1", params![now]).map_err(map_err)?;
                Ok(n as u64)
            })
            .await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.db.read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())).map_err(map_err)).await
    }
}

/// The `messageId`s answered in session `id`.
fn answered_ids(conn: &rusqlite::Connection, id: &str) -> StoreResult<HashSet<String>> {
    let mut stmt = conn
        .prepare_cached("SELECT message_id FROM turns WHERE session_id = ?1 AND message_id IS NOT NULL")
        .map_err(map_err)?;
    let ids = stmt.query_map(params![id], |r| r.get::<_, String>(0)).map_err(map_err)?;
    ids.collect::<Result<_, _>>().map_err(map_err)
}

/// Replaces the transcript entry with `entry.seq` in the recent `turns` row holding it.
fn rewrite_entry(tx: &rusqlite::Connection, id: &str, entry: &TranscriptEntry) -> StoreResult<()> {
    let rows: Vec<(i64, String)> = {
        let mut stmt = tx
            .prepare_cached("SELECT id, entries FROM turns WHERE session_id = ?1 ORDER BY id DESC LIMIT 8")
            .map_err(map_err)?;
        let rows = stmt.query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?))).map_err(map_err)?;
        rows.collect::<Result<_, _>>().map_err(map_err)?
    };
    for (row, json) in rows {
        let mut entries: Vec<TranscriptEntry> =
            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("transcript row: {e}")))?;
        if let Some(old) = entries.iter_mut().find(|e| e.seq == entry.seq) {
            old.text.clone_from(&entry.text);
            tx.execute("UPDATE turns SET entries = ?1 WHERE id = ?2", params![to_json(&entries)?, row])
                .map_err(map_err)?;
            return Ok(());
        }
    }
    Ok(())
}
