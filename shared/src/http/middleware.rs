//! What every response goes through: request id, client address, CORS, panics turned
//! into 500s, error bodies, security headers and one access-log line.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use http_body_util::BodyExt;
use tracing::Instrument;

use super::error::error_body;
use super::extract::{ClientIp, RequestId, header_str};
use super::{ApiError, ErrorCode};
use crate::app::App;
use crate::counters::Counter;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

const ALLOWED_METHODS: &str = "GET, POST, PUT, DELETE, OPTIONS";
const ALLOWED_HEADERS: &str = "content-type, x-session-id, authorization, x-request-id";
const EXPOSED_HEADERS: &str = "x-request-id, retry-after";

/// Pages we render ourselves (the ticket view) need inline styles and nothing else.
pub const HTML_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

fn request_id_for(headers: &HeaderMap) -> String {
    match header_str(headers, REQUEST_ID_HEADER) {
        Some(id) if crate::ids::is_acceptable_request_id(id) => id.to_owned(),
        _ => crate::ids::request_id(),
    }
}

/// The host (local server, Lambda adapter) sets `ClientIp` from the connection; behind
/// a trusted proxy the last X-Forwarded-For hop is the caller as that proxy saw it.
fn client_ip_for(req: &Request<Body>, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for
        && let Some(last) = header_str(req.headers(), "x-forwarded-for").and_then(|v| v.rsplit(',').next())
        && !last.trim().is_empty()
    {
        return last.trim().to_owned();
    }
    match req.extensions().get::<ClientIp>() {
        Some(ip) => ip.0.clone(),
        None => "unknown".to_owned(),
    }
}

pub async fn around(State(app): State<App>, mut req: Request<Body>, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request_id_for(req.headers());
    let client_ip = client_ip_for(&req, app.config().trust_forwarded_for);
    let method = req.method().clone();
    let origin = header_str(req.headers(), "origin").map(str::to_owned);
    let origin_allowed = origin.as_deref().is_some_and(|o| app.config().allowed_origins.allows(o));
    req.extensions_mut().insert(RequestId(request_id.clone()));
    req.extensions_mut().insert(ClientIp(client_ip));
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let path = route.unwrap_or_else(|| req.uri().path().to_owned());

    let is_preflight = method == Method::OPTIONS && req.headers().contains_key("access-control-request-method");
    let span = tracing::info_span!("request", request_id = %request_id);
    let response = if is_preflight {
        if origin_allowed {
            preflight()
        } else {
            ApiError::new(ErrorCode::OriginNotAllowed, "this origin may not call the API").into_response()
        }
    } else {
        match AssertUnwindSafe(next.run(req).instrument(span.clone())).catch_unwind().await {
            Ok(response) => response,
            Err(_) => {
                tracing::error!(parent: &span, "handler panicked");
                ApiError::internal().into_response()
            }
        }
    };

    let mut response = envelope_stray_error(response).await;
    if let Some(error) = response.extensions_mut().remove::<ApiError>() {
        let body = error_body(&error, &request_id);
        *response.body_mut() = Body::from(body);
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    decorate(response.headers_mut(), &request_id, origin.as_deref().filter(|_| origin_allowed));

    let status = response.status();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let _entered = span.enter();
    if !is_preflight {
        crate::metrics::emf_request(&path, status.as_u16(), latency_ms);
    }
    if status.is_server_error() {
        tracing::error!(%method, path, status = status.as_u16(), latency_ms, "request failed");
        // Counted off the response path: when the store is what failed, this would wait too.
        let counting = app.clone();
        tokio::spawn(async move { counting.count(&[(Counter::Http5xx, 1)]).await });
    } else {
        tracing::info!(%method, path, status = status.as_u16(), latency_ms, "request");
    }
    response
}

/// The longest text of a stray error answer kept as the envelope's message.
const STRAY_MESSAGE_BYTES: usize = 512;

/// An error answered without our envelope (a framework rejection, a layer's refusal)
/// gets one, with its own text as the message, so every 4xx/5xx has the same shape.
async fn envelope_stray_error(response: Response) -> Response {
    let status = response.status();
    let has_envelope = response.extensions().get::<ApiError>().is_some()
        || header_str(response.headers(), header::CONTENT_TYPE.as_str())
            .is_some_and(|t| t.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || has_envelope {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match http_body_util::Limited::new(body, STRAY_MESSAGE_BYTES * 8).collect().await {
        Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).trim().to_owned(),
        Err(_) => String::new(),
    };
    let message = match text.char_indices().nth(STRAY_MESSAGE_BYTES) {
        _ if text.is_empty() => status.canonical_reason().unwrap_or("error").to_owned(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    };
    let code = ErrorCode::for_status(status);
    tracing::debug!(status = status.as_u16(), code = code.as_str(), "error answered outside the envelope");
    let mut enveloped = ApiError::new(code, message).into_response();
    for name in [header::RETRY_AFTER, header::ALLOW] {
        if let Some(value) = parts.headers.get(&name) {
            enveloped.headers_mut().insert(name, value.clone());
        }
    }
    enveloped
}

fn preflight() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert("access-control-allow-methods", HeaderValue::from_static(ALLOWED_METHODS));
    h.insert("access-control-allow-headers", HeaderValue::from_static(ALLOWED_HEADERS));
    h.insert("access-control-max-age", HeaderValue::from_static("600"));
    response
}

fn decorate(h: &mut HeaderMap, request_id: &str, allowed_origin: Option<&str>) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(REQUEST_ID_HEADER, v);
    }
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("strict-transport-security", HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    // Assets other sites embed (the widget) say `cross-origin` themselves.
    if !h.contains_key("cross-origin-resource-policy") {
        h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-site"));
    }
    if !h.contains_key("content-security-policy") {
        h.insert("content-security-policy", HeaderValue::from_static(API_CSP));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if h.contains_key("access-control-allow-origin") {
        return;
    }
    if let Some(origin) = allowed_origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        h.insert("access-control-allow-origin", origin);
        h.insert("access-control-expose-headers", HeaderValue::from_static(EXPOSED_HEADERS));
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}
