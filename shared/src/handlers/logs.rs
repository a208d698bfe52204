//! `GET /api/logs`: the app log as NDJSON, for operators.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::app::App;
use crate::http::extract::Query;
use crate::http::guards::{self, WithoutToken};
use crate::http::{ApiError, ApiResult, ErrorCode, Routes};
use crate::services::operations;

pub fn routes() -> Routes {
    Routes::new().route("/api/logs", get(logs))
}

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 500;

#[derive(Deserialize)]
struct LogsQuery {
    token: Option<String>,
    limit: Option<String>,
}

fn parse_limit(raw: Option<&str>) -> ApiResult<usize> {
    match raw.map(str::parse::<usize>) {
        None => Ok(DEFAULT_LIMIT),
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::new(ErrorCode::InvalidLimit, format!("limit must be a number from 1 to {MAX_LIMIT}"))),
    }
}

async fn logs(State(app): State<App>, Query(query): Query<LogsQuery>, headers: HeaderMap) -> ApiResult<Response> {
    guards::operator(&app, &headers, query.token.as_deref(), WithoutToken::OpenInDevelopment).await?;
    let limit = parse_limit(query.limit.as_deref())?;
    let entries = operations::recent_log(&app, limit).await?;
    let mut body = String::new();
    for entry in &entries {
        // A log entry is plain strings and numbers: it always encodes.
        if let Ok(line) = serde_json::to_string(entry) {
            body.push_str(&line);
            body.push('\n');
        }
    }
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson; charset=utf-8"));
    Ok(response)
}
