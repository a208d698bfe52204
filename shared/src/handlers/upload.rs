use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Path, State};
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::greeting::enforce_limit;
use super::json_response;
use crate::chat::replies::hint_text;
use crate::http::extract::{header_str, read_body, session_id};
use crate::http::{ApiError, ApiResult, AppState, ClientIp, RequestId};
use crate::ids::UploadId;
use crate::images::{SniffError, sniff};
use crate::ports::{Job, LogLevel, Upload, UploadOutcome};
use crate::services::turns::load_session;
use crate::time::{MINUTE_MS, now_ms, rfc3339};

/// Room for multipart boundaries and part headers around the image itself.
const MULTIPART_OVERHEAD: usize = 64 * 1024;
pub const SESSION_HEADER: &str = "x-session-id";

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large("image_too_large", "the upload is too large")
    } else {
        ApiError::bad_request("invalid_multipart", format!("malformed multipart body: {}", e.body_text()))
    }
}

/// The bytes of the `image` part, at most `max` of them.
async fn image_part(mut multipart: Multipart, max: usize) -> ApiResult<Bytes> {
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("image") {
            continue;
        }
        let bytes = field.bytes().await.map_err(multipart_error)?;
        if bytes.len() > max {
            return Err(ApiError::payload_too_large("image_too_large", format!("images may be at most {max} bytes")));
        }
        return Ok(bytes);
    }
    Err(ApiError::bad_request("missing_image", "the multipart body has no \"image\" field"))
}

fn is_multipart(headers: &HeaderMap) -> bool {
    header_str(headers, header::CONTENT_TYPE.as_str())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

pub async fn upload_image(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    req: Request<Body>,
) -> ApiResult<Response> {
    let limits = state.config().limits.clone();
    let id = session_id(header_str(req.headers(), SESSION_HEADER), "the x-session-id header")?;
    if !is_multipart(req.headers()) {
        return Err(ApiError::unsupported_media_type(
            "unsupported_media_type",
            "send the image as multipart/form-data with a field named \"image\"",
        ));
    }
    let (parts, body) = req.into_parts();
    let bytes = read_body(body, limits.max_image_bytes + MULTIPART_OVERHEAD).await.map_err(|e| {
        if e.status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large(
                "image_too_large",
                format!("images may be at most {} bytes", limits.max_image_bytes),
            )
        } else {
            e
        }
    })?;
    let multipart = Multipart::from_request(Request::from_parts(parts, Body::from(bytes)), &state)
        .await
        .map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
    let image = image_part(multipart, limits.max_image_bytes).await?;
    if image.is_empty() {
        return Err(ApiError::bad_request("empty_image", "the image is empty"));
    }
    let sniffed = sniff(&image).map_err(|e| match e {
        SniffError::Unsupported => ApiError::unsupported_media_type(
            "unsupported_image_type",
            "only JPEG, PNG, WebP and GIF images are accepted",
        ),
        SniffError::Corrupt => ApiError::bad_request("invalid_image", "the image file is incomplete or corrupt"),
    })?;
    let (min, max) = (limits.min_image_side, limits.max_image_side);
    if sniffed.width < min || sniffed.height < min || sniffed.width > max || sniffed.height > max {
        return Err(ApiError::bad_request(
            "image_dimensions",
            format!(
                "the image is {}×{}; each side must be between {min} and {max} pixels",
                sniffed.width, sniffed.height
            ),
        ));
    }
    let now = now_ms();
    load_session(&state, &id, now).await?;
    let existing = state.backend().uploads.list_for_session(&id, now).await?;
    if existing.len() >= limits.max_images_per_session as usize {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "upload_limit_reached",
            format!("a session may upload at most {} images", limits.max_images_per_session),
        ));
    }
    enforce_limit(&state, &format!("upload:ip:{ip}"), limits.upload_per_min_ip, MINUTE_MS, "rate_limited").await?;

    let upload_id = UploadId::generate()?;
    let upload = Upload::queued(
        upload_id.clone(),
        id.clone(),
        sniffed.format.mime(),
        image.len() as u64,
        now,
        now + state.config().retention.upload_ms,
    );
    let key = upload.key.clone();
    // The record goes first: a storage notification must never find no record.
    let backend = state.backend();
    backend.uploads.create(&upload).await?;
    let stored = backend.blobs.put(&key, image, sniffed.format.mime()).await;
    let queued = match stored {
        Ok(()) if backend.queue.fed_by_storage_events() => Ok(()),
        Ok(()) => backend.queue.enqueue(&Job { key: key.clone() }).await,
        Err(e) => Err(e),
    };
    if let Err(e) = queued {
        let outcome = UploadOutcome::Failed { reason: "the upload could not be stored".into() };
        let _ = backend.uploads.complete(&id, &upload_id, &outcome, now_ms()).await;
        return Err(e.into());
    }
    state.signal_work();
    state.count(&[("uploads.total", 1)]).await;
    let message = format!(
        "{upload_id} accepted: {} {}x{} {} bytes",
        sniffed.format.as_str(),
        sniffed.width,
        sniffed.height,
        upload.bytes
    );
    state.log_event(LogLevel::Info, "upload.accepted", Some(&request_id), Some(id.as_str()), &message).await;
    let body = json!({
        "uploadId": upload_id,
        "status": "queued",
        "statusUrl": format!("/api/upload/{upload_id}"),
    });
    Ok(json_response(StatusCode::ACCEPTED, body.to_string()))
}

pub async fn upload_status(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let session = session_id(header_str(&headers, SESSION_HEADER), "the x-session-id header")?;
    let upload_id =
        UploadId::parse(&raw_id).map_err(|_| ApiError::bad_request("invalid_upload_id", "not a valid upload id"))?;
    let not_found = || ApiError::not_found("upload_not_found", "no such upload in this session");
    let now = now_ms();
    let upload = state.backend().uploads.get(&session, &upload_id, now).await?.ok_or_else(not_found)?;
    let locale = state.backend().sessions.get(&session, now).await?.map(|s| s.conversation.locale).unwrap_or_default();
    let hint_message = upload.analysis.as_ref().and_then(|a| a.hint).map(|h| hint_text(locale, h));
    let body = json!({
        "uploadId": upload.id,
        "status": upload.status.as_str(),
        "createdAt": rfc3339(upload.created_at),
        "completedAt": upload.completed_at.map(rfc3339),
        "analysis": upload.analysis,
        "hintMessage": hint_message,
        "error": upload.error,
    });
    Ok(json_response(StatusCode::OK, body.to_string()))
}
