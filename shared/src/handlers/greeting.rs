use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::json_response;
use crate::chat::{self, Locale, PrivacyTerms};
use crate::http::extract::JsonBody;
use crate::http::{ApiError, ApiResult, AppState, ClientIp, RequestId};
use crate::ids::SessionId;
use crate::ports::{LogLevel, RateDecision, Session};
use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS, now_ms, rfc3339};

#[derive(Deserialize)]
pub struct GreetingRequest {
    #[serde(default)]
    locale: Option<String>,
}

pub fn parse_locale(raw: Option<&str>) -> ApiResult<Locale> {
    match raw.map(|l| l.trim().to_ascii_lowercase()) {
        None => Ok(Locale::Es),
        Some(l) if l == "es" || l.starts_with("es-") => Ok(Locale::Es),
        Some(l) if l == "en" || l.starts_with("en-") => Ok(Locale::En),
        Some(_) => Err(ApiError::bad_request("invalid_locale", "locale must be \"es\" or \"en\"")),
    }
}

/// Applies a shared rate limit, answering 429 with `Retry-After` when exceeded.
pub async fn enforce_limit(
    state: &AppState,
    key: &str,
    limit: u32,
    window_ms: i64,
    code: &'static str,
) -> ApiResult<()> {
    match state.backend().limiter.hit(key, limit, window_ms, now_ms()).await? {
        RateDecision::Allowed => Ok(()),
        RateDecision::Limited { retry_after_secs } => {
            state.count(&[("ratelimit.rejected", 1)]).await;
            Err(ApiError::rate_limited(code, retry_after_secs))
        }
    }
}

pub fn privacy_terms(state: &AppState) -> PrivacyTerms {
    let r = &state.config().retention;
    PrivacyTerms {
        session_hours: (r.session_ms / HOUR_MS).max(1) as u64,
        upload_days: (r.upload_ms / DAY_MS).max(1) as u64,
        ticket_days: (r.ticket_ms / DAY_MS).max(1) as u64,
    }
}

const MAX_ID_ATTEMPTS: usize = 5;

pub async fn greeting(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    JsonBody(body): JsonBody<GreetingRequest>,
) -> ApiResult<Response> {
    let locale = parse_locale(body.locale.as_deref())?;
    let limit = state.config().limits.greeting_per_min_ip;
    enforce_limit(&state, &format!("greeting:ip:{ip}"), limit, MINUTE_MS, "rate_limited").await?;

    let (conversation, reply) = chat::greet(locale, privacy_terms(&state));
    let now = now_ms();
    for _ in 0..MAX_ID_ATTEMPTS {
        let session = Session {
            id: SessionId::generate()?,
            version: 1,
            created_at: now,
            updated_at: now,
            expires_at: now + state.config().retention.session_ms,
            conversation: conversation.clone(),
        };
        if state.backend().sessions.create(&session).await? {
            state.count(&[("sessions.created", 1)]).await;
            state
                .log_event(
                    LogLevel::Info,
                    "session.created",
                    Some(&request_id),
                    Some(session.id.as_str()),
                    &format!("locale {}", locale.as_str()),
                )
                .await;
            let body = json!({
                "sessionId": session.id,
                "reply": reply.text,
                "state": conversation.state.as_str(),
                "options": reply.options,
                "locale": locale.as_str(),
                "expiresAt": rfc3339(session.expires_at),
            });
            return Ok(json_response(StatusCode::OK, body.to_string()));
        }
    }
    Err(ApiError::unavailable("session_id_exhausted", "could not allocate a session; please retry", 1))
}
