//! Who has the store open, for what this process may keep in memory about it (the
//! session cache): a file beside the database that every process using the store holds a
//! shared POSIX lock on (the kernel drops it when the process ends, even on a crash) and
//! that grows by one byte with every open, plus this process's own count of the stores
//! it opened on each file (POSIX locks never conflict within a process).
//!
//! [`Owners::census`] answers whether this open is the store's only user right now and how
//! many opens the store has seen: a cache that was alone at one census and sees the same
//! count at the next knows nobody else wrote in between. For the same reason a census
//! that finds the count this open was last alone at needs no lock query: nobody joins
//! without taking the lock and then adding a byte, so one system call (the size) answers.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};

use super::private_files::private_file;

/// The file beside the database.
pub const OWNERS_FILE: &str = "sti.db-owners";

/// One open file per store per process: closing any descriptor of a file drops every
/// POSIX lock the process holds on it, so the stores opened on the same file share one.
static OPEN: LazyLock<Mutex<HashMap<PathBuf, Weak<LockedFile>>>> = LazyLock::new(Default::default);

struct LockedFile(File);

/// This process's registration as a user of one store.
pub struct Owners {
    file: Arc<LockedFile>,
    /// The count of opens at the last census that found this open alone; 0 when the last
    /// one did not (a registered store has seen at least one open).
    alone_at: AtomicU64,
}

/// What [`Owners::census`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Census {
    /// No other process, and no other open in this one, uses the store.
    pub alone: bool,
    /// Opens of the store so far, by every process.
    pub opens: u64,
}

impl Owners {
    /// Registers this open of the store whose owners file is `path`.
    pub fn open(path: &Path) -> io::Result<Owners> {
        private_file(path)?;
        // One key per file however it was named (a relative path, a symbolic link).
        let key = std::fs::canonicalize(path)?;
        let mut open = OPEN.lock().map_err(|_| io::Error::other("the owners registry is poisoned"))?;
        let shared = match open.get(&key).and_then(Weak::upgrade) {
            Some(file) => file,
            None => {
                let file = OpenOptions::new().read(true).append(true).open(path)?;
                lock_shared(&file)?;
                let file = Arc::new(LockedFile(file));
                open.insert(key, Arc::downgrade(&file));
                file
            }
        };
        open.retain(|_, file| file.strong_count() > 0);
        (&shared.0).write_all(&[1])?;
        Ok(Owners { file: shared, alone_at: AtomicU64::new(0) })
    }

    pub fn census(&self) -> io::Result<Census> {
        let others_here = Arc::strong_count(&self.file) > 1;
        // The count before the locks: whoever added to it already holds its lock, so a
        // count read first is never newer than the locks seen after it.
        let opens = self.file.0.metadata()?.len();
        if !others_here && self.alone_at.load(Ordering::Relaxed) == opens {
            return Ok(Census { alone: true, opens });
        }
        let alone = !others_here && !others_hold_a_lock(&self.file.0)?;
        self.alone_at.store(if alone { opens } else { 0 }, Ordering::Relaxed);
        Ok(Census { alone, opens })
    }
}

#[cfg(unix)]
fn lock_shared(file: &File) -> io::Result<()> {
    rustix::fs::fcntl_lock(file, rustix::fs::FlockOperation::LockShared).map_err(io::Error::from)
}

/// Whether another process holds a lock on the file: the first lock that would keep this
/// process from writing it, by POSIX's `F_GETLK` (this process's own never would).
#[cfg(unix)]
fn others_hold_a_lock(file: &File) -> io::Result<bool> {
    use rustix::process::{Flock, FlockOffsetType, FlockType, fcntl_getlk};
    #[cfg(test)]
    tests::LOCK_QUERIES.with(|n| n.set(n.get() + 1));
    let whole = Flock { start: 0, length: 0, pid: None, typ: FlockType::WriteLock, offset_type: FlockOffsetType::Set };
    Ok(fcntl_getlk(file, &whole).map_err(io::Error::from)?.is_some())
}

#[cfg(not(unix))]
fn lock_shared(_file: &File) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "store owners are counted on Unix only"))
}

