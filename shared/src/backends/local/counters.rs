use std::collections::BTreeMap;

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::Local;
use super::db::{execute, map_err, query_value};
use crate::ports::{Counters, DailyDelta, StoreResult};

const ADD: &str =
    "INSERT INTO counters (name, value) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value";
const SET: &str =
    "INSERT INTO counters (name, value) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET value = excluded.value";

/// Runs `sql` (an upsert of `name`, `value`) for each pair, inside the caller's write.
fn upsert_each<K: AsRef<str>>(conn: &Connection, sql: &str, pairs: &[(K, i64)]) -> StoreResult<()> {
    for (name, value) in pairs {
        execute(conn, sql, params![name.as_ref(), value])?;
    }
    Ok(())
}

/// Adds each delta to its counter, inside the caller's write.
pub(super) fn add_counters(conn: &Connection, deltas: &[(&str, i64)]) -> StoreResult<()> {
    upsert_each(conn, ADD, deltas)
}

/// Adds each delta to its counter of the day, inside the caller's write.
pub(super) fn add_daily_counters(conn: &Connection, deltas: &[DailyDelta]) -> StoreResult<()> {
    for d in deltas {
        execute(
            conn,
            "INSERT INTO daily_counters (day, name, value) VALUES (?1, ?2, ?3) \
             ON CONFLICT(day, name) DO UPDATE SET value = value + excluded.value",
            params![d.day, d.name, d.delta],
        )?;
    }
    Ok(())
}

impl Local {
    /// Runs `sql` (an upsert of `name`, `value`) for each pair, in the next group commit.
    async fn upsert_counters(&self, sql: &'static str, pairs: Vec<(String, i64)>) -> StoreResult<()> {
        self.db.write(move |tx| upsert_each(tx, sql, &pairs)).await
    }
}

#[async_trait]
impl Counters for Local {
    async fn add(&self, deltas: &[(&str, i64)]) -> StoreResult<()> {
        self.upsert_counters(ADD, deltas.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()).await
    }

    async fn set(&self, name: &str, value: i64) -> StoreResult<()> {
        self.upsert_counters(SET, vec![(name.to_owned(), value)]).await
    }

    async fn get(&self, name: &str) -> StoreResult<Option<i64>> {
        self.db.read(|conn| query_value(conn, "SELECT value FROM counters WHERE name = ?1", params![name])).await
    }

    async fn snapshot(&self) -> StoreResult<BTreeMap<String, i64>> {
        self.db
            .read(|conn| {
                let mut stmt = conn.prepare("SELECT name, value FROM counters").map_err(map_err)?;
                let rows =
                    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).map_err(map_err)?;
                rows.map(|r| r.map_err(map_err)).collect()
            })
            .await
    }

    async fn add_daily(&self, deltas: &[DailyDelta]) -> StoreResult<()> {
        let deltas = deltas.to_vec();
        self.db.write(move |tx| add_daily_counters(tx, &deltas)).await
    }

    async fn daily_sums(&self, from: &str, to: &str) -> StoreResult<BTreeMap<String, i64>> {
        self.db
            .read(|conn| {
                let mut stmt = conn
                    .prepare("SELECT name, SUM(value) FROM daily_counters WHERE day BETWEEN ?1 AND ?2 GROUP BY name")
                    .map_err(map_err)?;
                let rows = stmt
                    .query_map(params![from, to], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                    .map_err(map_err)?;
                rows.map(|r| r.map_err(map_err)).collect()
            })
            .await
    }
}
