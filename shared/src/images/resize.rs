//! Resizing with SIMD convolution (`fast_image_resize`): the 8-bit layouts every upload
//! decodes to take the fast path; 16-bit and float images, rare here, are resized as 8-bit.

use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels;
use fast_image_resize::{FilterType, PixelTrait, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageBuffer, Pixel};

/// How a copy is made smaller (or, for thumbnails of tiny images, larger).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Bicubic-like sharpness at bilinear cost when shrinking; bilinear when enlarging.
    Display,
    /// Plain bilinear: the measurements' thresholds were calibrated on it.
    Measure,
}

/// The size of `width`×`height` scaled to fit a `side`×`side` box, aspect kept, rounded,
/// never 0 (the rule `image`'s `resize` and `thumbnail` use).
pub fn fit_within(width: u32, height: u32, side: u32) -> (u32, u32) {
    let ratio = (f64::from(side) / f64::from(width.max(1))).min(f64::from(side) / f64::from(height.max(1)));
    let scaled = |v: u32| ((f64::from(v) * ratio).round() as u32).max(1);
    (scaled(width), scaled(height))
}

/// A copy of `image` scaled to fit a `side`×`side` box (up or down).
pub fn resize_to_fit(image: &DynamicImage, side: u32, filter: Filter) -> DynamicImage {
    let (width, height) = fit_within(image.width(), image.height(), side);
    if (width, height) == (image.width(), image.height()) {
        return image.clone();
    }
    resize_exact(image, width, height, filter)
}

/// `image` scaled to exactly `width`×`height` when it is larger; itself (no copy) when it
/// already has that size.
pub fn shrink_to(image: DynamicImage, (width, height): (u32, u32), filter: Filter) -> DynamicImage {
    if (width, height) == (image.width(), image.height()) || width > image.width() || height > image.height() {
        return image;
    }
    resize_exact(&image, width, height, filter)
}

fn resize_exact(image: &DynamicImage, width: u32, height: u32, filter: Filter) -> DynamicImage {
    let shrinking = width < image.width() || height < image.height();
    let kernel = match filter {
        Filter::Display if shrinking => FilterType::Hamming,
        _ => FilterType::Bilinear,
    };
    let size = (width, height);
    let fast = match image {
        DynamicImage::ImageLuma8(i) => convolve::<_, pixels::U8>(i, size, kernel).map(DynamicImage::ImageLuma8),
        // Grey with alpha (a rare PNG) goes through the RGBA filter and back: one
        // premultiplying filter fewer in the worker's binary (~130 KB on arm64).
        DynamicImage::ImageLumaA8(_) => convolve::<_, pixels::U8x4>(&image.to_rgba8(), size, kernel)
            .map(|rgba| DynamicImage::ImageRgba8(rgba).into_luma_alpha8())
            .map(DynamicImage::ImageLumaA8),
        DynamicImage::ImageRgb8(i) => convolve::<_, pixels::U8x3>(i, size, kernel).map(DynamicImage::ImageRgb8),
        DynamicImage::ImageRgba8(i) => convolve::<_, pixels::U8x4>(i, size, kernel).map(DynamicImage::ImageRgba8),
        other => return resize_exact(&as_8_bit(other), width, height, filter),
    };
    // `None` only for a buffer that does not match its size, which `image`'s types rule
    // out; the image then goes on unresized rather than not at all.
    fast.unwrap_or_else(|| image.clone())
}

/// 16-bit and float samples (rare here: a 16-bit PNG) as 8-bit RGB or RGBA, the depth every
/// screen shows: the resizer and the turns have filters and copies for 8-bit layouts only
/// (`image`'s generic ones for every layout made the worker's binary larger).
pub(super) fn as_8_bit(image: &DynamicImage) -> DynamicImage {
    if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.to_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.to_rgb8())
    }
}

