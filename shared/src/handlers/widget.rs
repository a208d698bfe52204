//! `GET /widget.js`, `GET /widget.css` and the demo page `GET /`: the embeddable chat
//! widget as `sti serve` hands it out (on AWS, CloudFront serves the same files from a
//! private bucket). Other sites load the assets, so they say so (CORS, `cross-origin`
//! resource policy); they are revalidated by ETag.

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::http::Routes;

pub fn routes() -> Routes {
    Routes::new()
        .route("/widget.js", get(|headers: HeaderMap| async move { SCRIPT.serve(&headers) }))
        .route("/widget.css", get(|headers: HeaderMap| async move { STYLE.serve(&headers) }))
        .route("/", get(|headers: HeaderMap| async move { DEMO.serve(&headers) }))
}

/// The demo page runs the widget under the CSP the README asks of a host page.
pub const DEMO_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct Asset {
    body: &'static str,
    content_type: &'static str,
    etag: LazyLock<String>,
    /// Embedded by other origins (the script and its stylesheet), or our own page.
    embeddable: bool,
}

macro_rules! asset {
    ($file:literal, $content_type:literal, $embeddable:literal) => {
        Asset {
            body: include_str!(concat!("../../../widget/", $file)),
            content_type: $content_type,
            etag: LazyLock::new(|| etag_of(include_str!(concat!("../../../widget/", $file)))),
            embeddable: $embeddable,
        }
    };
}

static SCRIPT: Asset = asset!("widget.js", "text/javascript; charset=utf-8", true);
static STYLE: Asset = asset!("widget.css", "text/css; charset=utf-8", true);
static DEMO: Asset = asset!("demo.html", "text/html; charset=utf-8", false);

fn etag_of(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

impl Asset {
    fn serve(&self, request: &HeaderMap) -> Response {
        let etag = self.etag.as_str();
        let fresh = request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
        let mut response = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { self.body.into_response() };
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if let Ok(tag) = HeaderValue::from_str(etag) {
            h.insert(header::ETAG, tag);
        }
        // Short-lived, then revalidated: an update reaches every page within five minutes.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300, must-revalidate"));
        if self.embeddable {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
            h.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
        } else {
            h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DEMO_CSP));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_what_the_widget_folder_holds() {
        assert!(SCRIPT.body.contains("attachShadow"));
        assert!(STYLE.body.contains(":host"));
        assert!(DEMO.body.contains("src=\"/widget.js\""));
        assert_ne!(SCRIPT.etag.as_str(), STYLE.etag.as_str());
    }
}
