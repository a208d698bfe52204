//! The one error type of the HTTP layer and the only place public error codes are
//! spelled. Handlers return `ApiError`; domain errors become one here; the response
//! middleware renders `{"error":{"code","message"},"requestId"}` with the request's id.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{Error, IdKind, ImageRejection, SignedPutRefusal};
use crate::ports::StoreError;

macro_rules! error_codes {
    ($($variant:ident = $code:literal => $status:ident,)+) => {
        /// Every error code the API answers with, and its status.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($variant,)+
        }

        impl ErrorCode {
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)+
                }
            }

            /// The code a bare error status stands for, when something answered one
            /// without saying more (the envelope's safety net).
            pub fn for_status(status: StatusCode) -> ErrorCode {
                match status {
                    StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
                    StatusCode::NOT_FOUND => ErrorCode::NotFound,
                    StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
                    StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
                    StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
                    StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
                    s if s.is_server_error() => ErrorCode::InternalError,
                    _ => ErrorCode::InvalidRequest,
                }
            }

            pub fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$variant => StatusCode::$status,)+
                }
            }
        }
    };
}

error_codes! {
    InvalidJson = "invalid_json" => BAD_REQUEST,
    InvalidRequest = "invalid_request" => BAD_REQUEST,
    UnreadableBody = "unreadable_body" => BAD_REQUEST,
    MissingSessionId = "missing_session_id" => BAD_REQUEST,
    InvalidSessionId = "invalid_session_id" => BAD_REQUEST,
    MissingMessage = "missing_message" => BAD_REQUEST,
    EmptyMessage = "empty_message" => BAD_REQUEST,
    MessageTooLong = "message_too_long" => BAD_REQUEST,
    InvalidButton = "invalid_button" => BAD_REQUEST,
    MissingValue = "missing_value" => BAD_REQUEST,
    InvalidAction = "invalid_action" => BAD_REQUEST,
    AmbiguousRequest = "ambiguous_request" => BAD_REQUEST,
    InvalidMessageId = "invalid_message_id" => BAD_REQUEST,
    InvalidLocale = "invalid_locale" => BAD_REQUEST,
    MissingImage = "missing_image" => BAD_REQUEST,
    EmptyImage = "empty_image" => BAD_REQUEST,
    InvalidMultipart = "invalid_multipart" => BAD_REQUEST,
    InvalidImage = "invalid_image" => BAD_REQUEST,
    ImageDimensions = "image_dimensions" => BAD_REQUEST,
    InvalidUploadId = "invalid_upload_id" => BAD_REQUEST,
    InvalidLimit = "invalid_limit" => BAD_REQUEST,
    InvalidFormat = "invalid_format" => BAD_REQUEST,
    InvalidQuery = "invalid_query" => BAD_REQUEST,
    InvalidPath = "invalid_path" => BAD_REQUEST,
    InvalidRating = "invalid_rating" => BAD_REQUEST,
    Unauthorized = "unauthorized" => UNAUTHORIZED,
    InvalidSignature = "invalid_signature" => FORBIDDEN,
    UploadUrlExpired = "upload_url_expired" => FORBIDDEN,
    LinkExpired = "link_expired" => FORBIDDEN,
    OriginNotAllowed = "origin_not_allowed" => FORBIDDEN,
    DirectAccessRefused = "direct_access_refused" => FORBIDDEN,
    SessionNotFound = "session_not_found" => NOT_FOUND,
    UploadNotFound = "upload_not_found" => NOT_FOUND,
    TicketNotFound = "ticket_not_found" => NOT_FOUND,
    FileNotFound = "file_not_found" => NOT_FOUND,
    NotFound = "not_found" => NOT_FOUND,
    MethodNotAllowed = "method_not_allowed" => METHOD_NOT_ALLOWED,
    RequestTimeout = "request_timeout" => REQUEST_TIMEOUT,
    UploadAlreadyReceived = "upload_already_received" => CONFLICT,
    ConversationFull = "conversation_full" => CONFLICT,
    NothingToRate = "nothing_to_rate" => CONFLICT,
    AlreadyRated = "already_rated" => CONFLICT,
    LengthRequired = "length_required" => LENGTH_REQUIRED,
    PayloadTooLarge = "payload_too_large" => PAYLOAD_TOO_LARGE,
    UseUploadUrl = "use_upload_url" => PAYLOAD_TOO_LARGE,
    ImageTooLarge = "image_too_large" => PAYLOAD_TOO_LARGE,
    UnsupportedMediaType = "unsupported_media_type" => UNSUPPORTED_MEDIA_TYPE,
    UnsupportedImageType = "unsupported_image_type" => UNSUPPORTED_MEDIA_TYPE,
    RateLimited = "rate_limited" => TOO_MANY_REQUESTS,
    TicketLimit = "ticket_limit" => TOO_MANY_REQUESTS,
    UploadLimitReached = "upload_limit_reached" => TOO_MANY_REQUESTS,
    InternalError = "internal_error" => INTERNAL_SERVER_ERROR,
    StorageUnavailable = "storage_unavailable" => SERVICE_UNAVAILABLE,
    SessionBusy = "session_busy" => SERVICE_UNAVAILABLE,
    OperatorEndpointDisabled = "operator_endpoint_disabled" => SERVICE_UNAVAILABLE,
    RandomUnavailable = "random_unavailable" => SERVICE_UNAVAILABLE,
    SessionIdExhausted = "session_id_exhausted" => SERVICE_UNAVAILABLE,
    TicketIdExhausted = "ticket_id_exhausted" => SERVICE_UNAVAILABLE,
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub retry_after_secs: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into(), retry_after_secs: None }
    }

    /// An error the caller may retry after `secs` (429 and 503 answers).
    pub fn retry_after(code: ErrorCode, message: impl Into<String>, secs: u64) -> ApiError {
        ApiError { retry_after_secs: Some(secs), ..ApiError::new(code, message) }
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    pub fn internal() -> ApiError {
        ApiError::new(ErrorCode::InternalError, "an internal error occurred")
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "storage unavailable");
                ApiError::retry_after(
                    ErrorCode::StorageUnavailable,
                    "storage is temporarily unavailable; please retry",
                    2,
                )
            }
            StoreError::Corrupt(detail) => {
                tracing::error!(error = %detail, "stored data unreadable");
                ApiError::internal()
            }
            StoreError::Rejected(detail) => {
                tracing::error!(error = %detail, "the store refused a request");
                ApiError::internal()
            }
        }
    }
}

