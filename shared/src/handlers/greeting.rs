//! `POST /api/greeting`: a new session and the bot's first words.

use axum::extract::State;
use axum::routing::post;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::chat::{Locale, QuickReply};
use crate::http::{ApiError, ApiResult, ClientIp, ErrorCode, JsonBody, RequestId, Routes};
use crate::ids::SessionId;
use crate::services::sessions;
use crate::time::rfc3339;

pub fn routes() -> Routes {
    Routes::new().route("/api/greeting", post(greeting))
}

#[derive(Deserialize)]
struct GreetingRequest {
    #[serde(default)]
    locale: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GreetingResponse {
    session_id: SessionId,
    reply: String,
    state: &'static str,
    options: Vec<QuickReply>,
    locale: &'static str,
    expires_at: String,
}

fn parse_locale(raw: Option<&str>) -> ApiResult<Locale> {
    match raw.map(|l| l.trim().to_ascii_lowercase()) {
        None => Ok(Locale::Es),
        Some(l) if l == "es" || l.starts_with("es-") => Ok(Locale::Es),
        Some(l) if l == "en" || l.starts_with("en-") => Ok(Locale::En),
        Some(_) => Err(ApiError::new(ErrorCode::InvalidLocale, "locale must be \"es\" or \"en\"")),
    }
}

async fn greeting(
    State(app): State<App>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    JsonBody(body): JsonBody<GreetingRequest>,
) -> ApiResult<Json<GreetingResponse>> {
    let locale = parse_locale(body.locale.as_deref())?;
    let started = sessions::start(&app, &ip, locale, &request_id).await?;
    let conversation = &started.session.conversation;
    Ok(Json(GreetingResponse {
        state: conversation.state.as_str(),
        locale: conversation.locale.as_str(),
        expires_at: rfc3339(started.session.expires_at),
        session_id: started.session.id,
        reply: started.reply.text,
        options: started.reply.options,
    }))
}
