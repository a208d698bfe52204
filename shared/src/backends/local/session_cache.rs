//! Sessions kept decoded in memory, so that a chat turn on a session this process wrote
//! last reads nothing from SQLite (no page reads, no decompression, no JSON).
//!
//! Exact only while this process is the store's sole user: every write of the `sessions`
//! table in a process goes through `sessions.rs`, which updates or drops the entry on the
//! writer thread, in commit order, before the writer's caller hears of the commit.
//! Another process on the same data directory (`cargo lambda watch`, a CLI command) would
//! change rows behind the cache's back, so every look-up first takes the [`Owners`]
//! census: while anyone else has the store open, and whenever someone has opened it since
//! the last census, the cache empties and the turn reads SQLite as before.
//!
//! A repeated `messageId` must get its stored answer: an entry holds the ids answered in
//! its session (read with it, then added by each commit), and a turn whose id is among
//! them reads SQLite. A read that began before an entry was dropped (a conflict, an
//! erasure) cannot put its older copy back: it fills only if nothing was dropped since.
//!
//! Each session's uploads are kept the same way (a turn lists them for analyses to
//! mention): any write of an upload drops its session's list, on the writer thread.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use super::owners::Owners;
use crate::ids::SessionId;
use crate::ports::{Session, Upload};

/// Sessions kept at most (a long conversation takes ~10 KB decoded, so ~40 MB); past
/// that the expired go, then any tenth.
const CAPACITY: usize = 4_096;

pub struct SessionCache {
    owners: Option<Owners>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// Each session's uploads, as `UploadStore::list_for_session` reads them.
    uploads: HashMap<String, Vec<Upload>>,
    /// Counts drops: a read that began before one does not fill.
    drops: u64,
    /// Opens of the store at the last census that found this process alone (0 when the
    /// last one did not).
    opens: u64,
}

/// The session is shared with the turns that read it (a hit costs no copy) and with the
/// turn record it came from.
struct Entry {
    session: Arc<Session>,
    answered: HashSet<String>,
}

/// What a look-up found.
#[derive(Debug)]
pub enum Lookup<T = Arc<Session>> {
    Hit(T),
    /// Read SQLite; with a permit, what was read may be [`SessionCache::fill`]ed in.
    Miss(Option<FillPermit>),
}

/// Lets a read that missed fill the cache, unless something was dropped meanwhile.
#[derive(Debug)]
pub struct FillPermit(u64);

impl SessionCache {
    /// A cache for the store these owners describe; `None` keeps it off (always a miss).
    pub fn new(owners: Option<Owners>) -> SessionCache {
        SessionCache { owners, state: Mutex::new(State::default()) }
    }

