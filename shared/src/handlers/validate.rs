use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::json_response;
use crate::http::extract::{JsonBody, session_id};
use crate::http::{ApiResult, AppState};
use crate::time::{now_ms, rfc3339};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateRequest {
    session_id: Option<String>,
}

pub async fn validate(State(state): State<AppState>, JsonBody(body): JsonBody<ValidateRequest>) -> ApiResult<Response> {
    let id = session_id(body.session_id.as_deref(), "sessionId")?;
    let body = match state.backend().sessions.get(&id, now_ms()).await? {
        Some(session) => json!({
            "valid": true,
            "sessionId": session.id,
            "state": session.conversation.state.as_str(),
            "locale": session.conversation.locale.as_str(),
            "expiresAt": rfc3339(session.expires_at),
        }),
        None => json!({ "valid": false }),
    };
    Ok(json_response(StatusCode::OK, body.to_string()))
}
