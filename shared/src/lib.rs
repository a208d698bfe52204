//! STI Chat's common crate. From the bottom up: the pure domain (`chat`, `pii`, `images`,
//! `ids`, `text`, `time`), `config`, the `ports` and their `backends`, the `app` every
//! host builds, the `services`, and the HTTP edge (`http`, `handlers`) that the Lambda
//! functions (`lambda`) and `sti serve` both host. Nothing below `http` imports it.

pub mod app;
pub mod backends;
pub mod chat;
pub mod config;
pub mod counters;
pub mod error;
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
