//! The SQLite file behind the embedded backend, with one writer per process and group
//! commit.
//!
//! Writes go to a writer thread that owns the process's only write connection. It takes
//! every write queued while it was busy, runs each in its own savepoint inside **one**
//! `BEGIN IMMEDIATE` transaction, commits with **one** fsync (`synchronous = FULL`: an
//! acknowledged write survives power loss) and only then acknowledges them all. A write
//! that fails rolls back its savepoint alone; a commit that fails (disk full, I/O error)
//! fails every write of the batch, so nothing is half-written. Several processes on one
//! data directory (`cargo lambda watch`) each have their own writer; SQLite's lock and
//! busy handler arbitrate between them.
//!
//! Reads run on the caller's thread on a pooled connection (WAL: readers never wait for
//! the writer) with cached prepared statements: no hand-off to another thread for a
//! lookup that takes microseconds.
//!
//! A chat turn's counters and app-log line are part of the turn's own write. Rate-limit
//! hits are written *behind* (see `limiter`): queued without waiting, they ride in the
//! next group commit with the turn they admitted.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::types::FromSql;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Params, TransactionBehavior};

use super::batch::{Job, Reply, Write, commit_batch};
use super::schema;
pub use super::sql_errors::map_err;
use crate::ports::{StoreError, StoreResult};

const MAX_IDLE_CONNECTIONS: usize = 8;
/// How long a connection waits for a lock (another process's transaction, a WAL restart)
/// before giving up (→ 503).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// The first wait for a lock, doubled on every try up to [`LONGEST_LOCK_PAUSE`].
const FIRST_LOCK_PAUSE: Duration = Duration::from_micros(50);
const LONGEST_LOCK_PAUSE: Duration = Duration::from_millis(1);

pub struct Db {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    writer: mpsc::Sender<Box<dyn Job>>,
    /// Set by the checkpointer when the WAL has grown past [`RESTART_ABOVE_FRAMES`].
    wal_restart: Arc<AtomicBool>,
    /// Writes handed to the writer since the store opened (tests check batching with it).
    #[cfg(test)]
    submitted: std::sync::atomic::AtomicU64,
    /// Dropped with the store, which stops the checkpointer thread.
    _checkpointer: mpsc::Sender<()>,
}

/// How often the checkpointer copies committed pages from the WAL into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// WAL frames (pages) past which the writer starts the WAL over from its beginning.
const RESTART_ABOVE_FRAMES: i64 = 4_096;

/// Statements kept prepared per connection (the hot paths use a dozen).
const STATEMENT_CACHE: usize = 64;
/// Writes committed together at most; more wait for the next commit.
const MAX_BATCH: usize = 1_024;

/// The writer's page cache, in pages: room for an ordinary group commit's pages (~40
/// written, plus the b-tree pages above them; a rare batch of hundreds spills some to the
/// WAL early, which is correct, only slower), and no more. A commit costs a walk over
/// every cached page whenever the transaction split a b-tree page:
/// SQLite's `balance_nonroot` swaps page numbers through a temporary one past the 1 GiB
/// mark, which leaves the cache believing it holds pages beyond the database's end, so
/// `pager_end_transaction` scans the whole cache to drop them (`pcache1TruncateUnsafe`,
/// 3 % of all CPU under `scripts/chat-throughput` with 8,192 pages; the writer spent
/// ~3 µs less per turn with 512).
const WRITER_CACHE_PAGES: i64 = 512;

