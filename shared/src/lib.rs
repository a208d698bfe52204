//! STI Chat's common crate: domain (conversation, PII, images), ports and backends,
//! HTTP handlers shared by the Lambda functions and the local server.

pub mod chat;
pub mod images;
pub mod pii;
pub mod text;
