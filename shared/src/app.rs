//! The application every host builds once — a Lambda cold start, `sti serve`,
//! `sti worker`, a test: configuration, backend, counters, smart mode and the start
//! time, put together by [`App::build`].

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, SemaphorePermit};

use crate::chat::TurnLine;
use crate::config::{BackendKind, Config, ConfigError};
use crate::counters::{Counter, Tally};
use crate::ids::{OsRandom, Randomness};
use crate::pii::mask_pii;
use crate::ports::{Backend, LogEntry, LogLevel, Riders, StoreError};
use crate::smart::Smart;
use crate::time::{Clock, SystemClock, rfc3339};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How long an app-log write may hold up a response.
const LOG_WRITE_TIMEOUT: Duration = Duration::from_millis(1_000);
/// Background writes of turn bookkeeping allowed at once (see [`App::ride_behind`]).
pub const MAX_RIDERS_IN_FLIGHT: usize = 256;

/// Cheap to clone: every request holds one.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Randomness>,
    backend: Backend,
    tally: Tally,
    smart: Option<Smart>,
    started: Instant,
    work_signal: Option<Arc<Notify>>,
    request_body_ceiling: Option<usize>,
    admission: Option<Arc<Admission>>,
    riders_in_flight: AtomicUsize,
    riders_dropped: AtomicU64,
}

/// What a host adds to the application.
#[derive(Default)]
pub struct Hosting {
    /// The clock every service reads; the system's unless a test brings its own.
    pub clock: Option<Arc<dyn Clock>>,
    /// Where identifiers' random bits come from; the operating system's unless a test
    /// brings its own.
    pub random: Option<Arc<dyn Randomness>>,
    /// Wakes an in-process image worker as soon as a job is queued (`sti serve`).
    pub work_signal: Option<Arc<Notify>>,
    /// The largest request body the host can carry (a Lambda invocation behind API
    /// Gateway); none for a server that reads bodies itself.
    pub request_body_ceiling: Option<usize>,
    /// What a server that reads request bodies itself lets in at once (`sti serve`).
    pub admission: Option<Arc<Admission>>,
}

/// How much a server that reads request bodies itself takes on at once. A request's body
/// is read first, holding only the memory it has sent (from `buffer`, shared by every body
/// being read); only then does it take one of the `slots` it is handled in. A client that
/// sends slowly holds neither a slot nor more memory than it sent.
pub struct Admission {
    slots: Semaphore,
    buffer: Arc<Semaphore>,
    largest_body: usize,
}

impl Admission {
    /// `buffer_bytes` is raised to `largest_body` if smaller: one body must always fit.
    pub fn new(max_in_flight: usize, buffer_bytes: usize, largest_body: usize) -> Admission {
        let buffer = buffer_bytes.max(largest_body).min(Semaphore::MAX_PERMITS);
        Admission {
            slots: Semaphore::new(max_in_flight.max(1)),
            buffer: Arc::new(Semaphore::new(buffer)),
            largest_body,
        }
    }

    /// A slot to handle one request in (waits for one; `None` only if closed).
    pub async fn slot(&self) -> Option<SemaphorePermit<'_>> {
        self.slots.acquire().await.ok()
    }

    /// Room for `bytes` more of a body being read (waits for it; `None` only if closed).
    pub async fn room_for(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let bytes = u32::try_from(bytes).ok()?;
        Arc::clone(&self.buffer).acquire_many_owned(bytes).await.ok()
    }

    /// The largest body any route takes.
    pub fn largest_body(&self) -> usize {
        self.largest_body
    }
}

/// A synchronous Lambda invocation carries at most 6 MiB, and API Gateway sends a binary
/// body base64-encoded inside a JSON event: 4/3 of it, plus the event's headers and
/// context. Bodies up to this many bytes fit with 128 KiB to spare for the rest.
pub const LAMBDA_BODY_CEILING: usize = (6 * 1024 * 1024 - 128 * 1024) / 4 * 3;

/// What an app-log line is about: the session it concerns (written as its tag, never the
/// id) and the request that caused it.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSubject<'a> {
    pub session_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

