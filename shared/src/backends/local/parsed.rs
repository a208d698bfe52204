//! The sessions this process last read or wrote, already decoded.
//!
//! A chat turn's read asks the database for the session's *version* and decodes the
//! stored body only when it differs from the copy here: the database stays the only
//! truth (another process's write changes the version, so it is always seen), and the
//! common case skips reading the body's overflow page and parsing a few KB of JSON.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::ports::Session;

/// Beyond this many sessions the copies are dropped and the map starts over: a bound on
/// memory, at the price of one decode per session afterwards.
const MAX_SESSIONS: usize = 4096;

#[derive(Default)]
pub struct Parsed {
    sessions: Mutex<HashMap<String, Session>>,
}

impl Parsed {
    /// The version of the copy held for `id`, or -1 (no version is negative).
    pub fn version_of(&self, id: &str) -> i64 {
        self.sessions.lock().ok().and_then(|map| map.get(id).map(|s| s.version as i64)).unwrap_or(-1)
    }

    /// The copy of `id` if it is at `version`.
    pub fn at_version(&self, id: &str, version: i64) -> Option<Session> {
        let map = self.sessions.lock().ok()?;
        map.get(id).filter(|s| s.version as i64 == version).cloned()
    }

    pub fn remember(&self, session: &Session) {
        if let Ok(mut map) = self.sessions.lock() {
            if map.len() >= MAX_SESSIONS && !map.contains_key(session.id.as_str()) {
                map.clear();
            }
            map.insert(session.id.to_string(), session.clone());
        }
    }

    pub fn forget(&self, id: &str) {
        if let Ok(mut map) = self.sessions.lock() {
            map.remove(id);
        }
    }

    pub fn forget_all(&self) {
        if let Ok(mut map) = self.sessions.lock() {
            map.clear();
        }
    }
}
