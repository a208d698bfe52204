//! Decoding an upload for the worker: JPEGs by libjpeg-turbo at the smallest DCT scale
//! that still covers the copy wanted (`sti-jpeg`), everything else (and CMYK or 12-bit
//! JPEGs) by `image`, under the same limits, with the EXIF orientation read from the file.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, ImageDecoder, ImageReader, Limits};

use super::ImageFormat;
use super::process::{DecodeLimits, ProcessError};
use super::resize::{Filter, fit_within, shrink_to};

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
    /// The pixels at the size the whole file would have fitting `side`, when it is larger.
    pub fn shrunk_to(self, side: u32) -> DynamicImage {
        if self.width.max(self.height) <= side {
            return self.image;
        }
        shrink_to(self.image, fit_within(self.width, self.height, side), Filter::Display)
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
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
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
    if format == ImageFormat::Jpeg {
        match sti_jpeg::decode_scaled(bytes, side, limits.max_alloc_bytes) {
            Ok(jpeg) => return Ok(Decoded { image: jpeg_image(jpeg)?, width, height, orientation }),
            // CMYK and 12-bit files: image's decoder reads those, at full size.
            Err(sti_jpeg::DecodeError::Unsupported(_)) => {}
            Err(sti_jpeg::DecodeError::Invalid(e)) => return Err(ProcessError::Decode(e)),
        }
    }
    let image = DynamicImage::from_decoder(decoder).map_err(|e| ProcessError::Decode(e.to_string()))?;
    Ok(Decoded { image, width, height, orientation })
}

fn jpeg_image(jpeg: sti_jpeg::Decoded) -> Result<DynamicImage, ProcessError> {
    let image = match jpeg.channels {
        1 => GrayImage::from_raw(jpeg.width, jpeg.height, jpeg.pixels).map(DynamicImage::ImageLuma8),
        _ => image::RgbImage::from_raw(jpeg.width, jpeg.height, jpeg.pixels).map(DynamicImage::ImageRgb8),
    };
    image.ok_or_else(|| ProcessError::Decode("the decoder's pixels do not match its size".into()))
}
