//! Decoding an upload for the worker: JPEGs by libjpeg-turbo at the smallest DCT scale
//! that still covers the copy wanted (`sti-jpeg`, the only JPEG decoder in the worker),
//! everything else by `image`, under the same limits, with the EXIF orientation read from
//! the file.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, ImageDecoder, ImageReader, Limits};

use super::orient::upright;
use super::resize::{Filter, fit_within, shrink_to};
use super::{FailureReason, ImageFormat, SniffError};

/// Caps that keep a small file from expanding into gigabytes (decompression bombs).
#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    pub max_width: u32,
    pub max_height: u32,
    pub max_alloc_bytes: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits { max_width: 10_000, max_height: 10_000, max_alloc_bytes: 256 * 1024 * 1024 }
    }
}

/// Pixels decoded at most (a 12 MP phone photo has 12 million; a 4K screen 8).
pub const MAX_PIXELS: u64 = 40_000_000;

/// What decoding an image of this shape takes at its peak, in bytes, from its header: the
/// decoded samples, the 8-bit RGB image made from them, and for a progressive JPEG its DCT
/// coefficients (two bytes per sample, every one kept until the last scan). Conservative
/// against the worker's measured peak (VmHWM, issue 26): a progressive CMYK 10000×8947 JPEG
/// took 982 MB (11 bytes a pixel; estimated 15), a progressive grey 10000² 543 MB (6),
/// an RGB PNG 9000² 407 MB (6).
pub fn decode_peak_bytes(sniffed: &super::Sniffed) -> u64 {
    let shape = sniffed.shape;
    let pixels = u64::from(sniffed.width) * u64::from(sniffed.height);
    let samples = u64::from(shape.components) * u64::from(shape.bytes_per_sample);
    let coefficients = if shape.progressive { 2 * u64::from(shape.components) } else { 0 };
    pixels * (samples + 3 + coefficients)
}

/// Every failure here is about the file itself: retrying cannot help.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(transparent)]
    Sniff(#[from] SniffError),
    #[error("image is {width}×{height}, larger than the {max_width}×{max_height} allowed")]
    TooLarge { width: u32, height: u32, max_width: u32, max_height: u32 },
    #[error("decoding would need {needed} bytes, over the {allowed}-byte cap")]
    OverBudget { needed: u64, allowed: u64 },
    #[error("could not decode the image: {0}")]
    Decode(String),
    #[error("could not encode the sanitised image: {0}")]
    Encode(String),
}

impl ProcessError {
    /// The stable reason a visitor sees for a refused image; the details go to the log.
    pub fn reason(&self) -> &'static str {
        match self {
            ProcessError::Sniff(SniffError::Unsupported) => FailureReason::UNSUPPORTED,
            ProcessError::Sniff(SniffError::Corrupt) | ProcessError::Decode(_) => FailureReason::UNDECODABLE,
            ProcessError::TooLarge { .. } | ProcessError::OverBudget { .. } => FailureReason::TOO_LARGE,
            ProcessError::Encode(_) => FailureReason::NOT_PROCESSED,
        }
    }
}

/// An upload's pixels, possibly decoded smaller than the file's own size (a JPEG is
/// decoded at the smallest of 1/8, 1/4, 1/2 or full size that still covers the side
/// wanted), with the file's size and the EXIF orientation they are to be shown in.
pub(super) struct Decoded {
    image: DynamicImage,
    pub width: u32,
    pub height: u32,
    pub orientation: Orientation,
}

impl Decoded {
    /// The copy to show: at the size the whole file would have fitting `side` (when it is
    /// larger), then turned upright — reduced first, so fewer pixels move.
    pub fn shown_within(self, side: u32) -> DynamicImage {
        let image = if self.width.max(self.height) <= side {
            self.image
        } else {
            shrink_to(self.image, fit_within(self.width, self.height, side), Filter::Display)
        };
        upright(image, self.orientation)
    }
}

/// The pixels as stored, decoded for a copy of at most `side` pixels, and the EXIF
/// orientation they are to be shown in.
pub(super) fn decode(
    bytes: &[u8],
    format: ImageFormat,
    limits: &DecodeLimits,
    side: u32,
) -> Result<Decoded, ProcessError> {
    let fmt = match format {
        ImageFormat::Jpeg => return decode_jpeg(bytes, limits, side),
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Gif => image::ImageFormat::Gif,
        ImageFormat::Webp => image::ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), fmt);
    let mut image_limits = Limits::default();
    image_limits.max_image_width = Some(limits.max_width);
    image_limits.max_image_height = Some(limits.max_height);
    image_limits.max_alloc = Some(limits.max_alloc_bytes);
    reader.limits(image_limits);
    let mut decoder = reader.into_decoder().map_err(|e| ProcessError::Decode(e.to_string()))?;
    // Decoders honour the limits unevenly; the pixel buffer's size is checked here too.
    let needed = decoder.total_bytes();
    if needed > limits.max_alloc_bytes {
        return Err(ProcessError::OverBudget { needed, allowed: limits.max_alloc_bytes });
    }
    let orientation = decoder.orientation().map_err(|e| ProcessError::Decode(e.to_string()))?;
    let (width, height) = decoder.dimensions();
    let image = DynamicImage::from_decoder(decoder).map_err(|e| ProcessError::Decode(e.to_string()))?;
    Ok(Decoded { image, width, height, orientation })
}

/// A JPEG, by libjpeg-turbo: 12-bit files (which no decoder here reads) are refused as
/// undecodable.
fn decode_jpeg(bytes: &[u8], limits: &DecodeLimits, side: u32) -> Result<Decoded, ProcessError> {
    let jpeg = sti_jpeg::decode_scaled(bytes, side, limits.max_alloc_bytes).map_err(|e| match e {
        sti_jpeg::DecodeError::Unsupported(e) | sti_jpeg::DecodeError::Invalid(e) => ProcessError::Decode(e),
    })?;
    let (width, height) = (jpeg.file_width, jpeg.file_height);
    if width > limits.max_width || height > limits.max_height {
        let (max_width, max_height) = (limits.max_width, limits.max_height);
        return Err(ProcessError::TooLarge { width, height, max_width, max_height });
    }
    let orientation = Orientation::from_exif_chunk(&jpeg.exif).unwrap_or(Orientation::NoTransforms);
    Ok(Decoded { image: jpeg_image(jpeg)?, width, height, orientation })
}

fn jpeg_image(jpeg: sti_jpeg::Decoded) -> Result<DynamicImage, ProcessError> {
    let image = match jpeg.channels {
        1 => GrayImage::from_raw(jpeg.width, jpeg.height, jpeg.pixels).map(DynamicImage::ImageLuma8),
        _ => image::RgbImage::from_raw(jpeg.width, jpeg.height, jpeg.pixels).map(DynamicImage::ImageRgb8),
    };
    image.ok_or_else(|| ProcessError::Decode("the decoder's pixels do not match its size".into()))
}
