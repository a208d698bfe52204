//! The image worker's pipeline on a 12 MP phone photo (4000×3000, EXIF orientation 6):
//! decode, orient, strip, the ≤ 1920 px copy, the thumbnail and the measurements.
//!
//! Run: `cargo bench -p sti-shared --bench images`; `scripts/image-vs-sharp` puts the same
//! file through sharp (libvips) for comparison.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sti_shared::images::{DecodeLimits, process, sample};

fn bench_process(c: &mut Criterion) {
    let photo = sample::camera_jpeg(4000, 3000, 6);
    let limits = DecodeLimits::default();
    let mut group = c.benchmark_group("image_worker");
    group.sample_size(20);
    group.bench_function("process_12mp_jpeg_exif6", |b| b.iter(|| black_box(process(black_box(&photo), &limits))));
    let screenshot = sample::screenshot_png(1920, 1080);
    group.bench_function("process_1080p_png_screenshot", |b| {
        b.iter(|| black_box(process(black_box(&screenshot), &limits)))
    });
    group.finish();
}

criterion_group!(benches, bench_process);
criterion_main!(benches);
