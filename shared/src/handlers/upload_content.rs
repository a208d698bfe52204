//! `PUT /api/upload/{uploadId}/content?…`: where a local signed upload URL points. Checked
//! like S3 checks a presigned `PUT` (signature, expiry, signed type and length) before
//! the body is read; the body is stored only if it arrives whole, then queued. On AWS
//! the URL points at S3 and this route is not deployed.

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Request, header};
use axum::routing::put;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::error::{Error, SignedPutRefusal};
use crate::http::extract::{Path, Query, discard_body, header_str, read_body};
use crate::http::{ApiResult, Routes};
use crate::ids::SessionId;
use crate::ids::UploadId;
use crate::ports::PutGrant;
use crate::services::uploads::direct::{self, LocalPut};

pub fn routes() -> Routes {
    Routes::new().route("/api/upload/{upload_id}/content", put(put_content).layer(DefaultBodyLimit::disable()))
}

/// Every field is optional here so that a mangled URL gets the signature's 403, as S3
/// answers, rather than a parser's 400. The URL does not name the session (its id is a
/// credential, and URLs end up in logs): the upload's record does.
#[derive(Deserialize)]
struct SignedQuery {
    #[serde(rename = "type")]
    content_type: Option<String>,
    length: Option<String>,
    expires: Option<String>,
    signature: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Received {
    upload_id: UploadId,
    status: &'static str,
    status_url: String,
}

async fn put_content(
    State(app): State<App>,
    Path(upload): Path<String>,
    Query(query): Query<SignedQuery>,
    req: Request<Body>,
) -> ApiResult<Json<Received>> {
    let not_signed = Error::UploadUrlInvalid(SignedPutRefusal::NotSigned);
    let upload_id = UploadId::parse(&upload).map_err(|_| Error::UploadUrlInvalid(SignedPutRefusal::NotSigned))?;
    let Some(session) = app.backend().uploads.owner(&upload_id, app.now_ms()).await? else {
        // No live upload: a URL past its expiry says so, anything else is not ours.
        let expired = query.expires.as_deref().and_then(|e| e.parse::<i64>().ok()).is_some_and(|e| e <= app.now_ms());
        return Err(if expired { Error::UploadUrlExpired } else { not_signed }.into());
    };
    let grant = signed_grant(session, upload_id, &query).ok_or(not_signed)?;
    let content_length =
        header_str(req.headers(), header::CONTENT_LENGTH.as_str()).and_then(|v| v.trim().parse::<u64>().ok());
    let put = LocalPut {
        grant: &grant,
        signature: query.signature.as_deref().unwrap_or_default(),
        content_type: header_str(req.headers(), header::CONTENT_TYPE.as_str()),
        content_length,
    };
    match direct::authorise_local_put(&app, put).await {
        // A retried PUT whose first answer was lost: the URL is signed and the declared
        // length is the signed one (both checked first), so the body is read and dropped
        // and the client gets this 409, not a connection reset half-way through sending.
        Err(Error::UploadAlreadyReceived) => {
            let declared = content_length.and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
            discard_body(req.into_body(), declared, app.config().limits.body_pace).await;
            return Err(Error::UploadAlreadyReceived.into());
        }
        other => other?,
    }
    let limit = usize::try_from(grant.length).unwrap_or(usize::MAX);
    // A body cut short (the connection closed early) fails here: nothing is stored.
    let body = read_body(req.into_body(), limit, app.config().limits.body_pace).await?;
    let upload = direct::receive_local_put(&app, &grant, body).await?;
    Ok(Json(Received {
        status_url: format!("/api/upload/{}", upload.id),
        upload_id: upload.id,
        status: upload.status.as_str(),
    }))
}

/// What the URL says was signed; `None` for a URL this server could not have made.
fn signed_grant(session: SessionId, upload: UploadId, query: &SignedQuery) -> Option<PutGrant> {
    Some(PutGrant {
        session,
        upload,
        content_type: query.content_type.clone()?,
        length: query.length.as_deref()?.parse().ok()?,
        expires_at: query.expires.as_deref()?.parse().ok()?,
    })
}
