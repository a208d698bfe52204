//! The one error type of the HTTP layer. Handlers return it; the response middleware
//! renders `{"error":{"code","message"},"requestId"}` with the request's id.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::ports::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after_secs: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), retry_after_secs: None }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn payload_too_large(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, code, message)
    }

    pub fn unsupported_media_type(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, code, message)
    }

    pub fn rate_limited(code: &'static str, retry_after_secs: u64) -> ApiError {
        ApiError {
            retry_after_secs: Some(retry_after_secs),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                code,
                format!("too many requests; try again in {retry_after_secs} s"),
            )
        }
    }

    pub fn unavailable(code: &'static str, message: impl Into<String>, retry_after_secs: u64) -> ApiError {
        ApiError {
            retry_after_secs: Some(retry_after_secs),
            ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
        }
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "storage unavailable");
                ApiError::unavailable("storage_unavailable", "storage is temporarily unavailable; please retry", 2)
            }
            StoreError::Corrupt(detail) => {
                tracing::error!(error = %detail, "stored data unreadable");
                ApiError::internal("an internal error occurred")
            }
        }
    }
}

impl From<crate::ids::RandomUnavailable> for ApiError {
    fn from(e: crate::ids::RandomUnavailable) -> ApiError {
        tracing::error!(error = %e, "no randomness for identifiers");
        ApiError::unavailable("random_unavailable", "cannot create identifiers right now; please retry", 5)
    }
}

impl IntoResponse for ApiError {
    /// The body is written by the response middleware, which knows the request id.
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response.extensions_mut().insert(self);
        response
    }
}

/// The JSON body of an error answer.
pub fn error_body(error: &ApiError, request_id: &str) -> String {
    serde_json::json!({
        "error": { "code": error.code, "message": error.message },
        "requestId": request_id,
    })
    .to_string()
}