impl From<ImageRejection> for ApiError {
    fn from(rejection: ImageRejection) -> ApiError {
        let code = match rejection {
            ImageRejection::Empty => ErrorCode::EmptyImage,
            ImageRejection::TooLarge { .. } => ErrorCode::ImageTooLarge,
            ImageRejection::UnsupportedType => ErrorCode::UnsupportedImageType,
            ImageRejection::Corrupt => ErrorCode::InvalidImage,
            ImageRejection::Dimensions { .. } => ErrorCode::ImageDimensions,
        };
        ApiError::new(code, rejection.to_string())
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let message = e.to_string();
        match e {
            Error::SessionNotFound | Error::NothingStored => ApiError::new(ErrorCode::SessionNotFound, message),
            Error::SessionBusy => ApiError::retry_after(ErrorCode::SessionBusy, message, 1),
            Error::ConversationFull { .. } => ApiError::new(ErrorCode::ConversationFull, message),
            Error::NothingToRate => ApiError::new(ErrorCode::NothingToRate, message),
            Error::LinkInvalid => ApiError::new(ErrorCode::InvalidSignature, message),
            Error::LinkExpired => ApiError::new(ErrorCode::LinkExpired, message),
            Error::FileNotFound => ApiError::new(ErrorCode::FileNotFound, message),
            Error::AlreadyRated => ApiError::new(ErrorCode::AlreadyRated, message),
            Error::UploadNotFound => ApiError::new(ErrorCode::UploadNotFound, message),
            Error::TicketNotFound => ApiError::new(ErrorCode::TicketNotFound, message),
            Error::RateLimited { retry_after_secs } => {
                ApiError::retry_after(ErrorCode::RateLimited, message, retry_after_secs)
            }
            Error::TicketLimit { retry_after_secs } => {
                ApiError::retry_after(ErrorCode::TicketLimit, message, retry_after_secs)
            }
            Error::UploadLimitReached { retry_after_secs, .. } => {
                ApiError::retry_after(ErrorCode::UploadLimitReached, message, retry_after_secs)
            }
            Error::UploadUrlInvalid(refusal) => ApiError::new(ErrorCode::InvalidSignature, signed_put_message(refusal)),
            Error::UploadUrlExpired => ApiError::new(ErrorCode::UploadUrlExpired, message),
            Error::LengthRequired => ApiError::new(
                ErrorCode::LengthRequired,
                "send the body with a Content-Length header (the size the URL was signed for)",
            ),
            Error::UploadAlreadyReceived => ApiError::new(ErrorCode::UploadAlreadyReceived, message),
            Error::UseUploadUrl { max } => ApiError::new(
                ErrorCode::UseUploadUrl,
                format!(
                    "bodies over {max} bytes do not fit through this endpoint here: ask POST /api/upload-url for a URL and PUT the image there"
                ),
            ),
            Error::Image(rejection) => rejection.into(),
            Error::IdsExhausted(IdKind::Session) => ApiError::retry_after(ErrorCode::SessionIdExhausted, message, 1),
            Error::IdsExhausted(IdKind::Ticket) => ApiError::retry_after(ErrorCode::TicketIdExhausted, message, 1),
            Error::Random(e) => {
                tracing::error!(error = %e, "no randomness for identifiers");
                ApiError::retry_after(
                    ErrorCode::RandomUnavailable,
                    "cannot create identifiers right now; please retry",
                    5,
                )
            }
            Error::Store(e) => e.into(),
        }
    }
}

