//! Uploads that skip the function invocation: the visitor asks for a signed URL, puts
//! the bytes there (S3 on AWS, `sti serve` locally), and the storage event (or the local
//! `PUT` handler) queues the job. Everything that can refuse an upload does so when the
//! URL is asked for, before a byte moves; the worker re-checks the object itself.

use bytes::Bytes;

use crate::app::{App, LogSubject};
use crate::counters::Counter;
use crate::error::{Error, ImageRejection, Result, SignedPutRefusal};
use crate::ids::UploadId;
use crate::images::FailureReason;
use crate::ports::{Job, LogLevel, PutGrant, Upload, UploadStatus};
use crate::services::uploads::{Admitted, sides_within, sniff_image};
use crate::time::{MINUTE_MS, ms};

/// The image types an upload may be declared as.
pub const ACCEPTED_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "image/gif"];

/// How long after its URL expires an upload that never arrived keeps its record (and
/// its place in the session's quota): a `PUT` started just before the expiry may still
/// be sending a large photo over a slow phone connection.
pub const ARRIVAL_GRACE_MS: i64 = 10 * MINUTE_MS;

/// What the client says it will send; checked before anything is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub content_type: String,
    pub size: u64,
}

impl Declared {
    pub fn check(&self, max_bytes: usize) -> Result<(), ImageRejection> {
        if !ACCEPTED_TYPES.contains(&self.content_type.as_str()) {
            return Err(ImageRejection::UnsupportedType);
        }
        if self.size == 0 {
            return Err(ImageRejection::Empty);
        }
        if self.size > max_bytes as u64 {
            return Err(ImageRejection::TooLarge { max: max_bytes });
        }
        Ok(())
    }
}

/// A signed URL handed to the client.
#[derive(Debug)]
pub struct Offer {
    pub upload_id: UploadId,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub expires_at: i64,
}

/// Creates an upload awaiting its bytes and signs a `PUT` for exactly what was declared.
pub async fn offer(
    app: &App,
    admitted: Admitted,
    declared: &Declared,
    base_url: &str,
    request_id: &str,
) -> Result<Offer> {
    declared.check(app.config().limits.max_image_bytes)?;
    let now = app.now_ms();
    let session = admitted.session();
    let upload_id = UploadId::generate_from(app.random())?;
    let expires_at = now + ms(app.config().limits.upload_url_ttl);
    let record = Upload::awaiting(
        upload_id.clone(),
        session.clone(),
        &declared.content_type,
        declared.size,
        now,
        expires_at + ARRIVAL_GRACE_MS,
    );
    let backend = app.backend();
    backend.uploads.create(&record).await?;
    let grant = PutGrant {
        session: session.clone(),
        upload: upload_id.clone(),
        content_type: declared.content_type.clone(),
        length: declared.size,
        expires_at,
    };
    let signed = match backend.signer.sign(&grant, base_url).await {
        Ok(signed) => signed,
        Err(e) => {
            // No URL, no upload: give the quota back.
            let _ = backend.uploads.delete(session, &upload_id).await;
            return Err(e.into());
        }
    };
    app.count(&[(Counter::UploadUrlsIssued, 1)]).await;
    let message = format!("{upload_id} upload URL issued: {} {} bytes", declared.content_type, declared.size);
    app.log_event(
        LogLevel::Info,
        "upload.url_issued",
        LogSubject::session(session.as_str()).by_request(request_id),
        &message,
    )
    .await;
    Ok(Offer { upload_id, url: signed.url, headers: signed.headers, expires_at })
}

/// What a `PUT` to a local signed URL carries besides its body: what the URL says was
/// signed (parsed by the handler), the signature, and the request's own headers.
#[derive(Debug, Clone, Copy)]
pub struct LocalPut<'a> {
    pub grant: &'a PutGrant,
    pub signature: &'a str,
    pub content_type: Option<&'a str>,
    pub content_length: Option<u64>,
}

/// Checks a `PUT` to a local signed URL the way S3 checks a presigned one, before its
/// body is read: the signature, the expiry, then the signed headers' values, then that
/// the upload still awaits its bytes.
pub async fn authorise_local_put(app: &App, put: LocalPut<'_>) -> Result<()> {
    let grant = put.grant;
    if !app.backend().signer.verify(grant, put.signature) {
        return Err(Error::UploadUrlInvalid(SignedPutRefusal::NotSigned));
    }
    let now = app.now_ms();
    if now >= grant.expires_at {
        return Err(Error::UploadUrlExpired);
    }
    if put.content_type.map(str::trim) != Some(grant.content_type.as_str()) {
        return Err(Error::UploadUrlInvalid(SignedPutRefusal::OtherType));
    }
    match put.content_length {
        None => return Err(Error::LengthRequired),
        Some(n) if n != grant.length => {
            return Err(Error::UploadUrlInvalid(SignedPutRefusal::OtherLength));
        }
        Some(_) => {}
    }
    awaiting(app, grant, now).await?;
    Ok(())
}

async fn awaiting(app: &App, grant: &PutGrant, now: i64) -> Result<Upload> {
    let upload = app.backend().uploads.get(&grant.session, &grant.upload, now).await?.ok_or(Error::UploadNotFound)?;
    if upload.status != UploadStatus::AwaitingUpload {
        return Err(Error::UploadAlreadyReceived);
    }
    Ok(upload)
}

