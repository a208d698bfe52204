//! What SQLite's errors mean to the callers of the store.

use rusqlite::ErrorCode;

use crate::ports::StoreError;

/// Lock contention and I/O trouble are worth retrying (503); anything else means the
/// data or the schema is not what we wrote.
pub fn map_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::CannotOpen
            | ErrorCode::ReadOnly
            | ErrorCode::OutOfMemory,
        ) => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Corrupt(e.to_string()),
    }
}
