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

/// The shortest LOG_TOKEN accepted in production, wherever it comes from.
pub const MIN_PRODUCTION_TOKEN_CHARS: usize = 16;

/// Operator endpoints (`/api/logs`, `/api/metrics` in production) need LOG_TOKEN, by
/// `Authorization: Bearer` or `?token=`, compared in constant time. Without a
/// configured token they are closed in production (503) and need a token (401) unless
/// `STI_ENV=development` was set explicitly. A production token shorter than 16
/// characters (say, a hand-edited secret) closes them too.
pub async fn operator(
    app: &App,
    headers: &HeaderMap,
    query_token: Option<&str>,
    without_token: WithoutToken,
) -> ApiResult<()> {
    let configured = app.backend().secrets.load().await?.log_token.or_else(|| app.config().log_token.clone());
    let production = app.config().is_production();
    let Some(expected) = configured else {
        if production {
            return Err(ApiError::retry_after(
                ErrorCode::OperatorEndpointDisabled,
                "this endpoint is disabled until LOG_TOKEN is configured",
                3600,
            ));
        }
        return match without_token {
            WithoutToken::OpenInDevelopment if app.config().development_explicit => Ok(()),
            WithoutToken::OpenInDevelopment => Err(ApiError::new(
                ErrorCode::Unauthorized,
                "a token is required: configure LOG_TOKEN, or set STI_ENV=development to open this endpoint locally",
            )),
            WithoutToken::Closed => Err(ApiError::new(ErrorCode::Unauthorized, "a token is required")),
        };
    };
    if production && expected.expose().chars().count() < MIN_PRODUCTION_TOKEN_CHARS {
        tracing::error!(
            "LOG_TOKEN is shorter than {MIN_PRODUCTION_TOKEN_CHARS} characters; operator endpoints stay closed"
        );
        return Err(ApiError::retry_after(
            ErrorCode::OperatorEndpointDisabled,
            "this endpoint is disabled until a LOG_TOKEN of at least 16 characters is configured",
            3600,
        ));
    }
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
