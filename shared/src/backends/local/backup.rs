//! Backups of the embedded store as one file, taken while it serves, and restores of
//! them into a fresh data dir.
//!
//! The file is itself an SQLite database: the store as of one instant (`VACUUM INTO`,
//! which reads a consistent snapshot through WAL without stopping writers) plus a table of
//! the blobs that snapshot's uploads refer to. Blobs written after the snapshot belong to
//! records the backup does not have, so nothing in it points at a missing file except a
//! blob deleted between the snapshot and its copy (an erasure racing the backup), which
//! is reported, not hidden.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, params};

use super::{BLOB_DIR, DATABASE_FILE};
use crate::ports::{StoreError, StoreResult, Upload, UploadStatus, is_valid_blob_key};

const BLOB_TABLE: &str = "sti_backup_blobs";
const META_TABLE: &str = "sti_backup_meta";

/// What a backup or restore handled.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub sessions: u64,
    pub tickets: u64,
    pub uploads: u64,
    pub blobs: u64,
    pub blob_bytes: u64,
    /// Blob keys the snapshot refers to that were gone when copied.
    pub missing_blobs: Vec<String>,
}

fn err(what: &str, path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("{what} {}: {e}", path.display()))
}

fn sql(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("sqlite: {e}"))
}

fn count(conn: &Connection, table: &str) -> StoreResult<u64> {
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get::<_, i64>(0))
        .map(|n| u64::try_from(n).unwrap_or(0))
        .map_err(sql)
}

/// Every blob key the uploads of `conn` refer to.
fn referenced_blobs(conn: &Connection) -> StoreResult<Vec<String>> {
    let mut statement = conn.prepare("SELECT body FROM uploads").map_err(sql)?;
    let bodies = statement.query_map([], |r| r.get::<_, String>(0)).map_err(sql)?;
    let mut keys = Vec::new();
    for body in bodies {
        let upload: Upload = serde_json::from_str(&body.map_err(sql)?)
            .map_err(|e| StoreError::Corrupt(format!("an upload record in the backup: {e}")))?;
        // The original is only kept until the worker is done with it (it may carry EXIF
        // and GPS data); the copies are what a finished upload has.
        let waiting = matches!(upload.status, UploadStatus::Queued | UploadStatus::AwaitingUpload);
        let original = waiting.then_some(upload.key);
        keys.extend([original, upload.sanitized_key, upload.thumbnail_key].into_iter().flatten());
    }
    Ok(keys)
}

fn summary_of(conn: &Connection) -> StoreResult<BackupSummary> {
    Ok(BackupSummary {
        sessions: count(conn, "sessions")?,
        tickets: count(conn, "tickets")?,
        uploads: count(conn, "uploads")?,
        ..BackupSummary::default()
    })
}

