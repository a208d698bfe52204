//! Images for analysis, by either road: one multipart request through the function
//! ([`multipart`]), or a signed URL the client puts the bytes to ([`direct`]); then where
//! each stands ([`status`]). What both roads share — leave to upload, and what a real
//! image is — lives here.

pub mod direct;
pub mod multipart;
pub mod status;

use crate::app::App;
use crate::error::{Error, ImageRejection, Result};
use crate::ids::SessionId;
use crate::images::{SniffError, Sniffed, sniff};
use crate::services::admission::{Quota, admit};
use crate::services::sessions::load;

/// Leave to send an image, given before a byte of it is read: the visitor's IP is under
/// the upload rate (made-up session ids spend it too), the session exists and is under
/// its image quota.
#[derive(Debug)]
pub struct Admitted {
    session: SessionId,
}

impl Admitted {
    pub fn session(&self) -> &SessionId {
        &self.session
    }
}

pub async fn admit_upload(app: &App, session: &SessionId, ip: &str) -> Result<Admitted> {
    let limits = &app.config().limits;
    admit(app, &Quota::uploads_per_ip(ip, limits)).await?;
    let now = app.now_ms();
    load(app, session, now).await?;
    under_image_quota(app, session, now).await?;
    Ok(Admitted { session: session.clone() })
}

pub(super) async fn under_image_quota(app: &App, session: &SessionId, now: i64) -> Result<()> {
    let max = app.config().limits.max_images_per_session;
    let uploads = app.backend().uploads.list_for_session(session, now).await?;
    if uploads.len() >= max as usize {
        // A place frees up when the first of them expires (an unused upload URL soon, a
        // received image with the upload retention).
        let first_expiry = uploads.iter().map(|u| u.expires_at).min().unwrap_or(now);
        let retry_after_secs = u64::try_from((first_expiry - now).max(1_000) / 1_000).unwrap_or(1);
        return Err(Error::UploadLimitReached { max, retry_after_secs });
    }
    Ok(())
}

/// The format and sides of a real JPEG, PNG, WebP or GIF image, from its header.
pub fn sniff_image(image: &[u8]) -> Result<Sniffed, ImageRejection> {
    if image.is_empty() {
        return Err(ImageRejection::Empty);
    }
    sniff(image).map_err(|e| match e {
        SniffError::Unsupported => ImageRejection::UnsupportedType,
        SniffError::Corrupt => ImageRejection::Corrupt,
    })
}

/// Whether both sides of the image are within `min..=max` pixels.
pub fn sides_within(sniffed: &Sniffed, min: u32, max: u32) -> Result<(), ImageRejection> {
    let (width, height) = (sniffed.width, sniffed.height);
    if width < min || height < min || width > max || height > max {
        return Err(ImageRejection::Dimensions { width, height, min, max });
    }
    Ok(())
}
