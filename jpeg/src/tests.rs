use super::*;

const MIB: u64 = 1024 * 1024;

/// A smooth RGB gradient with a dark block in the top-left corner, `width`×`height`.
fn photo(width: u16, height: u16) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(usize::from(width) * usize::from(height) * 3);
    for y in 0..u32::from(height) {
        for x in 0..u32::from(width) {
            let dark = x < u32::from(width) / 4 && y < u32::from(height) / 4;
            if dark {
                rgb.extend_from_slice(&[10, 10, 10]);
            } else {
                rgb.extend_from_slice(&[(x * 255 / u32::from(width)) as u8, (y * 255 / u32::from(height)) as u8, 128]);
            }
        }
    }
    rgb
}

fn encode_elsewhere(
    pixels: &[u8],
    width: u16,
    height: u16,
    color: jpeg_encoder::ColorType,
    progressive: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.set_progressive(progressive);
    let encoded = encoder.encode(pixels, width, height, color);
    assert!(encoded.is_ok(), "{encoded:?}");
    out
}

/// A fixed sequence of pseudo-random numbers (xorshift64), the same on every run.
fn random() -> impl FnMut() -> u64 {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

fn rgb_jpeg(width: u16, height: u16) -> Vec<u8> {
    encode_elsewhere(&photo(width, height), width, height, jpeg_encoder::ColorType::Rgb, false)
}

fn decoded(jpeg: &[u8], min_side: u32) -> Decoded {
    match decode_scaled(jpeg, min_side, 256 * MIB) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    }
}

fn pixel(d: &Decoded, x: u32, y: u32) -> &[u8] {
    let at = ((y * d.width + x) * u32::from(d.channels)) as usize;
    &d.pixels[at..at + usize::from(d.channels)]
}

#[test]
fn the_scale_is_the_smallest_that_still_covers_the_side_asked_for() {
    let jpeg = rgb_jpeg(800, 600);
    let cases = [
        (1920, (800, 600)),
        (800, (800, 600)),
        (401, (800, 600)),
        (400, (400, 300)),
        (200, (200, 150)),
        (101, (200, 150)),
        (100, (100, 75)),
        (1, (100, 75)),
    ];
    for (min_side, size) in cases {
        let d = decoded(&jpeg, min_side);
        assert_eq!((d.width, d.height), size, "at least {min_side} px");
        assert_eq!(d.channels, 3);
        assert_eq!(d.pixels.len(), (size.0 * size.1 * 3) as usize);
    }
    // Sides are rounded up, as libjpeg does: 1001 px at 1/8 is 126.
    let odd = decoded(&rgb_jpeg(1001, 333), 100);
    assert_eq!((odd.width, odd.height), (126, 42));
}

#[test]
fn pixels_come_out_where_they_were_at_every_scale() {
    let jpeg = rgb_jpeg(800, 600);
    for min_side in [800, 400, 200, 100] {
        let d = decoded(&jpeg, min_side);
        let dark = pixel(&d, d.width / 16, d.height / 16);
        assert!(dark.iter().all(|&v| v < 40), "{min_side}: the dark corner is {dark:?}");
        let right = pixel(&d, d.width - 2, d.height / 2);
        assert!(right[0] > 220 && (100..160).contains(&right[2]), "{min_side}: the right edge is {right:?}");
        let bottom = pixel(&d, d.width / 2, d.height - 2);
        assert!(bottom[1] > 220, "{min_side}: the bottom edge is {bottom:?}");
    }
}

#[test]
fn grey_stays_one_channel_and_progressive_files_decode() {
    let grey: Vec<u8> = (0..300u32 * 200).map(|i| (i % 300 * 255 / 300) as u8).collect();
    let d = decoded(&encode_elsewhere(&grey, 300, 200, jpeg_encoder::ColorType::Luma, false), 1920);
    assert_eq!((d.width, d.height, d.channels), (300, 200, 1));
    assert!(pixel(&d, 290, 100)[0] > 220 && pixel(&d, 5, 100)[0] < 20);
    let progressive = encode_elsewhere(&photo(640, 480), 640, 480, jpeg_encoder::ColorType::Rgb, true);
    let d = decoded(&progressive, 320);
    assert_eq!((d.width, d.height, d.channels), (320, 240, 3));
    assert!(pixel(&d, 5, 5).iter().all(|&v| v < 40));
}