    fn state(&self) -> Option<MutexGuard<'_, State>> {
        self.state.lock().ok()
    }

    /// The session `id` live at `now`, unless the cache cannot vouch for it or for
    /// `message_id` being new.
    pub fn look_up(&self, id: &SessionId, message_id: Option<&str>, now: i64) -> Lookup {
        let Some(mut state) = self.sole_user_state() else {
            return Lookup::Miss(None);
        };
        match state.entries.get(id.as_str()) {
            Some(entry) if entry.session.expires_at <= now => {
                state.entries.remove(id.as_str());
                Lookup::Miss(Some(FillPermit(state.drops)))
            }
            Some(entry) if !message_id.is_some_and(|m| entry.answered.contains(m)) => {
                Lookup::Hit(Arc::clone(&entry.session))
            }
            _ => Lookup::Miss(Some(FillPermit(state.drops))),
        }
    }

    /// The uploads of session `id` live at `now`, oldest first, unless the cache cannot
    /// vouch for them.
    pub fn look_up_uploads(&self, id: &SessionId, now: i64) -> Lookup<Vec<Upload>> {
        let Some(state) = self.sole_user_state() else {
            return Lookup::Miss(None);
        };
        match state.uploads.get(id.as_str()) {
            Some(uploads) => Lookup::Hit(uploads.iter().filter(|u| u.expires_at > now).cloned().collect()),
            None => Lookup::Miss(Some(FillPermit(state.drops))),
        }
    }

    /// Keeps the uploads of session `id` just read (all of them, expired or not), unless
    /// something was dropped since the permit.
    pub fn fill_uploads(&self, permit: FillPermit, id: &SessionId, uploads: Vec<Upload>, now: i64) {
        let Some(mut state) = self.state() else { return };
        if permit.0 != state.drops {
            return;
        }
        state.make_room(now);
        state.uploads.insert(id.to_string(), uploads);
    }

    /// An upload of session `id` was written (or a write of one failed): its list goes.
    pub fn uploads_changed(&self, id: &SessionId) {
        if let Some(mut state) = self.state() {
            state.uploads.remove(id.as_str());
            state.drops += 1;
        }
    }

    /// The state, after a census: `None` while others use the store (the cache emptied).
    fn sole_user_state(&self) -> Option<MutexGuard<'_, State>> {
        let census = self.owners.as_ref()?.census();
        let mut state = self.state()?;
        match census {
            Ok(census) if census.alone && census.opens == state.opens => Some(state),
            // Whatever was kept while others were here (a session created or committed
            // meanwhile) is dropped at the first census that finds this process alone.
            Ok(census) => {
                state.clear();
                state.opens = if census.alone { census.opens } else { 0 };
                census.alone.then_some(state)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot tell who else uses the store; sessions are read from it");
                state.clear();
                state.opens = 0;
                None
            }
        }
    }

    /// Keeps a session just read with the ids answered in it, unless an entry was dropped
    /// since the permit or a newer copy is already here.
    pub fn fill(&self, permit: FillPermit, session: Arc<Session>, answered: HashSet<String>) {
        let Some(mut state) = self.state() else { return };
        if permit.0 != state.drops
            || state.entries.get(session.id.as_str()).is_some_and(|e| e.session.version >= session.version)
        {
            return;
        }
        state.make_room(session.updated_at);
        state.entries.insert(session.id.to_string(), Entry { session, answered });
    }

    /// A session created here (its insert committed): nothing answered in it yet.
    pub fn created(&self, session: Session) {
        let Some(mut state) = self.state() else { return };
        state.make_room(session.updated_at);
        state.entries.insert(session.id.to_string(), Entry { session: Arc::new(session), answered: HashSet::new() });
    }

    /// A turn committed here: the entry moves to its session when it held the version
    /// the turn replaced; any other entry is dropped (it could not tell what happened).
    pub fn committed(&self, session: Arc<Session>, message_id: Option<String>) {
        let Some(mut state) = self.state() else { return };
        let id = session.id.to_string();
        match state.entries.get_mut(&id) {
            Some(entry) if entry.session.version + 1 == session.version => {
                entry.session = session;
                entry.answered.extend(message_id);
            }
            Some(_) => state.drop_entry(&id),
            // A read of this session may be on its way to fill in the version before.
            None => state.drops += 1,
        }
    }

    /// Forgets every session expired at `now` and its upload list (the store purged
    /// them): nothing of an expired conversation stays in memory past the next purge.
    pub fn forget_expired(&self, now: i64) {
        let Some(mut state) = self.state() else { return };
        state.entries.retain(|_, e| e.session.expires_at > now);
        let State { entries, uploads, .. } = &mut *state;
        uploads.retain(|id, _| entries.contains_key(id));
    }

    /// Forgets session `id` (erased, or found changed by a commit).
    pub fn drop_session(&self, id: &SessionId) {
        if let Some(mut state) = self.state() {
            state.drop_entry(id.as_str());
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.state().map_or(0, |s| s.entries.len())
    }
}

impl State {
    fn drop_entry(&mut self, id: &str) {
        self.entries.remove(id);
        self.drops += 1;
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.uploads.clear();
        self.drops += 1;
    }

    /// Below capacity before an insert: the expired go first, then whatever comes first.
    fn make_room(&mut self, now: i64) {
        if self.uploads.len() >= CAPACITY {
            self.uploads.clear();
            self.drops += 1;
        }
        if self.entries.len() < CAPACITY {
            return;
        }
        self.entries.retain(|_, e| e.session.expires_at > now);
        let excess = (self.entries.len() + 1).saturating_sub(CAPACITY);
        let victims: Vec<String> = self.entries.keys().take(excess.max(CAPACITY / 10)).cloned().collect();
        for id in victims {
            self.entries.remove(&id);
        }
        self.drops += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::contract::new_session_for_tests;

    fn cache() -> (tempfile::TempDir, SessionCache) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let owners =
            Owners::open(&dir.path().join(super::super::owners::OWNERS_FILE)).unwrap_or_else(|e| panic!("{e}"));
        let cache = SessionCache::new(Some(owners));
        // The first census finds this process alone: from then on what it keeps holds.
        let unknown = new_session_for_tests(NOW);
        assert!(matches!(cache.look_up(&unknown.id, None, NOW), Lookup::Miss(Some(_))));
        (dir, cache)
    }

    fn permit<T: std::fmt::Debug>(lookup: Lookup<T>) -> FillPermit {
        match lookup {
            Lookup::Miss(Some(permit)) => permit,
            other => panic!("expected a miss with a permit, got {other:?}"),
        }
    }

