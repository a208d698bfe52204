//! JPEG decoding scaled in the DCT domain and baseline encoding, behind a safe API: a
//! 12 MP photo wanted at 1920 px is decoded at half its size by an inverse DCT that makes
//! 4×4 pixels of each 8×8 block, never at full size. The codec is libjpeg-turbo's (as
//! MozJPEG ships it: the one browsers, libvips and sharp use), with its SIMD code on
//! x86-64 (when `nasm` is installed at build time) and arm64.
//!
//! libjpeg reports a fatal error by a call that must not return; the C side
//! (`src/errors.h`) jumps back to its own entry point then, so an error never unwinds
//! through Rust frames and works the same whether panics unwind or abort (the Lambda
//! build aborts). This crate is the only place in the workspace with `unsafe` code.

use std::ffi::{CStr, c_char, c_int, c_uint, c_ulong};

// The library the C side calls: linked through this crate.
use mozjpeg_sys as _;

mod encode;
pub use encode::{EncodeError, MAX_SIDE, encode};

/// Pixels as decoded: `height` rows of `width × channels` bytes, grey (1) or RGB (3; CMYK
/// and YCCK files are turned to RGB), and what the file says about itself.
#[derive(Debug)]
pub struct Decoded {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub pixels: Vec<u8>,
    /// The file's own size (`width` × `height` is that, scaled).
    pub file_width: u32,
    pub file_height: u32,
    /// The file's EXIF (its first APP1 segment that holds one, from the TIFF header on),
    /// empty when it has none.
    pub exif: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// 12-bit samples: this decoder is not built for them.
    #[error("not decoded here: {0}")]
    Unsupported(String),
    /// Headers or data libjpeg cannot read, or more memory than allowed.
    #[error("{0}")]
    Invalid(String),
}

/// The JPEG `jpeg` decoded at the smallest of 1/8, 1/4, 1/2 and full size whose longer
/// side is still at least `min_side` (full size when the image is smaller), using at most
/// `max_memory` bytes for the decoder's large buffers (a progressive file's coefficients)
/// and for the pixels.
pub fn decode_scaled(jpeg: &[u8], min_side: u32, max_memory: u64) -> Result<Decoded, DecodeError> {
    let size = c_ulong::try_from(jpeg.len()).map_err(|_| DecodeError::Invalid("file too large".into()))?;
    let memory = c_ulong::try_from(max_memory).unwrap_or(c_ulong::MAX);
    let decoder = Decoder::new()?;
    let (mut file_width, mut file_height): (c_uint, c_uint) = (0, 0);
    let (mut width, mut height, mut channels): (c_uint, c_uint, c_uint) = (0, 0, 0);
    // SAFETY: the decoder is live; `jpeg` outlives it (it is dropped at the end of this
    // function) and the C side only reads `size` bytes of it; the out-pointers are valid.
    let status = unsafe {
        sti_jpeg_header(
            decoder.raw,
            jpeg.as_ptr(),
            size,
            min_side,
            memory,
            &mut file_width,
            &mut file_height,
            &mut width,
            &mut height,
            &mut channels,
        )
    };
    decoder.check(status)?;
    let exif = decoder.exif();
    let channels = u8::try_from(channels).ok().filter(|c| matches!(c, 1 | 3 | 4));
    let Some(channels) = channels else {
        return Err(DecodeError::Invalid("unexpected number of channels".into()));
    };
    let bytes = u64::from(width) * u64::from(height) * u64::from(channels);
    if bytes > max_memory {
        return Err(DecodeError::Invalid(format!("{bytes} bytes of pixels, over the {max_memory}-byte cap")));
    }
    let mut pixels = Vec::new();
    let bytes = usize::try_from(bytes).map_err(|_| DecodeError::Invalid("image too large".into()))?;
    pixels.try_reserve_exact(bytes).map_err(|_| DecodeError::Invalid("out of memory".into()))?;
    pixels.resize(bytes, 0);
    // SAFETY: `pixels` holds exactly `bytes` bytes, which the C side checks against the
    // rows it writes.
    let status = unsafe { sti_jpeg_read(decoder.raw, pixels.as_mut_ptr(), pixels.len()) };
    decoder.check(status)?;
    let (channels, pixels) = if channels == 4 { (3, cmyk_to_rgb(pixels)) } else { (channels, pixels) };
    Ok(Decoded { width, height, channels, pixels, file_width, file_height, exif })
}

