//! What the HTTP edge (`http::router`'s layers) costs per request: one trivial route served
//! bare and through every layer, a plain request and one as a browser on an allowed origin
//! sends it (CORS, gzip accepted).
//!
//! Run: `cargo bench -p sti-shared --features local --bench edge`

use std::hint::black_box;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use sti_shared::app::{App, Hosting};
use sti_shared::config::Config;
use sti_shared::http::{Routes, router};
use tower::ServiceExt;

async fn reply() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "reply": "Probemos esto", "options": ["Sí", "No"] }))
}

fn app(dir: &std::path::Path) -> App {
    let data_dir = dir.display().to_string();
    let lookup = move |name: &str| {
        (name == "STI_DATA_DIR")
            .then(|| data_dir.clone())
            .or_else(|| (name == "ALLOWED_ORIGINS").then(|| "https://soporte.example".to_owned()))
    };
    let config = Config::from_source(&lookup).unwrap_or_else(|e| panic!("{e}"));
    let secrets = sti_shared::backends::secrets_from_env(&config);
    let (backend, _) = sti_shared::backends::local::open(dir, secrets).unwrap_or_else(|e| panic!("{e}"));
    App::with_backend(config, backend, Hosting::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn plain() -> Request<Body> {
    Request::get("/bench").body(Body::empty()).unwrap_or_else(|e| panic!("{e}"))
}

fn from_browser() -> Request<Body> {
    Request::get("/bench")
        .header("origin", "https://soporte.example")
        .header("accept-encoding", "gzip, br")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn bench_edge(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let app = runtime.block_on(async { app(dir.path()) });
    let bare: Router = Router::new().route("/bench", get(reply));
    let layered = router(app, Routes::new().route("/bench", get(reply)));
    let mut group = c.benchmark_group("edge");
    for (name, service, request) in [
        ("bare", &bare, plain as fn() -> Request<Body>),
        ("layered", &layered, plain),
        ("layered_browser", &layered, from_browser),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(async { black_box(service.clone().oneshot(request()).await) }))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_edge);
criterion_main!(benches);
