//! HTTP glue shared by every host: application state, the router of endpoints (all of
//! them for `sti serve`, one per Lambda function), middleware, extractors, errors.

mod error;
pub mod extract;
mod middleware;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{MethodRouter, delete, get, post};
use tokio::sync::Notify;

pub use error::{ApiError, ApiResult, error_body};
pub use extract::{ClientIp, RequestId};
pub use middleware::{HTML_CSP, REQUEST_ID_HEADER};

use crate::config::Config;
use crate::handlers;
use crate::pii::mask_pii;
use crate::ports::{Backend, LogEntry, LogLevel};
use crate::time::{now_ms, rfc3339};

/// Everything a handler needs, built once per process (per Lambda cold start).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    backend: Backend,
    smart: Option<Arc<crate::smart::Smart>>,
    started: Instant,
    /// Wakes an in-process worker as soon as a job is queued (local server only).
    work_signal: Option<Arc<Notify>>,
}

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How long a counter or app-log write may hold up a response.
const AUXILIARY_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1_000);

impl AppState {
    pub fn new(config: Config, backend: Backend) -> AppState {
        AppState::with_work_signal(config, backend, None)
    }

    pub fn with_work_signal(config: Config, backend: Backend, work_signal: Option<Arc<Notify>>) -> AppState {
        AppState { inner: Arc::new(Inner { config, backend, smart: None, started: Instant::now(), work_signal }) }
    }

    /// The same state with smart mode served by `smart`.
    pub fn with_smart(self, smart: crate::smart::Smart) -> AppState {
        let inner = &self.inner;
        AppState {
            inner: Arc::new(Inner {
                config: inner.config.clone(),
                backend: inner.backend.clone(),
                smart: Some(Arc::new(smart)),
                started: inner.started,
                work_signal: inner.work_signal.clone(),
            }),
        }
    }

    /// Smart mode, when this process runs it.
    pub fn smart(&self) -> Option<&crate::smart::Smart> {
        self.inner.smart.as_deref()
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn backend(&self) -> &Backend {
        &self.inner.backend
    }

    pub fn uptime_secs(&self) -> u64 {
        self.inner.started.elapsed().as_secs()
    }

    pub fn signal_work(&self) {
        if let Some(signal) = &self.inner.work_signal {
            signal.notify_one();
        }
    }

    /// Bumps shared counters; metrics must never fail or stall a request, so errors are
    /// logged and a slow store is given up on.
    pub async fn count(&self, deltas: &[(&str, i64)]) {
        match tokio::time::timeout(AUXILIARY_WRITE_TIMEOUT, self.backend().counters.add(deltas)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not update counters"),
            Err(_) => tracing::warn!("counters update timed out"),
        }
    }

    /// Appends to the application log behind `/api/logs`; the message is masked here.
    pub async fn log_event(
        &self,
        level: LogLevel,
        event: &str,
        request_id: Option<&str>,
        session_id: Option<&str>,
        message: &str,
    ) {
        let at = now_ms();
        let entry = LogEntry {
            ts: rfc3339(at),
            at,
            level,
            event: event.to_owned(),
            request_id: request_id.map(str::to_owned),
            session_id: session_id.map(str::to_owned),
            message: mask_pii(message),
        };
        let expires = at + self.config().retention.log_ms;
        match tokio::time::timeout(AUXILIARY_WRITE_TIMEOUT, self.backend().applog.append(&entry, expires)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, event, "could not write the app log"),
            Err(_) => tracing::warn!(event, "app log write timed out"),
        }
    }
}

/// The endpoints of SPEC.md, each servable alone (one Lambda function each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Health,
    Greeting,
    SessionValidate,
    Chat,
    UploadImage,
    UploadStatus,
    WhatsappTicket,
    Ticket,
    Logs,
    Metrics,
    SessionData,
}

