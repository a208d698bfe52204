//! Baseline JPEG encoding by libjpeg-turbo's SIMD compressor (colour conversion, forward
//! DCT and Huffman coding), with no marker but JFIF's.

use std::ffi::{CStr, c_char, c_int, c_uint, c_ulong};

use super::OK;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EncodeError(pub String);

/// The largest side a JPEG can have (libjpeg's JPEG_MAX_DIMENSION).
pub const MAX_SIDE: u32 = 65_500;

/// `pixels` — `height` rows of `width × channels` bytes, grey (1) or RGB (3) — as a
/// baseline JPEG at `quality` (1–100, clamped), chroma at half resolution both ways (4:2:0).
pub fn encode(pixels: &[u8], width: u32, height: u32, channels: u8, quality: u8) -> Result<Vec<u8>, EncodeError> {
    if !matches!(channels, 1 | 3) {
        return Err(EncodeError(format!("{channels} channels: only grey (1) or RGB (3) pixels are encoded")));
    }
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(EncodeError(format!("{width}×{height} is beyond JPEG's sides (1 to {MAX_SIDE})")));
    }
    let expected = u64::from(width) * u64::from(height) * u64::from(channels);
    if pixels.len() as u64 != expected {
        return Err(EncodeError(format!("{} bytes of pixels for {width}×{height}×{channels}", pixels.len())));
    }
    let encoder = Encoder::new()?;
    let quality = c_int::from(quality.clamp(1, 100));
    // SAFETY: the encoder is live; `pixels` holds exactly `height` rows of `width ×
    // channels` bytes (checked above), which is all the C side reads.
    let status =
        unsafe { sti_jpeg_encode(encoder.raw, pixels.as_ptr(), width, height, c_uint::from(channels), quality) };
    encoder.check(status)?;
    let mut size: c_ulong = 0;
    // SAFETY: the encoder is live; the buffer it returns holds `size` bytes and lives until
    // the encoder is dropped, after the copy below.
    let encoded = unsafe {
        let data = sti_jpeg_encoded(encoder.raw, &mut size);
        if data.is_null() {
            return Err(EncodeError("the encoder wrote nothing".into()));
        }
        std::slice::from_raw_parts(data, usize::try_from(size).map_err(|_| EncodeError("output too large".into()))?)
    };
    Ok(encoded.to_vec())
}

#[repr(C)]
struct RawEncoder {
    _opaque: [u8; 0],
}

unsafe extern "C" {
    fn sti_jpeg_encoder_new() -> *mut RawEncoder;
    fn sti_jpeg_encoder_free(encoder: *mut RawEncoder);
    fn sti_jpeg_encoder_message(encoder: *const RawEncoder) -> *const c_char;
    fn sti_jpeg_encode(
        encoder: *mut RawEncoder,
        pixels: *const u8,
        width: c_uint,
        height: c_uint,
        channels: c_uint,
        quality: c_int,
    ) -> c_int;
    fn sti_jpeg_encoded(encoder: *const RawEncoder, size: *mut c_ulong) -> *const u8;
}

/// One libjpeg compressor and its output, freed when dropped.
struct Encoder {
    raw: *mut RawEncoder,
}

impl Encoder {
    fn new() -> Result<Encoder, EncodeError> {
        // SAFETY: no arguments; a null result is handled.
        let raw = unsafe { sti_jpeg_encoder_new() };
        if raw.is_null() {
            return Err(EncodeError("cannot create an encoder".into()));
        }
        Ok(Encoder { raw })
    }

    fn check(&self, status: c_int) -> Result<(), EncodeError> {
        if status == OK {
            return Ok(());
        }
        // SAFETY: the encoder is live and its message buffer is always NUL-terminated
        // (zeroed at creation, written by libjpeg's formatter or a bounded copy).
        let message = unsafe { CStr::from_ptr(sti_jpeg_encoder_message(self.raw)) };
        Err(EncodeError(message.to_string_lossy().into_owned()))
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        // SAFETY: created by sti_jpeg_encoder_new, freed once.
        unsafe { sti_jpeg_encoder_free(self.raw) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fatal_libjpeg_error_comes_back_as_a_message_not_an_unwind() {
        // Past JPEG's largest side, which only libjpeg itself checks here (encode refuses
        // it before): its error_exit must jump back to the C entry point.
        let width = MAX_SIDE + 100;
        let pixels = vec![0u8; width as usize];
        let encoder = Encoder::new().unwrap_or_else(|e| panic!("{e}"));
        // SAFETY: `pixels` holds one row of `width` grey bytes.
        let status = unsafe { sti_jpeg_encode(encoder.raw, pixels.as_ptr(), width, 1, 1, 85) };
        let error = encoder.check(status).err().map(|e| e.0).unwrap_or_default();
        assert!(error.contains("65500"), "{error:?}");
    }
}
