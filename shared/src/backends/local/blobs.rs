//! Blobs as files under `<data dir>/blobs/<key>`, written to a temporary name, synced
//! and renamed into place, so a crash never leaves half a file under a real key.

use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;

use crate::ports::{BlobStore, StoreError, StoreResult, is_valid_blob_key};

pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    pub fn open(root: &Path) -> StoreResult<LocalBlobs> {
        super::private_files::private_dir(root).map_err(|e| io_err(root, e))?;
        Ok(LocalBlobs { root: root.to_owned() })
    }

    fn path_of(&self, key: &str) -> StoreResult<PathBuf> {
        if !is_valid_blob_key(key) {
            return Err(StoreError::Corrupt(format!("invalid blob key {key:?}")));
        }
        Ok(self.root.join(key))
    }
}

fn io_err(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("{}: {e}", path.display()))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> StoreResult<T> + Send + 'static) -> StoreResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| StoreError::Unavailable(format!("blob task failed: {e}")))?
}

fn write_durably(path: &Path, bytes: &[u8]) -> StoreResult<()> {
    let dir = path.parent().ok_or_else(|| StoreError::Corrupt(format!("no parent for {}", path.display())))?;
    create_private_dirs(dir)?;
    let suffix = crate::ids::access_token().map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let tmp = dir.join(format!(".tmp-{suffix}"));
    let result = (|| {
        let mut file = super::private_files::create_private_file(&tmp, true).map_err(|e| io_err(&tmp, e))?;
        file.write_all(bytes).map_err(|e| io_err(&tmp, e))?;
        file.sync_all().map_err(|e| io_err(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))?;
        // The rename itself must survive a crash too.
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_err(dir, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Creates `dir` and the parents it lacks, each private.
fn create_private_dirs(dir: &Path) -> StoreResult<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_private_dirs(parent)?;
    }
    super::private_files::private_dir(dir).map_err(|e| io_err(dir, e))
}

/// Removes files under `dir` whose key (path relative to `root`) starts with `prefix`.
fn remove_matching(root: &Path, dir: &Path, prefix: &str, removed: &mut u64) -> StoreResult<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let path = entry.path();
        let key = path.strip_prefix(root).map(|p| p.to_string_lossy().replace('\\', "/")).unwrap_or_default();
        let file_type = entry.file_type().map_err(|e| io_err(&path, e))?;
        if file_type.is_dir() {
            if key.starts_with(prefix) || prefix.starts_with(&format!("{key}/")) {
                remove_matching(root, &path, prefix, removed)?;
                if key.starts_with(prefix) {
                    let _ = std::fs::remove_dir(&path);
                }
            }
        } else if key.starts_with(prefix) && !entry.file_name().to_string_lossy().starts_with(".tmp-") {
            std::fs::remove_file(&path).map_err(|e| io_err(&path, e))?;
            *removed += 1;
        }
    }
    Ok(())
}

#[async_trait]
impl BlobStore for LocalBlobs {
    async fn put(&self, key: &str, bytes: Bytes, _content_type: &str) -> StoreResult<()> {
        let path = self.path_of(key)?;
        blocking(move || write_durably(&path, &bytes)).await
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Bytes>> {
        let path = self.path_of(key)?;
        blocking(move || match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path, e)),
        })
        .await
    }

    async fn exists(&self, key: &str) -> StoreResult<bool> {
        let path = self.path_of(key)?;
        blocking(move || match std::fs::metadata(&path) {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err(&path, e)),
        })
        .await
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        let path = self.path_of(key)?;
        blocking(move || match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&path, e)),
        })
        .await
    }

    async fn delete_prefix(&self, prefix: &str) -> StoreResult<u64> {
        if prefix.is_empty() || prefix.contains("..") {
            return Err(StoreError::Corrupt(format!("refusing to delete prefix {prefix:?}")));
        }
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        blocking(move || {
            let mut removed = 0;
            remove_matching(&root, &root, &prefix, &mut removed)?;
            Ok(removed)
        })
        .await
    }

    /// Writes and removes a one-byte probe: a full disk fails here, as every upload would.
    async fn ping(&self) -> StoreResult<()> {
        let root = self.root.clone();
        blocking(move || {
            let probe = root.join(".health-probe");
            let written = std::fs::write(&probe, b"1").map_err(|e| io_err(&probe, e));
            let _ = std::fs::remove_file(&probe);
            written
        })
        .await
    }
}
