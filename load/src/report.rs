//! Our one-page report: the figures the production checklist asks for, and SVG plots
//! (latency percentiles, throughput and errors per second, the server's RSS and CPU).

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

use crate::record::{Sample, UploadOutcome, quantile};
use crate::sampler::ProcessSample;

/// The figures of one run.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub requests: usize,
    pub errors: usize,
    pub seconds: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    /// RSS after the warm-up (first fifth of the run) and at the end, MiB.
    pub rss_after_warmup: Option<f64>,
    pub rss_end: Option<f64>,
    pub cpu_mean: Option<f64>,
    pub uploads_accepted: usize,
    pub uploads_done: usize,
    pub upload_p95_ms: Option<f64>,
    /// 429s answered to scenario B and honoured (waited, sent again).
    pub rate_limited: usize,
}

impl Figures {
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds.max(0.001)
    }

    pub fn error_share(&self) -> f64 {
        self.errors as f64 / (self.requests.max(1)) as f64
    }

    pub fn rss_growth(&self) -> Option<f64> {
        Some((self.rss_end? - self.rss_after_warmup?) / self.rss_after_warmup?)
    }
}

pub fn figures(samples: &[Sample], process: &[ProcessSample], uploads: &[UploadOutcome], seconds: f64) -> Figures {
    let mut latencies: Vec<f64> = samples.iter().map(|s| s.latency_ms).collect();
    latencies.sort_by(f64::total_cmp);
    let warm = process.iter().find(|p| p.at >= seconds / 5.0);
    let mut upload_ms: Vec<f64> = uploads.iter().filter_map(|u| u.done_after_ms).collect();
    upload_ms.sort_by(f64::total_cmp);
    Figures {
        requests: samples.len(),
        errors: samples.iter().filter(|s| !s.ok).count(),
        seconds,
        p50: quantile(&latencies, 0.50),
        p95: quantile(&latencies, 0.95),
        p99: quantile(&latencies, 0.99),
        max: latencies.last().copied().unwrap_or(0.0),
        rss_after_warmup: warm.map(|p| p.rss_mib),
        rss_end: process.last().map(|p| p.rss_mib),
        cpu_mean: (!process.is_empty())
            .then(|| process.iter().map(|p| p.cpu_percent).sum::<f64>() / process.len() as f64),
        uploads_accepted: uploads.iter().filter(|u| u.upload_id.is_some()).count(),
        uploads_done: uploads.iter().filter(|u| u.final_status == "done").count(),
        upload_p95_ms: (!upload_ms.is_empty()).then(|| quantile(&upload_ms, 0.95)),
        rate_limited: 0,
    }
}

/// Per-second buckets of the samples: (second, p50, p95, p99, requests, errors).
fn per_second(samples: &[Sample]) -> Vec<(f64, f64, f64, f64, f64, f64)> {
    let last = samples.iter().map(|s| s.at as usize).max().unwrap_or(0);
    let mut buckets: Vec<Vec<&Sample>> = vec![Vec::new(); last + 1];
    for s in samples {
        buckets[s.at as usize].push(s);
    }
    buckets
        .iter()
        .enumerate()
        .map(|(second, bucket)| {
            let mut l: Vec<f64> = bucket.iter().map(|s| s.latency_ms).collect();
            l.sort_by(f64::total_cmp);
            let errors = bucket.iter().filter(|s| !s.ok).count() as f64;
            (second as f64, quantile(&l, 0.5), quantile(&l, 0.95), quantile(&l, 0.99), bucket.len() as f64, errors)
        })
        .collect()
}

type Series<'a> = (&'a str, RGBColor, Vec<(f64, f64)>);