    fn hit<T: std::fmt::Debug>(lookup: Lookup<T>) -> T {
        match lookup {
            Lookup::Hit(found) => found,
            other => panic!("expected a hit, got {other:?}"),
        }
    }

    fn next(session: &Session) -> Session {
        Session { version: session.version + 1, updated_at: session.updated_at + 1, ..session.clone() }
    }

    const NOW: i64 = 1_000_000;

    #[test]
    fn a_filled_session_is_found_until_it_expires() {
        let (_dir, cache) = cache();
        let session = new_session_for_tests(NOW);
        let permit = permit(cache.look_up(&session.id, None, NOW));
        cache.fill(permit, Arc::new(session.clone()), HashSet::new());
        assert_eq!(*hit(cache.look_up(&session.id, None, NOW)), session);
        assert!(matches!(cache.look_up(&session.id, None, session.expires_at), Lookup::Miss(Some(_))));
        assert_eq!(cache.len(), 0, "an expired entry goes when met");
    }

    #[test]
    fn a_hit_shares_the_committed_session_instead_of_copying_it() {
        let (_dir, cache) = cache();
        let v1 = new_session_for_tests(NOW);
        cache.created(v1.clone());
        let committed = Arc::new(next(&v1));
        cache.committed(Arc::clone(&committed), Some("m1".into()));
        let (first, second) = (hit(cache.look_up(&v1.id, None, NOW)), hit(cache.look_up(&v1.id, Some("m2"), NOW)));
        assert!(Arc::ptr_eq(&first, &committed) && Arc::ptr_eq(&second, &committed), "one copy, shared");
        // A turn that must change what it read changes its own copy, never the cache's.
        let mut read = first;
        Arc::make_mut(&mut read).conversation.problem = Some("changed".into());
        assert_eq!(*hit(cache.look_up(&v1.id, None, NOW)), *committed);
    }

    #[test]
    fn an_answered_message_id_is_read_from_the_store() {
        let (_dir, cache) = cache();
        let session = new_session_for_tests(NOW);
        let permit = permit(cache.look_up(&session.id, None, NOW));
        cache.fill(permit, Arc::new(session.clone()), HashSet::from(["m1".to_owned()]));
        assert!(matches!(cache.look_up(&session.id, Some("m1"), NOW), Lookup::Miss(Some(_))));
        cache.committed(Arc::new(next(&session)), Some("m2".into()));
        assert!(matches!(cache.look_up(&session.id, Some("m2"), NOW), Lookup::Miss(Some(_))));
        assert_eq!(hit(cache.look_up(&session.id, Some("m3"), NOW)).version, session.version + 1);
    }

    #[test]
    fn commits_move_the_entry_one_version_at_a_time_and_anything_else_drops_it() {
        let (_dir, cache) = cache();
        let v1 = new_session_for_tests(NOW);
        cache.created(v1.clone());
        let v2 = next(&v1);
        cache.committed(Arc::new(v2.clone()), None);
        assert_eq!(*hit(cache.look_up(&v1.id, None, NOW)), v2);
        // A commit that skips a version (another writer's turn in between) cannot be trusted.
        cache.committed(Arc::new(next(&next(&v2))), None);
        assert!(matches!(cache.look_up(&v1.id, None, NOW), Lookup::Miss(Some(_))));
        // A commit on a session the cache does not hold does not add it: its answered ids are unknown.
        cache.committed(Arc::new(next(&v2)), Some("m".into()));
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn a_read_that_began_before_a_drop_does_not_fill() {
        let (_dir, cache) = cache();
        let session = new_session_for_tests(NOW);
        let stale = permit(cache.look_up(&session.id, None, NOW));
        cache.drop_session(&session.id);
        cache.fill(stale, Arc::new(session.clone()), HashSet::new());
        assert_eq!(cache.len(), 0, "an erased session must not come back from a read before the erasure");
        let fresh = permit(cache.look_up(&session.id, None, NOW));
        cache.fill(fresh, Arc::new(session.clone()), HashSet::new());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn an_older_copy_never_replaces_a_newer_one() {
        let (_dir, cache) = cache();
        let v1 = new_session_for_tests(NOW);
        let before = permit(cache.look_up(&v1.id, None, NOW));
        cache.created(next(&v1));
        cache.fill(before, Arc::new(v1.clone()), HashSet::new());
        assert_eq!(hit(cache.look_up(&v1.id, None, NOW)).version, v1.version + 1);
    }

    #[test]
    fn another_user_of_the_store_turns_the_cache_off_and_empties_it() {
        let (dir, cache) = cache();
        let session = new_session_for_tests(NOW);
        cache.created(session.clone());
        let other = Owners::open(&dir.path().join(super::super::owners::OWNERS_FILE)).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(cache.look_up(&session.id, None, NOW), Lookup::Miss(None)), "no hit, no permit while shared");
        assert_eq!(cache.len(), 0);
        drop(other);
        // Alone again: it starts over from what the store holds.
        let permit = permit(cache.look_up(&session.id, None, NOW));
        cache.fill(permit, Arc::new(session.clone()), HashSet::new());
        assert_eq!(*hit(cache.look_up(&session.id, None, NOW)), session);
    }

    #[test]
    fn a_user_who_came_and_went_between_two_look_ups_empties_it() {
        let (dir, cache) = cache();
        let session = new_session_for_tests(NOW);
        cache.created(session.clone());
        drop(Owners::open(&dir.path().join(super::super::owners::OWNERS_FILE)).unwrap_or_else(|e| panic!("{e}")));
        assert!(matches!(cache.look_up(&session.id, None, NOW), Lookup::Miss(Some(_))));
    }

    #[test]
    fn what_was_kept_before_the_first_census_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let owners =
            Owners::open(&dir.path().join(super::super::owners::OWNERS_FILE)).unwrap_or_else(|e| panic!("{e}"));
        let cache = SessionCache::new(Some(owners));
        let session = new_session_for_tests(NOW);
        cache.created(session.clone());
        assert!(matches!(cache.look_up(&session.id, None, NOW), Lookup::Miss(Some(_))));
    }

