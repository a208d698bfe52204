//! The writer's group commit: the writes queued while the previous commit ran go into
//! one transaction, and each is told how it went once that transaction is over.

use rusqlite::Connection;

use super::sql_errors::map_err;
use crate::ports::{StoreError, StoreResult};

/// One queued write: run inside the batch's transaction, then told how the commit went.
pub(super) trait Job: Send {
    /// Runs the write; its error when it failed. A batch may run it twice (see
    /// [`commit_batch`]): only the last run's outcome counts.
    fn run(&mut self, conn: &Connection) -> Result<(), StoreError>;
    /// Called once the batch is committed (or failed), to acknowledge the write.
    fn finish(self: Box<Self>, commit: Result<(), StoreError>);
}

pub(super) type Reply<T> = Box<dyn FnOnce(StoreResult<T>) + Send>;

pub(super) struct Write<T, F> {
    pub(super) work: F,
    pub(super) result: Option<StoreResult<T>>,
    pub(super) reply: Reply<T>,
}

impl<T: Send, F: FnMut(&Connection) -> StoreResult<T> + Send> Job for Write<T, F> {
    fn run(&mut self, conn: &Connection) -> Result<(), StoreError> {
        let work = &mut self.work;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(conn)))
            .unwrap_or_else(|_| Err(StoreError::Corrupt("a database write panicked".into())));
        let outcome = result.as_ref().map(|_| ()).map_err(Clone::clone);
        self.result = Some(result);
        outcome
    }

    fn finish(self: Box<Self>, commit: Result<(), StoreError>) {
        let outcome = match (commit, self.result) {
            (Err(e), _) => Err(e),
            (Ok(()), Some(result)) => result,
            (Ok(()), None) => Err(StoreError::Unavailable("the write did not run".into())),
        };
        (self.reply)(outcome);
    }
}

