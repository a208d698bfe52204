//! Under `cargo lambda watch` a function's first request starts its process (and may wait
//! for `cargo` to build it): seconds of cold start that are not the steady-state latency
//! the scenarios measure. Each function a scenario uses is touched once before the run,
//! and those cold starts are printed on their own.

use std::time::{Duration, Instant};

use crate::scenarios::routed;

/// The API paths a scenario's requests go to (one per function).
pub fn paths(uploads_only: bool) -> &'static [&'static str] {
    if uploads_only {
        &["/api/upload-image", "/api/upload/upl-warm-up", "/api/metrics"]
    } else {
        &[
            "/api/health",
            "/api/greeting",
            "/api/session/validate",
            "/api/chat",
            "/api/upload-image",
            "/api/upload/upl-warm-up",
            "/api/metrics",
        ]
    }
}

/// Touches each path's function with a `GET` (any HTTP answer, 405 included, means the
/// function is up) and returns how long each one took to answer.
pub async fn cold_starts(base: &str, paths: &[&str]) -> Result<Vec<(String, Duration)>, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| format!("warm-up client: {e}"))?;
    let mut took = Vec::with_capacity(paths.len());
    for path in paths {
        let target = routed(path, true);
        let started = Instant::now();
        client.get(format!("{base}{target}")).send().await.map_err(|e| format!("warm-up of {target}: {e}"))?;
        took.push((target, started.elapsed()));
    }
    Ok(took)
}