/// `image` (whose pixels are `F` to the resizer) resized to `to_width`×`to_height`; `None`
/// only if the buffer does not match its dimensions, which `image`'s types rule out.
///
/// Typed, not through the resizer's run-time pixel type: only the filters of the layouts
/// called here are compiled in (its 16-bit and float ones, with a 512 KiB alpha table,
/// made 1.3 MB of the image worker's arm64 binary).
fn convolve<P: Pixel<Subpixel = u8>, F: PixelTrait>(
    image: &ImageBuffer<P, Vec<u8>>,
    (to_width, to_height): (u32, u32),
    kernel: FilterType,
) -> Option<ImageBuffer<P, Vec<u8>>> {
    let source = TypedImageRef::<F>::from_buffer(image.width(), image.height(), image.as_raw()).ok()?;
    let mut pixels = vec![0u8; to_width as usize * to_height as usize * F::size()];
    let mut target = TypedImage::<F>::from_buffer(to_width, to_height, &mut pixels).ok()?;
    // Alpha is premultiplied while filtering so transparent pixels do not bleed colour.
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(kernel));
    Resizer::new().resize_typed(&source, &mut target, &options).ok()?;
    ImageBuffer::from_raw(to_width, to_height, pixels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayAlphaImage, GrayImage, Luma, LumaA, Rgb, RgbImage, Rgba, RgbaImage};

    #[test]
    fn fit_keeps_the_aspect_and_rounds_like_image() {
        assert_eq!(fit_within(4000, 3000, 1920), (1920, 1440));
        assert_eq!(fit_within(3000, 4000, 1920), (1440, 1920));
        assert_eq!(fit_within(2400, 1200, 256), (256, 128));
        assert_eq!(fit_within(60, 40, 512), (512, 341));
        assert_eq!(fit_within(10_000, 1, 256), (256, 1), "never a zero side");
        for (w, h) in [(4000, 3000), (1366, 768), (60, 40), (9999, 17), (1, 1)] {
            let image = DynamicImage::new_rgb8(w.min(64), h.min(64));
            let expected = image.resize(256, 256, image::imageops::FilterType::Nearest);
            assert_eq!(fit_within(w.min(64), h.min(64), 256), (expected.width(), expected.height()));
        }
    }

    #[test]
    fn every_layout_is_resized_to_the_box() {
        let layouts = [
            DynamicImage::ImageLuma8(GrayImage::from_pixel(300, 200, Luma([90]))),
            DynamicImage::ImageLumaA8(GrayAlphaImage::from_pixel(300, 200, LumaA([90, 200]))),
            DynamicImage::ImageRgb8(RgbImage::from_pixel(300, 200, Rgb([10, 120, 240]))),
            DynamicImage::ImageRgba8(RgbaImage::from_pixel(300, 200, Rgba([10, 120, 240, 255]))),
            DynamicImage::ImageRgb16(image::ImageBuffer::from_pixel(300, 200, Rgb([1000u16, 30000, 60000]))),
            DynamicImage::ImageRgba16(image::ImageBuffer::from_pixel(300, 200, Rgba([1000u16, 30000, 60000, 65535]))),
        ];
        for image in layouts {
            // 16-bit samples come out as 8-bit; 8-bit layouts stay as they were.
            let color = if image.color().bytes_per_pixel() / image.color().channel_count() > 1 {
                if image.color().has_alpha() { image::ColorType::Rgba8 } else { image::ColorType::Rgb8 }
            } else {
                image.color()
            };
            let small = resize_to_fit(&image, 150, Filter::Display);
            assert_eq!((small.width(), small.height(), small.color()), (150, 100, color));
            // A flat colour stays that colour through the filter.
            assert_eq!(small.to_rgba8().get_pixel(75, 50), image.to_rgba8().get_pixel(150, 100));
            let big = resize_to_fit(&image, 600, Filter::Measure);
            assert_eq!((big.width(), big.height()), (600, 400));
            let same = shrink_to(image.clone(), (600, 400), Filter::Display);
            assert_eq!((same.width(), same.height()), (300, 200), "shrink never enlarges");
            let smaller = shrink_to(image.clone(), (150, 100), Filter::Display);
            assert_eq!((smaller.width(), smaller.height()), (150, 100));
        }
    }

    #[test]
    fn transparent_pixels_do_not_bleed_into_opaque_ones() {
        // Left half opaque red, right half fully transparent green.
        let image =
            RgbaImage::from_fn(64, 8, |x, _| if x < 32 { Rgba([255, 0, 0, 255]) } else { Rgba([0, 255, 0, 0]) });
        let small = resize_to_fit(&DynamicImage::ImageRgba8(image), 16, Filter::Display).to_rgba8();
        let edge = small.get_pixel(7, 1);
        assert!(edge[1] < 8, "green leaked into the opaque edge: {edge:?}");
    }

    #[test]
    fn sharp_edges_survive_a_display_shrink_better_than_a_box_average() {
        // One-pixel stripes shrunk by 3: Hamming keeps more contrast than plain averaging would.
        let stripes = GrayImage::from_fn(300, 30, |x, _| Luma([if (x / 6) % 2 == 0 { 0 } else { 255 }]));
        let small = resize_to_fit(&DynamicImage::ImageLuma8(stripes), 100, Filter::Display).to_luma8();
        let (lo, hi) = small.pixels().fold((255u8, 0u8), |(lo, hi), p| (lo.min(p[0]), hi.max(p[0])));
        assert!(hi - lo > 200, "contrast lost: {lo}..{hi}");
    }
}