/// Commits the batch's writes in one transaction; a write that fails is lost alone.
///
/// Writes rarely fail, so a batch first runs them one after the other with nothing
/// between them. Only when one fails is the transaction rolled back and the batch run
/// again with each write in its own savepoint, the failed one's rolled back. (A savepoint
/// per write, always, cost two statements per write and a copy of every page a write
/// touched first: ~4 % of a chat turn's CPU under load, `scripts/chat-throughput --perf`.)
pub(super) fn commit_batch(conn: &Connection, batch: &mut [Box<dyn Job>]) -> Result<(), StoreError> {
    match run_batch(conn, batch, Isolation::Together) {
        Err(BatchFailure::Write) => match run_batch(conn, batch, Isolation::Savepoints) {
            Ok(()) => Ok(()),
            Err(BatchFailure::Write) => Err(StoreError::Unavailable("a write failed outside its savepoint".into())),
            Err(BatchFailure::Batch(e)) => Err(e),
        },
        Ok(()) => Ok(()),
        Err(BatchFailure::Batch(e)) => Err(e),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Isolation {
    /// One transaction, no savepoints: a failing write fails the attempt.
    Together,
    /// Each write in a savepoint: a failing write is rolled back alone.
    Savepoints,
}

enum BatchFailure {
    /// A write failed and the transaction was rolled back: run the batch again isolated.
    Write,
    /// The whole batch failed (with this error for every write).
    Batch(StoreError),
}

fn run_batch(conn: &Connection, batch: &mut [Box<dyn Job>], isolation: Isolation) -> Result<(), BatchFailure> {
    let abandon = |e: StoreError| {
        let _ = run_sql(conn, "ROLLBACK");
        BatchFailure::Batch(e)
    };
    run_sql(conn, "BEGIN IMMEDIATE").map_err(BatchFailure::Batch)?;
    for job in batch.iter_mut() {
        if isolation == Isolation::Together {
            match job.run(conn) {
                Ok(()) => continue,
                // Some errors (a full disk, I/O) make SQLite roll the whole transaction
                // back itself: then every write of the batch fails with this one's error.
                Err(e) if conn.is_autocommit() => return Err(BatchFailure::Batch(e)),
                Err(_) => {
                    run_sql(conn, "ROLLBACK").map_err(BatchFailure::Batch)?;
                    return Err(BatchFailure::Write);
                }
            }
        }
        let ran = run_sql(conn, "SAVEPOINT job").map(|()| job.run(conn));
        let settled = match ran {
            Ok(Ok(())) => run_sql(conn, "RELEASE job"),
            Ok(Err(e)) if conn.is_autocommit() => return Err(BatchFailure::Batch(e)),
            Ok(Err(_)) => run_sql(conn, "ROLLBACK TO job").and_then(|()| run_sql(conn, "RELEASE job")),
            Err(e) => Err(e),
        };
        settled.map_err(abandon)?;
    }
    run_sql(conn, "COMMIT").map_err(abandon)
}

fn run_sql(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql).and_then(|mut stmt| stmt.execute([])).map(|_| ()).map_err(map_err)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use rusqlite::params;

    use super::*;

    /// A write that inserts `name` and then fails when told to; counts its runs and
    /// keeps the outcome it was told.
    fn insert(
        name: &'static str,
        fails: bool,
        runs: &Arc<AtomicUsize>,
        told: &Arc<Mutex<Vec<(&'static str, bool)>>>,
    ) -> Box<dyn Job> {
        let (runs, told) = (Arc::clone(runs), Arc::clone(told));
        let work = move |conn: &Connection| {
            runs.fetch_add(1, Ordering::SeqCst);
            conn.execute("INSERT INTO names (name) VALUES (?1)", params![name]).map_err(map_err)?;
            if fails { Err(StoreError::Rejected(format!("{name} refused half-way"))) } else { Ok(()) }
        };
        let reply: Reply<()> = Box::new(move |outcome| {
            if let Ok(mut told) = told.lock() {
                told.push((name, outcome.is_ok()));
            }
        });
        Box::new(Write { work, result: None, reply })
    }

    fn names(conn: &Connection) -> Vec<String> {
        let mut stmt = conn.prepare("SELECT name FROM names ORDER BY name").unwrap_or_else(|e| panic!("{e}"));
        let rows = stmt.query_map([], |r| r.get(0)).unwrap_or_else(|e| panic!("{e}"));
        rows.collect::<Result<_, _>>().unwrap_or_else(|e| panic!("{e}"))
    }

    fn store() -> Connection {
        let conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        conn.execute_batch("CREATE TABLE names (name TEXT NOT NULL)").unwrap_or_else(|e| panic!("{e}"));
        conn
    }

    fn commit(conn: &Connection, mut batch: Vec<Box<dyn Job>>) {
        let committed = commit_batch(conn, &mut batch);
        assert!(committed.is_ok(), "{committed:?}");
        for job in batch {
            job.finish(committed.clone());
        }
    }

    #[test]
    fn a_batch_without_a_failure_runs_each_write_once_with_no_savepoint() {
        let conn = store();
        let (runs, told) = (Arc::new(AtomicUsize::new(0)), Arc::new(Mutex::new(Vec::new())));
        let batch = ["a", "b", "c"].into_iter().map(|n| insert(n, false, &runs, &told)).collect();
        commit(&conn, batch);
        assert_eq!(runs.load(Ordering::SeqCst), 3, "no write ran twice");
        assert_eq!(names(&conn), ["a", "b", "c"]);
        assert_eq!(*told.lock().unwrap_or_else(|e| panic!("{e}")), [("a", true), ("b", true), ("c", true)]);
    }

    #[test]
    fn a_failing_write_is_rolled_back_alone_and_the_others_are_committed_once() {
        let conn = store();
        let (runs, told) = (Arc::new(AtomicUsize::new(0)), Arc::new(Mutex::new(Vec::new())));
        let batch =
            vec![insert("a", false, &runs, &told), insert("b", true, &runs, &told), insert("c", false, &runs, &told)];
        commit(&conn, batch);
        // a and b ran, the transaction was rolled back, then all three ran in savepoints.
        assert_eq!(runs.load(Ordering::SeqCst), 5);
        assert_eq!(names(&conn), ["a", "c"], "b's insert went with its savepoint; a's first run left nothing twice");
        assert_eq!(*told.lock().unwrap_or_else(|e| panic!("{e}")), [("a", true), ("b", false), ("c", true)]);
    }
}