#[test]
fn cmyk_and_ycck_come_out_as_image_s_own_decoder_gives_them() {
    let cmyk: Vec<u8> = (0..96u32 * 64).flat_map(|i| [(i % 256) as u8, 20, (i / 96 * 4) as u8, 200]).collect();
    for color in [jpeg_encoder::ColorType::Cmyk, jpeg_encoder::ColorType::Ycck] {
        let jpeg = encode_elsewhere(&cmyk, 96, 64, color, false);
        let ours = decoded(&jpeg, 1920);
        assert_eq!((ours.width, ours.height, ours.channels), (96, 64, 3));
        let theirs = match image::load_from_memory(&jpeg) {
            Ok(image) => image.to_rgb8(),
            Err(e) => panic!("{e}"),
        };
        assert_eq!(theirs.dimensions(), (96, 64));
        let differences: Vec<u32> =
            ours.pixels.iter().zip(theirs.as_raw()).map(|(a, b)| u32::from(a.abs_diff(*b))).collect();
        let mean = f64::from(differences.iter().sum::<u32>()) / differences.len() as f64;
        assert!(mean < 1.5 && differences.iter().all(|&d| d <= 8), "{color:?}: mean {mean}");
    }
}

#[test]
fn the_exif_segment_and_the_file_s_own_size_come_with_the_pixels() {
    let plain = rgb_jpeg(640, 480);
    let d = decoded(&plain, 320);
    assert_eq!((d.width, d.height, d.file_width, d.file_height), (320, 240, 640, 480));
    assert!(d.exif.is_empty());
    // An APP1 EXIF segment (a little-endian TIFF header, one IFD entry: orientation 6)
    // after SOI, and an XMP APP1 before it that is not EXIF.
    let tiff = [b"II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0".as_slice()].concat();
    let segment = |payload: &[u8]| {
        let length = u16::try_from(payload.len() + 2).unwrap_or(u16::MAX).to_be_bytes();
        [&[0xFF, 0xE1][..], &length, payload].concat()
    };
    let xmp = segment(b"http://ns.adobe.com/xap/1.0/\0<x/>");
    let exif = segment(&[b"Exif\0\0".as_slice(), &tiff].concat());
    let tagged = [&plain[..2], &xmp, &exif, &plain[2..]].concat();
    let d = decoded(&tagged, 1920);
    assert_eq!(d.exif, tiff);
    assert_eq!((d.width, d.height), (640, 480));
}

#[test]
fn the_memory_cap_holds_for_the_coefficients_and_for_the_pixels() {
    // A progressive file keeps every coefficient until its last scan: 2 bytes a sample.
    let progressive = encode_elsewhere(&photo(1024, 768), 1024, 768, jpeg_encoder::ColorType::Rgb, true);
    match decode_scaled(&progressive, 2000, MIB) {
        Err(DecodeError::Invalid(message)) => assert!(!message.is_empty()),
        other => panic!("a progressive 1024×768 file within 1 MiB: {other:?}"),
    }
    assert!(decode_scaled(&progressive, 2000, 16 * MIB).is_ok());
    // Baseline files stream; the pixels alone are over the cap.
    let baseline = rgb_jpeg(1024, 768);
    assert!(matches!(decode_scaled(&baseline, 2000, MIB), Err(DecodeError::Invalid(_))));
    assert!(decode_scaled(&baseline, 256, MIB).is_ok(), "a quarter of it fits");
}