impl Db {
    /// Opens (creating if needed) the database at `path`, brings its schema up to date
    /// and starts the process's writer thread.
    ///
    /// SQLite keeps the C library's `malloc`. Routed through the binary's allocator
    /// (mimalloc: page caches every reader drops and refills on every commit, on whichever
    /// runtime thread it runs), whole runs of the chat workload had a 25–35 ms p99 instead
    /// of 10 ms (`scripts/chat-throughput`, alternated: 3 of 4 runs against 0 of 4; found
    /// by bisecting), for 0.35 fewer `mprotect`s per turn.
    pub fn open(path: &Path) -> StoreResult<Arc<Db>> {
        let (queue, jobs) = mpsc::channel();
        let (checkpointer, stop) = mpsc::channel();
        let db = Arc::new(Db {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            writer: queue,
            wal_restart: Arc::new(AtomicBool::new(false)),
            #[cfg(test)]
            submitted: std::sync::atomic::AtomicU64::new(0),
            _checkpointer: checkpointer,
        });
        let mut conn = db.connect()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
        schema::bring_up_to_date(&tx, path)?;
        tx.commit().map_err(map_err)?;
        // The writer does not copy pages into the database (which would fsync it inside a
        // commit, stalling every turn queued behind it): a checkpointer thread does,
        // without blocking the writer; the writer only starts the WAL over between two
        // batches when the checkpointer asks (see `restart_wal`).
        conn.execute_batch(&format!(
            "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = {WRITER_CACHE_PAGES};",
        ))
        .map_err(map_err)?;
        let checkpoints = db.connect()?;
        let (restart_wanted, restart_asked) = (Arc::clone(&db.wal_restart), Arc::clone(&db.wal_restart));
        std::thread::Builder::new()
            .name("sti-db-writer".into())
            .spawn(move || write_loop(conn, jobs, &restart_wanted))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the database writer: {e}")))?;
        std::thread::Builder::new()
            .name("sti-db-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpoints, stop, &restart_asked))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the database checkpointer: {e}")))?;
        Ok(db)
    }

    fn connect(&self) -> StoreResult<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&self.path, flags).map_err(map_err)?;
        conn.busy_handler(Some(wait_for_lock)).map_err(map_err)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // WAL: readers never block writers. synchronous=FULL: an acknowledged write
        // survives power loss, not only a process crash.
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(map_err)?;
        // Savepoint journals in memory. (No larger caches or mmap for readers: in WAL mode
        // a reader drops its whole cache whenever the database changed, so a big cache
        // only costs more to drop, and a growing mapping costs a remap each time.)
        conn.execute_batch("PRAGMA temp_store = MEMORY;").map_err(map_err)?;
        // Plans never depend on bound values: without this, binding a new value to a
        // parameter the planner looked at (the turn's session + reply look-up has one)
        // re-parses and re-plans the cached statement on every run (~10 % of a turn's CPU).
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(map_err)?;
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

    /// Runs `f` on a pooled read connection, on the caller's thread.
    pub fn read_now<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = self.take()?;
        let result = f(&conn);
        self.give_back(conn);
        result
    }

    /// [`Db::read_now`] for async callers (a WAL read does not wait for writers).
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> StoreResult<T>
    where
        F: FnOnce(&Connection) -> StoreResult<T>,
    {
        self.read_now(f)
    }

    fn submit(&self, job: Box<dyn Job>) -> StoreResult<()> {
        #[cfg(test)]
        self.submitted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.writer.send(job).map_err(|_| StoreError::Unavailable("the database writer stopped".into()))
    }

    /// Writes handed to the writer so far.
    #[cfg(test)]
    pub fn writes_submitted(&self) -> u64 {
        self.submitted.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `f` in the next group commit and returns its result once that commit is on disk.
    /// `f` may run twice, the first run rolled back, when another write of its batch fails
    /// (see `batch::commit_batch`): it only touches the database.
    pub async fn write<T, F>(self: &Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.write_settled(f, |_| {}).await
    }

    /// [`Db::write`], with `settled` run on the writer thread once the commit is over and
    /// before the caller hears of it: what it records about the outcome (the session
    /// cache) follows commit order, whichever task resumes first.
    pub async fn write_settled<T, F, S>(self: &Arc<Self>, f: F, settled: S) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> StoreResult<T> + Send + 'static,
        S: FnOnce(&StoreResult<T>) + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let reply: Reply<T> = Box::new(move |outcome| {
            settled(&outcome);
            let _ = tx.send(outcome);
        });
        self.submit(Box::new(Write { work: f, result: None, reply }))?;
        rx.await.map_err(|_| StoreError::Unavailable("the database writer stopped".into()))?
    }

    /// Queues `f` for the next group commit without waiting for it; `done` runs once that
    /// commit is over, whatever its outcome (a failure is logged).
    pub fn write_behind<F>(&self, f: F, done: impl FnOnce() + Send + 'static) -> StoreResult<()>
    where
        F: FnMut(&Connection) -> StoreResult<()> + Send + 'static,
    {
        let reply: Reply<()> = Box::new(move |outcome| {
            if let Err(e) = &outcome {
                tracing::warn!(error = %e, "a write queued behind was lost");
            }
            done();
        });
        self.submit(Box::new(Write { work: f, result: None, reply }))
    }
}

