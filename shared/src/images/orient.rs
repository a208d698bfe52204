//! Turning a copy upright as its EXIF orientation says. Phones store portraits sideways
//! (orientations 6 and 8): those quarter turns move every pixel across rows, which
//! `image` does one pixel at a time through its generic accessors; here they go in
//! square tiles that stay in the cache. Every other case is `image`'s.

use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, RgbImage};

/// Side of the tiles a quarter turn copies at once, in pixels.
const TILE: usize = 32;

/// `image` as it is to be shown.
pub fn upright(image: DynamicImage, orientation: Orientation) -> DynamicImage {
    let clockwise = match orientation {
        Orientation::Rotate90 => true,
        Orientation::Rotate270 => false,
        _ => return oriented_by_image(image, orientation),
    };
    let (width, height) = (image.width() as usize, image.height() as usize);
    let turned = match &image {
        DynamicImage::ImageRgb8(rgb) => {
            RgbImage::from_raw(image.height(), image.width(), quarter_turn::<3>(rgb.as_raw(), width, height, clockwise))
                .map(DynamicImage::ImageRgb8)
        }
        DynamicImage::ImageLuma8(grey) => GrayImage::from_raw(
            image.height(),
            image.width(),
            quarter_turn::<1>(grey.as_raw(), width, height, clockwise),
        )
        .map(DynamicImage::ImageLuma8),
        _ => None,
    };
    turned.unwrap_or_else(|| oriented_by_image(image, orientation))
}

fn oriented_by_image(mut image: DynamicImage, orientation: Orientation) -> DynamicImage {
    image.apply_orientation(orientation);
    image
}

/// The `width`×`height` image of `N`-byte pixels in `source` turned a quarter clockwise
/// (or counter-clockwise): `height`×`width`.
fn quarter_turn<const N: usize>(source: &[u8], width: usize, height: usize, clockwise: bool) -> Vec<u8> {
    let mut turned = vec![0u8; source.len()];
    // In the turned image each row is `height` pixels long.
    for tile_y in (0..height).step_by(TILE) {
        for tile_x in (0..width).step_by(TILE) {
            for y in tile_y..(tile_y + TILE).min(height) {
                let row = &source[y * width * N..(y + 1) * width * N];
                for x in tile_x..(tile_x + TILE).min(width) {
                    let (to_x, to_y) = if clockwise { (height - 1 - y, x) } else { (y, width - 1 - x) };
                    let to = (to_y * height + to_x) * N;
                    turned[to..to + N].copy_from_slice(&row[x * N..x * N + N]);
                }
            }
        }
    }
    turned
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Luma, Rgb};

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
            for image in [DynamicImage::ImageRgb8(rgb), DynamicImage::ImageLuma8(grey), DynamicImage::ImageRgba8(rgba)]
            {
                for orientation in every_orientation() {
                    let ours = upright(image.clone(), orientation);
                    let theirs = oriented_by_image(image.clone(), orientation);
                    assert_eq!(ours, theirs, "{w}×{h} {:?} {orientation:?}", image.color());
                }
            }
        }
    }
}
