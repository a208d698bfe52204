//! Turning a copy upright as its EXIF orientation says. Phones store portraits sideways
//! (orientations 6 and 8): those quarter turns move every pixel across rows, which
//! `image` does one pixel at a time through its generic accessors; here every orientation
//! goes in square tiles that stay in the cache, one copy per 8-bit layout (16-bit and
//! float images, rare here, come out as 8-bit, as the resizer makes them).

use image::metadata::Orientation;
use image::{DynamicImage, GrayAlphaImage, GrayImage, RgbImage, RgbaImage};

use super::resize::as_8_bit;

/// Side of the tiles a turn copies at once, in pixels.
const TILE: usize = 32;

/// `image` as it is to be shown.
pub fn upright(image: DynamicImage, orientation: Orientation) -> DynamicImage {
    if orientation == Orientation::NoTransforms {
        return image;
    }
    let (width, height) = (image.width(), image.height());
    let (to_width, to_height) = shown_size(width, height, orientation);
    let (w, h) = (width as usize, height as usize);
    let done = match &image {
        DynamicImage::ImageLuma8(i) => {
            GrayImage::from_raw(to_width, to_height, turned::<1>(i, w, h, orientation)).map(DynamicImage::from)
        }
        DynamicImage::ImageLumaA8(i) => {
            GrayAlphaImage::from_raw(to_width, to_height, turned::<2>(i, w, h, orientation)).map(DynamicImage::from)
        }
        DynamicImage::ImageRgb8(i) => {
            RgbImage::from_raw(to_width, to_height, turned::<3>(i, w, h, orientation)).map(DynamicImage::from)
        }
        DynamicImage::ImageRgba8(i) => {
            RgbaImage::from_raw(to_width, to_height, turned::<4>(i, w, h, orientation)).map(DynamicImage::from)
        }
        other => return upright(as_8_bit(other), orientation),
    };
    // `None` only for a buffer that does not match its size, which `image`'s types rule out.
    done.unwrap_or(image)
}

/// The size of a `width`×`height` image once shown as `orientation` says.
pub(super) fn shown_size(width: u32, height: u32, orientation: Orientation) -> (u32, u32) {
    match orientation {
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH => {
            (height, width)
        }
        _ => (width, height),
    }
}

/// The `width`×`height` image of `N`-byte pixels in `source` as `orientation` shows it.
fn turned<const N: usize>(source: &[u8], width: usize, height: usize, orientation: Orientation) -> Vec<u8> {
    let (w, h) = (width - 1, height - 1);
    // Where the pixel at (x, y) goes, and the width of the rows it goes into.
    match orientation {
        Orientation::Rotate90 => copy::<N>(source, width, height, height, |x, y| (h - y, x)),
        Orientation::Rotate180 => copy::<N>(source, width, height, width, |x, y| (w - x, h - y)),
        Orientation::Rotate270 => copy::<N>(source, width, height, height, |x, y| (y, w - x)),
        Orientation::FlipHorizontal => copy::<N>(source, width, height, width, |x, y| (w - x, y)),
        Orientation::FlipVertical => copy::<N>(source, width, height, width, |x, y| (x, h - y)),
        Orientation::Rotate90FlipH => copy::<N>(source, width, height, height, |x, y| (y, x)),
        Orientation::Rotate270FlipH => copy::<N>(source, width, height, height, |x, y| (h - y, w - x)),
        Orientation::NoTransforms => source.to_vec(),
    }
}

/// Copies each pixel of `source` to where `to` says, tile by tile.
fn copy<const N: usize>(
    source: &[u8],
    width: usize,
    height: usize,
    to_row: usize,
    to: impl Fn(usize, usize) -> (usize, usize),
) -> Vec<u8> {
    let mut turned = vec![0u8; source.len()];
    for tile_y in (0..height).step_by(TILE) {
        for tile_x in (0..width).step_by(TILE) {
            for y in tile_y..(tile_y + TILE).min(height) {
                let row = &source[y * width * N..(y + 1) * width * N];
                for x in tile_x..(tile_x + TILE).min(width) {
                    let (to_x, to_y) = to(x, y);
                    let at = (to_y * to_row + to_x) * N;
                    turned[at..at + N].copy_from_slice(&row[x * N..x * N + N]);
                }
            }
        }
    }
    turned
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Luma, LumaA, Rgb};

    fn oriented_by_image(mut image: DynamicImage, orientation: Orientation) -> DynamicImage {
        image.apply_orientation(orientation);
        image
    }

    fn every_orientation() -> [Orientation; 8] {
        [
            Orientation::NoTransforms,
            Orientation::Rotate90,
            Orientation::Rotate180,
            Orientation::Rotate270,
            Orientation::FlipHorizontal,
            Orientation::FlipVertical,
            Orientation::Rotate90FlipH,
            Orientation::Rotate270FlipH,
        ]
    }

    #[test]
    fn every_orientation_gives_what_image_gives() {
        // Odd sizes, not multiples of a tile, every pixel different.
        for (w, h) in [(1, 1), (1, 7), (45, 31), (70, 33), (64, 64)] {
            let rgb = RgbImage::from_fn(w, h, |x, y| Rgb([x as u8, y as u8, (x * 7 + y * 13) as u8]));
            let grey = GrayImage::from_fn(w, h, |x, y| Luma([(x * 3 + y * 5) as u8]));
            let rgba = DynamicImage::ImageRgb8(rgb.clone()).to_rgba8();
            let grey_alpha = GrayAlphaImage::from_fn(w, h, |x, y| LumaA([(x * 3) as u8, (y * 5) as u8]));
            let layouts = [
                DynamicImage::ImageRgb8(rgb),
                DynamicImage::ImageLuma8(grey),
                DynamicImage::ImageRgba8(rgba),
                DynamicImage::ImageLumaA8(grey_alpha),
            ];
            for image in layouts {
                for orientation in every_orientation() {
                    let ours = upright(image.clone(), orientation);
                    let theirs = oriented_by_image(image.clone(), orientation);
                    assert_eq!(ours, theirs, "{w}×{h} {:?} {orientation:?}", image.color());
                }
            }
        }
    }

    #[test]
    fn deeper_samples_are_turned_as_8_bit() {
        let deep = DynamicImage::ImageRgb16(image::ImageBuffer::from_fn(3, 2, |x, y| {
            Rgb([(x * 20_000) as u16, (y * 30_000) as u16, 65_535])
        }));
        let ours = upright(deep.clone(), Orientation::Rotate90);
        let theirs = oriented_by_image(DynamicImage::ImageRgb8(deep.to_rgb8()), Orientation::Rotate90);
        assert_eq!(ours, theirs);
        let with_alpha =
            DynamicImage::ImageRgba32F(image::ImageBuffer::from_pixel(2, 3, image::Rgba([0.5, 0.25, 1.0, 0.5])));
        let ours = upright(with_alpha.clone(), Orientation::Rotate270);
        assert_eq!((ours.width(), ours.height(), ours.color()), (3, 2, image::ColorType::Rgba8));
        assert_eq!(ours, oriented_by_image(DynamicImage::ImageRgba8(with_alpha.to_rgba8()), Orientation::Rotate270));
    }
}
