use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::http::extract::header_str;
use crate::http::{ApiError, ApiResult, AppState};
use crate::time::now_ms;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 500;

#[derive(Deserialize)]
pub struct LogsQuery {
    token: Option<String>,
    limit: Option<String>,
}

/// Operator endpoints (`/api/logs`, `/api/metrics` in production) need LOG_TOKEN, by
/// `Authorization: Bearer` or `?token=`, compared in constant time. Without a
/// configured token they are closed in production and open in development.
pub async fn authorize_operator(
    state: &AppState,
    headers: &HeaderMap,
    query_token: Option<&str>,
    required_in_dev: bool,
) -> ApiResult<()> {
    let configured = state.backend().secrets.load().await?.log_token.or_else(|| state.config().log_token.clone());
    let Some(expected) = configured else {
        if state.config().is_production() {
            return Err(ApiError::unavailable(
                "operator_endpoint_disabled",
                "this endpoint is disabled until LOG_TOKEN is configured",
                3600,
            ));
        }
        return if required_in_dev { Err(ApiError::unauthorized("a token is required")) } else { Ok(()) };
    };
    let bearer = header_str(headers, header::AUTHORIZATION.as_str())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    match bearer.or(query_token) {
        Some(candidate) if expected.matches(candidate) => Ok(()),
        Some(_) => Err(ApiError::unauthorized("invalid token")),
        None => Err(ApiError::unauthorized("a token is required (Authorization: Bearer … or ?token=…)")),
    }
}

pub async fn logs(
    State(state): State<AppState>,
    Query(query): Query<LogsQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    authorize_operator(&state, &headers, query.token.as_deref(), false).await?;
    let limit = match query.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_limit",
                    format!("limit must be a number from 1 to {MAX_LIMIT}"),
                ));
            }
        },
    };
    let entries = state.backend().applog.recent(limit, now_ms()).await?;
    let mut body = String::new();
    for entry in &entries {
        body.push_str(&serde_json::to_string(entry).map_err(|e| ApiError::internal(e.to_string()))?);
        body.push('\n');
    }
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson; charset=utf-8"));
    Ok(response)
}
