//! `GET /api/health`: every dependency checked, 503 when the store is down; and
//! `GET /api/openapi.json`, the API's contract.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::App;
use crate::http::Routes;
use crate::services::operations::{self, Health};

/// The health function also describes the service: its health and its contract.
pub fn routes() -> Routes {
    Routes::new().route("/api/health", get(health)).route("/api/openapi.json", get(openapi))
}

/// The OpenAPI 3.1 document of the whole API (`shared/src/http/openapi.json`).
pub const OPENAPI: &str = include_str!("../http/openapi.json");

async fn openapi() -> Response {
    let mut response = OPENAPI.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}

async fn health(State(app): State<App>) -> (StatusCode, Json<Health>) {
    let health = operations::health(&app).await;
    let status = if health.store_down() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    (status, Json(health))
}