impl<'a> LogSubject<'a> {
    pub fn session(session_id: &'a str) -> LogSubject<'a> {
        LogSubject { session_id: Some(session_id), request_id: None }
    }

    pub fn by_request(self, request_id: &'a str) -> LogSubject<'a> {
        LogSubject { request_id: Some(request_id), ..self }
    }
}

/// Why the application could not start; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot open the data dir {}: {source}", dir.display())]
    LocalStore { dir: PathBuf, source: StoreError },
    #[error("cannot reach the AWS backend: {0}")]
    Aws(StoreError),
    #[error("cannot set up smart mode: {0}")]
    Smart(String),
}

impl App {
    /// Configuration from the environment, then [`App::build`]: what a Lambda function does.
    pub async fn from_env() -> Result<App, StartError> {
        let hosting = Hosting { request_body_ceiling: Some(LAMBDA_BODY_CEILING), ..Hosting::default() };
        App::build(Config::from_env()?, hosting).await
    }

    /// Connects the backend `config` names and sets up smart mode when it is on.
    pub async fn build(config: Config, hosting: Hosting) -> Result<App, StartError> {
        let backend = crate::backends::connect(&config).await.map_err(|source| match config.backend {
            BackendKind::Local => StartError::LocalStore { dir: config.data_dir.clone(), source },
            BackendKind::Aws => StartError::Aws(source),
        })?;
        App::with_backend(config, backend, hosting)
    }

    /// The application over a backend the caller connected (tests on an emulator).
    pub fn with_backend(config: Config, backend: Backend, hosting: Hosting) -> Result<App, StartError> {
        let tally = Tally::new(Arc::clone(&backend.counters));
        let clock = hosting.clock.clone().unwrap_or_else(|| Arc::new(SystemClock));
        let smart = smart_for(&config, &backend, &tally, &clock)?;
        Ok(App::assemble(config, backend, tally, smart, hosting, clock))
    }

    /// The application with smart mode served by `smart`, whatever the configuration says
    /// (tests with a scripted model), on `clock`.
    pub fn with_smart(
        config: Config,
        backend: Backend,
        clock: Arc<dyn Clock>,
        smart: impl FnOnce(Tally, Arc<dyn Clock>) -> Smart,
    ) -> App {
        let tally = Tally::new(Arc::clone(&backend.counters));
        let smart = smart(tally.clone(), Arc::clone(&clock));
        App::assemble(config, backend, tally, Some(smart), Hosting::default(), clock)
    }

