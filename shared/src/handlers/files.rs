//! `GET /api/files/{key}?expires=…&signature=…`: where a local signed image link points (a
//! ticket page's images on `sti serve`). On AWS the links are S3 presigned `GET`s and this
//! route is not deployed.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::app::App;
use crate::http::extract::{Path, Query};
use crate::http::{ApiResult, Routes};
use crate::services::files;

pub fn routes() -> Routes {
    Routes::new().route("/api/files/{*key}", get(file))
}

/// Optional so that a mangled link gets the signature's 403, as S3 answers.
#[derive(Deserialize)]
struct SignedQuery {
    expires: Option<String>,
    signature: Option<String>,
}

async fn file(
    State(app): State<App>,
    Path(key): Path<String>,
    Query(query): Query<SignedQuery>,
) -> ApiResult<Response> {
    let expires_at = query.expires.as_deref().and_then(|e| e.parse::<i64>().ok());
    let bytes = files::read_signed(&app, &key, expires_at, query.signature.as_deref().unwrap_or_default()).await?;
    let seconds_left = expires_at.map(|e| (e - app.now_ms()).max(0) / 1_000).unwrap_or(0);
    let mut response = (StatusCode::OK, bytes).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(files::content_type_of(&key)));
    if let Ok(cache) = HeaderValue::from_str(&format!("private, max-age={seconds_left}")) {
        h.insert(header::CACHE_CONTROL, cache);
    }
    Ok(response)
}
