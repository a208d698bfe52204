//! Checks a request must pass before its handler's service runs.

use axum::http::{HeaderMap, header};

use super::extract::header_str;
use super::{ApiError, ApiResult, ErrorCode};
use crate::app::App;

/// Whether an endpoint stays open in development when no token is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithoutToken {
    OpenInDevelopment,
    Closed,
}

/// Operator endpoints (`/api/logs`, `/api/metrics` in production) need LOG_TOKEN, by
/// `Authorization: Bearer` or `?token=`, compared in constant time. Without a
/// configured token they are closed in production.
pub async fn operator(
    app: &App,
    headers: &HeaderMap,
    query_token: Option<&str>,
    without_token: WithoutToken,
) -> ApiResult<()> {
    let configured = app.backend().secrets.load().await?.log_token.or_else(|| app.config().log_token.clone());
    let Some(expected) = configured else {
        if app.config().is_production() {
            return Err(ApiError::retry_after(
                ErrorCode::OperatorEndpointDisabled,
                "this endpoint is disabled until LOG_TOKEN is configured",
                3600,
            ));
        }
        return match without_token {
            WithoutToken::OpenInDevelopment => Ok(()),
            WithoutToken::Closed => Err(ApiError::new(ErrorCode::Unauthorized, "a token is required")),
        };
    };
    let bearer = header_str(headers, header::AUTHORIZATION.as_str())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    match bearer.or(query_token) {
        Some(candidate) if expected.matches(candidate) => Ok(()),
        Some(_) => Err(ApiError::new(ErrorCode::Unauthorized, "invalid token")),
        None => {
            Err(ApiError::new(ErrorCode::Unauthorized, "a token is required (Authorization: Bearer … or ?token=…)"))
        }
    }
}
