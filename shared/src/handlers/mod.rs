//! One module per endpoint: parse → domain → ports → response.

pub mod chat;
pub mod greeting;
pub mod health;
pub mod logs;
pub mod metrics;
pub mod session_data;
pub mod ticket;
pub mod upload;
pub mod validate;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A JSON response from an already-encoded body.
pub fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
