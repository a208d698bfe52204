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

fn encode(pixels: &[u8], width: u16, height: u16, color: jpeg_encoder::ColorType, progressive: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.set_progressive(progressive);
    let encoded = encoder.encode(pixels, width, height, color);
    assert!(encoded.is_ok(), "{encoded:?}");
    out
}

fn rgb_jpeg(width: u16, height: u16) -> Vec<u8> {
    encode(&photo(width, height), width, height, jpeg_encoder::ColorType::Rgb, false)
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
    let d = decoded(&encode(&grey, 300, 200, jpeg_encoder::ColorType::Luma, false), 1920);
    assert_eq!((d.width, d.height, d.channels), (300, 200, 1));
    assert!(pixel(&d, 290, 100)[0] > 220 && pixel(&d, 5, 100)[0] < 20);
    let progressive = encode(&photo(640, 480), 640, 480, jpeg_encoder::ColorType::Rgb, true);
    let d = decoded(&progressive, 320);
    assert_eq!((d.width, d.height, d.channels), (320, 240, 3));
    assert!(pixel(&d, 5, 5).iter().all(|&v| v < 40));
}

#[test]
fn cmyk_is_left_to_another_decoder() {
    let cmyk: Vec<u8> = (0..64u32 * 64).flat_map(|i| [(i % 256) as u8, 20, 40, 60]).collect();
    let jpeg = encode(&cmyk, 64, 64, jpeg_encoder::ColorType::Cmyk, false);
    assert!(matches!(decode_scaled(&jpeg, 1920, 256 * MIB), Err(DecodeError::Unsupported(_))));
}

#[test]
fn the_memory_cap_holds_for_the_coefficients_and_for_the_pixels() {
    // A progressive file keeps every coefficient until its last scan: 2 bytes a sample.
    let progressive = encode(&photo(1024, 768), 1024, 768, jpeg_encoder::ColorType::Rgb, true);
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
    let jpeg = encode(&photo(160, 120), 160, 120, jpeg_encoder::ColorType::Rgb, true);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
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
