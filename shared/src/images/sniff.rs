//! Recognises an upload by its bytes, not its name: the format from the magic bytes,
//! the dimensions from the header, and whether the file is complete (a truncated
//! upload is refused at the door instead of failing later in the worker). Reads only
//! headers and chunk boundaries, so the upload function needs no image decoder.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Jpeg,
    Png,
    Gif,
    Webp,
}

impl ImageFormat {
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Gif => "image/gif",
            ImageFormat::Webp => "image/webp",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Png => "png",
            ImageFormat::Gif => "gif",
            ImageFormat::Webp => "webp",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    /// What the decoder will hold, from the header: what bounds its memory.
    pub shape: Shape,
}

/// How the pixels are stored: samples per pixel and bytes per sample, and for a JPEG
/// whether it is progressive (its decoder keeps every DCT coefficient until the last scan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub components: u8,
    pub bytes_per_sample: u8,
    pub progressive: bool,
}

impl Shape {
    const RGBA8: Shape = Shape { components: 4, bytes_per_sample: 1, progressive: false };

    fn png(color_type: u8, bit_depth: u8) -> Shape {
        // A palette expands to RGBA; grey + alpha and the rest as stored.
        let components = match color_type {
            0 => 1,
            2 => 3,
            4 => 2,
            _ => 4,
        };
        Shape { components, bytes_per_sample: if bit_depth == 16 { 2 } else { 1 }, progressive: false }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SniffError {
    #[error("not a JPEG, PNG, GIF or WebP image")]
    Unsupported,
    #[error("the image file is incomplete or corrupt")]
    Corrupt,
}

pub fn sniff(bytes: &[u8]) -> Result<Sniffed, SniffError> {
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        png(bytes)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg(bytes)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        gif(bytes)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        webp(bytes)
    } else {
        Err(SniffError::Unsupported)
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_be_bytes([s[0], s[1]]))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 3).map(|s| u32::from_le_bytes([s[0], s[1], s[2], 0]))
}

/// Walks every chunk up to IEND; a missing IEND or a chunk past the end is corruption.
fn png(b: &[u8]) -> Result<Sniffed, SniffError> {
    if b.get(12..16) != Some(b"IHDR") {
        return Err(SniffError::Corrupt);
    }
    let width = be32(b, 16).ok_or(SniffError::Corrupt)?;
    let height = be32(b, 20).ok_or(SniffError::Corrupt)?;
    let shape = Shape::png(*b.get(25).ok_or(SniffError::Corrupt)?, *b.get(24).ok_or(SniffError::Corrupt)?);
    let mut at = 8usize;
    loop {
        let len = be32(b, at).ok_or(SniffError::Corrupt)? as usize;
        let kind = b.get(at + 4..at + 8).ok_or(SniffError::Corrupt)?;
        let end = at.checked_add(12).and_then(|x| x.checked_add(len)).ok_or(SniffError::Corrupt)?;
        if end > b.len() {
            return Err(SniffError::Corrupt);
        }
        if kind == b"IEND" {
            return Ok(Sniffed { format: ImageFormat::Png, width, height, shape });
        }
        at = end;
    }
}

/// Finds the frame header for the size, and an end-of-image marker after the scan.
fn jpeg(b: &[u8]) -> Result<Sniffed, SniffError> {
    let mut at = 2usize;
    let mut size = None;
    let scan_start = loop {
        // Markers may be padded with extra 0xFF bytes.
        while b.get(at) == Some(&0xFF) && b.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        if b.get(at) != Some(&0xFF) {
            return Err(SniffError::Corrupt);
        }
        let marker = *b.get(at + 1).ok_or(SniffError::Corrupt)?;
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            at += 2;
            continue;
        }
        let len = be16(b, at + 2).ok_or(SniffError::Corrupt)? as usize;
        if len < 2 {
            return Err(SniffError::Corrupt);
        }
        let is_frame = (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_frame {
            let height = be16(b, at + 5).ok_or(SniffError::Corrupt)?;
            let width = be16(b, at + 7).ok_or(SniffError::Corrupt)?;
            let components = *b.get(at + 9).ok_or(SniffError::Corrupt)?;
            let bytes_per_sample = if b.get(at + 4).is_some_and(|&precision| precision > 8) { 2 } else { 1 };
            // SOF2, SOF6, SOF10 and SOF14 are the progressive frames.
            let progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
            size = Some((u32::from(width), u32::from(height), Shape { components, bytes_per_sample, progressive }));
        }
        let next = at + 2 + len;
        if next > b.len() {
            return Err(SniffError::Corrupt);
        }
        if marker == 0xDA {
            break next;
        }
        if marker == 0xD9 {
            return Err(SniffError::Corrupt);
        }
        at = next;
    };
    let (width, height, shape) = size.ok_or(SniffError::Corrupt)?;
    let body = &b[scan_start..];
    let trimmed_end = body.iter().rposition(|&x| x != 0).map_or(0, |p| p + 1);
    let has_eoi = body[..trimmed_end].windows(2).rev().take(1 << 16).any(|w| w == [0xFF, 0xD9]);
    if !has_eoi {
        return Err(SniffError::Corrupt);
    }
    Ok(Sniffed { format: ImageFormat::Jpeg, width, height, shape })
}

fn gif(b: &[u8]) -> Result<Sniffed, SniffError> {
    let width = u32::from(le16(b, 6).ok_or(SniffError::Corrupt)?);
    let height = u32::from(le16(b, 8).ok_or(SniffError::Corrupt)?);
    let last = b.iter().rposition(|&x| x != 0).ok_or(SniffError::Corrupt)?;
    if b[last] != 0x3B || last < 13 {
        return Err(SniffError::Corrupt);
    }
    Ok(Sniffed { format: ImageFormat::Gif, width, height, shape: Shape::RGBA8 })
}

