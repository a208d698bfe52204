//! Images: header sniffing for uploads (always available) and, with the `images`
//! feature, decoding, sanitising and analysing them in the worker.

#[cfg(feature = "images")]
mod decode;
#[cfg(feature = "images")]
mod orient;
#[cfg(feature = "images")]
mod process;
#[cfg(feature = "images")]
mod resize;
#[cfg(feature = "images")]
pub mod sample;
mod sniff;

#[cfg(feature = "images")]
pub use decode::{DecodeLimits, MAX_PIXELS, ProcessError, decode_peak_bytes};
#[cfg(feature = "images")]
pub use process::{MAX_SANITIZED_SIDE, PREVIEW_SIDE, Processed, THUMBNAIL_SIDE, preview_jpeg, process};
pub use sniff::{ImageFormat, Shape, SniffError, Sniffed, sniff};

use serde::{Deserialize, Serialize};

/// What the worker learned about an uploaded image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    /// "jpeg", "png", "gif" or "webp": the format of the upload.
    pub format: String,
    /// Size of the upload as received.
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
    /// Variance of the Laplacian of the grey image: low means blurry.
    pub blur_score: f64,
    /// Mean luma, 0 (black) to 255 (white).
    pub brightness: f64,
    pub hint: Option<ImageHint>,
    /// Size of the sanitised copy that is kept.
    pub sanitized_bytes: u64,
    pub analysis_ms: u64,
    /// What a vision model saw (smart mode), masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The text of an error message on the image, as the model read it, masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_text: Option<String>,
}

/// Advice for the visitor when the picture is hard to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageHint {
    TooDark,
    TooBright,
    Blurry,
    TooSmall,
}

impl ImageHint {
    /// The name the API and the logs use (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            ImageHint::TooDark => "too_dark",
            ImageHint::TooBright => "too_bright",
            ImageHint::Blurry => "blurry",
            ImageHint::TooSmall => "too_small",
        }
    }
}

/// The reasons an upload can end `failed` with, as `GET /api/upload/{id}` shows them.
pub struct FailureReason;

impl FailureReason {
    /// Not a JPEG, PNG, WebP or GIF after all.
    pub const UNSUPPORTED: &'static str = "unsupported_image";
    /// Truncated or corrupt.
    pub const UNDECODABLE: &'static str = "undecodable_image";
    /// Too many pixels to decode safely.
    pub const TOO_LARGE: &'static str = "image_too_large";
    /// Our side could not finish it (after retries).
    pub const NOT_PROCESSED: &'static str = "not_processed";
    /// The file or its job could not be stored.
    pub const NOT_STORED: &'static str = "not_stored";
    /// The bytes are not the image type the upload was declared as.
    pub const TYPE_MISMATCH: &'static str = "type_mismatch";
    /// The object is not the size the upload was declared with.
    pub const SIZE_MISMATCH: &'static str = "size_mismatch";
    /// A side of the image is outside the accepted range.
    pub const DIMENSIONS: &'static str = "image_dimensions";
}

#[cfg(test)]
mod tests {
    use super::ImageHint;

    #[test]
    fn hints_are_named_as_the_api_serialises_them() {
        for hint in [ImageHint::TooDark, ImageHint::TooBright, ImageHint::Blurry, ImageHint::TooSmall] {
            assert_eq!(serde_json::to_value(hint).ok(), Some(serde_json::Value::from(hint.as_str())));
        }
    }
}
