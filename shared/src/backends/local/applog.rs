use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::Local;
use super::db::{execute, from_json, map_err, to_json};
use crate::ports::{AppLog, LogEntry, StoreResult};

/// Appends one (already encoded) line, inside the caller's write.
pub(super) fn insert_log(conn: &Connection, at: i64, expires_at: i64, body: &str) -> StoreResult<()> {
    execute(conn, "INSERT INTO applog (at, expires_at, body) VALUES (?1, ?2, ?3)", params![at, expires_at, body])?;
    Ok(())
}

#[async_trait]
impl AppLog for Local {
    async fn append(&self, entry: &LogEntry, expires_at: i64) -> StoreResult<()> {
        let body = to_json(entry)?;
        let at = entry.at;
        self.db.write(move |tx| insert_log(tx, at, expires_at, &body)).await
    }

    async fn recent(&self, limit: usize, now: i64) -> StoreResult<Vec<LogEntry>> {
        self.db
            .read(move |conn| {
                let mut stmt = conn
                    .prepare(
                        // The newest by arrival (rowid): a line's `at` trails its arrival by at
                        // most the wait of the commit it rode in.
                        "SELECT at, body FROM (SELECT id, at, body FROM applog WHERE expires_at > ?1 ORDER BY id DESC LIMIT ?2)
                         ORDER BY at ASC, id ASC",
                    )
                    .map_err(map_err)?;
                let rows = stmt.query_map(params![now, limit as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).map_err(map_err)?;
                rows.map(|r| {
                    let (at, body) = r.map_err(map_err)?;
                    let mut entry: LogEntry = from_json(&body)?;
                    entry.at = at;
                    Ok(entry)
                })
                .collect()
            })
            .await
    }

    async fn purge_expired(&self, now: i64) -> StoreResult<u64> {
        self.db.delete_expired("applog", now).await
    }
}
