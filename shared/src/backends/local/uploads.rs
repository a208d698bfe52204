use async_trait::async_trait;
use rusqlite::params;

use std::sync::Arc;

use super::Local;
use super::db::{map_err, query_all, query_one, query_value, to_json};
use super::session_cache::Lookup;
use crate::ids::{SessionId, UploadId};
use crate::ports::{StoreError, StoreResult, Upload, UploadOutcome, UploadStore};

#[async_trait]
impl UploadStore for Local {
    async fn create(&self, upload: &Upload) -> StoreResult<()> {
        let body = to_json(upload)?;
        let (id, status, expires) = (upload.id.to_string(), upload.status.as_str(), upload.expires_at);
        self.write_uploads(&upload.session_id, move |tx, session| {
            tx.execute(
                "INSERT INTO uploads (id, session_id, status, expires_at, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, session, status, expires, body],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn get(&self, session: &SessionId, id: &UploadId, now: i64) -> StoreResult<Option<Upload>> {
        let (session, id) = (session.to_string(), id.to_string());
        self.db
            .read(move |conn| {
                query_one(
                    conn,
                    "SELECT body FROM uploads WHERE id = ?1 AND session_id = ?2 AND expires_at > ?3",
                    params![id, session, now],
                )
            })
            .await
    }

    async fn owner(&self, id: &UploadId, now: i64) -> StoreResult<Option<SessionId>> {
        let id = id.to_string();
        let owner: Option<String> = self
            .db
            .read(move |conn| {
                query_value(conn, "SELECT session_id FROM uploads WHERE id = ?1 AND expires_at > ?2", params![id, now])
            })
            .await?;
        owner
            .map(|s| SessionId::parse(&s).map_err(|e| StoreError::Corrupt(format!("upload owner {s:?}: {e}"))))
            .transpose()
    }

    /// From the session cache when it can vouch for the list (a chat turn asks every time).
    async fn list_for_session(&self, session: &SessionId, now: i64) -> StoreResult<Vec<Upload>> {
        let permit = match self.sessions.look_up_uploads(session, now) {
            Lookup::Hit(uploads) => return Ok(uploads),
            Lookup::Miss(permit) => permit,
        };
        let id = session.to_string();
        let mut uploads: Vec<Upload> = self
            .db
            .read(move |conn| query_all(conn, "SELECT body FROM uploads WHERE session_id = ?1", params![id]))
            .await?;
        uploads.sort_by_key(|u| (u.created_at, u.id.to_string()));
        if let Some(permit) = permit {
            self.sessions.fill_uploads(permit, session, uploads.clone(), now);
        }
        uploads.retain(|u| u.expires_at > now);
        Ok(uploads)
    }

    async fn claim(&self, session: &SessionId, id: &UploadId, until: i64, now: i64) -> StoreResult<bool> {
        let id = id.to_string();
        self.write_uploads(session, move |tx, session| {
            let Some(mut upload) = queued_upload(tx, &id, session)? else {
                return Ok(false);
            };
            if upload.claimed_until.is_some_and(|t| t > now) {
                return Ok(false);
            }
            upload.claimed_until = Some(until);
            tx.execute("UPDATE uploads SET body = ?1 WHERE id = ?2", params![to_json(&upload)?, id])
                .map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    async fn mark_received(&self, session: &SessionId, id: &UploadId, expires_at: i64, now: i64) -> StoreResult<bool> {
        let id = id.to_string();
        self.write_uploads(session, move |tx, session| {
            let awaiting: Option<Upload> = query_one(
                tx,
                "SELECT body FROM uploads WHERE id = ?1 AND session_id = ?2 AND status = 'awaiting_upload' \
                 AND expires_at > ?3",
                params![id, session, now],
            )?;
            let Some(mut upload) = awaiting else {
                return Ok(false);
            };
            upload.status = crate::ports::UploadStatus::Queued;
            upload.expires_at = expires_at;
            tx.execute(
                "UPDATE uploads SET status = ?1, expires_at = ?2, body = ?3 WHERE id = ?4",
                params![upload.status.as_str(), expires_at, to_json(&upload)?, id],
            )
            .map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    async fn complete(
        &self,
        session: &SessionId,
        id: &UploadId,
        outcome: &UploadOutcome,
        now: i64,
    ) -> StoreResult<bool> {
        let (id, outcome) = (id.to_string(), outcome.clone());
        self.write_uploads(session, move |tx, session| {
            let Some(mut upload) = queued_upload(tx, &id, session)? else {
                return Ok(false);
            };
            upload.finish(outcome.clone(), now);
            tx.execute(
                "UPDATE uploads SET status = ?1, body = ?2 WHERE id = ?3 AND status = 'queued'",
                params![upload.status.as_str(), to_json(&upload)?, id],
            )
            .map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    async fn delete_for_session(&self, session: &SessionId) -> StoreResult<Vec<Upload>> {
        self.write_uploads(session, |tx, session| {
            let uploads = query_all(tx, "SELECT body FROM uploads WHERE session_id = ?1", params![session])?;
            tx.execute("DELETE FROM uploads WHERE session_id = ?1", params![session]).map_err(map_err)?;
            Ok(uploads)
        })
        .await
    }

    async fn expired(&self, now: i64, limit: usize) -> StoreResult<Vec<Upload>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .read(move |conn| {
                query_all(
                    conn,
                    "SELECT body FROM uploads WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2",
                    params![now, limit],
                )
            })
            .await
    }

    async fn delete(&self, session: &SessionId, id: &UploadId) -> StoreResult<bool> {
        let id = id.to_string();
        self.write_uploads(session, move |tx, session| {
            let n = tx
                .execute("DELETE FROM uploads WHERE id = ?1 AND session_id = ?2", params![id, session])
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn stale_queued(&self, created_before: i64, now: i64, limit: usize) -> StoreResult<Vec<Upload>> {
        self.db
            .read(move |conn| {
                let queued: Vec<Upload> = query_all(
                    conn,
                    "SELECT body FROM uploads WHERE status = 'queued' AND expires_at > ?1",
                    params![now],
                )?;
                Ok(queued.into_iter().filter(|u| u.created_at < created_before).take(limit).collect())
            })
            .await
    }
}

impl Local {
    /// Runs `f` in the next group commit as a write of `session`'s uploads (the session id
    /// handed to it as text); the session's cached upload list goes on the writer thread,
    /// whatever the outcome.
    async fn write_uploads<T, F>(&self, session: &SessionId, mut f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnMut(&rusqlite::Connection, &str) -> StoreResult<T> + Send + 'static,
    {
        let (cache, changed, session) = (Arc::clone(&self.sessions), session.clone(), session.to_string());
        self.db.write_settled(move |tx| f(tx, &session), move |_| cache.uploads_changed(&changed)).await
    }
}

/// The upload `id` of `session` if it is still waiting for the worker.
fn queued_upload(tx: &rusqlite::Connection, id: &str, session: &str) -> StoreResult<Option<Upload>> {
    query_one(
        tx,
        "SELECT body FROM uploads WHERE id = ?1 AND session_id = ?2 AND status = 'queued'",
        params![id, session],
    )
}