/// A refused signed `PUT`, in the words of the request the client sent (its headers).
fn signed_put_message(refusal: SignedPutRefusal) -> &'static str {
    match refusal {
        SignedPutRefusal::NotSigned => "this upload URL is not one this server signed",
        SignedPutRefusal::OtherType => "the Content-Type differs from the one the URL was signed for",
        SignedPutRefusal::OtherLength => "the Content-Length differs from the size the URL was signed for",
        SignedPutRefusal::OtherBodySize => "the body is not the size the URL was signed for",
    }
}

impl From<crate::ids::RandomUnavailable> for ApiError {
    fn from(e: crate::ids::RandomUnavailable) -> ApiError {
        Error::Random(e).into()
    }
}

impl IntoResponse for ApiError {
    /// The body is written by the response middleware, which knows the request id.
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response.extensions_mut().insert(self);
        response
    }
}

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    error: ErrorDetail<'a>,
    #[serde(rename = "requestId")]
    request_id: &'a str,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: ErrorCode,
    message: &'a str,
}

/// The JSON body of an error answer.
pub fn error_body(error: &ApiError, request_id: &str) -> String {
    let envelope = ErrorEnvelope { error: ErrorDetail { code: error.code, message: &error.message }, request_id };
    serde_json::to_string(&envelope)
        .unwrap_or_else(|_| format!("{{\"error\":{{\"code\":\"{}\",\"message\":\"\"}}}}", error.code.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_retry_afters_only_on_429_and_503() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            assert!(code.status().is_client_error() || code.status().is_server_error());
        }
        let limited: ApiError = Error::TicketLimit { retry_after_secs: 7 }.into();
        assert_eq!((limited.code, limited.retry_after_secs), (ErrorCode::TicketLimit, Some(7)));
        let busy: ApiError = Error::SessionBusy.into();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(busy.retry_after_secs.is_some());
    }

    #[test]
    fn envelope_names_the_code_and_request() {
        let body = error_body(&ApiError::new(ErrorCode::InvalidJson, "bad \"x\""), "req-1");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(v["error"]["code"], "invalid_json");
        assert_eq!(v["error"]["message"], "bad \"x\"");
        assert_eq!(v["requestId"], "req-1");
    }
}
