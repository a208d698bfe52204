//! `POST /api/upload-url`: a signed URL to `PUT` one image straight into storage, after
//! every check that can refuse it (session, rate and quota, type and size).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::http::extract::{BaseUrl, header_str, session_id};
use crate::http::{ApiResult, ClientIp, JsonBody, RequestId, Routes, SESSION_HEADER};
use crate::ids::UploadId;
use crate::services::uploads;
use crate::services::uploads::direct::{self, Declared};
use crate::time::rfc3339;

pub fn routes() -> Routes {
    Routes::new().route("/api/upload-url", post(upload_url))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadUrlRequest {
    content_type: String,
    size: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UploadUrlResponse {
    upload_id: UploadId,
    method: &'static str,
    url: String,
    /// Headers to send as they are (the client's HTTP stack adds `Content-Length`).
    headers: BTreeMap<String, String>,
    expires_at: String,
    status_url: String,
}

async fn upload_url(
    State(app): State<App>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    JsonBody(body): JsonBody<UploadUrlRequest>,
) -> ApiResult<(StatusCode, Json<UploadUrlResponse>)> {
    let session = session_id(header_str(&headers, SESSION_HEADER), "the x-session-id header")?;
    let declared = Declared { content_type: body.content_type, size: body.size };
    // A request that can never be granted spends no quota.
    declared.check(app.config().limits.max_image_bytes)?;
    let admitted = uploads::admit_upload(&app, &session, &ip).await?;
    let offer = direct::offer(&app, admitted, &declared, &base, &request_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadUrlResponse {
            status_url: format!("/api/upload/{}", offer.upload_id),
            upload_id: offer.upload_id,
            method: "PUT",
            url: offer.url,
            headers: offer.headers.into_iter().collect(),
            expires_at: rfc3339(offer.expires_at),
        }),
    ))
}