/// The writer thread: batches whatever is queued, commits it once, acknowledges it all.
fn write_loop(conn: Connection, jobs: mpsc::Receiver<Box<dyn Job>>, restart_wanted: &AtomicBool) {
    while let Ok(first) = jobs.recv() {
        let mut batch = Vec::with_capacity(16);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = commit_batch(&conn, &mut batch);
        for job in batch {
            job.finish(commit.clone());
        }
        if restart_wanted.swap(false, Ordering::AcqRel) {
            restart_wal(&conn);
        }
    }
}

/// Lets the WAL start over. Under a steady stream of commits the checkpointer's passive
/// passes never catch up with the last frame, so SQLite never reuses the file from its
/// start and it grows without bound (2 GB in 8 seconds at 15k turns/s). Between two
/// batches the writer holds no transaction and no commit can land: a passive pass of its
/// own copies the frames the checkpointer has not copied yet, and SQLite's next write
/// transaction then writes from the start of the file again (`journal_size_limit` trims
/// the rest). Unlike a `RESTART` checkpoint it never locks readers out: a reader that met
/// a restart retried with growing sleeps inside SQLite, 33 ms on a runtime thread at
/// worst, stalling every request on it. A reader still on an older snapshot keeps the
/// copy short of the end; the checkpointer asks again until the WAL is small.
fn restart_wal(conn: &Connection) {
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "could not copy the WAL to let it start over; tried again when it grows");
    }
}

/// Copies what the WAL holds into the database every [`CHECKPOINT_EVERY`] (`PASSIVE`: it
/// never waits for the writer or readers), and asks the writer to start the WAL over when
/// it has grown past [`RESTART_ABOVE_FRAMES`], until the store is dropped.
fn checkpoint_loop(conn: Connection, stop: mpsc::Receiver<()>, restart_wanted: &AtomicBool) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1)) {
            Ok(frames) if frames > RESTART_ABOVE_FRAMES => restart_wanted.store(true, Ordering::Release),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; retrying"),
        }
    }
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
}

/// How long the `attempt`-th consecutive wait for a lock (0-based) sleeps, or `None` once
/// the waits so far add up to [`BUSY_TIMEOUT`].
///
/// SQLite's own busy timeout sleeps 1, 2, 5, 10, 15… ms: a read that meets the writer's
/// WAL restart (a few milliseconds) slept 33 ms on a runtime thread, stalling every request
/// on it (the p99.9 of a turn's session read and commit under load). These waits start at
/// 50 µs and never sleep more than a millisecond at a time.
fn lock_pause(attempt: u32) -> Option<Duration> {
    let doubling = (LONGEST_LOCK_PAUSE.as_micros() / FIRST_LOCK_PAUSE.as_micros()).ilog2() + 1;
    let waited = if attempt <= doubling {
        FIRST_LOCK_PAUSE * ((1 << attempt) - 1)
    } else {
        FIRST_LOCK_PAUSE * ((1 << doubling) - 1) + LONGEST_LOCK_PAUSE * (attempt - doubling)
    };
    (waited < BUSY_TIMEOUT).then(|| (FIRST_LOCK_PAUSE * (1 << attempt.min(doubling))).min(LONGEST_LOCK_PAUSE))
}

/// SQLite's busy handler: sleeps [`lock_pause`] and tries again, or gives up (`SQLITE_BUSY`).
fn wait_for_lock(attempt: i32) -> bool {
    match lock_pause(u32::try_from(attempt).unwrap_or(0)) {
        Some(pause) => {
            std::thread::sleep(pause);
            true
        }
        None => false,
    }
}

pub fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("cannot decode stored record: {e}")))
}

/// Runs one statement through the connection's cache of prepared statements; returns
/// how many rows it changed.
pub fn execute(conn: &Connection, sql: &str, params: impl Params) -> StoreResult<usize> {
    conn.prepare_cached(sql).and_then(|mut stmt| stmt.execute(params)).map_err(map_err)
}

