//! The worker's image pipeline: decode under hard limits, apply the EXIF orientation,
//! re-encode without any metadata (EXIF, GPS, comments), make a thumbnail and measure
//! what the visitor might need to retake (darkness, glare, blur, size).

use std::io::Cursor;

use image::{DynamicImage, GrayImage};

use super::decode::{DecodeLimits, MAX_PIXELS, ProcessError, decode, decode_peak_bytes};
use super::orient::shown_size;
use super::resize::{Filter, resize_to_fit};
use super::{Analysis, ImageFormat, ImageHint, sniff};

/// Longest side of the copy we keep.
pub const MAX_SANITIZED_SIDE: u32 = 1920;
pub const THUMBNAIL_SIDE: u32 = 256;
/// Side of the grey copy the measurements run on: enough detail, bounded cost.
const ANALYSIS_SIDE: u32 = 512;

const DARK_BELOW: f64 = 40.0;
const BRIGHT_ABOVE: f64 = 235.0;
const FLAT_CONTRAST_BELOW: f64 = 20.0;
const BLURRY_BELOW: f64 = 25.0;
const SMALL_SIDE_BELOW: u32 = 100;

#[derive(Debug)]
pub struct Processed {
    pub sanitized: Vec<u8>,
    pub sanitized_format: ImageFormat,
    pub thumbnail: Vec<u8>,
    pub analysis: Analysis,
}

pub fn process(bytes: &[u8], limits: &DecodeLimits) -> Result<Processed, ProcessError> {
    let sniffed = sniff(bytes)?;
    let pixels = u64::from(sniffed.width) * u64::from(sniffed.height);
    if sniffed.width > limits.max_width
        || sniffed.height > limits.max_height
        || sniffed.width == 0
        || sniffed.height == 0
        || pixels > MAX_PIXELS
    {
        return Err(ProcessError::TooLarge {
            width: sniffed.width,
            height: sniffed.height,
            max_width: limits.max_width,
            max_height: limits.max_height,
        });
    }
    // Refused from the header, before the decoder allocates anything: what its
    // allocation cap sees is only the output buffer, not its working memory.
    let needed = decode_peak_bytes(&sniffed);
    if needed > limits.max_alloc_bytes {
        return Err(ProcessError::OverBudget { needed, allowed: limits.max_alloc_bytes });
    }
    let decoded = decode(bytes, sniffed.format, limits, MAX_SANITIZED_SIDE)?;
    // One decode feeds everything: the thumbnail and the measurements are taken from the
    // kept copy, not from the full-size image.
    let (width, height) = shown_size(decoded.width, decoded.height, decoded.orientation);
    let kept = decoded.shown_within(MAX_SANITIZED_SIDE);
    // Photos stay JPEG; screenshots and everything else go lossless so text stays legible.
    let sanitized_format = if sniffed.format == ImageFormat::Jpeg { ImageFormat::Jpeg } else { ImageFormat::Png };
    let sanitized = encode(&kept, sanitized_format)?;
    let thumbnail = encode(&resize_to_fit(&kept, THUMBNAIL_SIDE, Filter::Display), ImageFormat::Jpeg)?;

    let grey = resize_to_fit(&kept, ANALYSIS_SIDE, Filter::Measure).into_luma8();
    let (brightness, contrast) = mean_and_std(&grey);
    let blur_score = laplacian_variance(&grey);
    let hint = hint_for(width, height, brightness, contrast, blur_score);
    Ok(Processed {
        analysis: Analysis {
            format: sniffed.format.as_str().to_owned(),
            bytes: bytes.len() as u64,
            width,
            height,
            blur_score: round2(blur_score),
            brightness: round2(brightness),
            hint,
            sanitized_bytes: sanitized.len() as u64,
            analysis_ms: 0,
            description: None,
            error_text: None,
        },
        sanitized,
        sanitized_format,
        thumbnail,
    })
}

/// Longest side of the copy a vision model gets: enough to read an error dialog.
pub const PREVIEW_SIDE: u32 = 1024;

