//! `GET /api/session/{id}/export` and `DELETE /api/session/{id}`: the visitor's data.

use axum::extract::State;
use axum::routing::{delete, get};
use axum::{Extension, Json};
use serde::Serialize;

use crate::app::App;
use crate::http::extract::{Path, session_id};
use crate::http::{ApiResult, BaseUrl, RequestId, Routes};
use crate::services::session_data::{self, Erased, Export};

pub fn routes() -> Routes {
    Routes::new()
        .route("/api/session/{session_id}/export", get(export))
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
