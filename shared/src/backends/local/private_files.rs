//! The embedded store's files are the visitors' data: the data directory is its owner's
//! alone (0700), and so is every file in it (0600) — the database and its WAL (SQLite
//! gives them the database file's mode), blobs, the signing key, backups.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `dir` (and its parents) if needed, readable by its owner only.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    set_mode(dir, 0o700)
}

/// Opens `path` for writing, created (or truncated) readable by its owner only.
pub fn create_private_file(path: &Path, create_new: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true);
    if create_new {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    set_mode(path, 0o600)?;
    Ok(file)
}

/// Makes `path` readable by its owner only, creating it empty when it does not exist
/// (so that SQLite opens, and copies the mode of, a private file).
pub fn private_file(path: &Path) -> io::Result<()> {
    if !path.exists() {
        #[cfg(unix)]
        {
            let mut options = OpenOptions::new();
            options.write(true).create(true).truncate(false);
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options.open(path)?;
        }
        #[cfg(not(unix))]
        return Ok(());
    }
    set_mode(path, 0o600)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}