#[test]
fn what_is_not_a_jpeg_is_refused_with_a_message() {
    let jpeg = rgb_jpeg(64, 64);
    for bad in [&b""[..], b"\xFF\xD8", b"GIF89a not a jpeg at all", &jpeg[..20]] {
        match decode_scaled(bad, 1920, 256 * MIB) {
            Err(DecodeError::Invalid(message)) => assert!(!message.is_empty(), "{bad:?}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}

#[test]
fn a_file_cut_short_decodes_what_it_has() {
    let jpeg = rgb_jpeg(320, 240);
    let d = decoded(&jpeg[..jpeg.len() * 2 / 3], 1920);
    assert_eq!((d.width, d.height), (320, 240));
    assert!(pixel(&d, 5, 5).iter().all(|&v| v < 40), "the first rows are there");
}

/// Damaged files of every kind (a byte changed anywhere, headers included) give pixels or
/// an error, never a crash, whether panics unwind or abort.
#[test]
fn damaged_files_never_crash_the_process() {
    let jpeg = encode_elsewhere(&photo(160, 120), 160, 120, jpeg_encoder::ColorType::Rgb, true);
    let mut next = random();
    let (mut decoded, mut refused) = (0, 0);
    for _ in 0..2_000 {
        let mut damaged = jpeg.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() % damaged.len() as u64) as usize;
            damaged[at] = next() as u8;
        }
        match decode_scaled(&damaged, 80, 8 * MIB) {
            Ok(d) => {
                assert_eq!(d.pixels.len() as u64, u64::from(d.width) * u64::from(d.height) * u64::from(d.channels));
                decoded += 1;
            }
            Err(_) => refused += 1,
        }
    }
    assert!(decoded > 100 && refused > 100, "{decoded} decoded, {refused} refused");
}

/// The markers of a baseline JPEG, in order, up to its first scan (which is followed by
/// entropy-coded data and the end marker).
fn markers(jpeg: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "starts with SOI");
    let mut found = vec![0xD8];
    let mut at = 2;
    while at + 4 <= jpeg.len() {
        assert_eq!(jpeg[at], 0xFF, "a marker at {at}");
        let marker = jpeg[at + 1];
        found.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
    }
    found
}

fn encoded(pixels: &[u8], width: u32, height: u32, channels: u8, quality: u8) -> Vec<u8> {
    match encode(pixels, width, height, channels, quality) {
        Ok(jpeg) => jpeg,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn an_encoded_photo_decodes_back_to_nearly_the_same_pixels_in_another_decoder() {
    let (width, height) = (640u32, 480u32);
    let rgb = photo(640, 480);
    let jpeg = encoded(&rgb, width, height, 3, 85);
    // zune-jpeg (through image), not libjpeg: the file must stand on its own.
    let back = match image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg) {
        Ok(image) => image.into_rgb8(),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(back.dimensions(), (width, height));
    let error: u64 = rgb.iter().zip(back.as_raw()).map(|(a, b)| u64::from(a.abs_diff(*b))).sum();
    let mean_error = error as f64 / rgb.len() as f64;
    assert!(mean_error < 2.0, "mean error {mean_error}");
    // The dark corner stays dark, the gradient's far corner stays bright.
    assert!(back.get_pixel(10, 10).0.iter().all(|&v| v < 25), "{:?}", back.get_pixel(10, 10));
    assert!(back.get_pixel(630, 470).0[0] > 230, "{:?}", back.get_pixel(630, 470));
}

#[test]
fn the_file_is_baseline_jfif_with_half_resolution_chroma_and_no_other_marker() {
    let jpeg = encoded(&photo(320, 240), 320, 240, 3, 85);
    // SOI, APP0 (JFIF), the two quantisation tables, SOF0 (baseline), four Huffman tables, SOS.
    let found = markers(&jpeg);
    assert_eq!(found.first(), Some(&0xD8));
    assert_eq!(found.last(), Some(&0xDA));
    let between: Vec<u8> = found[1..found.len() - 1].iter().copied().filter(|m| !matches!(m, 0xDB | 0xC4)).collect();
    assert_eq!(between, vec![0xE0, 0xC0], "{found:02X?}");
    assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9], "ends with EOI");
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap_or(0);
    assert_eq!(jpeg[sof + 9], 3, "three components");
    assert_eq!(jpeg[sof + 11], 0x22, "luma sampled 2×2 against chroma: 4:2:0");
    assert_eq!(&jpeg[6..11], b"JFIF\0");
}

#[test]
fn grey_is_encoded_as_one_channel() {
    let grey: Vec<u8> = (0..200u32 * 100).map(|i| (i % 200) as u8).collect();
    let jpeg = encoded(&grey, 200, 100, 1, 85);
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap_or(0);
    assert_eq!(jpeg[sof + 9], 1, "one component");
    let d = decoded(&jpeg, 200);
    assert_eq!((d.width, d.height, d.channels), (200, 100, 1));
}

#[test]
fn quality_is_applied() {
    let rgb = photo(640, 480);
    let low = encoded(&rgb, 640, 480, 3, 30).len();
    let high = encoded(&rgb, 640, 480, 3, 95).len();
    assert!(low * 2 < high, "q30 {low} bytes, q95 {high} bytes");
}

#[test]
fn sizes_the_encoder_cannot_take_are_refused_with_a_reason() {
    let cases: [(&[u8], u32, u32, u8, &str); 5] = [
        (&[0; 12], 2, 2, 3, ""),
        (&[0; 11], 2, 2, 3, "11 bytes of pixels"),
        (&[0; 16], 2, 2, 4, "4 channels"),
        (&[], 0, 2, 3, "beyond JPEG's sides"),
        (&[0; 3], 1, 1, 1, "3 bytes of pixels"),
    ];
    for (pixels, width, height, channels, refused) in cases {
        let result = encode(pixels, width, height, channels, 85);
        if refused.is_empty() {
            assert!(result.is_ok(), "{result:?}");
        } else {
            let message = result.err().map(|e| e.0).unwrap_or_default();
            assert!(message.contains(refused), "{message:?} should say {refused:?}");
        }
    }
    let wide = vec![0u8; (MAX_SIDE + 1) as usize];
    assert!(encode(&wide, MAX_SIDE + 1, 1, 1, 85).is_err());
}

#[test]
fn output_larger_than_the_first_guess_grows_and_stays_whole() {
    // Noise at quality 100 hardly compresses: several times the room first set aside.
    let mut next = random();
    let noise: Vec<u8> = (0..512 * 512 * 3).map(|_| next() as u8).collect();
    let jpeg = encoded(&noise, 512, 512, 3, 100);
    let first_guess = 512 * 512 * 3 / 12 + 16_384;
    assert!(jpeg.len() > 2 * first_guess, "{} bytes: the buffer did not have to grow", jpeg.len());
    assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9], "ends with EOI");
    match image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg) {
        Ok(back) => assert_eq!((back.width(), back.height()), (512, 512)),
        Err(e) => panic!("{e}"),
    }
}
