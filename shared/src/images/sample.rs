//! A synthetic camera photo for benchmarks and tests: the size, entropy and EXIF
//! orientation of what a phone uploads, generated (the repository carries no photos).

use std::io::Cursor;

use image::{DynamicImage, Rgb, RgbImage};

/// A `width`×`height` JPEG (quality 92) of smooth light with texture and sensor noise, as
/// stored by a camera held in `orientation` (EXIF values 1–8); e.g. 4000×3000 with
/// orientation 6 is a 12 MP portrait photo of about 3.5 MB, the worker's worst common case.
pub fn camera_jpeg(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let mut noise = 0x9E37_79B9_7F4A_7C15u64;
    let pixels = RgbImage::from_fn(width, height, |x, y| {
        noise ^= noise << 13;
        noise ^= noise >> 7;
        noise ^= noise << 17;
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let light = 60.0 + 140.0 * (1.0 - (fx - 0.4).abs()) * (1.0 - 0.6 * fy);
        let texture =
            18.0 * ((x as f32 * 0.21).sin() * (y as f32 * 0.13).cos()) + 10.0 * ((x + 2 * y) as f32 * 0.045).sin();
        let channel = |shift: u32, tint: f32| {
            let grain = (((noise >> shift) & 0x0F) as f32 - 7.5) * 0.85;
            (light * tint + texture + grain).clamp(0.0, 255.0) as u8
        };
        Rgb([channel(0, 1.0), channel(8, 0.92), channel(16, 0.8)])
    });
    match sti_jpeg::encode(pixels.as_raw(), width, height, 3, 92) {
        Ok(jpeg) => with_orientation(&jpeg, orientation),
        Err(_) => Vec::new(),
    }
}

/// `jpeg` with an EXIF APP1 segment holding `orientation`, right after the SOI marker.
pub fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    // TIFF header (big endian), IFD0 with one entry: 0x0112 Orientation, SHORT, count 1.
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let payload = [b"Exif\0\0".as_slice(), &tiff].concat();
    let mut out = Vec::with_capacity(jpeg.len() + payload.len() + 4);
    out.extend_from_slice(&jpeg[..2.min(jpeg.len())]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2.min(jpeg.len())..]);
    out
}

/// A `width`×`height` PNG like a screenshot of an error dialog: flat panels, a title bar
/// and rows of dark "text" strokes.
pub fn screenshot_png(width: u32, height: u32) -> Vec<u8> {
    let pixels = RgbImage::from_fn(width, height, |x, y| {
        let in_dialog = x > width / 4 && x < 3 * width / 4 && y > height / 4 && y < 3 * height / 4;
        let title_bar = in_dialog && y < height / 4 + 28;
        let text = in_dialog && !title_bar && (y / 14) % 2 == 1 && (x / 5) % 3 != 0 && (x * 7 + y) % 41 > 6;
        if title_bar {
            Rgb([32, 96, 200])
        } else if text {
            Rgb([24, 24, 24])
        } else if in_dialog {
            Rgb([246, 246, 246])
        } else {
            Rgb([(40 + x / 32) as u8, (90 + y / 32) as u8, 140])
        }
    });
    let mut png = Cursor::new(Vec::new());
    if DynamicImage::ImageRgb8(pixels).write_to(&mut png, image::ImageFormat::Png).is_err() {
        return Vec::new();
    }
    png.into_inner()
}