impl Endpoint {
    pub const ALL: [Endpoint; 11] = [
        Endpoint::Health,
        Endpoint::Greeting,
        Endpoint::SessionValidate,
        Endpoint::Chat,
        Endpoint::UploadImage,
        Endpoint::UploadStatus,
        Endpoint::WhatsappTicket,
        Endpoint::Ticket,
        Endpoint::Logs,
        Endpoint::Metrics,
        Endpoint::SessionData,
    ];

    /// The Lambda function (binary) that serves this endpoint.
    pub fn function_name(self) -> &'static str {
        match self {
            Endpoint::Health => "health",
            Endpoint::Greeting => "greeting",
            Endpoint::SessionValidate => "session-validate",
            Endpoint::Chat => "chat",
            Endpoint::UploadImage => "upload-image",
            Endpoint::UploadStatus => "upload-status",
            Endpoint::WhatsappTicket => "whatsapp-ticket",
            Endpoint::Ticket => "ticket",
            Endpoint::Logs => "logs",
            Endpoint::Metrics => "metrics",
            Endpoint::SessionData => "session-data",
        }
    }

    pub fn routes(self) -> Routes {
        match self {
            Endpoint::Health => routes::health(),
            Endpoint::Greeting => routes::greeting(),
            Endpoint::SessionValidate => routes::session_validate(),
            Endpoint::Chat => routes::chat(),
            Endpoint::UploadImage => routes::upload_image(),
            Endpoint::UploadStatus => routes::upload_status(),
            Endpoint::WhatsappTicket => routes::whatsapp_ticket(),
            Endpoint::Ticket => routes::ticket(),
            Endpoint::Logs => routes::logs(),
            Endpoint::Metrics => routes::metrics(),
            Endpoint::SessionData => routes::session_data(),
        }
    }
}

/// Paths and method routers of one endpoint.
pub type Routes = Vec<(&'static str, MethodRouter<AppState>)>;

/// One function per endpoint, so that a Lambda binary naming only its own links only
/// its own handler.
pub mod routes {
    use super::*;

    pub fn health() -> Routes {
        vec![("/api/health", get(handlers::health::health))]
    }

    pub fn greeting() -> Routes {
        vec![("/api/greeting", post(handlers::greeting::greeting))]
    }

    pub fn session_validate() -> Routes {
        vec![("/api/session/validate", post(handlers::validate::validate))]
    }

    pub fn chat() -> Routes {
        vec![("/api/chat", post(handlers::chat::chat))]
    }

    /// The handler bounds the body itself (image limit + multipart overhead).
    pub fn upload_image() -> Routes {
        vec![("/api/upload-image", post(handlers::upload::upload_image).layer(DefaultBodyLimit::disable()))]
    }

    pub fn upload_status() -> Routes {
        vec![("/api/upload/{upload_id}", get(handlers::upload::upload_status))]
    }

    pub fn whatsapp_ticket() -> Routes {
        vec![("/api/whatsapp-ticket", post(handlers::ticket::whatsapp_ticket))]
    }

    pub fn ticket() -> Routes {
        vec![("/api/ticket/{ticket_id}", get(handlers::ticket::view_ticket))]
    }

    pub fn logs() -> Routes {
        vec![("/api/logs", get(handlers::logs::logs))]
    }

    pub fn metrics() -> Routes {
        vec![("/api/metrics", get(handlers::metrics::metrics))]
    }

    pub fn session_data() -> Routes {
        vec![
            ("/api/session/{session_id}/export", get(handlers::session_data::export)),
            ("/api/session/{session_id}", delete(handlers::session_data::erase)),
        ]
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint does not accept that method")
}

/// A router serving `endpoints` with every layer the API promises.
pub fn router(state: AppState, endpoints: &[Endpoint]) -> Router {
    router_for(state, endpoints.iter().flat_map(|e| e.routes()).collect())
}

/// A router serving exactly `routes` with every layer the API promises.
pub fn router_for(state: AppState, routes: Routes) -> Router {
    let mut router = Router::new();
    for (path, method_router) in routes {
        router = router.route(path, method_router);
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::around))
        .with_state(state)
}
