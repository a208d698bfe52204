//! `GET /api/health`: every dependency checked, 503 when the store is down.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::app::App;
use crate::http::Routes;
use crate::services::operations::{self, Health};

pub fn routes() -> Routes {
    Routes::new().route("/api/health", get(health))
}

async fn health(State(app): State<App>) -> (StatusCode, Json<Health>) {
    let health = operations::health(&app).await;
    let status = if health.store_down() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    (status, Json(health))
}
