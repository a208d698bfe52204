//! `POST /api/upload-image`: a screenshot as multipart field `image`, queued for analysis.

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, State};
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::routing::post;
use axum::{Extension, Json};
use serde::Serialize;

use crate::app::App;
use crate::error::{Error, ImageRejection};
use crate::http::extract::{header_str, read_body, session_id};
use crate::http::{ApiError, ApiResult, ClientIp, ErrorCode, RequestId, Routes, SESSION_HEADER};
use crate::ids::UploadId;
use crate::services::uploads::{self, multipart::NewUpload};

/// The handler bounds the body itself (image limit + multipart overhead).
pub fn routes() -> Routes {
    Routes::new().route("/api/upload-image", post(upload_image).layer(DefaultBodyLimit::disable()))
}

/// Room for multipart boundaries and part headers around the image itself.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Accepted {
    upload_id: UploadId,
    status: &'static str,
    status_url: String,
}

/// The largest body this route reads: the image and its multipart framing.
pub fn largest_body(limits: &crate::config::Limits) -> usize {
    limits.max_image_bytes + MULTIPART_OVERHEAD
}

fn too_large(max: usize) -> ApiError {
    ImageRejection::TooLarge { max }.into()
}

fn multipart_error(e: axum::extract::multipart::MultipartError, max: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(max)
    } else {
        ApiError::new(ErrorCode::InvalidMultipart, format!("malformed multipart body: {}", e.body_text()))
    }
}

/// The bytes of the `image` part, at most `max` of them.
async fn image_part(mut multipart: Multipart, max: usize) -> ApiResult<Bytes> {
    while let Some(field) = multipart.next_field().await.map_err(|e| multipart_error(e, max))? {
        if field.name() != Some("image") {
            continue;
        }
        let bytes = field.bytes().await.map_err(|e| multipart_error(e, max))?;
        if bytes.len() > max {
            return Err(too_large(max));
        }
        return Ok(bytes);
    }
    Err(ApiError::new(ErrorCode::MissingImage, "the multipart body has no \"image\" field"))
}

fn is_multipart(headers: &HeaderMap) -> bool {
    header_str(headers, header::CONTENT_TYPE.as_str())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

async fn upload_image(
    State(app): State<App>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    req: Request<Body>,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let max = app.config().limits.max_image_bytes;
    let session = session_id(header_str(req.headers(), SESSION_HEADER), "the x-session-id header")?;
    if !is_multipart(req.headers()) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send the image as multipart/form-data with a field named \"image\"",
        ));
    }
    // Everything that can refuse the upload does so before its body is read. Behind a
    // gateway with a smaller body ceiling than the image limit, the signed-URL path is
    // the way for larger images.
    let ceiling = app.request_body_ceiling().filter(|c| *c < max + MULTIPART_OVERHEAD);
    let declared = declared_length(req.headers());
    let over = |limit: usize| declared.is_some_and(|n| n > limit as u64);
    if let Some(ceiling) = ceiling
        && over(ceiling)
    {
        return Err(Error::UseUploadUrl { max: ceiling }.into());
    }
    if over(max + MULTIPART_OVERHEAD) {
        return Err(too_large(max));
    }
    let admitted = uploads::admit_upload(&app, &session, &ip).await?;
    let (parts, body) = req.into_parts();
    let limit = ceiling.unwrap_or(max + MULTIPART_OVERHEAD);
    let bytes = read_body(body, limit, app.config().limits.body_pace).await.map_err(|e| {
        match (e.code == ErrorCode::PayloadTooLarge, ceiling) {
            (true, Some(ceiling)) => Error::UseUploadUrl { max: ceiling }.into(),
            (true, None) => too_large(max),
            _ => e,
        }
    })?;
    let multipart = Multipart::from_request(Request::from_parts(parts, Body::from(bytes)), &app)
        .await
        .map_err(|e| ApiError::new(ErrorCode::InvalidMultipart, e.body_text()))?;
    let image = image_part(multipart, max).await?;
    let accepted = uploads::multipart::accept(&app, NewUpload { admitted, image, request_id: &request_id }).await?;
    let status_url = format!("/api/upload/{}", accepted.id);
    Ok((StatusCode::ACCEPTED, Json(Accepted { upload_id: accepted.id, status: "queued", status_url })))
}

/// The body size the client announced, when it announced one.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    header_str(headers, header::CONTENT_LENGTH.as_str()).and_then(|v| v.trim().parse().ok())
}
