//! The embedded backend: one SQLite file (WAL) plus a folder of blobs under a data
//! directory. Safe for several processes on the same directory, which is how
//! `cargo lambda watch` runs the functions.

mod applog;
pub mod backup;
mod batch;
mod blobs;
mod counters;
mod db;
#[cfg(test)]
mod group_commit_tests;
mod limiter;
mod owners;
mod private_files;
mod queue;
mod schema;
mod session_body;
mod session_cache;
mod sessions;
mod signer;
mod sql_errors;
mod tickets;
mod uploads;

use std::path::Path;
use std::sync::Arc;

pub use blobs::LocalBlobs;
pub use signer::LocalSigner;

use super::StaticSecrets;
use crate::ports::{Backend, SecretValues, StoreError, StoreResult};

/// The SQLite-backed stores; one value implements every table-shaped port.
pub struct Local {
    db: Arc<db::Db>,
    windows: limiter::RateKeys,
    sessions: Arc<session_cache::SessionCache>,
}

pub const DATABASE_FILE: &str = "sti.db";
pub const BLOB_DIR: &str = "blobs";

/// Opens (creating if needed) the embedded backend in `data_dir`.
pub fn open(data_dir: &Path, secrets: SecretValues) -> StoreResult<(Backend, Arc<Local>)> {
    let unavailable = |path: &Path, e: std::io::Error| StoreError::Unavailable(format!("{}: {e}", path.display()));
    private_files::private_dir(data_dir).map_err(|e| unavailable(data_dir, e))?;
    // SQLite gives the WAL and its index the mode of the database file.
    for name in [DATABASE_FILE.to_owned(), format!("{DATABASE_FILE}-wal"), format!("{DATABASE_FILE}-shm")] {
        let path = data_dir.join(&name);
        if name == DATABASE_FILE || path.exists() {
            private_files::private_file(&path).map_err(|e| unavailable(&path, e))?;
        }
    }
    let db = db::Db::open(&data_dir.join(DATABASE_FILE))?;
    let owners = owners::Owners::open(&data_dir.join(owners::OWNERS_FILE))
        .inspect_err(|e| tracing::warn!(error = %e, "cannot count the store's users; sessions are not cached"))
        .ok();
    let sessions = Arc::new(session_cache::SessionCache::new(owners));
    let local = Arc::new(Local { db, windows: limiter::RateKeys::default(), sessions });
    let blobs = Arc::new(LocalBlobs::open(&data_dir.join(BLOB_DIR))?);
    let backend = Backend {
        name: "local",
        sessions: local.clone(),
        tickets: local.clone(),
        uploads: local.clone(),
        blobs,
        queue: local.clone(),
        limiter: local.clone(),
        counters: local.clone(),
        applog: local.clone(),
        secrets: Arc::new(StaticSecrets(secrets)),
        signer: Arc::new(LocalSigner::open(data_dir)?),
    };
    Ok((backend, local))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[tokio::test]
    async fn the_data_dir_and_its_files_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let data = dir.path().join("data");
        let (backend, _) = open(&data, SecretValues::default()).unwrap_or_else(|e| panic!("{e}"));
        backend
            .blobs
            .put("uploads/u1/original", bytes::Bytes::from_static(b"img"), "image/png")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let session = crate::ports::contract::new_session_for_tests(crate::time::now_ms());
        assert_eq!(backend.sessions.create(&session).await.ok(), Some(true));
        let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
        assert_eq!(mode(&data), 0o700, "the data dir");
        let mut files = 0;
        let mut stack = vec![data.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")).flatten() {
                let path = entry.path();
                if path.is_dir() {
                    assert_eq!(mode(&path), 0o700, "{}", path.display());
                    stack.push(path);
                } else {
                    assert_eq!(mode(&path), 0o600, "{}", path.display());
                    files += 1;
                }
            }
        }
        assert!(files >= 4, "the database, its WAL, the signing key and a blob: {files}");
    }

    async fn fresh() -> Backend {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let path = dir.keep();
        match open(&path, SecretValues::default()) {
            Ok((backend, _)) => backend,
            Err(e) => panic!("open: {e}"),
        }
    }

    crate::contract_tests!(fresh());

    #[tokio::test]
    async fn data_survives_reopening() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let now = crate::time::now_ms();
        let session = crate::ports::Session {
            id: crate::ids::SessionId::generate().unwrap_or_else(|e| panic!("{e}")),
            version: 1,
            created_at: now,
            updated_at: now,
            expires_at: now + crate::time::HOUR_MS,
            conversation: crate::chat::Conversation::new(crate::chat::Locale::Es),
            transcript_expires_at: 0,
            last_visitor_line: None,
            last_options: Vec::new(),
            feedback: Vec::new(),
            abandoned: None,
            chat_tat_us: None,
        };
        {
            let (backend, _) = open(dir.path(), SecretValues::default()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(backend.sessions.create(&session).await.ok(), Some(true));
            let put = backend.blobs.put("uploads/a/b", bytes::Bytes::from_static(b"img"), "image/png").await;
            assert!(put.is_ok());
        }
        let (backend, _) = open(dir.path(), SecretValues::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(backend.sessions.get(&session.id, now).await.ok().flatten(), Some(session));
        assert_eq!(backend.blobs.get("uploads/a/b").await.ok().flatten(), Some(bytes::Bytes::from_static(b"img")));
    }

    /// What another process on the same data directory does (`cargo lambda watch`), done
    /// by a second open in this one: the first never answers from what it kept.
    #[tokio::test]
    async fn a_store_shared_with_another_user_never_answers_from_its_session_cache() {
        use crate::ports::{CommitOutcome, TurnRecord};
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let now = crate::time::now_ms();
        let open_store = || open(dir.path(), SecretValues::default()).unwrap_or_else(|e| panic!("{e}")).0;
        let turn = |session: &crate::ports::Session, message_id: &str| TurnRecord {
            session: crate::ports::Session { version: session.version + 1, ..session.clone() }.into(),
            expected_version: session.version,
            entries: Vec::new(),
            rewritten: None,
            message_id: Some(message_id.into()),
            response_json: format!("{{\"answer\":\"{message_id}\"}}"),
        };
        let session = crate::ports::contract::new_session_for_tests(now);
        let session_id = session.id.clone();
        let read = |store: &Backend, message_id: Option<&'static str>| {
            let sessions = store.sessions.clone();
            let id = session_id.clone();
            async move { sessions.get_for_turn(&id, message_id, now).await.unwrap_or_else(|e| panic!("{e}")) }
        };
        let ours = open_store();
        assert_eq!(ours.sessions.create(&session).await.ok(), Some(true));
        assert_eq!(read(&ours, None).await.0.map(|s| s.version), Some(1));
        let committed = ours.sessions.commit_turn(&turn(&session, "m1")).await;
        assert_eq!(committed.ok(), Some(CommitOutcome::Committed));
        // Alone: the repeat of an answered message still gets the stored answer.
        assert_eq!(read(&ours, Some("m1")).await.1.as_deref(), Some("{\"answer\":\"m1\"}"));

        // Someone else opens the store, answers a turn and leaves before we look again.
        let theirs = open_store();
        let v2 = read(&theirs, None).await.0.unwrap_or_else(|| panic!("the session"));
        assert_eq!(theirs.sessions.commit_turn(&turn(&v2, "m2")).await.ok(), Some(CommitOutcome::Committed));
        drop(theirs);
        let (seen, reply) = read(&ours, Some("m2")).await;
        assert_eq!(seen.map(|s| s.version), Some(3), "not the version kept before they came");
        assert_eq!(reply.as_deref(), Some("{\"answer\":\"m2\"}"));

        // While they are here, what they erase is gone for us at once.
        let theirs = open_store();
        assert_eq!(theirs.sessions.delete(&session_id).await.ok(), Some(true));
        assert_eq!(read(&ours, None).await, (None, None));
        drop(theirs);
        assert_eq!(read(&ours, None).await, (None, None));
    }

    #[tokio::test]
    async fn a_stale_lease_cannot_ack_a_redelivered_job() {
        let backend = fresh().await;
        let job = crate::ports::Job { key: "uploads/a/b".into() };
        assert!(backend.queue.enqueue(&job).await.is_ok());
        let now = crate::time::now_ms();
        let first = backend.queue.receive(1, 1_000, now).await.unwrap_or_default();
        let second = backend.queue.receive(1, 1_000, now + 2_000).await.unwrap_or_default();
        assert_eq!((first.len(), second.len()), (1, 1));
        assert!(backend.queue.ack(&first[0].receipt).await.is_ok());
        let third = backend.queue.receive(1, 1_000, now + 4_000).await.unwrap_or_default();
        assert_eq!(third.len(), 1, "the stale ack must not have removed the job");
        assert_eq!(third[0].attempt, 3);
    }

    #[tokio::test]
    async fn blob_keys_cannot_escape_the_folder() {
        let backend = fresh().await;
        for key in ["../x", "uploads/../../etc/passwd", "/abs", "a//b", "a b", ""] {
            assert!(backend.blobs.put(key, bytes::Bytes::new(), "x").await.is_err(), "{key}");
        }
        assert!(backend.blobs.delete_prefix("").await.is_err());
    }
}
