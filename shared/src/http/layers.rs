//! The stack every answer goes through, built from tower-http's layers. Outermost first:
//!
//! 1. compression (gzip, or brotli where built with it, when the client asks and the body
//!    is worth it);
//! 2. the request id: a caller's `x-request-id` when short and plain, ours otherwise,
//!    echoed on the response;
//! 3. the access log line, in a span that carries the request id;
//! 4. security headers (the ones a handler set itself are kept);
//! 5. our edge: the caller's address, error envelopes (for our errors and for anyone
//!    else's bare 4xx/5xx), the EMF metrics line, and a preflight from an origin we do
//!    not serve refused with our 403 envelope;
//! 6. CORS for the allowed origins;
//! 7. panics caught and answered as a 500 envelope;
//! 8. on a server that reads bodies itself, the body read (paced, within the shared
//!    buffer) before the request takes one of the slots it is handled in (`admission`).

use std::any::Any;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderName, HeaderValue, Method, Request, Response as HttpResponse, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use tower::ServiceBuilder;
use tower::util::MapRequestLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId as TowerRequestId, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

use super::error::error_body;
use super::extract::{ClientIp, RequestId, header_str};
use super::{ApiError, ErrorCode};
use crate::app::App;
use crate::counters::Counter;
use crate::metrics::phases::{self, CHAT_PATH, Phase};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Pages we render ourselves (the ticket view) need inline styles and nothing else.
pub const HTML_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Smaller answers (a chat turn's reply, health) go out as they are: on a 2-core host the
/// CPU to compress a kilobyte costs more than the bytes it saves; the widget's assets,
/// the OpenAPI document, exports and ticket pages are compressed.
const COMPRESS_ABOVE_BYTES: u16 = 2048;

/// The longest text of a stray error answer kept as the envelope's message.
const STRAY_MESSAGE_BYTES: usize = 512;

/// `router` with every layer the API promises, for `app`.
pub fn apply(router: Router<App>, app: &App) -> Router<App> {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    // One composed layer: `Router::layer` boxes each route once for it, where a layer
    // applied on its own would add a boxed service and future per layer and request.
    let stack = ServiceBuilder::new()
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new().and(SizeAbove::new(COMPRESS_ABOVE_BYTES))))
        .layer(MapRequestLayer::new(drop_unacceptable_request_id))
        .layer(SetRequestIdLayer::new(request_id.clone(), OurRequestIds))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response)
                .on_body_chunk(())
                .on_eos(())
                .on_failure(()),
        )
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ))
        // Assets other sites embed (the widget) say `cross-origin` themselves.
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("same-site"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(from_fn_with_state(app.clone(), edge))
        .layer(cors(app))
        .layer(CatchPanicLayer::custom(answer_panic))
        .layer(from_fn_with_state(app.clone(), super::admission::admit));
    router.layer(stack)
}

fn cors(app: &App) -> CorsLayer {
    let allowed = app.config().allowed_origins.clone();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| origin.to_str().is_ok_and(|o| allowed.allows(o))))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            HeaderName::from_static(super::SESSION_HEADER),
            header::AUTHORIZATION,
            HeaderName::from_static(REQUEST_ID_HEADER),
        ])
        .expose_headers([HeaderName::from_static(REQUEST_ID_HEADER), header::RETRY_AFTER])
        .max_age(Duration::from_secs(600))
        .vary([header::ORIGIN])
}

/// A caller's request id is kept only when short and plain: it reaches our logs.
fn drop_unacceptable_request_id(mut req: Request<Body>) -> Request<Body> {
    if header_str(req.headers(), REQUEST_ID_HEADER).is_some_and(|id| !crate::ids::is_acceptable_request_id(id)) {
        req.headers_mut().remove(REQUEST_ID_HEADER);
    }
    req
}

#[derive(Clone, Copy)]
struct OurRequestIds;

impl MakeRequestId for OurRequestIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<TowerRequestId> {
        HeaderValue::from_str(&crate::ids::request_id()).ok().map(TowerRequestId::new)
    }
}

fn request_id_of<B>(req: &Request<B>) -> &str {
    header_str(req.headers(), REQUEST_ID_HEADER).unwrap_or_default()
}

/// The route template when one matched (ids never reach logs or metric dimensions), else
/// the path with any session id in it replaced by its tag (a session id is a credential
/// for the session's data; a 404 path can carry one).
fn route_of<B>(req: &Request<B>) -> std::borrow::Cow<'_, str> {
    match req.extensions().get::<MatchedPath>() {
        Some(route) => route.as_str().into(),
        None => redact_session_ids(req.uri().path()),
    }
}

fn redact_session_ids(path: &str) -> std::borrow::Cow<'_, str> {
    if !path.split('/').any(|segment| crate::ids::SessionId::parse(segment).is_ok()) {
        return path.into();
    }
    let segments: Vec<String> = path
        .split('/')
        .map(|segment| match crate::ids::SessionId::parse(segment) {
            Ok(id) => crate::ids::session_tag(id.as_str()),
            Err(_) => segment.to_owned(),
        })
        .collect();
    segments.join("/").into()
}

fn request_span<B>(req: &Request<B>) -> Span {
    tracing::info_span!(
        "request",
        request_id = request_id_of(req),
        method = req.method().as_str(),
        path = &*route_of(req)
    )
}

