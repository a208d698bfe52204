//! What every answer goes through (`http/layers.rs`): compression, the request id, CORS,
//! security headers, and the envelope even for a panic.

use std::io::Read;

use super::support::*;

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap_or_else(|e| panic!("not gzip: {e}"));
    out
}

#[tokio::test]
async fn assets_and_large_json_are_compressed_when_asked() {
    let api = api(&[("STI_ENV", "development")]).await;
    for path in ["/widget.js", "/widget.css", "/api/openapi.json"] {
        let plain = api.get(path, &[]).await;
        assert_eq!(plain.status, StatusCode::OK, "{path}");
        assert!(!plain.headers.contains_key(header::CONTENT_ENCODING), "{path} unasked");
        let gzip = api.get(path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(gzip.headers[header::CONTENT_ENCODING], "gzip", "{path}");
        let vary: Vec<String> = gzip
            .headers
            .get_all(header::VARY)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
            .collect();
        assert!(vary.iter().any(|v| v.contains("accept-encoding")), "{path}: caches keep one copy per encoding");
        assert_eq!(gunzip(&gzip.body), plain.body.to_vec(), "{path} decompresses to the same bytes");
        // Brotli where built with it (`sti serve`); the Lambda functions fall back to gzip.
        let preferred = api.get(path, &[("accept-encoding", "br;q=1.0, gzip;q=0.5")]).await;
        let expected = if cfg!(feature = "brotli") { "br" } else { "gzip" };
        assert_eq!(preferred.headers[header::CONTENT_ENCODING], expected, "{path}");
        assert!(preferred.body.len() < plain.body.len(), "{path}: {} vs {}", preferred.body.len(), plain.body.len());
    }
    // A small answer is not worth the CPU: a health check (or a chat reply) goes out as is.
    let health = api.get("/api/health", &[("accept-encoding", "gzip, br")]).await;
    assert!(!health.headers.contains_key(header::CONTENT_ENCODING), "{:?}", health.headers);
    let widget = api.get("/widget.js", &[]).await;
    let etag = widget.headers[header::ETAG].to_str().unwrap_or_default().to_owned();
    let again = api.get("/widget.js", &[("if-none-match", &etag), ("accept-encoding", "gzip")]).await;
    assert_eq!((again.status, again.body.len()), (StatusCode::NOT_MODIFIED, 0), "a cached copy is still good");
}

#[tokio::test]
async fn request_ids_are_kept_when_plain_and_made_otherwise() {
    let api = api(&[]).await;
    let echoed = api.get("/api/health", &[("x-request-id", "trace-abc-12345")]).await;
    assert_eq!(echoed.headers["x-request-id"], "trace-abc-12345");
    for hostile in ["<script>alert(1)</script>", "short", &"x".repeat(65)] {
        let answer = api.get("/api/nothing-here", &[("x-request-id", hostile)]).await;
        let id = answer.headers["x-request-id"].to_str().unwrap_or_default().to_owned();
        assert!(id != hostile && sti_shared::ids::is_acceptable_request_id(&id), "{hostile:?} → {id:?}");
        assert_eq!(answer.json()["requestId"], id.as_str(), "the envelope names the id the response carries");
    }
}

#[tokio::test]
async fn cors_answers_only_the_origins_it_serves() {
    let api = api(&[("ALLOWED_ORIGINS", "https://widget.example.com")]).await;
    let preflight = |origin: &'static str| {
        let request = Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/chat")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type, x-session-id")
            .body(Body::empty());
        api.send(request.unwrap_or_else(|e| panic!("{e}")))
    };
    let ok = preflight("https://widget.example.com").await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    assert_eq!(ok.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://widget.example.com");
    assert!(ok.headers[header::ACCESS_CONTROL_ALLOW_METHODS].to_str().is_ok_and(|m| m.contains("POST")));
    assert!(ok.headers[header::ACCESS_CONTROL_ALLOW_HEADERS].to_str().is_ok_and(|h| h.contains("x-session-id")));
    assert_eq!(ok.headers[header::ACCESS_CONTROL_MAX_AGE], "600");
    let denied = preflight("https://evil.example.com").await;
    assert_eq!((denied.status, denied.error_code().as_str()), (StatusCode::FORBIDDEN, "origin_not_allowed"));
    assert!(!denied.headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));

    let allowed = api.get("/api/health", &[("origin", "https://widget.example.com")]).await;
    assert_eq!(allowed.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://widget.example.com");
    assert!(allowed.headers[header::ACCESS_CONTROL_EXPOSE_HEADERS].to_str().is_ok_and(|h| h.contains("retry-after")));
    let error = api.get("/api/nothing-here", &[("origin", "https://widget.example.com")]).await;
    assert_eq!(error.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://widget.example.com", "errors too");
    let foreign = api.get("/api/health", &[("origin", "https://evil.example.com")]).await;
    assert!(!foreign.headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_even_a_panic() {
    let api = api(&[]).await;
    let boom = with_panicking_route(api);
    for path in ["/api/boom", "/api/nothing-here"] {
        let answer = boom.get(path, &[]).await;
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
            ("strict-transport-security", "max-age=63072000; includeSubDomains"),
            ("cross-origin-resource-policy", "same-site"),
            ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
            ("cache-control", "no-store"),
        ] {
            assert_eq!(answer.headers.get(name).and_then(|v| v.to_str().ok()), Some(value), "{path}: {name}");
        }
        assert!(answer.headers.contains_key("x-request-id"), "{path}");
    }
}