/// A JPEG of at most 1024 px from an already sanitised image, for a vision model.
pub fn preview_jpeg(sanitized: &[u8], limits: &DecodeLimits) -> Result<Vec<u8>, ProcessError> {
    let sniffed = sniff(sanitized)?;
    let decoded = decode(sanitized, sniffed.format, limits, PREVIEW_SIDE)?;
    encode(&decoded.shown_within(PREVIEW_SIDE), ImageFormat::Jpeg)
}

/// JPEG quality of the kept copy, the thumbnail and the preview.
const JPEG_QUALITY: u8 = 85;

/// Encodes without any metadata: nothing from the upload's headers is carried over.
fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, ProcessError> {
    match format {
        ImageFormat::Jpeg => encode_jpeg(image),
        _ => {
            let mut out = Cursor::new(Vec::new());
            image.write_to(&mut out, image::ImageFormat::Png).map_err(|e| ProcessError::Encode(e.to_string()))?;
            Ok(out.into_inner())
        }
    }
}

fn encode_jpeg(image: &DynamicImage) -> Result<Vec<u8>, ProcessError> {
    let (width, height) = (image.width(), image.height());
    // Alpha and 16-bit samples have no place in a JPEG; grey stays one channel.
    let encoded = match image {
        DynamicImage::ImageLuma8(grey) => sti_jpeg::encode(grey.as_raw(), width, height, 1, JPEG_QUALITY),
        DynamicImage::ImageRgb8(rgb) => sti_jpeg::encode(rgb.as_raw(), width, height, 3, JPEG_QUALITY),
        other => sti_jpeg::encode(other.to_rgb8().as_raw(), width, height, 3, JPEG_QUALITY),
    };
    encoded.map_err(|e| ProcessError::Encode(e.to_string()))
}

fn mean_and_std(grey: &GrayImage) -> (f64, f64) {
    let n = f64::from(grey.width() * grey.height()).max(1.0);
    let (sum, sum_sq) = grey.pixels().fold((0.0f64, 0.0f64), |(s, sq), p| {
        let v = f64::from(p.0[0]);
        (s + v, sq + v * v)
    });
    let mean = sum / n;
    let variance = (sum_sq / n - mean * mean).max(0.0);
    (mean, variance.sqrt())
}

/// Variance of the 4-neighbour Laplacian: sharp edges give large values, blur small.
pub fn laplacian_variance(grey: &GrayImage) -> f64 {
    let (w, h) = grey.dimensions();
    if w < 3 || h < 3 {
        return 0.0;
    }
    let px = |x: u32, y: u32| f64::from(grey.get_pixel(x, y).0[0]);
    let mut sum = 0.0;
    let mut sum_sq = 0.0;
    let mut n = 0.0;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let lap = px(x - 1, y) + px(x + 1, y) + px(x, y - 1) + px(x, y + 1) - 4.0 * px(x, y);
            sum += lap;
            sum_sq += lap * lap;
            n += 1.0;
        }
    }
    let mean = sum / n;
    (sum_sq / n - mean * mean).max(0.0)
}