fn log_response<B>(response: &HttpResponse<B>, latency: Duration, _span: &Span) {
    let (status, latency_ms) = (response.status().as_u16(), latency.as_secs_f64() * 1000.0);
    if response.status().is_server_error() {
        tracing::error!(status, latency_ms, "request failed");
    } else {
        tracing::info!(status, latency_ms, "request");
    }
}

/// Ours, around CORS: the caller's address for the handlers, every error answered in the
/// envelope, one EMF line per request and 5xx counted. CORS answers every `OPTIONS`
/// itself; one from an origin we do not serve is refused here with our envelope, and an
/// accepted one has no content.
async fn edge(State(app): State<App>, mut req: Request<Body>, next: Next) -> Response {
    let request_id = request_id_of(&req).to_owned();
    let through_the_edge = app.config().origin_check();
    let sent_origin = header_str(req.headers(), ORIGIN_HEADER).map(str::to_owned);
    if through_the_edge {
        if let Err(refused) = came_through_the_edge(&app, sent_origin.as_deref()).await {
            let mut refused = refused.into_response();
            fill_envelope(&mut refused, &request_id);
            return refused;
        }
        req.extensions_mut().insert(super::extract::ThroughTheEdge);
    }
    if req.method() == Method::OPTIONS {
        let origin = header_str(req.headers(), header::ORIGIN.as_str());
        if origin.is_some_and(|o| !app.config().allowed_origins.allows(o)) {
            let mut refused =
                ApiError::new(ErrorCode::OriginNotAllowed, "this origin may not call the API").into_response();
            fill_envelope(&mut refused, &request_id);
            return refused;
        }
        let mut response = next.run(req).await;
        if response.status() == StatusCode::OK {
            *response.status_mut() = StatusCode::NO_CONTENT;
        }
        return response;
    }
    let started = Instant::now();
    let client_ip = client_ip_for(&req, app.config().trust_forwarded_for, through_the_edge);
    let route = route_of(&req).into_owned();
    let chat_turn = req.uri().path() == CHAT_PATH;
    req.extensions_mut().insert(RequestId(request_id.clone()));
    req.extensions_mut().insert(ClientIp(client_ip));

    let mut response = envelope_stray_error(next.run(req).await).await;
    fill_envelope(&mut response, &request_id);
    let status = response.status();
    let elapsed = started.elapsed();
    if chat_turn {
        phases::record(Phase::Request, elapsed);
    }
    crate::metrics::emf_request(&route, status.as_u16(), elapsed.as_secs_f64() * 1000.0);
    if status.is_server_error() {
        // Counted off the response path: when the store is what failed, this would wait too.
        let counting = app.clone();
        tokio::spawn(async move { counting.count(&[(Counter::Http5xx, 1)]).await });
    }
    response
}

/// The header CloudFront adds to every request it forwards, with the origin secret.
pub const ORIGIN_HEADER: &str = "x-sti-origin";

/// Whether the request carries the origin secret: only the proxy in front (CloudFront)
/// knows it, so without it the request came around the edge's protection.
async fn came_through_the_edge(app: &App, sent: Option<&str>) -> Result<(), ApiError> {
    let secrets = app.backend().secrets.load().await.map_err(|e| {
        tracing::error!(error = %e, "cannot read the origin secret");
        ApiError::new(ErrorCode::StorageUnavailable, "the service cannot check where the request came from")
    })?;
    match secrets.origin_secret {
        Some(secret) if secret.matches(sent.unwrap_or("")) => Ok(()),
        _ => Err(ApiError::new(ErrorCode::DirectAccessRefused, "call the API through its public address")),
    }
}

/// The viewer's address CloudFront reports (`198.51.100.7:46532`, an IPv6 address with
/// its port after the last colon), without the port.
fn viewer_address(req: &Request<Body>) -> Option<String> {
    let (ip, _port) = header_str(req.headers(), "cloudfront-viewer-address")?.trim().rsplit_once(':')?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    ip.parse::<std::net::IpAddr>().ok().map(|ip| ip.to_string())
}

/// The host (local server, Lambda adapter) sets `ClientIp` from the connection; behind
/// CloudFront (the origin header checked) the viewer's address is the caller; behind a
/// trusted proxy the last X-Forwarded-For hop is the caller as that proxy saw it.
fn client_ip_for(req: &Request<Body>, trust_forwarded_for: bool, through_the_edge: bool) -> String {
    if through_the_edge && let Some(viewer) = viewer_address(req) {
        return viewer;
    }
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

/// An error answer's JSON envelope, written once the request id is known.
fn fill_envelope(response: &mut Response, request_id: &str) {
    if let Some(error) = response.extensions_mut().remove::<ApiError>() {
        *response.body_mut() = Body::from(error_body(&error, request_id));
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
}

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
    let (mut parts, body) = response.into_parts();
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
    // Its headers stay (CORS, Allow, Retry-After); the status is the code's, the body
    // becomes the envelope.
    parts.status = code.status();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.extensions.insert(ApiError::new(code, message));
    Response::from_parts(parts, Body::empty())
}

/// A handler that panicked: logged, and answered with a 500 envelope (no detail).
fn answer_panic(_panic: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    ApiError::internal().into_response()
}
