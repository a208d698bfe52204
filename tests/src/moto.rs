//! moto's server mode on a free loopback port, for tests of the AWS backend over the real
//! wire protocol. A watchdog shell stops moto when the test process ends, whatever way it
//! ends, so no emulator outlives its tests.

use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::repo_root;

pub struct Moto {
    watchdog: Child,
    pub endpoint: String,
    pub port: u16,
}

/// The venv's Python and our launcher of moto's server app (see scripts/moto-serial.py).
fn moto_command() -> (std::path::PathBuf, std::path::PathBuf) {
    let python = repo_root().join(".venv/bin/python");
    let has_moto = Command::new(&python)
        .args(["-c", "import moto.moto_server.werkzeug_app"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_moto,
        "moto is not installed: ./scripts/test installs it into .venv (python3 -m venv .venv && .venv/bin/pip install 'moto[server]')"
    );
    (python, repo_root().join("scripts/moto-serial.py"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(5000)
}

impl Moto {
    /// A moto of its own (for tests that stop or pause it).
    ///
    /// The port is free when picked but moto binds it seconds later (Python's start-up);
    /// meanwhile another test's outgoing connection may take it as its ephemeral port, and
    /// moto exits. Then it is started again on another port.
    pub fn start() -> Moto {
        const ATTEMPTS: usize = 3;
        for _ in 0..ATTEMPTS {
            let mut moto = Moto::spawn(free_port());
            if moto.wait_ready(Duration::from_secs(30)) {
                return moto;
            }
            eprintln!("moto exited before answering on {} (port taken?); trying another port", moto.endpoint);
        }
        panic!(
            "moto exited before answering {ATTEMPTS} times: run .venv/bin/python scripts/moto-serial.py 5000 to see why"
        )
    }

    fn spawn(port: u16) -> Moto {
        let script = r#"
            "$1" "$4" "$2" >/dev/null 2>&1 &
            moto=$!
            trap 'kill -CONT $moto 2>/dev/null; kill $moto 2>/dev/null; exit 0' TERM INT
            while kill -0 "$3" 2>/dev/null && kill -0 $moto 2>/dev/null; do sleep 1; done
            kill -CONT $moto 2>/dev/null; kill $moto 2>/dev/null
        "#;
        let (python, launcher) = moto_command();
        let watchdog = Command::new("sh")
            .args(["-c", script, "moto-watchdog"])
            .arg(python)
            .arg(port.to_string())
            .arg(std::process::id().to_string())
            .arg(launcher)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto: {e}"));
        Moto { watchdog, endpoint: format!("http://127.0.0.1:{port}"), port }
    }

    /// One moto per test process, shared by tests that only create uniquely named things.
    pub fn shared() -> &'static Moto {
        static SHARED: OnceLock<Moto> = OnceLock::new();
        SHARED.get_or_init(Moto::start)
    }

    /// Whether moto answers within `timeout`; false as soon as it has exited (its watchdog
    /// ends with it). Still silent at the deadline while running is a failure.
    fn wait_ready(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let probe = std::net::TcpStream::connect(("127.0.0.1", self.port)).and_then(|mut s| {
                use std::io::{Read, Write};
                s.set_read_timeout(Some(Duration::from_secs(2)))?;
                s.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
                let mut head = [0u8; 12];
                s.read_exact(&mut head)?;
                Ok(head.starts_with(b"HTTP/1.") && &head[9..12] == b"200")
            });
            if probe.unwrap_or(false) {
                return true;
            }
            if self.watchdog.try_wait().is_ok_and(|status| status.is_some()) {
                return false;
            }
            assert!(Instant::now() < deadline, "moto did not answer on {} within {timeout:?}", self.endpoint);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The moto server's own process id (the watchdog's child).
    fn server_pid(&self) -> Option<String> {
        let out = Command::new("pgrep").args(["-P", &self.watchdog.id().to_string()]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).lines().find(|l| !l.trim().is_empty()).map(|l| l.trim().to_owned())
    }

    /// Freezes the emulator: connections open but nothing answers, like a hung service.
    pub fn pause(&self) {
        let pid = self.server_pid().unwrap_or_else(|| panic!("moto is not running"));
        assert!(Command::new("kill").args(["-STOP", &pid]).status().is_ok_and(|s| s.success()));
    }

    pub fn resume(&self) {
        let pid = self.server_pid().unwrap_or_else(|| panic!("moto is not running"));
        assert!(Command::new("kill").args(["-CONT", &pid]).status().is_ok_and(|s| s.success()));
    }

    /// A resource name no other test uses.
    pub fn unique(prefix: &str) -> String {
        let id = sti_shared_free_id();
        format!("{prefix}-{id}")
    }
}

fn sti_shared_free_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{}-{:x}-{}", std::process::id(), nanos, N.fetch_add(1, Ordering::Relaxed))
}

impl Drop for Moto {
    fn drop(&mut self) {
        // A watchdog that already ended (its moto exited) is not signalled: its id may be reused.
        if matches!(self.watchdog.try_wait(), Ok(None)) {
            let _ = Command::new("kill").args(["-TERM", &self.watchdog.id().to_string()]).status();
        }
        let _ = self.watchdog.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moto_that_cannot_bind_its_port_is_seen_to_exit() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = taken.local_addr().unwrap_or_else(|e| panic!("{e}")).port();
        let mut moto = Moto::spawn(port);
        // Without noticing the exit this would wait out its 30 s and panic.
        assert!(!moto.wait_ready(Duration::from_secs(30)), "moto answered on a port another socket holds");
    }
}
