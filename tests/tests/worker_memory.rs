//! The image worker's memory on the worst images it accepts (issue 26): each one is
//! generated with Pillow from the test venv, uploaded to `sti serve --no-worker`, and
//! processed by a fresh `sti worker`, whose peak resident memory (`VmHWM`) is read before
//! it stops. The decoder's working memory (a progressive JPEG's coefficients) is bounded
//! from the header, not only its output buffer: every accepted image stays under 300 MB,
//! and one past the budget is refused without being decoded.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use sti_e2e::{Api, Server, data_dir, repo_root};

/// The peak the worker must stay under (its Lambda function has 1024 MB; several
/// invocations' worth of headroom is the point).
const PEAK_MB: u64 = 300;

fn python() -> std::path::PathBuf {
    let python = repo_root().join(".venv/bin/python");
    assert!(python.exists(), "the test venv is missing: run ./scripts/test (it installs Pillow into .venv)");
    python
}

/// Writes `name` in `dir` with Pillow: mode, size, and whether the JPEG is progressive.
/// Smooth gradients keep the files small; the decoder's memory depends on the size alone.
fn generate(dir: &Path, name: &str, mode: &str, width: u32, height: u32, progressive: bool) -> Vec<u8> {
    let path = dir.join(name);
    let script = format!(
        "from PIL import Image\n\
         w, h = {width}, {height}\n\
         row = Image.linear_gradient('L').resize((w, 1))\n\
         img = row.resize((w, h)).convert('{mode}')\n\
         kw = dict(quality=80, progressive=True) if {progressive} else dict(quality=80)\n\
         img.save(r'{path}', **kw) if r'{path}'.endswith('.jpg') else img.save(r'{path}', optimize=False)\n",
        progressive = if progressive { "True" } else { "False" },
        path = path.display(),
    );
    let out = Command::new(python()).args(["-c", &script]).output().unwrap_or_else(|e| panic!("python: {e}"));
    assert!(
        out.status.success(),
        "Pillow could not write {name} (./scripts/test installs it: .venv/bin/pip install -r scripts/requirements-test.txt): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A process's peak resident memory in MB, from /proc.
fn peak_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_else(|e| panic!("{e}"));
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in {status}"));
    kb / 1024
}

/// Uploads `bytes`, lets a fresh worker process it, returns the final status and the
/// worker's peak.
async fn through_a_fresh_worker(
    api: &Api,
    dir: &Path,
    env: &[(&str, &str)],
    name: &str,
    bytes: Vec<u8>,
) -> (Value, u64) {
    let session = api.greeting().await;
    let up = api.upload(&session, bytes, name).await;
    assert_eq!(up.status.as_u16(), 202, "{name}: {}", up.body);
    let upload_id = up.json()["uploadId"].as_str().unwrap_or_default().to_owned();
    let worker = Server::start_worker(dir, env);
    let status = api.wait_upload(&session, &upload_id).await;
    let peak = peak_mb(worker.pid());
    drop(worker);
    (status, peak)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worst_accepted_images_keep_the_worker_under_300_mb() {
    let dir = data_dir();
    let images = data_dir();
    let env = [("MAX_IMAGE_BYTES", "20000000"), ("RATE_LIMIT_UPLOAD_PER_MIN", "100"), ("MAX_IMAGES_PER_SESSION", "5")];
    let server = Server::start_with_args(dir.path(), &env, &["--no-worker"]);
    let api = Api::new(&server.base);
    let worst = [
        // 17.6 MP × (4 samples + 3 + 8 coefficient bytes) = 264 MB estimated, under 256 MiB.
        ("progressive-cmyk.jpg", "CMYK", 4_400, 4_000, true),
        // The pixel cap: 39.7 MP.
        ("progressive-grey.jpg", "L", 6_300, 6_300, true),
        ("baseline-rgb.jpg", "RGB", 6_300, 6_300, false),
        ("rgb.png", "RGB", 6_300, 6_300, false),
    ];
    let mut report = Vec::new();
    for (name, mode, w, h, progressive) in worst {
        let bytes = generate(images.path(), name, mode, w, h, progressive);
        let (status, peak) = through_a_fresh_worker(&api, dir.path(), &env, name, bytes).await;
        assert_eq!(status["status"], "done", "{name} is within the budget: {status}");
        report.push(format!("{name} {w}×{h}: {peak} MB"));
        assert!(peak < PEAK_MB, "{name}: the worker peaked at {peak} MB: {report:?}");
    }
    println!("worker peak (VmHWM): {}", report.join("; "));

    // Past the budget (the 89 MP image that once took 982 MB): refused from its header.
    let bytes = generate(images.path(), "huge-cmyk.jpg", "CMYK", 10_000, 8_947, true);
    let (status, peak) = through_a_fresh_worker(&api, dir.path(), &env, "huge-cmyk.jpg", bytes).await;
    assert_eq!(
        (status["status"].clone(), status["error"].clone()),
        (json!("failed"), json!("image_too_large")),
        "{status}"
    );
    assert!(peak < 100, "refused without decoding: {peak} MB");
    drop(server);
}