fn plot(path: &Path, title: &str, unit: &str, series: &[Series<'_>]) -> Result<(), String> {
    let x_max = series.iter().flat_map(|s| s.2.iter().map(|p| p.0)).fold(1.0, f64::max);
    let y_max = series.iter().flat_map(|s| s.2.iter().map(|p| p.1)).fold(1.0, f64::max) * 1.1;
    let root = SVGBackend::new(path, (960, 320)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(|e| e.to_string())?;
    chart.configure_mesh().x_desc("seconds").y_desc(unit).draw().map_err(|e| e.to_string())?;
    for (name, color, points) in series {
        let color = *color;
        chart
            .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    chart.configure_series_labels().border_style(BLACK).background_style(WHITE).draw().map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

pub struct Run<'a> {
    pub scenario: &'a str,
    pub command: &'a str,
    pub base_url: &'a str,
    pub target_rate: Option<u64>,
    pub users: usize,
    pub verdict: &'a [(String, bool)],
}

/// Writes `summary.html` and its SVG plots into `dir`.
pub fn write(
    dir: &Path,
    run: &Run<'_>,
    f: &Figures,
    samples: &[Sample],
    process: &[ProcessSample],
) -> Result<(), String> {
    let seconds = per_second(samples);
    let pick = |i: usize| -> Vec<(f64, f64)> {
        seconds.iter().map(|row| (row.0, [row.1, row.2, row.3, row.4, row.5][i])).collect()
    };
    plot(
        &dir.join("latency.svg"),
        "Latency per second",
        "ms",
        &[("p50", BLUE, pick(0)), ("p95", MAGENTA, pick(1)), ("p99", RED, pick(2))],
    )?;
    plot(
        &dir.join("throughput.svg"),
        "Requests and errors per second",
        "per second",
        &[("requests", BLUE, pick(3)), ("errors", RED, pick(4))],
    )?;
    // The series behind the plots, for anyone who wants to look closer.
    let mut csv = String::from("second,p50_ms,p95_ms,p99_ms,requests,errors\n");
    for (second, p50, p95, p99, requests, errors) in &seconds {
        let _ = writeln!(csv, "{second},{p50},{p95},{p99},{requests},{errors}");
    }
    std::fs::write(dir.join("per-second.csv"), csv).map_err(|e| e.to_string())?;
    let mut images = vec!["latency.svg", "throughput.svg"];
    if !process.is_empty() {
        let rss = process.iter().map(|p| (p.at, p.rss_mib)).collect();
        let cpu = process.iter().map(|p| (p.at, p.cpu_percent)).collect();
        plot(&dir.join("rss.svg"), "Server resident memory", "MiB", &[("RSS", BLUE, rss)])?;
        let mut csv = String::from("second,rss_mib,cpu_percent\n");
        for p in process {
            let _ = writeln!(csv, "{:.0},{:.2},{:.1}", p.at, p.rss_mib, p.cpu_percent);
        }
        std::fs::write(dir.join("process.csv"), csv).map_err(|e| e.to_string())?;
        plot(&dir.join("cpu.svg"), "Server CPU (100 % = one core)", "%", &[("CPU", RED, cpu)])?;
        images.extend(["rss.svg", "cpu.svg"]);
    }
    let mut rows = vec![
        ("scenario".to_owned(), run.scenario.to_owned()),
        ("target".to_owned(), run.base_url.to_owned()),
        ("command".to_owned(), format!("<code>{}</code>", escape(run.command))),
        ("users".to_owned(), run.users.to_string()),
        ("duration".to_owned(), format!("{:.0} s", f.seconds)),
        ("target rate".to_owned(), run.target_rate.map(|r| format!("{r} req/s")).unwrap_or_else(|| "—".into())),
        ("achieved rate".to_owned(), format!("{:.1} req/s", f.rate())),
        ("requests".to_owned(), f.requests.to_string()),
        ("errors".to_owned(), format!("{} ({:.3} %)", f.errors, f.error_share() * 100.0)),
        (
            "latency p50 / p95 / p99 / max".to_owned(),
            format!("{:.1} / {:.1} / {:.1} / {:.1} ms", f.p50, f.p95, f.p99, f.max),
        ),
    ];
    if let (Some(warm), Some(end)) = (f.rss_after_warmup, f.rss_end) {
        let growth = f.rss_growth().unwrap_or(0.0) * 100.0;
        let trend = if growth.abs() < 10.0 {
            "stable"
        } else if growth > 0.0 {
            "growing"
        } else {
            "shrinking"
        };
        rows.push((
            "server RSS after warm-up → end".to_owned(),
            format!("{warm:.1} → {end:.1} MiB ({growth:+.1} %, {trend})"),
        ));
    }
    if let Some(cpu) = f.cpu_mean {
        rows.push(("server CPU, mean".to_owned(), format!("{cpu:.0} % of one core")));
    }
    if f.uploads_accepted > 0 {
        let share = f.uploads_done as f64 / f.uploads_accepted as f64 * 100.0;
        rows.push((
            "uploads accepted / done".to_owned(),
            format!("{} / {} ({share:.1} % success)", f.uploads_accepted, f.uploads_done),
        ));
        rows.push(("rate-limited (429, waited and sent again)".to_owned(), f.rate_limited.to_string()));
        if let Some(p95) = f.upload_p95_ms {
            rows.push(("upload accepted → done, p95".to_owned(), format!("{p95:.0} ms")));
        }
    }
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>STI Chat load report</title></head><body>\n",
    );
    let _ = writeln!(html, "<h1>STI Chat load report: {}</h1>\n<table>", escape(run.scenario));
    for (k, v) in &rows {
        let _ = writeln!(html, "<tr><th align=\"left\">{}</th><td>{v}</td></tr>", escape(k));
    }
    html.push_str("</table>\n<h2>Checks</h2>\n<ul>\n");
    for (check, ok) in run.verdict {
        let _ = writeln!(html, "<li>{} {}</li>", if *ok { "PASS" } else { "FAIL" }, escape(check));
    }
    html.push_str("</ul>\n<p>goose's own report: <a href=\"goose-report.html\">goose-report.html</a></p>\n");
    for image in images {
        let _ = writeln!(html, "<p><img src=\"{image}\" alt=\"{image}\" width=\"960\"></p>");
    }
    html.push_str("</body></html>\n");
    std::fs::write(dir.join("summary.html"), html).map_err(|e| e.to_string())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_and_plots_of_a_small_run() {
        let samples: Vec<Sample> = (0..200)
            .map(|i| Sample { at: f64::from(i) / 50.0, latency_ms: f64::from(i % 10), ok: i % 100 != 0 })
            .collect();
        let process: Vec<ProcessSample> = (0..4)
            .map(|i| ProcessSample { at: f64::from(i), rss_mib: 50.0 + f64::from(i), cpu_percent: 30.0 })
            .collect();
        let f = figures(&samples, &process, &[], 4.0);
        assert_eq!((f.requests, f.errors), (200, 2));
        assert!((f.rate() - 50.0).abs() < 0.01);
        assert_eq!(f.rss_after_warmup, Some(51.0));
        let dir = std::env::temp_dir().join(format!("sti-load-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let verdict = vec![("p95 under 2 s".to_owned(), true)];
        let run = Run {
            scenario: "A",
            command: "sti-load A",
            base_url: "http://x",
            target_rate: Some(50),
            users: 4,
            verdict: &verdict,
        };
        write(&dir, &run, &f, &samples, &process).unwrap_or_else(|e| panic!("{e}"));
        let html = std::fs::read_to_string(dir.join("summary.html")).unwrap_or_default();
        assert!(html.contains("PASS p95 under 2 s") && html.contains("rss.svg"));
        let process_csv = std::fs::read_to_string(dir.join("process.csv")).unwrap_or_default();
        assert_eq!(process_csv.lines().count(), 5, "{process_csv}");
        assert!(dir.join("per-second.csv").exists());
        assert!(std::fs::read_to_string(dir.join("latency.svg")).is_ok_and(|s| s.starts_with("<svg")));
        let _ = std::fs::remove_dir_all(dir);
    }
}
