//! `GET /api/session/{id}/export`, `GET /api/session/{id}/history` and
//! `DELETE /api/session/{id}`: the visitor's data, and the conversation as the widget
//! draws it again.

use axum::extract::State;
use axum::routing::{delete, get};
use axum::{Extension, Json};
use serde::Serialize;

use crate::app::App;
use crate::http::extract::{Path, session_id};
use crate::http::{ApiResult, BaseUrl, RequestId, Routes};
use crate::services::session_data::{self, Erased, Export, History};

pub fn routes() -> Routes {
    Routes::new()
        .route("/api/session/{session_id}/export", get(export))
        .route("/api/session/{session_id}/history", get(history))
        .route("/api/session/{session_id}", delete(erase))
}

async fn export(
    State(app): State<App>,
    Path(raw_id): Path<String>,
    BaseUrl(base_url): BaseUrl,
) -> ApiResult<Json<Export>> {
    let id = session_id(Some(&raw_id), "the session id")?;
    Ok(Json(session_data::export(&app, &id, &base_url).await?))
}

async fn history(
    State(app): State<App>,
    Path(raw_id): Path<String>,
    BaseUrl(base_url): BaseUrl,
) -> ApiResult<Json<History>> {
    let id = session_id(Some(&raw_id), "the session id")?;
    Ok(Json(session_data::history(&app, &id, &base_url).await?))
}

#[derive(Serialize)]
struct Erasure {
    deleted: bool,
    erased: Erased,
}

async fn erase(
    State(app): State<App>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path(raw_id): Path<String>,
) -> ApiResult<Json<Erasure>> {
    let id = session_id(Some(&raw_id), "the session id")?;
    let erased = session_data::erase_existing(&app, &id, &request_id).await?;
    Ok(Json(Erasure { deleted: true, erased }))
}