fn hint_for(width: u32, height: u32, brightness: f64, contrast: f64, blur: f64) -> Option<ImageHint> {
    if width.min(height) < SMALL_SIDE_BELOW {
        Some(ImageHint::TooSmall)
    } else if brightness < DARK_BELOW {
        Some(ImageHint::TooDark)
    } else if brightness > BRIGHT_ABOVE && contrast < FLAT_CONTRAST_BELOW {
        Some(ImageHint::TooBright)
    } else if blur < BLURRY_BELOW {
        Some(ImageHint::Blurry)
    } else {
        None
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::FailureReason;

    #[test]
    fn the_decoders_peak_is_refused_from_the_header_before_anything_is_decoded() {
        use crate::images::sniff::tests::jpeg_header;
        let limits = DecodeLimits::default();
        // Header-only files: had the decoder run, they would fail as undecodable.
        let cmyk = jpeg_header(0xC2, 10_000, 8_947, 4);
        match process(&cmyk, &limits) {
            Err(e @ ProcessError::TooLarge { .. }) => assert_eq!(e.reason(), FailureReason::TOO_LARGE),
            other => panic!("89 MP is over the pixel cap: {other:?}"),
        }
        let within_pixels = jpeg_header(0xC2, 5_000, 4_000, 4);
        match process(&within_pixels, &limits) {
            Err(e @ ProcessError::OverBudget { needed, allowed }) => {
                assert_eq!((needed, allowed), (20_000_000 * 15, 256 * 1024 * 1024));
                assert_eq!(e.reason(), FailureReason::TOO_LARGE);
            }
            other => panic!("a 20 MP progressive CMYK JPEG needs 300 MB: {other:?}"),
        }
        let baseline = jpeg_header(0xC0, 5_000, 4_000, 3);
        assert!(
            matches!(process(&baseline, &limits), Err(ProcessError::Decode(_))),
            "within budget: decoded (and fails as the stub it is)"
        );
        let sniffed = |b: &[u8]| crate::images::sniff(b).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decode_peak_bytes(&sniffed(&jpeg_header(0xC2, 1_000, 1_000, 1))), 1_000_000 * 6);
        assert_eq!(decode_peak_bytes(&sniffed(&baseline)), 20_000_000 * 6);
    }
    use crate::images::sample;
    use image::{Rgb, RgbImage};

    /// Black "text" strokes on white, like a screenshot of an error dialog.
    fn text_like(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
            let stroke = (x / 3) % 4 == 0 && (y / 12) % 2 == 0 || (y % 24) == 0;
            if stroke { Rgb([20, 20, 20]) } else { Rgb([245, 245, 245]) }
        }))
    }

    fn bytes_of(img: &DynamicImage, fmt: image::ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let written = img.write_to(&mut out, fmt);
        assert!(written.is_ok(), "{written:?}");
        out.into_inner()
    }

    fn analysed(img: &DynamicImage, fmt: image::ImageFormat) -> Processed {
        match process(&bytes_of(img, fmt), &DecodeLimits::default()) {
            Ok(p) => p,
            Err(e) => panic!("processing failed: {e}"),
        }
    }

    #[test]
    fn sharp_screenshot_needs_no_hint() {
        let p = analysed(&text_like(800, 600), image::ImageFormat::Png);
        assert_eq!(p.analysis.hint, None, "{:?}", p.analysis);
        assert_eq!((p.analysis.width, p.analysis.height), (800, 600));
        assert_eq!(p.analysis.format, "png");
        assert_eq!(p.sanitized_format, ImageFormat::Png);
        assert!(p.analysis.blur_score > 1000.0);
    }

    #[test]
    fn blurred_photo_is_flagged_blurry() {
        let blurred = text_like(800, 600).blur(6.0);
        let p = analysed(&blurred, image::ImageFormat::Jpeg);
        assert_eq!(p.analysis.hint, Some(ImageHint::Blurry), "{:?}", p.analysis);
        assert_eq!(p.sanitized_format, ImageFormat::Jpeg);
    }

    #[test]
    fn dark_photo_is_flagged_dark() {
        let dark = DynamicImage::ImageRgb8(RgbImage::from_fn(640, 480, |x, y| Rgb([((x + y) % 30) as u8, 10, 10])));
        let p = analysed(&dark, image::ImageFormat::Jpeg);
        assert_eq!(p.analysis.hint, Some(ImageHint::TooDark), "{:?}", p.analysis);
    }

    #[test]
    fn washed_out_photo_is_flagged_bright() {
        let white = DynamicImage::ImageRgb8(RgbImage::from_fn(640, 480, |x, _| Rgb([250, 250, 240 + (x % 10) as u8])));
        let p = analysed(&white, image::ImageFormat::Png);
        assert_eq!(p.analysis.hint, Some(ImageHint::TooBright), "{:?}", p.analysis);
    }

    #[test]
    fn tiny_image_is_flagged_small() {
        let p = analysed(&text_like(60, 40), image::ImageFormat::Gif);
        assert_eq!(p.analysis.hint, Some(ImageHint::TooSmall));
        assert_eq!(p.sanitized_format, ImageFormat::Png, "GIF is kept as PNG");
    }

    #[test]
    fn big_images_are_scaled_down_and_thumbnailed() {
        let p = analysed(&text_like(2400, 1200), image::ImageFormat::WebP);
        let kept = image::load_from_memory(&p.sanitized).map(|i| (i.width(), i.height()));
        assert_eq!(kept.ok(), Some((1920, 960)));
        let thumb = image::load_from_memory(&p.thumbnail).map(|i| i.width().max(i.height()));
        assert_eq!(thumb.ok(), Some(THUMBNAIL_SIDE));
        assert_eq!(p.analysis.width, 2400, "analysis reports the original size");
    }

    fn decoded(bytes: &[u8]) -> image::RgbImage {
        match image::load_from_memory(bytes) {
            Ok(i) => i.to_rgb8(),
            Err(e) => panic!("output does not decode: {e}"),
        }
    }

    #[test]
    fn photos_are_turned_upright_as_their_exif_says() {
        // A red block in the stored top-left corner; EXIF 6 means "rotate 90° clockwise to show".
        let stored = DynamicImage::ImageRgb8(RgbImage::from_fn(400, 300, |x, y| {
            if x < 80 && y < 60 { Rgb([230, 20, 20]) } else { Rgb([30, 90, 200]) }
        }));
        let cases = [
            (1, (400, 300), (10, 10)),
            (3, (400, 300), (390, 290)),
            (6, (300, 400), (290, 10)),
            (8, (300, 400), (10, 390)),
        ];
        for (orientation, size, red_at) in cases {
            let upload = sample::with_orientation(&bytes_of(&stored, image::ImageFormat::Jpeg), orientation);
            let p = match process(&upload, &DecodeLimits::default()) {
                Ok(p) => p,
                Err(e) => panic!("orientation {orientation}: {e}"),
            };
            assert_eq!((p.analysis.width, p.analysis.height), size, "orientation {orientation}");
            let kept = decoded(&p.sanitized);
            assert_eq!(kept.dimensions(), size, "orientation {orientation}");
            let red = kept.get_pixel(red_at.0, red_at.1);
            assert!(red[0] > 180 && red[2] < 80, "orientation {orientation}: {red:?} at {red_at:?}");
            assert!(!p.sanitized.windows(4).any(|w| w == b"Exif"), "orientation {orientation}");
        }
    }

    #[test]
    fn a_phone_photo_is_kept_upright_at_1920_with_a_256_thumbnail() {
        let p = match process(&sample::camera_jpeg(2400, 1800, 6), &DecodeLimits::default()) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        assert_eq!((p.analysis.width, p.analysis.height), (1800, 2400));
        assert_eq!(decoded(&p.sanitized).dimensions(), (1440, 1920));
        assert_eq!(decoded(&p.thumbnail).dimensions(), (192, 256));
        assert_eq!(p.analysis.hint, None, "{:?}", p.analysis);
        assert!(p.analysis.brightness > 60.0 && p.analysis.brightness < 200.0);
    }

    #[test]
    fn a_large_photo_decoded_at_half_its_size_is_kept_at_the_size_the_whole_would_give() {
        // 4000 px at half size is 2000: decoded so, then reduced to what 4000×2401 fits.
        let p = match process(&sample::camera_jpeg(4000, 2401, 6), &DecodeLimits::default()) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        assert_eq!((p.analysis.width, p.analysis.height), (2401, 4000), "the file's own size");
        assert_eq!(super::super::resize::fit_within(4000, 2401, MAX_SANITIZED_SIDE), (1920, 1152));
        assert_eq!(decoded(&p.sanitized).dimensions(), (1152, 1920));
        assert_eq!(decoded(&p.thumbnail).dimensions(), (154, 256));
        assert_eq!(p.analysis.hint, None, "{:?}", p.analysis);
    }

    #[test]
    fn cmyk_jpegs_are_kept_as_rgb() {
        let mut cmyk = Vec::new();
        let pixels: Vec<u8> = (0..320u32 * 240).flat_map(|i| [(i % 200) as u8, 30, 60, 20]).collect();
        let encoded =
            jpeg_encoder::Encoder::new(&mut cmyk, 90).encode(&pixels, 320, 240, jpeg_encoder::ColorType::Cmyk);
        assert!(encoded.is_ok(), "{encoded:?}");
        let p = match process(&cmyk, &DecodeLimits::default()) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let kept = match image::load_from_memory(&p.sanitized) {
            Ok(kept) => kept,
            Err(e) => panic!("{e}"),
        };
        assert_eq!((kept.width(), kept.height(), kept.color()), (320, 240, image::ColorType::Rgb8));
    }

    #[test]
    fn a_twelve_bit_jpeg_is_refused_as_undecodable() {
        let mut twelve = bytes_of(&text_like(64, 48), image::ImageFormat::Jpeg);
        let sof = twelve.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap_or_else(|| panic!("no SOF0"));
        twelve[sof + 1] = 0xC1; // extended sequential, where 12-bit samples are allowed
        twelve[sof + 4] = 12;
        match process(&twelve, &DecodeLimits::default()) {
            Err(e) => {
                assert_eq!(e.reason(), FailureReason::UNDECODABLE, "{e}");
                assert!(e.to_string().contains("precision 12") || e.to_string().contains("8-bit"), "{e}");
            }
            Ok(_) => panic!("a 12-bit JPEG was decoded"),
        }
    }

    #[test]
    fn grey_and_transparent_uploads_encode_to_jpeg_thumbnails() {
        let grey = DynamicImage::ImageLuma8(text_like(300, 200).to_luma8());
        let p = analysed(&grey, image::ImageFormat::Jpeg);
        assert_eq!(image::load_from_memory(&p.sanitized).map(|i| i.color()).ok(), Some(image::ColorType::L8));
        let clear = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(300, 200, image::Rgba([0, 0, 0, 0])));
        let p = analysed(&clear, image::ImageFormat::Png);
        assert_eq!(decoded(&p.thumbnail).dimensions(), (256, 171));
    }

    #[test]
    fn metadata_is_stripped() {
        // A JPEG with an EXIF APP1 segment carrying a GPS-like marker string.
        let clean = bytes_of(&text_like(200, 200), image::ImageFormat::Jpeg);
        let marker = b"GPSLatitude-34.6037";
        let mut exif = vec![0xFF, 0xE1];
        let payload: Vec<u8> =
            [b"Exif\0\0".as_slice(), b"MM\0\x2a\0\0\0\x08\0\0".as_slice(), marker.as_slice()].concat();
        exif.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        exif.extend_from_slice(&payload);
        let mut with_exif = clean[..2].to_vec();
        with_exif.extend_from_slice(&exif);
        with_exif.extend_from_slice(&clean[2..]);
        assert!(with_exif.windows(marker.len()).any(|w| w == marker));
        let p = match process(&with_exif, &DecodeLimits::default()) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        assert!(!p.sanitized.windows(marker.len()).any(|w| w == marker), "EXIF survived");
        assert!(!p.sanitized.windows(4).any(|w| w == b"Exif"));
    }

    #[test]
    fn decompression_bombs_are_refused_before_decoding() {
        // A valid PNG header claiming 60000×60000 pixels.
        let small = bytes_of(&text_like(64, 64), image::ImageFormat::Png);
        let mut bomb = small.clone();
        bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        assert!(matches!(process(&bomb, &DecodeLimits::default()), Err(ProcessError::TooLarge { .. })));
        // Within the dimension caps but beyond the allocation cap.
        let tight = DecodeLimits { max_width: 10_000, max_height: 10_000, max_alloc_bytes: 1024 };
        assert!(matches!(process(&small, &tight), Err(ProcessError::OverBudget { .. })));
    }

    #[test]
    fn garbage_with_a_valid_header_fails_to_decode() {
        let mut bytes = bytes_of(&text_like(64, 64), image::ImageFormat::Png);
        let mid = bytes.len() / 2;
        for b in &mut bytes[40..mid] {
            *b = 0x5A;
        }
        assert!(process(&bytes, &DecodeLimits::default()).is_err());
    }
}
