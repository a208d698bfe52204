//! Stored images shown to technicians through short-lived signed links: the sanitised copy
//! and the thumbnail of an upload, never its original. S3 serves presigned links itself on
//! AWS; locally `GET /api/files/…` checks the link here.

use bytes::Bytes;

use crate::app::App;
use crate::error::{Error, Result};
use crate::ports::Upload;
use crate::time::MINUTE_MS;

/// How long an image link on a ticket page works.
pub const IMAGE_LINK_TTL_MS: i64 = 10 * MINUTE_MS;

/// Only the worker's copies may be linked: an original may still carry EXIF and GPS data.
pub fn may_be_linked(key: &str) -> bool {
    (key.starts_with("sanitized/") || key.starts_with("thumbnails/")) && !key.contains("..")
}

/// The content type of a worker's copy, from its name.
pub fn content_type_of(key: &str) -> &'static str {
    match key.rsplit_once('.').map(|(_, ext)| ext) {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        _ => "image/jpeg",
    }
}

/// Signed links to `upload`'s thumbnail and sanitised copy (in that order), when it has them.
pub async fn links(app: &App, upload: &Upload, base_url: &str) -> Result<Option<(String, String)>> {
    let (Some(thumbnail), Some(sanitized)) = (&upload.thumbnail_key, &upload.sanitized_key) else {
        return Ok(None);
    };
    let expires_at = app.now_ms() + IMAGE_LINK_TTL_MS;
    let signer = &app.backend().signer;
    Ok(Some((
        signer.sign_get(thumbnail, expires_at, base_url).await?,
        signer.sign_get(sanitized, expires_at, base_url).await?,
    )))
}

/// A file behind a local signed link: refused (403) unless signed by this server and in
/// date; 404 when it is not a linkable copy or no longer stored (an erased session).
pub async fn read_signed(app: &App, key: &str, expires_at: Option<i64>, signature: &str) -> Result<Bytes> {
    if !may_be_linked(key) {
        return Err(Error::FileNotFound);
    }
    let expires_at = expires_at.ok_or(Error::LinkInvalid)?;
    if !app.backend().signer.verify_get(key, expires_at, signature) {
        return Err(Error::LinkInvalid);
    }
    if expires_at <= app.now_ms() {
        return Err(Error::LinkExpired);
    }
    app.backend().blobs.get(key).await?.ok_or(Error::FileNotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_workers_copies_are_linked() {
        assert!(may_be_linked("sanitized/uploads/t/upl-1.png.png"));
        assert!(may_be_linked("thumbnails/uploads/t/upl-1.jpg"));
        for key in ["uploads/t/upl-1", "sanitized/../uploads/t/upl-1", "other/x.jpg", ""] {
            assert!(!may_be_linked(key), "{key}");
        }
        assert_eq!(content_type_of("thumbnails/uploads/t/upl-1.jpg"), "image/jpeg");
        assert_eq!(content_type_of("sanitized/uploads/t/upl-1.png"), "image/png");
    }
}
