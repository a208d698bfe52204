//! What operators read: the health of every dependency, the shared counters, the app log.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::app::{App, VERSION};
use crate::counters::Counter;
use crate::error::Result;
use crate::ports::LogEntry;

/// Each dependency gets this long to answer; health must answer fast even when they don't.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub backend: &'static str,
    pub uptime_secs: u64,
    pub checks: Checks,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Checks {
    pub store: &'static str,
    pub blobs: &'static str,
    pub queue: &'static str,
    pub queue_depth: Option<u64>,
    pub openai: &'static str,
}

impl Health {
    /// Without its store the service cannot answer anything.
    pub fn store_down(&self) -> bool {
        self.checks.store != "ok"
    }
}

async fn check<F, T, E>(f: F) -> std::result::Result<T, String>
where
    F: std::future::Future<Output = std::result::Result<T, E>>,
    E: std::fmt::Display,
{
    match tokio::time::timeout(CHECK_TIMEOUT, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".to_owned()),
    }
}

fn label<T>(r: &std::result::Result<T, String>) -> &'static str {
    if r.is_ok() { "ok" } else { "unavailable" }
}

/// What the OpenAI client is doing, as health and metrics report it.
pub async fn openai_status(app: &App) -> &'static str {
    crate::smart::status(app.config().smart_mode, app.backend().counters.as_ref(), app.smart()).await
}

pub async fn health(app: &App) -> Health {
    let b = app.backend();
    let (store, blobs, queue) = tokio::join!(check(b.sessions.ping()), check(b.blobs.ping()), check(b.queue.depth()));
    for (name, result) in [("store", store.as_ref().err()), ("blobs", blobs.as_ref().err())] {
        if let Some(e) = result {
            tracing::warn!(check = name, error = %e, "health check failed");
        }
    }
    let openai = openai_status(app).await;
    let degraded = store.is_err() || blobs.is_err() || queue.is_err() || openai == "open";
    Health {
        status: if degraded { "degraded" } else { "ok" },
        version: VERSION,
        backend: b.name,
        uptime_secs: app.uptime().as_secs(),
        checks: Checks {
            store: label(&store),
            blobs: label(&blobs),
            queue: label(&queue),
            queue_depth: queue.as_ref().ok().copied(),
            openai,
        },
    }
}

/// The shared counters with the queue depth and the circuit state beside them.
pub struct Figures {
    counters: BTreeMap<String, i64>,
    pub queue_depth: Option<u64>,
    pub circuit_state: &'static str,
}

impl Figures {
    /// Counters alone, as a report over a period sums them.
    pub fn of_counters(counters: BTreeMap<String, i64>) -> Figures {
        Figures { counters, queue_depth: None, circuit_state: "" }
    }

    pub fn get(&self, counter: Counter) -> i64 {
        self.counters.get(counter.key()).copied().unwrap_or(0)
    }

    /// The counters under `prefix`, keyed by the rest of their name.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, i64)> + 'a {
        self.counters.range(prefix.to_owned()..).map_while(move |(k, v)| Some((k.strip_prefix(prefix)?, *v)))
    }

    /// `total / count`, to one decimal; 0 before anything was counted.
    pub fn average(&self, total: Counter, count: Counter) -> f64 {
        let (total, count) = (self.get(total), self.get(count));
        if count <= 0 { 0.0 } else { ((total as f64 / count as f64) * 10.0).round() / 10.0 }
    }
}

pub async fn figures(app: &App) -> Result<Figures> {
    Ok(Figures {
        counters: app.backend().counters.snapshot().await?,
        queue_depth: app.backend().queue.depth().await.ok(),
        circuit_state: openai_status(app).await,
    })
}

/// The newest `limit` app-log entries, oldest first.
pub async fn recent_log(app: &App, limit: usize) -> Result<Vec<LogEntry>> {
    Ok(app.backend().applog.recent(limit, app.now_ms()).await?)
}