/// CMYK as libjpeg gives it (the values as stored: Adobe's inverted convention, which
/// Photoshop writes and every reader assumes) to RGB, in place: each channel times the
/// black one, as image's decoder (zune-jpeg) turns them.
fn cmyk_to_rgb(mut pixels: Vec<u8>) -> Vec<u8> {
    let count = pixels.len() / 4;
    for i in 0..count {
        let [c, m, y, k] = [pixels[4 * i], pixels[4 * i + 1], pixels[4 * i + 2], pixels[4 * i + 3]];
        // Each write lands at or before the pixel being read: 3i + 2 < 4i + 4.
        pixels[3 * i] = times(c, k);
        pixels[3 * i + 1] = times(m, k);
        pixels[3 * i + 2] = times(y, k);
    }
    pixels.truncate(3 * count);
    pixels.shrink_to_fit();
    pixels
}

/// `a × b / 255`, rounded (Blinn's exact 8-bit product).
fn times(a: u8, b: u8) -> u8 {
    let t = u32::from(a) * u32::from(b) + 0x80;
    (((t >> 8) + t) >> 8) as u8
}

const OK: c_int = 0;
const UNSUPPORTED: c_int = 2;

#[repr(C)]
struct RawDecoder {
    _opaque: [u8; 0],
}

unsafe extern "C" {
    fn sti_jpeg_new() -> *mut RawDecoder;
    fn sti_jpeg_free(decoder: *mut RawDecoder);
    fn sti_jpeg_message(decoder: *const RawDecoder) -> *const c_char;
    fn sti_jpeg_header(
        decoder: *mut RawDecoder,
        data: *const u8,
        size: c_ulong,
        min_side: c_uint,
        max_memory: c_ulong,
        file_width: *mut c_uint,
        file_height: *mut c_uint,
        width: *mut c_uint,
        height: *mut c_uint,
        channels: *mut c_uint,
    ) -> c_int;
    fn sti_jpeg_exif(decoder: *const RawDecoder, exif: *mut *const u8, size: *mut c_uint);
    fn sti_jpeg_read(decoder: *mut RawDecoder, out: *mut u8, out_size: usize) -> c_int;
}

/// One libjpeg decompressor, freed when dropped.
struct Decoder {
    raw: *mut RawDecoder,
}

impl Decoder {
    fn new() -> Result<Decoder, DecodeError> {
        // SAFETY: no arguments; a null result is handled.
        let raw = unsafe { sti_jpeg_new() };
        if raw.is_null() {
            return Err(DecodeError::Invalid("cannot create a decoder".into()));
        }
        Ok(Decoder { raw })
    }

    /// A copy of the file's EXIF, read by the header.
    fn exif(&self) -> Vec<u8> {
        let (mut data, mut size): (*const u8, c_uint) = (std::ptr::null(), 0);
        // SAFETY: the decoder is live and has read the header; the C side points into a
        // saved marker that stays valid until the decoding finishes, and it is copied here.
        unsafe {
            sti_jpeg_exif(self.raw, &mut data, &mut size);
            if data.is_null() || size == 0 {
                return Vec::new();
            }
            std::slice::from_raw_parts(data, size as usize).to_vec()
        }
    }

    fn check(&self, status: c_int) -> Result<(), DecodeError> {
        if status == OK {
            return Ok(());
        }
        // SAFETY: the decoder is live and its message buffer is always NUL-terminated
        // (zeroed at creation, written by libjpeg's formatter or a bounded copy).
        let message = unsafe { CStr::from_ptr(sti_jpeg_message(self.raw)) }.to_string_lossy().into_owned();
        Err(if status == UNSUPPORTED { DecodeError::Unsupported(message) } else { DecodeError::Invalid(message) })
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: created by sti_jpeg_new, freed once.
        unsafe { sti_jpeg_free(self.raw) }
    }
}

#[cfg(test)]
mod tests;
