//! `sti-image-bench`: the worker's image pipeline timed over one file, for
//! `scripts/image-vs-sharp` (which puts the same file through sharp).
//!
//!     sti-image-bench --write-sample FILE     a 12 MP phone photo (4000×3000, EXIF 6)
//!     sti-image-bench FILE [RUNS]             JSON: median and every run in ms, one warm-up first

use std::process::ExitCode;
use std::time::Instant;

use sti_shared::images::{DecodeLimits, process, sample};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, path] if flag == "--write-sample" => match std::fs::write(path, sample::camera_jpeg(4000, 3000, 6)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!("cannot write {path}: {e}")),
        },
        [path] => time(path, 7),
        [path, runs] => match runs.parse() {
            Ok(runs) if runs > 0 => time(path, runs),
            _ => fail(&format!("RUNS must be a positive number, not {runs:?}")),
        },
        _ => fail("usage: sti-image-bench FILE [RUNS] | --write-sample FILE"),
    }
}

fn time(path: &str, runs: usize) -> ExitCode {
    let upload = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return fail(&format!("cannot read {path}: {e}")),
    };
    let limits = DecodeLimits::default();
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for run in 0..=runs {
        let start = Instant::now();
        let processed = match process(&upload, &limits) {
            Ok(p) => p,
            Err(e) => return fail(&format!("{path}: {e}")),
        };
        if run > 0 {
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        last = Some(processed);
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let result = last.map(|p| {
        serde_json::json!({
            "kept": p.sanitized.len(),
            "thumb": p.thumbnail.len(),
            "width": p.analysis.width,
            "height": p.analysis.height,
            "brightness": p.analysis.brightness,
            "blur": p.analysis.blur_score,
        })
    });
    let report = serde_json::json!({
        "median_ms": sorted[sorted.len() / 2],
        "times_ms": times.iter().map(|t| (t * 10.0).round() / 10.0).collect::<Vec<_>>(),
        "result": result,
    });
    println!("{report}");
    ExitCode::SUCCESS
}

fn fail(message: &str) -> ExitCode {
    eprintln!("sti-image-bench: {message}");
    ExitCode::FAILURE
}
