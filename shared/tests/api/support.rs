//! What every in-process API test uses: the router over a temporary embedded store
//! (optionally with a clock, a random source or a store of the test's own), requests in,
//! answers out, and the one multipart builder.

pub use std::collections::HashSet;
pub use std::sync::Arc;
pub use std::time::Duration;

pub use axum::Router;
pub use axum::body::{Body, Bytes};
pub use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
pub use serde_json::{Value, json};
pub use sti_shared::app::{App, Hosting};
pub use sti_shared::config::Config;
pub use sti_shared::handlers;
pub use sti_shared::http::{ErrorCode, router};
pub use sti_shared::ports::Backend;
pub use sti_shared::services::demo::DEMO_PNG;
pub use sti_shared::time::{ManualClock, rfc3339};
use tower::ServiceExt;

/// Where the original of upload `upload` of `session` is stored.
pub fn original_key(session: &str, upload: &str) -> String {
    let session = sti_shared::ids::SessionId::parse(session).unwrap_or_else(|e| panic!("{e}"));
    let upload = sti_shared::ids::UploadId::parse(upload).unwrap_or_else(|e| panic!("{e}"));
    sti_shared::ports::original_key(&session, &upload)
}

pub struct Api {
    pub app: App,
    pub router: Router,
    pub _dir: tempfile::TempDir,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The error envelope's code, after checking the envelope itself.
    pub fn error_code(&self) -> String {
        let v = self.json();
        let request_id = self.headers.get("x-request-id").and_then(|h| h.to_str().ok()).unwrap_or("");
        assert_eq!(v["requestId"], request_id, "the envelope carries the request id: {v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "a message: {v}");
        v["error"]["code"].as_str().unwrap_or_else(|| panic!("no code in {v}")).to_owned()
    }
}

/// The API over a fresh store, configured by `vars` (as environment variables).
pub async fn api(vars: &[(&str, &str)]) -> Api {
    api_with(vars, Hosting::default(), |_| {}).await
}

/// The API with what a test brings: a clock or a random source in `hosting`, and any
/// port of the embedded backend replaced by `adapt`.
/// `api` serving one more route, `/api/boom`, whose handler panics with "a bug in a
/// handler" (and nothing else: the other routes are gone).
pub fn with_panicking_route(api: Api) -> Api {
    async fn boom() -> &'static str {
        panic!("a bug in a handler")
    }
    let routes = sti_shared::http::Routes::new().route("/api/boom", axum::routing::get(boom));
    Api { router: router(api.app.clone(), routes), ..api }
}

pub async fn api_with(vars: &[(&str, &str)], hosting: Hosting, adapt: impl FnOnce(&mut Backend)) -> Api {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().display().to_string();
    let mut env: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    env.push(("STI_DATA_DIR".into(), data_dir));
    let lookup = move |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let config = Config::from_source(&lookup).unwrap_or_else(|e| panic!("{e}"));
    let secrets = sti_shared::backends::secrets_from_env(&config);
    let (mut backend, _) = sti_shared::backends::local::open(dir.path(), secrets).unwrap_or_else(|e| panic!("{e}"));
    adapt(&mut backend);
    let app = App::with_backend(config, backend, hosting).unwrap_or_else(|e| panic!("{e}"));
    Api { router: router(app.clone(), handlers::all()), app, _dir: dir }
}

/// The API over a session store with `fault`.
pub async fn api_with_faulty_sessions(fault: super::faulty_sessions::Fault, hosting: Hosting) -> Api {
    api_with(&[], hosting, |backend| {
        let inner = Arc::clone(&backend.sessions);
        backend.sessions = Arc::new(super::faulty_sessions::FaultySessions { inner, fault });
    })
    .await
}

impl Api {
    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
        Answer { status: parts.status, headers: parts.headers, body }
    }

    pub async fn get(&self, uri: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::empty()).unwrap_or_else(|e| panic!("{e}"))).await
    }

    pub async fn post_json(&self, uri: &str, body: Value) -> Answer {
        self.post_raw(uri, "application/json", body.to_string()).await
    }

    pub async fn post_raw(&self, uri: &str, content_type: &str, body: impl Into<Body>) -> Answer {
        let request = Request::post(uri).header(header::CONTENT_TYPE, content_type).body(body.into());
        self.send(request.unwrap_or_else(|e| panic!("{e}"))).await
    }

    pub async fn upload(&self, session: &str, image: &[u8]) -> Answer {
        let (content_type, body) = multipart("image", image);
        let request = Request::post("/api/upload-image")
            .header(header::CONTENT_TYPE, content_type)
            .header("x-session-id", session)
            .body(Body::from(body));
        self.send(request.unwrap_or_else(|e| panic!("{e}"))).await
    }

    pub async fn greet(&self) -> String {
        let answer = self.post_json("/api/greeting", json!({})).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        answer.json()["sessionId"].as_str().unwrap_or_default().to_owned()
    }

    pub async fn chat(&self, session: &str, message: &str) -> Answer {
        self.post_json("/api/chat", json!({ "sessionId": session, "message": message })).await
    }
}

impl Api {
    pub async fn upload_url(&self, session: &str, content_type: &str, size: usize) -> Answer {
        let request = Request::post("/api/upload-url")
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-session-id", session)
            .body(Body::from(json!({ "contentType": content_type, "size": size }).to_string()));
        self.send(request.unwrap_or_else(|e| panic!("{e}"))).await
    }

    /// A `PUT` to `url` as a browser sends it: `Content-Length` from the body.
    pub async fn put(&self, url: &str, content_type: &str, body: &[u8]) -> Answer {
        let request = Request::put(path_of(url))
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body.to_vec()));
        self.send(request.unwrap_or_else(|e| panic!("{e}"))).await
    }

    pub async fn upload_status(&self, session: &str, upload_id: &str) -> Value {
        self.get(&format!("/api/upload/{upload_id}"), &[("x-session-id", session)]).await.json()
    }

    pub async fn blob_exists(&self, key: &str) -> bool {
        self.app.backend().blobs.exists(key).await.unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn queued_jobs(&self) -> u64 {
        self.app.backend().queue.depth().await.unwrap_or_else(|e| panic!("{e}"))
    }
}

pub fn multipart(field: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "sti-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"shot.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A session that went through the conversation up to the steps.
pub async fn session_with_steps(api: &Api) -> String {
    let session = api.greet().await;
    assert_eq!(api.chat(&session, "hola, soy Ana").await.status, StatusCode::OK);
    let steps = api.chat(&session, "la impresora no imprime").await;
    assert_eq!(steps.json()["state"], "steps", "{}", steps.text());
    session
}

/// A body whose first bytes arrive and whose rest never does.
pub fn endless_body() -> Body {
    let first = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"--sti-test-boundary\r\n"))]);
    Body::from_stream(futures::StreamExt::chain(first, futures::stream::pending()))
}

/// A valid 4×4 PNG: below the smallest side accepted.
pub fn tiny_png() -> Vec<u8> {
    let mut out = Vec::new();
    let image = image::RgbImage::from_pixel(4, 4, image::Rgb([200, 10, 10]));
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("{e}"));
    out
}

/// The path and query of an absolute URL the API handed out.
pub fn path_of(url: &str) -> String {
    url.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned())).unwrap_or_default()
}
