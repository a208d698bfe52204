//! `POST /api/chat`: one visitor message (words or a button) and the bot's answer; and
//! `POST /api/feedback`: the visitor's rating of how the conversation's case ended.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Json};
use serde::Deserialize;

use crate::app::App;
use crate::chat::Feedback;
use crate::chat::is_known_button;
use crate::http::extract::session_id;
use crate::http::{ApiError, ApiResult, BaseUrl, ClientIp, ErrorCode, JsonBody, RequestId, Routes, json_text};
use crate::ids::is_valid_message_id;
use crate::services::Origin;
use crate::services::feedback::{self, MAX_COMMENT_CHARS, Rating};
use crate::services::turns::{self, Message, Utterance};

pub fn routes() -> Routes {
    Routes::new().route("/api/chat", post(chat)).route("/api/feedback", post(feedback))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChatRequest {
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

fn utterance(req: &ChatRequest, max_chars: usize) -> ApiResult<Utterance> {
    let text = req.message.as_deref().or(req.text.as_deref());
    match (req.action.as_deref(), text) {
        (Some(_), Some(_)) => {
            Err(ApiError::new(ErrorCode::AmbiguousRequest, "send either a message or a button action, not both"))
        }
        (Some("button"), None) => match req.value.as_deref() {
            Some(value) if is_known_button(value) => Ok(Utterance::Button(value.to_owned())),
            Some(_) => Err(ApiError::new(ErrorCode::InvalidButton, "unknown button value")),
            None => Err(ApiError::new(ErrorCode::MissingValue, "a button action needs a value")),
        },
        (Some(_), None) => Err(ApiError::new(ErrorCode::InvalidAction, "action must be \"button\"")),
        (None, None) => Err(ApiError::new(ErrorCode::MissingMessage, "message is required")),
        (None, Some(raw)) => {
            let text = clean(raw);
            if text.is_empty() {
                return Err(ApiError::new(ErrorCode::EmptyMessage, "message is empty"));
            }
            let chars = text.chars().count();
            if chars > max_chars {
                return Err(ApiError::new(
                    ErrorCode::MessageTooLong,
                    format!("message has {chars} characters; the limit is {max_chars}"),
                ));
            }
            Ok(Utterance::Text(text))
        }
    }
}

async fn chat(
    State(app): State<App>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    BaseUrl(base_url): BaseUrl,
    JsonBody(req): JsonBody<ChatRequest>,
) -> ApiResult<Response> {
    let session = session_id(req.session_id.as_deref(), "sessionId")?;
    let utterance = utterance(&req, app.config().limits.max_message_chars)?;
    if let Some(mid) = req.message_id.as_deref()
        && !is_valid_message_id(mid)
    {
        return Err(ApiError::new(
            ErrorCode::InvalidMessageId,
            "messageId must be 1–64 letters, digits, '-', '_', '.' or ':'",
        ));
    }
    let message = Message { session: &session, utterance: &utterance, message_id: req.message_id.as_deref(), ip: &ip };
    let origin = Origin { base_url: &base_url, request_id: &request_id };
    let body = turns::chat(&app, &message, &origin).await?;
    Ok(json_text(StatusCode::OK, body))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeedbackRequest {
    session_id: Option<String>,
    rating: Option<String>,
    comment: Option<String>,
}

async fn feedback(
    State(app): State<App>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    JsonBody(req): JsonBody<FeedbackRequest>,
) -> ApiResult<(StatusCode, Json<Feedback>)> {
    let session = session_id(req.session_id.as_deref(), "sessionId")?;
    let up = match req.rating.as_deref() {
        Some("up") => true,
        Some("down") => false,
        _ => return Err(ApiError::new(ErrorCode::InvalidRating, "rating must be \"up\" or \"down\"")),
    };
    let comment = req.comment.as_deref().map(clean).filter(|c| !c.is_empty());
    if let Some(chars) = comment.as_deref().map(|c| c.chars().count())
        && chars > MAX_COMMENT_CHARS
    {
        return Err(ApiError::new(
            ErrorCode::MessageTooLong,
            format!("comment has {chars} characters; the limit is {MAX_COMMENT_CHARS}"),
        ));
    }
    let rating = Rating { session: &session, up, comment: comment.as_deref(), ip: &ip, request_id: &request_id };
    Ok((StatusCode::CREATED, Json(feedback::rate(&app, &rating).await?)))
}
