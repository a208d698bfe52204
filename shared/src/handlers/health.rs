use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::json_response;
use crate::http::{AppState, VERSION};

/// Each dependency gets this long to answer; health must answer fast even when they don't.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

async fn check<F, T, E>(f: F) -> Result<T, String>
where
    F: std::future::Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    match tokio::time::timeout(CHECK_TIMEOUT, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".to_owned()),
    }
}

fn label<T>(r: &Result<T, String>) -> &'static str {
    if r.is_ok() { "ok" } else { "unavailable" }
}

pub async fn health(State(state): State<AppState>) -> Response {
    let b = state.backend();
    let (store, blobs, queue) = tokio::join!(check(b.sessions.ping()), check(b.blobs.ping()), check(b.queue.depth()));
    for (name, result) in [("store", store.as_ref().err()), ("blobs", blobs.as_ref().err())] {
        if let Some(e) = result {
            tracing::warn!(check = name, error = %e, "health check failed");
        }
    }
    let openai = crate::smart::status(&state).await;
    let status = if store.is_err() || blobs.is_err() || queue.is_err() || openai == "open" { "degraded" } else { "ok" };
    let body = json!({
        "status": status,
        "version": VERSION,
        "backend": b.name,
        "uptimeSecs": state.uptime_secs(),
        "checks": {
            "store": label(&store),
            "blobs": label(&blobs),
            "queue": label(&queue),
            "queueDepth": queue.as_ref().ok(),
            "openai": openai,
        },
    });
    let code = if store.is_err() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    json_response(code, body.to_string())
}