    fn assemble(
        config: Config,
        backend: Backend,
        tally: Tally,
        smart: Option<Smart>,
        hosting: Hosting,
        clock: Arc<dyn Clock>,
    ) -> App {
        App {
            inner: Arc::new(Inner {
                config,
                clock,
                random: hosting.random.unwrap_or_else(|| Arc::new(OsRandom)),
                backend,
                tally,
                smart,
                started: Instant::now(),
                work_signal: hosting.work_signal,
                request_body_ceiling: hosting.request_body_ceiling,
                admission: hosting.admission,
                riders_in_flight: AtomicUsize::new(0),
                riders_dropped: AtomicU64::new(0),
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Now, in Unix milliseconds, by the application's clock.
    pub fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Where identifiers' random bits come from.
    pub fn random(&self) -> &dyn Randomness {
        self.inner.random.as_ref()
    }

    pub fn backend(&self) -> &Backend {
        &self.inner.backend
    }

    /// Smart mode, when this process runs it.
    pub fn smart(&self) -> Option<&Smart> {
        self.inner.smart.as_ref()
    }

    pub fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// The largest request body the host can carry, if it has a ceiling.
    pub fn request_body_ceiling(&self) -> Option<usize> {
        self.inner.request_body_ceiling
    }

    /// What this server lets in at once, when it reads request bodies itself.
    pub fn admission(&self) -> Option<&Arc<Admission>> {
        self.inner.admission.as_ref()
    }

    /// Tells an in-process worker that a job is waiting.
    pub fn signal_work(&self) {
        if let Some(signal) = &self.inner.work_signal {
            signal.notify_one();
        }
    }

    /// Bumps shared counters; never fails or stalls the caller for long.
    pub async fn count(&self, deltas: &[(Counter, i64)]) {
        self.inner.tally.add(deltas).await;
    }

    /// [`App::count`] for counters whose keys are built at run time (one per label set).
    pub async fn count_keyed(&self, keyed: &[(&str, i64)]) {
        self.inner.tally.add_keyed(keyed).await;
    }

    /// Adds to the counters of single days (what a report over a period sums).
    pub async fn count_daily(&self, deltas: &[crate::ports::DailyDelta]) {
        self.inner.tally.add_daily(deltas).await;
    }

    /// Counts what the support lead's report reads (case outcomes, ratings, tickets):
    /// in the running totals and in the counters of the day it happened, `at`.
    pub async fn count_event(&self, at: i64, keyed: &[(&str, i64)]) {
        self.inner.tally.add_keyed(keyed).await;
        self.inner.tally.add_daily(&crate::counters::daily(at, keyed)).await;
    }

    /// The application-log line of an event (its message masked here) and its expiry.
    pub fn log_line(&self, level: LogLevel, event: &str, about: LogSubject<'_>, message: &str) -> (LogEntry, i64) {
        self.log_entry(level, event, about, mask_pii(message))
    }

    /// [`App::log_line`] for a chat turn's line, which holds nothing to mask.
    pub fn turn_log_line(&self, about: LogSubject<'_>, line: TurnLine) -> (LogEntry, i64) {
        self.log_entry(LogLevel::Info, "chat.turn", about, line.into_string())
    }

    fn log_entry(&self, level: LogLevel, event: &str, about: LogSubject<'_>, message: String) -> (LogEntry, i64) {
        let at = self.now_ms();
        let entry = LogEntry {
            ts: rfc3339(at),
            at,
            level,
            event: event.to_owned(),
            request_id: about.request_id.map(str::to_owned),
            session_tag: about.session_id.map(crate::ids::session_tag),
            message,
        };
        (entry, at + crate::time::ms(self.config().retention.log))
    }

    /// Appends to the application log behind `/api/logs`; the message is masked here.
    /// Like counting, it never fails the caller.
    pub async fn log_event(&self, level: LogLevel, event: &str, about: LogSubject<'_>, message: &str) {
        let (entry, expires) = self.log_line(level, event, about, message);
        append_log(&self.inner.backend, &entry, expires).await;
    }

    /// Writes a committed turn's counters and log line when its store could not write
    /// them with the turn: in the background, so the response waits for no extra round
    /// trip. At most [`MAX_RIDERS_IN_FLIGHT`] such writes run at once; past that they are
    /// dropped, counted and logged — a bounded, visible loss of bookkeeping, never of a turn.
    pub fn ride_behind(&self, riders: Riders) {
        let in_flight = &self.inner.riders_in_flight;
        if in_flight.fetch_add(1, Ordering::AcqRel) >= MAX_RIDERS_IN_FLIGHT {
            in_flight.fetch_sub(1, Ordering::AcqRel);
            let dropped = self.inner.riders_dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(dropped, "too many turn counters and log lines in flight: dropped one turn's");
            return;
        }
        let app = self.clone();
        tokio::spawn(async move {
            if !riders.counters.is_empty() {
                app.inner.tally.add_keyed(&riders.counters).await;
            }
            if !riders.daily.is_empty() {
                app.inner.tally.add_daily(&riders.daily).await;
            }
            if let Some((entry, expires)) = &riders.log {
                append_log(&app.inner.backend, entry, *expires).await;
            }
            app.inner.riders_in_flight.fetch_sub(1, Ordering::AcqRel);
        });
    }

    /// Turns whose counters and log line [`App::ride_behind`] had to drop.
    pub fn riders_dropped(&self) -> u64 {
        self.inner.riders_dropped.load(Ordering::Relaxed)
    }

    /// Background bookkeeping writes started and not yet finished.
    pub fn riders_in_flight(&self) -> usize {
        self.inner.riders_in_flight.load(Ordering::Acquire)
    }
}

async fn append_log(backend: &Backend, entry: &LogEntry, expires: i64) {
    match tokio::time::timeout(LOG_WRITE_TIMEOUT, backend.applog.append(entry, expires)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, event = entry.event, "could not write the app log"),
        Err(_) => tracing::warn!(event = entry.event, "app log write timed out"),
    }
}

#[cfg(feature = "smart")]
fn smart_for(
    config: &Config,
    backend: &Backend,
    tally: &Tally,
    clock: &Arc<dyn Clock>,
) -> Result<Option<Smart>, StartError> {
    crate::smart::from_config(config, backend, tally.clone(), Arc::clone(clock))
        .map_err(|e| StartError::Smart(e.to_string()))
}

/// Without the HTTP client, instances only report the state the chat instances publish.
#[cfg(not(feature = "smart"))]
fn smart_for(
    _config: &Config,
    _backend: &Backend,
    _tally: &Tally,
    _clock: &Arc<dyn Clock>,
) -> Result<Option<Smart>, StartError> {
    Ok(None)
}
