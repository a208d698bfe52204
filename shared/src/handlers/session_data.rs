use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::json_response;
use crate::http::extract::session_id;
use crate::http::{ApiError, ApiResult, AppState, RequestId};
use crate::services::session_data;
use crate::services::tickets::base_url;

pub async fn export(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id = session_id(Some(&raw_id), "the session id")?;
    let body = session_data::export(&state, &id, &base_url(&state, &headers)).await?;
    Ok(json_response(StatusCode::OK, body.to_string()))
}

pub async fn erase(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path(raw_id): Path<String>,
) -> ApiResult<Response> {
    let id = session_id(Some(&raw_id), "the session id")?;
    let erased = session_data::erase(&state, &id, &request_id).await?;
    if !erased.anything() {
        return Err(ApiError::not_found("session_not_found", "nothing is stored for this session"));
    }
    let body = json!({ "deleted": true, "erased": erased });
    Ok(json_response(StatusCode::OK, body.to_string()))
}