#[cfg(not(unix))]
fn others_hold_a_lock(_file: &File) -> io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Lock queries this test thread made.
        pub(super) static LOCK_QUERIES: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }

    fn owners_path() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join(OWNERS_FILE);
        (dir, path)
    }

    fn census(owners: &Owners) -> Census {
        owners.census().unwrap_or_else(|e| panic!("census: {e}"))
    }

    #[test]
    fn a_single_open_is_alone_and_a_second_one_is_seen_by_both_until_it_closes() {
        let (_dir, path) = owners_path();
        let first = Owners::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(census(&first), Census { alone: true, opens: 1 });
        let second = Owners::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(census(&first), Census { alone: false, opens: 2 });
        assert_eq!(census(&second), Census { alone: false, opens: 2 });
        drop(second);
        // Alone again, and the count tells that someone was there meanwhile.
        assert_eq!(census(&first), Census { alone: true, opens: 2 });
    }

    #[test]
    fn closing_one_open_keeps_the_lock_the_others_rely_on() {
        let (_dir, path) = owners_path();
        let first = Owners::open(&path).unwrap_or_else(|e| panic!("{e}"));
        drop(Owners::open(&path).unwrap_or_else(|e| panic!("{e}")));
        let still_locked = others_hold_a_lock_from_another_process(&path);
        assert!(still_locked, "the first open's lock must survive the second one closing");
        drop(first);
        assert!(!others_hold_a_lock_from_another_process(&path), "the last close releases it");
    }

    #[test]
    fn while_the_count_stays_where_this_open_was_alone_no_lock_is_queried() {
        let (_dir, path) = owners_path();
        let owners = Owners::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let queries = || LOCK_QUERIES.with(std::cell::Cell::get);
        assert_eq!(census(&owners), Census { alone: true, opens: 1 });
        let after_first = queries();
        assert_eq!(after_first, 1, "the first census asks");
        for _ in 0..3 {
            assert_eq!(census(&owners), Census { alone: true, opens: 1 });
        }
        assert_eq!(queries(), after_first, "the same count needs no lock query");
        // Someone joins (here another open in this process), then leaves: the count moved,
        // so the next census asks again and remembers the new count.
        drop(Owners::open(&path).unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(census(&owners), Census { alone: true, opens: 2 });
        assert_eq!(queries(), after_first + 1);
    }

    #[test]
    fn another_process_that_joins_after_an_alone_census_is_seen_and_so_is_its_leaving() {
        let (_dir, path) = owners_path();
        let owners = Owners::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(census(&owners), Census { alone: true, opens: 1 });
        // The other process registers as `Owners::open` does: the lock, then a byte.
        let script = format!(
            "import fcntl, struct, sys\nf = open({path:?}, 'a+b')\nfcntl.lockf(f, fcntl.LOCK_SH)\nf.write(b'\\x01'); f.flush()\nprint('in', flush=True)\nsys.stdin.read()"
        );
        let mut other = std::process::Command::new("python3")
            .args(["-c", &script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("python3 runs the other process of this test: {e}"));
        let mut joined = String::new();
        let stdout = other.stdout.as_mut().unwrap_or_else(|| panic!("no stdout"));
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut joined)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(joined.trim(), "in");
        assert_eq!(census(&owners), Census { alone: false, opens: 2 });
        assert_eq!(census(&owners), Census { alone: false, opens: 2 }, "not alone until it leaves");
        drop(other.stdin.take());
        assert!(other.wait().is_ok_and(|status| status.success()));
        assert_eq!(census(&owners), Census { alone: true, opens: 2 });
    }

    /// What another process would see: `flock`-free, by asking from a child process.
    fn others_hold_a_lock_from_another_process(path: &Path) -> bool {
        let script = format!(
            "import fcntl, struct, sys\nf = open({:?}, 'r+b')\nlk = struct.pack('hhqqi', fcntl.F_WRLCK, 0, 0, 0, 0)\nr = fcntl.fcntl(f, fcntl.F_GETLK, lk)\nsys.exit(0 if struct.unpack('hhqqi', r)[0] != fcntl.F_UNLCK else 1)",
            path
        );
        match std::process::Command::new("python3").args(["-c", &script]).status() {
            Ok(status) => status.success(),
            Err(e) => panic!("python3 runs the other process of this test: {e}"),
        }
    }
}
