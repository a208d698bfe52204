//! `sti backup` and `sti restore`: the embedded store to one file and back.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use sti_shared::backends::local::backup::{self, BackupSummary};

fn report(verb: &str, path: &Path, summary: &BackupSummary, started: Instant) {
    println!(
        "sti {verb}: {} — {} sessions, {} tickets, {} uploads, {} blobs ({} bytes) in {} ms",
        path.display(),
        summary.sessions,
        summary.tickets,
        summary.uploads,
        summary.blobs,
        summary.blob_bytes,
        started.elapsed().as_millis()
    );
    for key in &summary.missing_blobs {
        println!("sti {verb}: blob {key} was deleted while the backup ran (its upload was being erased)");
    }
}

pub fn backup(data_dir: &Path, out: &Path) -> ExitCode {
    let started = Instant::now();
    match backup::backup(data_dir, out) {
        Ok(summary) => {
            report("backup", out, &summary, started);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sti backup: {e}");
            ExitCode::FAILURE
        }
    }
}

pub fn restore(from: &Path, data_dir: &Path) -> ExitCode {
    let started = Instant::now();
    match backup::restore(from, data_dir) {
        Ok(summary) => {
            report("restore", data_dir, &summary, started);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sti restore: {e}");
            ExitCode::FAILURE
        }
    }
}
