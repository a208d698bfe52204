//! `POST /api/session/validate`: whether a session can still be used.

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::http::extract::session_id;
use crate::http::{ApiResult, JsonBody, Routes};
use crate::ids::SessionId;
use crate::services::sessions;
use crate::time::rfc3339;

pub fn routes() -> Routes {
    Routes::new().route("/api/session/validate", post(validate))
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
