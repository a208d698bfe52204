//! `GET /api/upload/{uploadId}`: where an upload of the caller's session stands.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;

use crate::app::App;
use crate::http::extract::{Path, header_str, session_id};
use crate::http::{ApiError, ApiResult, ErrorCode, Routes, SESSION_HEADER};
use crate::ids::UploadId;
use crate::services::uploads::status::{self, UploadView};

pub fn routes() -> Routes {
    Routes::new().route("/api/upload/{upload_id}", get(upload_status))
}

async fn upload_status(
    State(app): State<App>,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<UploadView>> {
    let session = session_id(header_str(&headers, SESSION_HEADER), "the x-session-id header")?;
    let upload_id =
        UploadId::parse(&raw_id).map_err(|_| ApiError::new(ErrorCode::InvalidUploadId, "not a valid upload id"))?;
    Ok(Json(status::view(&app, &session, &upload_id).await?))
}
