//! The SQLite file behind the embedded backend: a small pool of reader connections whose
//! work runs on the blocking thread pool, WAL journaling so readers never wait for
//! writers, and `BEGIN IMMEDIATE` write transactions so several processes on one data dir
//! queue up for the write lock instead of failing half-way.
//!
//! SQLite admits one writer at a time. Inside a process, writers queue on a mutex around
//! a dedicated writer connection instead of spinning in SQLite's busy handler (which
//! sleeps in steps of up to 100 ms); the busy handler only arbitrates between processes.
//! Writes of records people rely on are `synchronous = FULL` (durable across power
//! loss); counters, rate-limit windows and app-log lines use a second writer with
//! `synchronous = NORMAL` (durable across a process crash), sparing an fsync per request.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Params, Transaction, TransactionBehavior};

use crate::ports::{StoreError, StoreResult};

const SCHEMA_VERSION: i64 = 1;
const MAX_IDLE_CONNECTIONS: usize = 8;
/// How long a writer waits for another process's transaction before giving up (→ 503).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions(expires_at);
CREATE TABLE IF NOT EXISTS transcript (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS replies (
    session_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (session_id, message_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    case_no INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (session_id, case_no)
);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    status TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_by_session ON uploads(session_id);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    visible_at INTEGER NOT NULL,
    lease TEXT
);
CREATE INDEX IF NOT EXISTS jobs_visible ON jobs(visible_at);
CREATE TABLE IF NOT EXISTS rate_windows (
    key TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS applog (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS applog_at ON applog(at);
";

pub struct Db {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// The write gate: (durable writer, relaxed writer), opened on first use.
    writers: Mutex<(Option<Connection>, Option<Connection>)>,
}

/// How hard a write transaction insists on reaching the disk before it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync at every commit: sessions, transcripts, tickets, uploads, jobs.
    Full,
    /// Survives a process crash, not a power cut: counters, rate windows, app log.
    Relaxed,
}

impl Db {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> StoreResult<Arc<Db>> {
        let db =
            Arc::new(Db { path: path.to_owned(), idle: Mutex::new(Vec::new()), writers: Mutex::new((None, None)) });
        let mut conn = db.connect()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(map_err)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Corrupt(format!(
                "{} has schema version {version}, newer than this build understands ({SCHEMA_VERSION})",
                path.display()
            )));
        }
        tx.execute_batch(SCHEMA).map_err(map_err)?;
        tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}")).map_err(map_err)?;
        tx.commit().map_err(map_err)?;
        db.give_back(conn);
        Ok(db)
    }

    fn connect(&self) -> StoreResult<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(map_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(map_err)?;
        // WAL: readers never block writers. synchronous=FULL: an acknowledged write
        // survives power loss, not only a process crash.
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(map_err)?;
        Ok(conn)
    }

    fn take(&self) -> StoreResult<Connection> {
        let pooled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match pooled {
            Some(conn) => Ok(conn),
            None => self.connect(),
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE_CONNECTIONS
        {
            idle.push(conn);
        }
    }

    /// Runs `f` on a pooled connection on the blocking thread pool.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let conn = db.take()?;
            let result = f(&conn);
            db.give_back(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("database task failed: {e}")))?
    }

    /// Runs `f` inside a durable `BEGIN IMMEDIATE` transaction, committed if `f` succeeds.
    pub async fn write<T, F>(self: &Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        self.write_with(Durability::Full, f).await
    }

    /// Like [`Db::write`], for data whose last moments may be lost to a power cut.
    pub async fn write_relaxed<T, F>(self: &Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        self.write_with(Durability::Relaxed, f).await
    }

    async fn write_with<T, F>(self: &Arc<Self>, durability: Durability, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut gate = db.writers.lock().map_err(|_| StoreError::Unavailable("database writer poisoned".into()))?;
            let slot = match durability {
                Durability::Full => &mut gate.0,
                Durability::Relaxed => &mut gate.1,
            };
            let conn = match slot {
                Some(conn) => conn,
                None => {
                    let conn = db.connect()?;
                    if durability == Durability::Relaxed {
                        conn.execute_batch("PRAGMA synchronous = NORMAL;").map_err(map_err)?;
                    }
                    slot.insert(conn)
                }
            };
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let value = f(&tx)?;
            tx.commit().map_err(map_err)?;
            Ok(value)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("database task failed: {e}")))?
    }
}

/// Lock contention and I/O trouble are worth retrying (503); anything else means the
/// data or the schema is not what we wrote.
pub fn map_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::CannotOpen
            | ErrorCode::ReadOnly
            | ErrorCode::OutOfMemory,
        ) => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Corrupt(e.to_string()),
    }
}

pub fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("cannot decode stored record: {e}")))
}

/// The JSON `body` column of the one row `sql` selects, decoded.
pub fn query_one<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
) -> StoreResult<Option<T>> {
    let body: Option<String> = conn.query_row(sql, params, |r| r.get(0)).optional().map_err(map_err)?;
    body.map(|b| from_json(&b)).transpose()
}

/// The JSON `body` column of every row `sql` selects, decoded, in order.
pub fn query_all<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare(sql).map_err(map_err)?;
    let rows = stmt.query_map(params, |r| r.get::<_, String>(0)).map_err(map_err)?;
    rows.map(|r| r.map_err(map_err).and_then(|b| from_json(&b))).collect()
}

impl Db {
    /// Deletes the rows of `table` that expired at `now`; returns how many.
    pub async fn delete_expired(self: &Arc<Self>, table: &'static str, now: i64) -> StoreResult<u64> {
        self.write_relaxed(move |tx| {
            let n = tx.execute(&format!("DELETE FROM {table} WHERE expires_at <= ?1"), [now]).map_err(map_err)?;
            Ok(n as u64)
        })
        .await
    }
}
