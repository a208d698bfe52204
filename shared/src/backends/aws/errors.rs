//! SDK errors → `StoreError`. Everything the service or the network says is worth
//! retrying, a timeout, or a misconfiguration is "unavailable" (503 with Retry-After);
//! a request DynamoDB calls invalid (`ValidationException`) is refused for good (500);
//! our own data failing to parse is corruption (500), and that happens elsewhere.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::ports::StoreError;

pub fn sdk<E, R>(operation: &str, error: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let detail = match (&error, error.code()) {
        // A service answer: its code and message say it all (the raw response is noise).
        (SdkError::ServiceError(_), Some(code)) => format!("{code}: {}", error.message().unwrap_or("")),
        // Timeouts, connection failures, throttling before an answer: the full chain.
        _ => DisplayErrorContext(&error).to_string(),
    };
    match error.code() {
        // The request itself is wrong (an item over 400 KB, say): retrying cannot help.
        Some("ValidationException") => StoreError::Rejected(format!("{operation}: {detail}")),
        _ => StoreError::Unavailable(format!("{operation}: {detail}")),
    }
}
