use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::greeting::enforce_limit;
use super::json_response;
use crate::chat::is_known_button;
use crate::http::extract::{JsonBody, session_id};
use crate::http::{ApiError, ApiResult, AppState, ClientIp, RequestId};
use crate::ids::is_valid_message_id;
use crate::services::tickets::base_url;
use crate::services::turns::{Said, chat_turn, load_session};
use crate::time::{MINUTE_MS, now_ms};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatRequest {
    session_id: Option<String>,
    message: Option<String>,
    text: Option<String>,
    message_id: Option<String>,
    action: Option<String>,
    value: Option<String>,
}

/// Drops control characters other than line breaks and tabs.
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect::<String>().trim().to_owned()
}

fn said(req: &ChatRequest, max_chars: usize) -> ApiResult<Said> {
    let text = req.message.as_deref().or(req.text.as_deref());
    match (req.action.as_deref(), text) {
        (Some(_), Some(_)) => {
            Err(ApiError::bad_request("ambiguous_request", "send either a message or a button action, not both"))
        }
        (Some("button"), None) => match req.value.as_deref() {
            Some(value) if is_known_button(value) => Ok(Said::Button(value.to_owned())),
            Some(_) => Err(ApiError::bad_request("invalid_button", "unknown button value")),
            None => Err(ApiError::bad_request("missing_value", "a button action needs a value")),
        },
        (Some(_), None) => Err(ApiError::bad_request("invalid_action", "action must be \"button\"")),
        (None, None) => Err(ApiError::bad_request("missing_message", "message is required")),
        (None, Some(raw)) => {
            let text = clean(raw);
            if text.is_empty() {
                return Err(ApiError::bad_request("empty_message", "message is empty"));
            }
            let chars = text.chars().count();
            if chars > max_chars {
                return Err(ApiError::bad_request(
                    "message_too_long",
                    format!("message has {chars} characters; the limit is {max_chars}"),
                ));
            }
            Ok(Said::Text(text))
        }
    }
}

pub async fn chat(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<ChatRequest>,
) -> ApiResult<Response> {
    let id = session_id(req.session_id.as_deref(), "sessionId")?;
    let limits = &state.config().limits;
    let said = said(&req, limits.max_message_chars)?;
    if let Some(mid) = req.message_id.as_deref()
        && !is_valid_message_id(mid)
    {
        return Err(ApiError::bad_request(
            "invalid_message_id",
            "messageId must be 1–64 letters, digits, '-', '_', '.' or ':'",
        ));
    }
    load_session(&state, &id, now_ms()).await?;
    enforce_limit(&state, &format!("chat:ip:{ip}"), limits.chat_per_min_ip, MINUTE_MS, "rate_limited").await?;
    enforce_limit(&state, &format!("chat:session:{id}"), limits.chat_per_min_session, MINUTE_MS, "rate_limited")
        .await?;
    let base = base_url(&state, &headers);
    let body = chat_turn(&state, &id, &said, req.message_id.as_deref(), &base, &request_id).await?;
    Ok(json_response(StatusCode::OK, body))
}
