//! The OpenAPI document (`GET /api/openapi.json`) and the code agree: the same routes and
//! methods as the handlers serve, the same error codes as `ErrorCode`, and every
//! documented operation answered by the router (no 404/405 for a documented route).

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use sti_shared::app::{App, Hosting};
use sti_shared::config::Config;
use sti_shared::handlers::{self, health::OPENAPI};
use sti_shared::http::{ErrorCode, router};
use tower::ServiceExt;

fn document() -> Value {
    serde_json::from_str(OPENAPI).unwrap_or_else(|e| panic!("openapi.json is not JSON: {e}"))
}

/// (METHOD, path) of the document, path parameters as `{}`.
fn documented() -> BTreeSet<(String, String)> {
    let doc = document();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
            out.insert((method.to_uppercase(), generic(path)));
        }
    }
    out
}

fn generic(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            c if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// (METHOD, path) of every `.route("/api/…", method(…))` in the handler modules.
fn served() -> BTreeSet<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/handlers");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{e}")).filter_map(Result::ok) {
        let source = std::fs::read_to_string(entry.path()).unwrap_or_else(|e| panic!("{e}"));
        for piece in source.split(".route(\"").skip(1) {
            let Some((path, rest)) = piece.split_once('"') else { continue };
            let method = rest.trim_start_matches([',', ' ', '\n']).split('(').next().unwrap_or("");
            if path.starts_with("/api/") {
                out.insert((method.to_uppercase(), generic(path)));
            }
        }
    }
    out
}

#[test]
fn the_document_lists_exactly_the_routes_the_handlers_serve() {
    let (documented, served) = (documented(), served());
    assert!(served.len() >= 13, "found only {served:?}");
    assert_eq!(documented, served, "openapi.json paths vs handlers' routes");
}

#[test]
fn the_document_names_exactly_the_error_codes() {
    let doc = document();
    let listed: BTreeSet<&str> =
        doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
    let codes: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, codes);
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().display().to_string();
    let lookup = move |name: &str| (name == "STI_DATA_DIR").then(|| data.clone());
    let config = Config::from_source(&lookup).unwrap_or_else(|e| panic!("{e}"));
    let app = App::build(config, Hosting::default()).await.unwrap_or_else(|e| panic!("{e}"));
    let service = router(app, handlers::all());
    for (method, path) in documented() {
        let uri = path.replace("{}", "x");
        let request = Request::builder().method(method.as_str()).uri(&uri).body(Body::empty());
        let response = service.clone().oneshot(request.unwrap_or_else(|e| panic!("{e}"))).await;
        let response = response.unwrap_or_else(|e| match e {});
        let body =
            http_body_util::BodyExt::collect(response.into_body()).await.map(|c| c.to_bytes()).unwrap_or_default();
        let code =
            serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["error"]["code"].as_str().map(str::to_owned));
        assert!(
            !matches!(code.as_deref(), Some("not_found" | "method_not_allowed")),
            "{method} {uri}: the router does not serve it ({code:?})"
        );
    }
    let served = service.oneshot(Request::get("/api/openapi.json").body(Body::empty()).unwrap_or_default()).await;
    assert_eq!(served.map(|r| r.status()).unwrap_or_else(|e| match e {}), StatusCode::OK);
}