/// Stores the complete body of an authorised local `PUT` and queues its job, as the
/// bucket notification does on AWS. A body that did not arrive whole never gets here.
pub async fn receive_local_put(app: &App, grant: &PutGrant, body: Bytes) -> Result<Upload> {
    if body.len() as u64 != grant.length {
        return Err(Error::UploadUrlInvalid(SignedPutRefusal::OtherBodySize));
    }
    let backend = app.backend();
    let key = grant.key();
    let upload = awaiting(app, grant, app.now_ms()).await?;
    backend.blobs.put(&key, body, &grant.content_type).await?;
    let now = app.now_ms();
    let keep_until = upload.created_at + ms(app.config().retention.upload);
    if !backend.uploads.mark_received(&grant.session, &grant.upload, keep_until, now).await? {
        // Another PUT of the same URL won, or the session was erased meanwhile: ours must
        // not stay behind (the winner's bytes are the same object, already stored).
        let still = backend.uploads.get(&grant.session, &grant.upload, now).await?;
        if still.is_none() {
            backend.blobs.delete(&key).await?;
            return Err(Error::UploadNotFound);
        }
        return Err(Error::UploadAlreadyReceived);
    }
    if let Err(e) = backend.queue.enqueue(&Job { key: key.clone() }).await {
        // The reconciler re-queues a stored upload whose job was lost; say so and go on.
        tracing::warn!(upload_id = %grant.upload, error = %e, "a received upload could not be queued yet");
    }
    app.signal_work();
    app.count(&[(Counter::UploadsTotal, 1)]).await;
    let message = format!("{} received: {} {} bytes", grant.upload, grant.content_type, grant.length);
    app.log_event(LogLevel::Info, "upload.received", LogSubject::session(grant.session.as_str()), &message).await;
    backend.uploads.get(&grant.session, &grant.upload, now).await?.ok_or(Error::UploadNotFound)
}

/// The worker's view of an object that arrived for an upload awaiting it: the record is
/// moved to `queued` (kept for the upload retention from now on). False when the upload
/// was not awaiting (already moved by a duplicate delivery or the status reader).
pub async fn arrived(app: &App, upload: &Upload, now: i64) -> crate::ports::StoreResult<bool> {
    let keep_until = upload.created_at + ms(app.config().retention.upload);
    let moved = app.backend().uploads.mark_received(&upload.session_id, &upload.id, keep_until, now).await?;
    if moved {
        app.count(&[(Counter::UploadsTotal, 1)]).await;
    }
    Ok(moved)
}

/// Whether the stored object is what the upload was declared as: the worker is the trust
/// boundary for bytes that never passed through a handler. The reason is a stable code.
pub fn check_object(upload: &Upload, object: &[u8], min_side: u32, max_side: u32) -> Result<(), &'static str> {
    if object.len() as u64 != upload.bytes {
        return Err(FailureReason::SIZE_MISMATCH);
    }
    let sniffed = sniff_image(object).map_err(|rejection| match rejection {
        ImageRejection::Corrupt => FailureReason::UNDECODABLE,
        _ => FailureReason::TYPE_MISMATCH,
    })?;
    if sniffed.format.mime() != upload.content_type {
        return Err(FailureReason::TYPE_MISMATCH);
    }
    sides_within(&sniffed, min_side, max_side).map_err(|_| FailureReason::DIMENSIONS)
}

/// Marks the awaiting upload whose object is already stored as queued, for a status
/// read that comes before the storage event reaches the worker. True when it moved.
pub async fn settle_if_arrived(app: &App, upload: &Upload, now: i64) -> Result<bool> {
    if upload.status != UploadStatus::AwaitingUpload || !app.backend().blobs.exists(&upload.key).await? {
        return Ok(false);
    }
    Ok(arrived(app, upload, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SessionId;
    use crate::time::HOUR_MS;

    fn declared(content_type: &str, size: u64) -> Declared {
        Declared { content_type: content_type.into(), size }
    }

    #[test]
    fn a_declaration_is_checked_before_anything_is_stored() {
        let max = 5 * 1024 * 1024;
        for t in ACCEPTED_TYPES {
            assert_eq!(declared(t, 1).check(max), Ok(()));
        }
        assert_eq!(declared("image/jpeg", max as u64).check(max), Ok(()));
        assert_eq!(declared("image/jpeg", max as u64 + 1).check(max), Err(ImageRejection::TooLarge { max }));
        assert_eq!(declared("image/jpeg", 0).check(max), Err(ImageRejection::Empty));
        for t in ["image/svg+xml", "text/html", "IMAGE/JPEG", "image/jpeg; charset=x", ""] {
            assert_eq!(declared(t, 10).check(max), Err(ImageRejection::UnsupportedType), "{t}");
        }
    }

    fn upload(content_type: &str, bytes: u64) -> Upload {
        let session = SessionId::generate().unwrap_or_else(|e| panic!("{e}"));
        let id = UploadId::generate().unwrap_or_else(|e| panic!("{e}"));
        Upload::awaiting(id, session, content_type, bytes, 0, HOUR_MS)
    }

    #[test]
    fn the_object_must_be_what_was_declared() {
        let png = crate::services::demo::DEMO_PNG;
        let ok = upload("image/png", png.len() as u64);
        assert_eq!(check_object(&ok, png, 10, 10_000), Ok(()));
        let as_jpeg = upload("image/jpeg", png.len() as u64);
        assert_eq!(check_object(&as_jpeg, png, 10, 10_000), Err(FailureReason::TYPE_MISMATCH));
        let longer = upload("image/png", png.len() as u64 + 1);
        assert_eq!(check_object(&longer, png, 10, 10_000), Err(FailureReason::SIZE_MISMATCH));
        let html = b"<html><script>alert(1)</script></html>";
        let not_image = upload("image/png", html.len() as u64);
        assert_eq!(check_object(&not_image, html, 10, 10_000), Err(FailureReason::TYPE_MISMATCH));
        assert_eq!(check_object(&ok, png, 10_000, 20_000), Err(FailureReason::DIMENSIONS));
    }
}
