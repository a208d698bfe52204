//! The embedded store's tables, and the migrations that bring an older file up to date.

use std::path::Path;

use rusqlite::Connection;

use super::sql_errors::map_err;
use crate::ports::{StoreError, StoreResult};

/// Bumped with every change to [`SCHEMA`]; a file newer than this build is refused.
pub const SCHEMA_VERSION: i64 = 10;

/// The current schema; every statement is idempotent.
///
/// A committed turn is **one** `turns` row: its transcript entries (a JSON array) and,
/// when the client sent a `messageId`, the stored response, stored in arrival order
/// (rowid) with one unique per-session index for the replay look-up. A group commit of
/// turns from many sessions then appends to the last page of one table and one index
/// instead of rewriting a page per session (measured with 64 sessions and 16 turns per
/// commit: 7.1 pages written per turn with clustered transcript and reply tables, 4.2
/// with two arrival-ordered tables, see the closing notes of issue 14 for one table).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    waiting_since INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions(expires_at);
CREATE INDEX IF NOT EXISTS sessions_waiting ON sessions(waiting_since) WHERE waiting_since IS NOT NULL;
CREATE TABLE IF NOT EXISTS daily_counters (
    day TEXT NOT NULL,
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (day, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS resume_tokens (
    hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS resume_tokens_by_session ON resume_tokens(session_id);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    message_id TEXT,
    entries TEXT NOT NULL,
    response TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS turns_by_message ON turns(session_id, message_id);
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    case_no INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    notify_at INTEGER,
    UNIQUE (session_id, case_no)
);
CREATE INDEX IF NOT EXISTS tickets_to_notify ON tickets(notify_at) WHERE notify_at IS NOT NULL;
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
CREATE TABLE IF NOT EXISTS rate_limits (
    key TEXT PRIMARY KEY,
    -- The key's theoretical arrival time in microseconds (ports::Gcra): once it has
    -- passed, the key holds nothing back and the row may go.
    tat_us INTEGER NOT NULL
) WITHOUT ROWID;
-- Each process's latest committed write of rate-limit hits (backends::local::limiter).
CREATE TABLE IF NOT EXISTS rate_writers (
    writer INTEGER PRIMARY KEY,
    write INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
-- In arrival order, read newest first by rowid: no index of its own (see V9_TO_V10).
CREATE TABLE IF NOT EXISTS applog (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
";

/// Version 1 kept `transcript` and `replies` clustered by session (`WITHOUT ROWID`);
/// version 2 stores them in arrival order. Rows keep their order within each session.
const V1_TO_V2: &str = "
CREATE TABLE transcript_v2 (id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL);
INSERT INTO transcript_v2 (session_id, seq, body) SELECT session_id, seq, body FROM transcript ORDER BY session_id, seq;
DROP TABLE transcript;
ALTER TABLE transcript_v2 RENAME TO transcript;
CREATE TABLE replies_v2 (id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, message_id TEXT NOT NULL, response TEXT NOT NULL);
INSERT INTO replies_v2 (session_id, message_id, response) SELECT session_id, message_id, response FROM replies;
DROP TABLE replies;
ALTER TABLE replies_v2 RENAME TO replies;
";

/// Version 10 keeps the application log in arrival order only: neither an index on `at` nor
/// AUTOINCREMENT, whose index page and `sqlite_sequence` row every group commit of turns
/// rewrote (2.6 of ~36 WAL frames a commit). Rowids stay in arrival order (a new row takes
/// the largest plus one); nothing refers to a log line by its id, so one a purged line had
/// may come again.
const V9_TO_V10: &str = "
CREATE TABLE applog_v10 (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, expires_at INTEGER NOT NULL, body TEXT NOT NULL);
INSERT INTO applog_v10 (id, at, expires_at, body) SELECT id, at, expires_at, body FROM applog ORDER BY id;
DROP TABLE applog;
ALTER TABLE applog_v10 RENAME TO applog;
";

/// Version 9 keeps one number per rate-limited key instead of two windows' counts; the
/// old windows are dropped (for at most a minute, keys start afresh).
const V8_TO_V9: &str = "DROP TABLE IF EXISTS rate_windows;";

/// Version 8 gives sessions a column for since when their case has waited on the visitor (the
/// daily counters are a new table).
const V7_TO_V8: &str = "ALTER TABLE sessions ADD COLUMN waiting_since INTEGER;";

/// Version 7 gives tickets an outbox column: when their notification is due.
const V6_TO_V7: &str = "ALTER TABLE tickets ADD COLUMN notify_at INTEGER;";

/// Version 6 adds resume tokens (a widget that keeps a conversation across browser
/// restarts holds one instead of the session id).
///
/// Version 5 names the knowledge base's steps in session bodies instead of copying them
/// (`session_body`); version-4 rows are still read, but a version-4 build must not open
/// the file any more.
///
/// Version 4 stores session bodies compressed (`session_body`); a version-3 row's plain
/// JSON is still read, so no row is rewritten, but a version-3 build must not open the
/// file any more.
///
/// Version 2 kept transcript lines and stored replies in two tables; version 3 keeps one
/// row per turn. Each old line becomes a row of one entry (in transcript order, so rowid
/// order within a session stays transcript order) and each old reply a row without
/// entries: nothing is lost, and reads see exactly what they saw before.
const V2_TO_V3: &str = "
CREATE TABLE turns (id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, message_id TEXT, entries TEXT NOT NULL, response TEXT);
INSERT INTO turns (session_id, message_id, entries, response)
    SELECT session_id, NULL, '[' || body || ']', NULL FROM transcript ORDER BY session_id, seq;
INSERT INTO turns (session_id, message_id, entries, response)
    SELECT session_id, message_id, '[]', response FROM replies ORDER BY id;
DROP TABLE transcript;
DROP TABLE replies;
";

/// Creates or migrates the schema inside the caller's (immediate) transaction, so that
/// processes opening the same file at once see it either before or after, never half-way.
pub fn bring_up_to_date(tx: &Connection, path: &Path) -> StoreResult<()> {
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(map_err)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Corrupt(format!(
            "{} has schema version {version}, newer than this build understands ({SCHEMA_VERSION})",
            path.display()
        )));
    }
    if version == 1 {
        tx.execute_batch(V1_TO_V2).map_err(map_err)?;
    }
    if (1..=2).contains(&version) {
        tx.execute_batch(V2_TO_V3).map_err(map_err)?;
    }
    let column = |table: &str, name: &str| -> StoreResult<i64> {
        let sql = format!("SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name LIKE '{name}'");
        tx.query_row(&sql, [], |r| r.get(0)).map_err(map_err)
    };
    if column("tickets", "%")? > 0 && column("tickets", "notify_at")? == 0 {
        tx.execute_batch(V6_TO_V7).map_err(map_err)?;
    }
    if column("sessions", "%")? > 0 && column("sessions", "waiting_since")? == 0 {
        tx.execute_batch(V7_TO_V8).map_err(map_err)?;
    }
    tx.execute_batch(V8_TO_V9).map_err(map_err)?;
    if version < 10 && column("applog", "%")? > 0 {
        tx.execute_batch(V9_TO_V10).map_err(map_err)?;
    }
    tx.execute_batch(SCHEMA).map_err(map_err)?;
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}")).map_err(map_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = match conn.prepare(sql) {
            Ok(s) => s,
            Err(e) => panic!("{sql}: {e}"),
        };
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
        match rows {
            Ok(rows) => rows,
            Err(e) => panic!("{sql}: {e}"),
        }
    }

    fn open(sql: &str) -> Connection {
        let conn = match Connection::open_in_memory() {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        if let Err(e) = conn.execute_batch(sql) {
            panic!("{e}");
        }
        conn
    }

    /// The version-2 tables as that build created them.
    const V2_TABLES: &str = "
CREATE TABLE transcript (id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL);
CREATE UNIQUE INDEX transcript_by_session ON transcript(session_id, seq);
CREATE TABLE replies (id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, message_id TEXT NOT NULL, response TEXT NOT NULL);
CREATE UNIQUE INDEX replies_by_message ON replies(session_id, message_id);
PRAGMA user_version = 2;
";

    /// Transcript lines out of arrival order, and a reply per session.
    const OLD_ROWS: &str = r#"
INSERT INTO transcript (session_id, seq, body) VALUES ('web-b', 3, '{"seq":3}'), ('web-a', 5, '{"seq":5}'), ('web-a', 4, '{"seq":4}'), ('web-b', 2, '{"seq":2}');
INSERT INTO replies (session_id, message_id, response) VALUES ('web-a', 'm1', '{"reply":1}'), ('web-b', 'm1', '{"reply":2}');
"#;

    /// A session's transcript as the embedded store reads it: its turns in rowid order,
    /// each turn's entries in order.
    fn transcript_of(conn: &Connection, session: &str) -> Vec<String> {
        strings(
            conn,
            &format!(
                "SELECT e.value FROM turns t, json_each(t.entries) e WHERE t.session_id = '{session}' ORDER BY t.id, e.key"
            ),
        )
    }

    fn migrated_from(tables: &str) -> Connection {
        let conn = open(tables);
        if let Err(e) = conn.execute_batch(OLD_ROWS) {
            panic!("{e}");
        }
        if let Err(e) = bring_up_to_date(&conn, Path::new("test.db")) {
            panic!("{e}");
        }
        conn
    }

    /// A file made by `sql` (an older version's tables), brought up to date.
    fn brought_up(sql: &str) -> Connection {
        let conn = open(sql);
        if let Err(e) = bring_up_to_date(&conn, Path::new("old.db")) {
            panic!("{e}");
        }
        conn
    }

    fn assert_migrated(conn: &Connection) {
        assert_eq!(transcript_of(conn, "web-a"), [r#"{"seq":4}"#, r#"{"seq":5}"#]);
        assert_eq!(transcript_of(conn, "web-b"), [r#"{"seq":2}"#, r#"{"seq":3}"#]);
        assert_eq!(
            strings(conn, "SELECT response FROM turns WHERE session_id = 'web-b' AND message_id = 'm1'"),
            [r#"{"reply":2}"#]
        );
        let tables = strings(conn, "SELECT name FROM sqlite_master WHERE name IN ('transcript', 'replies', 'turns')");
        assert_eq!(tables, ["turns"]);
        let indexes = strings(conn, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'turns'");
        assert_eq!(indexes, ["turns_by_message"]);
        assert_eq!(
            strings(conn, "SELECT CAST(user_version AS TEXT) FROM pragma_user_version"),
            [SCHEMA_VERSION.to_string()]
        );
        // A messageId is still answered once per session.
        let again = "INSERT INTO turns (session_id, message_id, entries, response) VALUES ('web-a', 'm1', '[]', 'x')";
        assert!(conn.execute_batch(again).is_err());
    }

    #[test]
    fn a_version_1_file_keeps_every_transcript_line_and_reply_in_order() {
        let v1 = V2_TABLES
            .replace("id INTEGER PRIMARY KEY, ", "")
            .replace("body TEXT NOT NULL);", "body TEXT NOT NULL, PRIMARY KEY (session_id, seq)) WITHOUT ROWID;")
            .replace(
                "response TEXT NOT NULL);",
                "response TEXT NOT NULL, PRIMARY KEY (session_id, message_id)) WITHOUT ROWID;",
            )
            .replace("user_version = 2", "user_version = 1");
        assert!(v1.contains("WITHOUT ROWID") && !v1.contains("id INTEGER"), "{v1}");
        assert_migrated(&migrated_from(&v1));
    }

    #[test]
    fn a_version_2_file_keeps_every_transcript_line_and_reply_in_order() {
        assert_migrated(&migrated_from(V2_TABLES));
    }

    #[test]
    fn a_version_6_file_keeps_its_tickets_and_gains_the_outbox_column() {
        let conn = brought_up(
            "CREATE TABLE tickets (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, case_no INTEGER NOT NULL, \
             expires_at INTEGER NOT NULL, body TEXT NOT NULL, UNIQUE (session_id, case_no));
             INSERT INTO tickets VALUES ('STI-1', 'web-a', 1, 9, '{}');
             PRAGMA user_version = 6;",
        );
        assert_eq!(strings(&conn, "SELECT id || ':' || IFNULL(notify_at, 'none') FROM tickets"), ["STI-1:none"]);
        assert_eq!(
            strings(&conn, "SELECT name FROM sqlite_master WHERE name = 'tickets_to_notify'"),
            ["tickets_to_notify"]
        );
    }

    #[test]
    fn a_version_7_file_keeps_its_sessions_and_gains_the_waiting_column_and_daily_counters() {
        let conn = brought_up(
            "CREATE TABLE sessions (id TEXT PRIMARY KEY, version INTEGER NOT NULL, expires_at INTEGER NOT NULL, body TEXT NOT NULL);
             INSERT INTO sessions VALUES ('web-a', 3, 9, '{}');
             PRAGMA user_version = 7;",
        );
        assert_eq!(strings(&conn, "SELECT id || ':' || IFNULL(waiting_since, 'none') FROM sessions"), ["web-a:none"]);
        assert_eq!(
            strings(
                &conn,
                "SELECT name FROM sqlite_master WHERE name IN ('sessions_waiting', 'daily_counters') ORDER BY name"
            ),
            ["daily_counters", "sessions_waiting"]
        );
    }

    #[test]
    fn a_version_8_file_trades_its_rate_windows_for_one_number_per_key() {
        let conn = brought_up(
            "CREATE TABLE rate_windows (key TEXT NOT NULL, window_start INTEGER NOT NULL, count INTEGER NOT NULL,
                 expires_at INTEGER NOT NULL, PRIMARY KEY (key, window_start)) WITHOUT ROWID;
             INSERT INTO rate_windows VALUES ('upload:ip:1', 0, 3, 120000);
             PRAGMA user_version = 8;",
        );
        assert_eq!(
            strings(&conn, "SELECT name FROM sqlite_master WHERE name LIKE 'rate_%' ORDER BY name"),
            ["rate_limits", "rate_writers"]
        );
    }

    #[test]
    fn a_version_9_file_keeps_its_log_in_order_without_the_index_or_the_sequence() {
        let conn = brought_up(
            "CREATE TABLE applog (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, expires_at INTEGER NOT NULL, body TEXT NOT NULL);
             CREATE INDEX applog_at ON applog(at);
             INSERT INTO applog (at, expires_at, body) VALUES (20, 99, 'b'), (10, 99, 'a'), (30, 99, 'c');
             DELETE FROM applog WHERE body = 'c';
             PRAGMA user_version = 9;",
        );
        assert_eq!(
            strings(&conn, "SELECT id || ':' || at || ':' || body FROM applog ORDER BY id"),
            ["1:20:b", "2:10:a"]
        );
        assert!(
            strings(&conn, "SELECT name FROM sqlite_master WHERE tbl_name = 'applog' AND type = 'index'").is_empty()
        );
        assert!(strings(&conn, "SELECT name FROM sqlite_sequence WHERE name = 'applog'").is_empty());
        let sql = strings(&conn, "SELECT sql FROM sqlite_master WHERE name = 'applog'");
        assert!(sql.len() == 1 && !sql[0].contains("AUTOINCREMENT"), "{sql:?}");
        // New lines follow the kept ones.
        let next = "INSERT INTO applog (at, expires_at, body) VALUES (40, 99, 'd')";
        assert!(conn.execute_batch(next).is_ok());
        assert_eq!(strings(&conn, "SELECT body FROM applog ORDER BY id"), ["b", "a", "d"]);
    }

    #[test]
    fn a_current_file_is_left_as_it_is_and_a_newer_one_refused() {
        let conn = open("");
        for _ in 0..2 {
            if let Err(e) = bring_up_to_date(&conn, Path::new("test.db")) {
                panic!("{e}");
            }
        }
        let turn = "INSERT INTO turns (session_id, message_id, entries, response) VALUES ('web-a', NULL, '[]', NULL)";
        assert!(conn.execute_batch(turn).is_ok());
        let newer = open(&format!("PRAGMA user_version = {};", SCHEMA_VERSION + 1));
        assert!(matches!(bring_up_to_date(&newer, Path::new("new.db")), Err(StoreError::Corrupt(_))));
    }
}