    fn upload(session: &Session, created_at: i64, expires_at: i64) -> Upload {
        let id = crate::ids::UploadId::generate().unwrap_or_else(|e| panic!("{e}"));
        Upload::queued(id, session.id.clone(), "image/png", 1234, created_at, expires_at)
    }

    #[test]
    fn a_sessions_uploads_are_kept_until_one_of_them_is_written_and_expired_ones_are_left_out() {
        let (_dir, cache) = cache();
        let session = new_session_for_tests(NOW);
        let (kept, expiring) = (upload(&session, NOW, NOW + 10_000), upload(&session, NOW + 1, NOW + 10));
        let first = permit(cache.look_up_uploads(&session.id, NOW));
        cache.fill_uploads(first, &session.id, vec![kept.clone(), expiring.clone()], NOW);
        assert_eq!(hit(cache.look_up_uploads(&session.id, NOW)), vec![kept.clone(), expiring]);
        assert_eq!(hit(cache.look_up_uploads(&session.id, NOW + 10)), vec![kept]);
        let stale = permit(cache.look_up_uploads(&new_session_for_tests(NOW).id, NOW));
        cache.uploads_changed(&session.id);
        assert!(matches!(cache.look_up_uploads(&session.id, NOW), Lookup::Miss(Some(_))));
        cache.fill_uploads(stale, &session.id, Vec::new(), NOW);
        assert!(
            matches!(cache.look_up_uploads(&session.id, NOW), Lookup::Miss(Some(_))),
            "a list read before an upload was written must not be kept"
        );
    }

    #[test]
    fn the_stores_purge_takes_expired_sessions_and_their_uploads_out_of_memory() {
        let (_dir, cache) = cache();
        let (short, long) = (new_session_for_tests(NOW), new_session_for_tests(NOW));
        let short = Session { expires_at: NOW + 10, ..short };
        for session in [&short, &long] {
            cache.created(session.clone());
            let read = permit(cache.look_up_uploads(&session.id, NOW));
            cache.fill_uploads(read, &session.id, vec![upload(session, NOW, NOW + 100_000)], NOW);
        }
        cache.forget_expired(NOW + 10);
        assert_eq!(cache.len(), 1);
        assert!(matches!(cache.look_up_uploads(&short.id, NOW), Lookup::Miss(Some(_))), "its uploads went with it");
        assert!(matches!(cache.look_up_uploads(&long.id, NOW), Lookup::Hit(_)));
    }

    #[test]
    fn without_owners_it_is_off() {
        let cache = SessionCache::new(None);
        let session = new_session_for_tests(NOW);
        cache.created(session.clone());
        assert!(matches!(cache.look_up(&session.id, None, NOW), Lookup::Miss(None)));
    }

    #[test]
    fn it_never_holds_more_than_its_capacity() {
        let (_dir, cache) = cache();
        for i in 0..CAPACITY + 5 {
            cache.created(new_session_for_tests(NOW + i as i64));
        }
        assert!(cache.len() <= CAPACITY, "{}", cache.len());
        assert!(cache.len() >= CAPACITY - CAPACITY / 10, "{}", cache.len());
    }
}