fn webp(b: &[u8]) -> Result<Sniffed, SniffError> {
    let riff_len = le32(b, 4).ok_or(SniffError::Corrupt)? as usize;
    if riff_len.checked_add(8).is_none_or(|total| total > b.len()) {
        return Err(SniffError::Corrupt);
    }
    let chunk = b.get(12..16).ok_or(SniffError::Corrupt)?;
    let (width, height) = match chunk {
        b"VP8 " => {
            if b.get(23..26) != Some(&[0x9D, 0x01, 0x2A]) {
                return Err(SniffError::Corrupt);
            }
            let w = le16(b, 26).ok_or(SniffError::Corrupt)? & 0x3FFF;
            let h = le16(b, 28).ok_or(SniffError::Corrupt)? & 0x3FFF;
            (u32::from(w), u32::from(h))
        }
        b"VP8L" => {
            if b.get(20) != Some(&0x2F) {
                return Err(SniffError::Corrupt);
            }
            let bits = le32(b, 21).ok_or(SniffError::Corrupt)?;
            ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        }
        b"VP8X" => {
            let w = le24(b, 24).ok_or(SniffError::Corrupt)? + 1;
            let h = le24(b, 27).ok_or(SniffError::Corrupt)? + 1;
            (w, h)
        }
        _ => return Err(SniffError::Corrupt),
    };
    Ok(Sniffed { format: ImageFormat::Webp, width, height, shape: Shape::RGBA8 })
}

#[cfg(all(test, feature = "images"))]
pub(crate) mod tests {
    use super::*;
    use image::{DynamicImage, ImageFormat as Fmt, RgbImage};

    fn encoded(fmt: Fmt, w: u32, h: u32) -> Vec<u8> {
        let img =
            DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 90])));
        let mut out = std::io::Cursor::new(Vec::new());
        let written = img.write_to(&mut out, fmt);
        assert!(written.is_ok(), "{written:?}");
        out.into_inner()
    }

    #[test]
    fn reads_format_and_size_of_real_encodings() {
        for (fmt, expected) in [
            (Fmt::Png, ImageFormat::Png),
            (Fmt::Jpeg, ImageFormat::Jpeg),
            (Fmt::Gif, ImageFormat::Gif),
            (Fmt::WebP, ImageFormat::Webp),
        ] {
            let bytes = encoded(fmt, 123, 45);
            let sniffed = sniff(&bytes).unwrap_or_else(|e| panic!("{fmt:?}: {e}"));
            assert_eq!((sniffed.format, sniffed.width, sniffed.height), (expected, 123, 45), "{fmt:?}");
        }
    }

    /// A JPEG's frame header alone (with a scan and its end), as a progressive (SOF2) or
    /// baseline (SOF0) encoder writes it: what the worker reads before it decodes.
    pub(crate) fn jpeg_header(sof: u8, width: u16, height: u16, components: u8) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8, 0xFF, sof];
        b.extend_from_slice(&(8 + 3 * u16::from(components)).to_be_bytes());
        b.push(8);
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&width.to_be_bytes());
        b.push(components);
        for id in 1..=components {
            b.extend_from_slice(&[id, 0x11, 0]);
        }
        b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        b.extend_from_slice(&[0x12, 0x34, 0xFF, 0xD9]);
        b
    }

    #[test]
    fn the_header_tells_what_the_decoder_will_hold() {
        let shape = |bytes: &[u8]| sniff(bytes).map(|s| s.shape).unwrap_or_else(|e| panic!("{e}"));
        let progressive_cmyk = jpeg_header(0xC2, 10_000, 8_947, 4);
        assert_eq!(shape(&progressive_cmyk), Shape { components: 4, bytes_per_sample: 1, progressive: true });
        let sniffed = sniff(&progressive_cmyk).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((sniffed.width, sniffed.height), (10_000, 8_947));
        assert_eq!(
            shape(&jpeg_header(0xC0, 64, 64, 1)),
            Shape { components: 1, bytes_per_sample: 1, progressive: false }
        );
        assert_eq!(
            shape(&encoded(Fmt::Jpeg, 64, 64)),
            Shape { components: 3, bytes_per_sample: 1, progressive: false }
        );
        assert_eq!(shape(&encoded(Fmt::Png, 64, 64)), Shape { components: 3, bytes_per_sample: 1, progressive: false });
        let grey16 = DynamicImage::ImageLuma16(image::ImageBuffer::from_pixel(8, 8, image::Luma([9u16])));
        let mut png = std::io::Cursor::new(Vec::new());
        assert!(grey16.write_to(&mut png, Fmt::Png).is_ok());
        assert_eq!(shape(png.get_ref()), Shape { components: 1, bytes_per_sample: 2, progressive: false });
    }

    #[test]
    fn truncated_files_are_corrupt() {
        for fmt in [Fmt::Png, Fmt::Jpeg, Fmt::Gif, Fmt::WebP] {
            let bytes = encoded(fmt, 64, 64);
            for cut in [bytes.len() / 2, bytes.len() - 3, 30] {
                assert_eq!(sniff(&bytes[..cut]), Err(SniffError::Corrupt), "{fmt:?} cut at {cut}");
            }
        }
    }

    #[test]
    fn other_content_is_unsupported() {
        for bytes in [&b"%PDF-1.7 hello"[..], b"<svg xmlns=", b"", b"GIF8", b"BM\x00\x00", b"\x00\x00\x00\x0cjP  "] {
            assert_eq!(sniff(bytes), Err(SniffError::Unsupported), "{bytes:?}");
        }
    }
}