/// Writes a backup of the store in `data_dir` to `out`, which must not exist yet.
pub fn backup(data_dir: &Path, out: &Path) -> StoreResult<BackupSummary> {
    let database = data_dir.join(DATABASE_FILE);
    if !database.exists() {
        return Err(err("no store at", &database, "missing"));
    }
    if out.exists() {
        return Err(err("refusing to overwrite", out, "it exists"));
    }
    let source = Connection::open_with_flags(&database, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql)?;
    source.busy_timeout(std::time::Duration::from_secs(10)).map_err(sql)?;
    let target = out.to_str().ok_or_else(|| err("not a UTF-8 path", out, "rename it"))?;
    source.execute("VACUUM INTO ?1", params![target]).map_err(sql)?;
    drop(source);
    // A backup holds every visitor's data: its owner's alone, like the store.
    super::private_files::private_file(out).map_err(|e| err("cannot protect", out, e))?;

    let mut snapshot = Connection::open(out).map_err(sql)?;
    let mut summary = summary_of(&snapshot)?;
    let keys = referenced_blobs(&snapshot)?;
    let tx = snapshot.transaction().map_err(sql)?;
    tx.execute_batch(&format!(
        "CREATE TABLE {BLOB_TABLE} (key TEXT PRIMARY KEY, bytes BLOB NOT NULL);
         CREATE TABLE {META_TABLE} (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
    ))
    .map_err(sql)?;
    for key in keys {
        if !is_valid_blob_key(&key) {
            return Err(StoreError::Corrupt(format!("invalid blob key {key:?} in the store")));
        }
        match std::fs::read(data_dir.join(BLOB_DIR).join(&key)) {
            Ok(bytes) => {
                summary.blobs += 1;
                summary.blob_bytes += bytes.len() as u64;
                tx.execute(&format!("INSERT OR REPLACE INTO {BLOB_TABLE} VALUES (?1, ?2)"), params![key, bytes])
                    .map_err(sql)?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => summary.missing_blobs.push(key),
            Err(e) => return Err(err("cannot read blob", &data_dir.join(BLOB_DIR).join(&key), e)),
        }
    }
    let taken_at = crate::time::rfc3339(crate::time::now_ms());
    tx.execute(
        &format!("INSERT INTO {META_TABLE} VALUES ('taken_at', ?1), ('format', 'sti-backup-1')"),
        params![taken_at],
    )
    .map_err(sql)?;
    tx.commit().map_err(sql)?;
    Ok(summary)
}

/// Restores the backup `from` into `data_dir`, which must hold no store yet; the blobs go
/// to their files first, the database last, so a failed restore leaves no usable half.
pub fn restore(from: &Path, data_dir: &Path) -> StoreResult<BackupSummary> {
    let database = data_dir.join(DATABASE_FILE);
    if database.exists() {
        return Err(err("refusing to restore over the store at", &database, "it exists: use an empty data dir"));
    }
    super::private_files::private_dir(data_dir).map_err(|e| err("cannot create", data_dir, e))?;
    let staging = data_dir.join(format!("{DATABASE_FILE}.restoring"));
    std::fs::copy(from, &staging).map_err(|e| err("cannot copy", from, e))?;
    super::private_files::private_file(&staging).map_err(|e| err("cannot protect", &staging, e))?;
    let result = (|| {
        let conn = Connection::open(&staging).map_err(sql)?;
        let format: String = conn
            .query_row(&format!("SELECT value FROM {META_TABLE} WHERE name = 'format'"), [], |r| r.get(0))
            .map_err(|e| err("not an sti backup:", from, e))?;
        if format != "sti-backup-1" {
            return Err(err("unknown backup format in", from, format));
        }
        let mut summary = summary_of(&conn)?;
        let mut statement = conn.prepare(&format!("SELECT key, bytes FROM {BLOB_TABLE}")).map_err(sql)?;
        let blobs = statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))).map_err(sql)?;
        for blob in blobs {
            let (key, bytes) = blob.map_err(sql)?;
            if !is_valid_blob_key(&key) {
                return Err(StoreError::Corrupt(format!("invalid blob key {key:?} in the backup")));
            }
            let path = data_dir.join(BLOB_DIR).join(&key);
            // Each directory on the way is private, as the store makes them.
            let mut dir = data_dir.join(BLOB_DIR);
            super::private_files::private_dir(&dir).map_err(|e| err("cannot create", &dir, e))?;
            for part in Path::new(&key).parent().into_iter().flat_map(Path::components) {
                dir.push(part);
                super::private_files::private_dir(&dir).map_err(|e| err("cannot create", &dir, e))?;
            }
            super::private_files::create_private_file(&path, false)
                .and_then(|mut file| {
                    std::io::Write::write_all(&mut file, &bytes)?;
                    file.sync_all()
                })
                .map_err(|e| err("cannot write", &path, e))?;
            summary.blobs += 1;
            summary.blob_bytes += bytes.len() as u64;
        }
        drop(statement);
        conn.execute_batch(&format!("DROP TABLE {BLOB_TABLE}; DROP TABLE {META_TABLE}; VACUUM;")).map_err(sql)?;
        Ok(summary)
    })();
    match result {
        Ok(summary) => {
            std::fs::rename(&staging, &database).map_err(|e| err("cannot move into place", &database, e))?;
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            Err(e)
        }
    }
}