/// The first column of the one row `sql` selects, if there is one (through the
/// connection's cache of prepared statements).
pub fn query_value<T: FromSql>(conn: &Connection, sql: &str, params: impl Params) -> StoreResult<Option<T>> {
    conn.prepare_cached(sql).and_then(|mut stmt| stmt.query_row(params, |r| r.get(0)).optional()).map_err(map_err)
}

/// The JSON `body` column of the one row `sql` selects, decoded.
pub fn query_one<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
) -> StoreResult<Option<T>> {
    let body: Option<String> = query_value(conn, sql, params)?;
    body.map(|b| from_json(&b)).transpose()
}

/// The JSON `body` column of every row `sql` selects, decoded, in order.
pub fn query_all<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    let rows = stmt.query_map(params, |r| r.get::<_, String>(0)).map_err(map_err)?;
    rows.map(|r| r.map_err(map_err).and_then(|b| from_json(&b))).collect()
}

impl Db {
    /// Deletes the rows of `table` that expired at `now`; returns how many.
    pub async fn delete_expired(self: &Arc<Self>, table: &'static str, now: i64) -> StoreResult<u64> {
        self.write(move |tx| {
            let n = tx.execute(&format!("DELETE FROM {table} WHERE expires_at <= ?1"), [now]).map_err(map_err)?;
            Ok(n as u64)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_writer_keeps_a_small_page_cache() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = Db::open(&dir.path().join("sti.db")).unwrap_or_else(|e| panic!("{e}"));
        let pages = db.write(|conn| query_value::<i64>(conn, "PRAGMA cache_size", [])).await;
        assert_eq!(pages.map_err(|e| e.to_string()), Ok(Some(WRITER_CACHE_PAGES)));
    }

    #[test]
    fn waits_for_a_lock_start_short_and_add_up_to_the_timeout() {
        let pauses: Vec<Duration> = (0..).map_while(lock_pause).collect();
        assert_eq!(pauses[..6], [50, 100, 200, 400, 800, 1_000].map(Duration::from_micros));
        assert!(pauses.iter().all(|p| *p <= LONGEST_LOCK_PAUSE));
        let waited: Duration = pauses.iter().sum();
        assert!(waited >= BUSY_TIMEOUT && waited <= BUSY_TIMEOUT + LONGEST_LOCK_PAUSE, "{waited:?}");
    }

    /// What routing SQLite's memory through the process allocator did to the tail is in
    /// [`Db::open`]; this keeps it from coming back unmeasured.
    #[test]
    fn sqlite_keeps_the_c_librarys_allocator() {
        let backend = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/backends/local");
        let setting = ["SQLITE_CONFIG_", "MALLOC"].concat();
        let files = std::fs::read_dir(&backend).unwrap_or_else(|e| panic!("{}: {e}", backend.display()));
        let files: Vec<PathBuf> = files.filter_map(Result::ok).map(|entry| entry.path()).collect();
        assert!(files.iter().any(|f| f.ends_with("db.rs")), "read {}", backend.display());
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert!(
                !source.contains(&setting),
                "{} gives SQLite another allocator: measure the chat tail first (see Db::open)",
                file.display()
            );
        }
    }

    #[tokio::test]
    async fn a_write_waits_out_another_connections_transaction() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("sti.db");
        let db = Db::open(&path).unwrap_or_else(|e| panic!("{e}"));
        // Another process's writer holds the lock for a while (a `cargo lambda watch` sibling).
        let (held, release) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let (held_tx, held_rx) = held;
        let (release_tx, release_rx) = release;
        let other = std::thread::spawn(move || -> rusqlite::Result<()> {
            let conn = Connection::open(&path)?;
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let _ = held_tx.send(());
            let _ = release_rx.recv_timeout(Duration::from_secs(5));
            conn.execute_batch("COMMIT")
        });
        held_rx.recv_timeout(Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            let _ = release_tx.send(());
        });
        let written = db.write(|conn| execute(conn, "INSERT INTO counters (name, value) VALUES ('test', 1)", [])).await;
        assert_eq!(written.map_err(|e| e.to_string()), Ok(1));
        assert!(matches!(other.join(), Ok(Ok(()))));
        let _ = releaser.join();
    }
}
