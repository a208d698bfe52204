//! Finding a session again: `POST /api/session/validate` (whether it can still be used),
//! `POST /api/session/resume-token` (a token a browser keeps instead of the session id)
//! and `POST /api/session/resume` (the session a token names, and the token after it).

use axum::extract::State;
use axum::routing::post;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::http::extract::session_id;
use crate::http::{ApiError, ApiResult, ClientIp, ErrorCode, JsonBody, Routes};
use crate::ids::SessionId;
use crate::services::sessions;
use crate::time::rfc3339;

pub fn routes() -> Routes {
    Routes::new()
        .route("/api/session/validate", post(validate))
        .route("/api/session/resume-token", post(issue_resume_token))
        .route("/api/session/resume", post(resume))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResumeRequest {
    resume_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Resumable {
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<SessionId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locale: Option<&'static str>,
    resume_token: String,
    expires_at: String,
}

async fn issue_resume_token(
    State(app): State<App>,
    JsonBody(body): JsonBody<ValidateRequest>,
) -> ApiResult<Json<Resumable>> {
    let id = session_id(body.session_id.as_deref(), "sessionId")?;
    let token = sessions::resume_token(&app, &id).await?;
    Ok(Json(Resumable {
        session_id: None,
        state: None,
        locale: None,
        resume_token: token.token,
        expires_at: rfc3339(token.expires_at),
    }))
}

/// A token that is unknown, used or expired gets `session_not_found`, as a gone session.
async fn resume(
    State(app): State<App>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    JsonBody(body): JsonBody<ResumeRequest>,
) -> ApiResult<Json<Resumable>> {
    let token = body
        .resume_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidRequest, "resumeToken is required"))?;
    let (session, next) = sessions::resume(&app, &token, &ip).await?;
    Ok(Json(Resumable {
        state: Some(session.conversation.state.as_str()),
        locale: Some(session.conversation.locale.as_str()),
        session_id: Some(session.id),
        resume_token: next.token,
        expires_at: rfc3339(next.expires_at),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValidateRequest {
    session_id: Option<String>,
}

/// `{"valid": false}` alone for a session that is gone.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Validity {
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<SessionId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locale: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
}

async fn validate(State(app): State<App>, JsonBody(body): JsonBody<ValidateRequest>) -> ApiResult<Json<Validity>> {
    let id = session_id(body.session_id.as_deref(), "sessionId")?;
    let validity = match sessions::find(&app, &id).await? {
        Some(session) => Validity {
            valid: true,
            state: Some(session.conversation.state.as_str()),
            locale: Some(session.conversation.locale.as_str()),
            expires_at: Some(rfc3339(session.expires_at)),
            session_id: Some(session.id),
        },
        None => Validity::default(),
    };
    Ok(Json(validity))
}
