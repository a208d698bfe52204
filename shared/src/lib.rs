//! STI Chat's common crate: domain (conversation, PII, images), ports and backends,
//! HTTP handlers shared by the Lambda functions and the local server.

pub mod backends;
pub mod chat;
pub mod config;
pub mod handlers;
pub mod http;
pub mod ids;
pub mod images;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod metrics;
pub mod pii;
pub mod ports;
pub mod services;
pub mod smart;
pub mod text;
pub mod time;
