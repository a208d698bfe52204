//! `sti-load` itself, briefly, so the tool cannot rot: scenario A for 10 s at 50 req/s and
//! scenario B with 20 visitors on their own loopback addresses for 25 s, against a real
//! `sti serve`; both must pass their checks and write their reports.

use std::process::Command;

use sti_e2e::{LOAD_ENV, Server, data_dir, workspace_bin};

fn load(server: &Server, report: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(workspace_bin("sti-load"))
        .args(args)
        .args(["--base-url", &server.base, "--report-dir", &report.to_string_lossy()])
        .args(["--pid", &server.pid().to_string()])
        .output()
        .unwrap_or_else(|e| panic!("sti-load: {e}"));
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "sti-load {args:?} failed:\n{printed}\n{}", String::from_utf8_lossy(&out.stderr));
    for file in ["summary.html", "goose-report.html", "latency.svg", "throughput.svg", "rss.svg", "cpu.svg"] {
        assert!(report.join(file).exists(), "{file} missing from {}", report.display());
    }
    printed
}

#[test]
fn scenarios_a_and_b_run_and_pass_briefly() {
    let dir = data_dir();
    let server = Server::start(dir.path(), LOAD_ENV);
    let reports = data_dir();
    let a = reports.path().join("A");
    let printed = load(&server, &a, &["A", "--rate", "50", "--duration", "10s"]);
    assert!(printed.contains("0 errors") && printed.contains("PASS p95"), "{printed}");
    let printed = load(&server, &reports.path().join("B"), &["B", "--users", "20", "--duration", "25s"]);
    assert!(printed.contains("PASS every accepted upload done (40 of 40)"), "{printed}");
    assert!(printed.contains("PASS processed exactly once"), "{printed}");
    assert!(printed.contains("PASS no visitor at the per-address limit refused (0 × 429)"), "{printed}");
}
