//! Request parsing with our limits and our error answers.

use std::convert::Infallible;
use std::time::Instant;

use axum::body::HttpBody as _;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Request, header};
use bytes::BytesMut;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use super::{ApiError, ErrorCode};
use crate::app::App;
use crate::config::BodyPace;
use crate::ids::SessionId;

/// The header that names the session of an upload.
pub const SESSION_HEADER: &str = "x-session-id";

/// The request id, set by the middleware for every request.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The caller's address as the host saw it (socket peer, Lambda source IP, or the
/// last X-Forwarded-For hop when configured to trust it).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

/// Reads the whole body as it streams in, refusing more than `limit` bytes with 413 (no
/// more than that is ever buffered) and a body that falls behind `pace` with 408.
pub async fn read_body(body: Body, limit: usize, pace: BodyPace) -> Result<Bytes, ApiError> {
    let mut paced = PacedBody::new(body, limit, pace)?;
    let mut chunks = Vec::new();
    while let Some(chunk) = paced.next_chunk().await? {
        chunks.push(chunk);
    }
    Ok(joined(chunks))
}

/// Chunks as one buffer; a body that came in one chunk (as one read into memory before,
/// by `sti serve`'s admission) is not copied again.
pub fn joined(mut chunks: Vec<Bytes>) -> Bytes {
    if chunks.len() == 1 {
        return chunks.pop().unwrap_or_default();
    }
    let mut whole = BytesMut::with_capacity(chunks.iter().map(Bytes::len).sum());
    chunks.iter().for_each(|chunk| whole.extend_from_slice(chunk));
    whole.freeze()
}

/// Reads and discards a body of at most `limit` bytes (while it keeps `pace`), so that an
/// answer given before the body was needed reaches a client still sending it instead of
/// a reset connection.
pub async fn discard_body(body: Body, limit: usize, pace: BodyPace) {
    if let Ok(mut paced) = PacedBody::new(body, limit, pace) {
        while let Ok(Some(_)) = paced.next_chunk().await {}
    }
}

/// A request body read chunk by chunk, each chunk before it is due under `pace`, at most
/// `limit` bytes in all.
pub struct PacedBody {
    body: Body,
    limit: usize,
    pace: BodyPace,
    began: Instant,
    received: usize,
}

impl PacedBody {
    pub fn new(body: Body, limit: usize, pace: BodyPace) -> Result<PacedBody, ApiError> {
        if body.size_hint().lower() > limit as u64 {
            return Err(too_large(limit));
        }
        Ok(PacedBody { body, limit, pace, began: Instant::now(), received: 0 })
    }

    /// The next chunk of data; `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, ApiError> {
        loop {
            let due = self.due();
            let frame = tokio::time::timeout_at(due, self.body.frame()).await.map_err(|_| too_slow(self.pace))?;
            let frame = match frame {
                None => return Ok(None),
                Some(Err(e)) => {
                    return Err(ApiError::new(
                        ErrorCode::UnreadableBody,
                        format!("could not read the request body: {e}"),
                    ));
                }
                Some(Ok(frame)) => frame,
            };
            let Ok(chunk) = frame.into_data() else { continue };
            self.received += chunk.len();
            if self.received > self.limit {
                return Err(too_large(self.limit));
            }
            return Ok(Some(chunk));
        }
    }

    /// When the bytes received so far are due: waiting on the server's behalf (for room to
    /// keep a chunk) counts against the body too.
    pub fn deadline(&self) -> Deadline {
        Deadline { due: tokio::time::Instant::from_std(self.pace.due(self.began, self.received)), pace: self.pace }
    }

    fn due(&self) -> tokio::time::Instant {
        self.deadline().due
    }
}

/// The time a body's bytes so far are due.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    due: tokio::time::Instant,
    pace: BodyPace,
}

impl Deadline {
    /// `work`, done in time (408 otherwise).
    pub async fn meet<T>(self, work: impl std::future::Future<Output = T>) -> Result<T, ApiError> {
        tokio::time::timeout_at(self.due, work).await.map_err(|_| too_slow(self.pace))
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge, format!("the request body is larger than {limit} bytes"))
}

fn too_slow(pace: BodyPace) -> ApiError {
    ApiError::new(
        ErrorCode::RequestTimeout,
        format!(
            "the request body arrived slower than {} bytes a second (after its first {} s)",
            pace.min_bytes_per_sec,
            pace.grace.as_secs()
        ),
    )
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .is_some_and(|mime| mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json")))
}

/// A JSON body of type `T`: `application/json`, at most `MAX_JSON_BYTES`, well formed
/// and of the right shape, or a 4xx saying which of those failed. An empty body reads
/// as `{}` so that `POST /api/greeting` needs none.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request<Body>, app: &App) -> Result<Self, Self::Rejection> {
        let limits = &app.config().limits;
        let json_declared = is_json(req.headers());
        let has_content_type = req.headers().contains_key(header::CONTENT_TYPE);
        let bytes = read_body(req.into_body(), limits.max_json_bytes, limits.body_pace).await?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
        if !json_declared && (has_content_type || text != b"{}") {
            return Err(ApiError::new(ErrorCode::UnsupportedMediaType, "send the body as application/json"));
        }
        parse_json(text).map(JsonBody)
    }
}

/// Parses a JSON object (serde would also read a struct from an array; we don't), in one
/// pass on the way in; only a refused body is read again, to tell malformed JSON (400
/// `invalid_json`) from well-formed JSON of the wrong shape (400 `invalid_request`)
/// wherever in the body each problem sits.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let malformed =
        |e: serde_json::Error| ApiError::new(ErrorCode::InvalidJson, format!("the body is not valid JSON: {e}"));
    let well_formed = || serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(malformed);
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        well_formed()?;
        return Err(ApiError::new(ErrorCode::InvalidRequest, "the body must be a JSON object"));
    }
    serde_json::from_slice(bytes).map_err(|e| match well_formed() {
        Err(malformed) => malformed,
        Ok(_) => ApiError::new(ErrorCode::InvalidRequest, format!("the body has the wrong shape: {e}")),
    })
}

/// A session id from a body field, a path segment or a header: 400 before any store
/// is touched when it is missing or malformed.
pub fn session_id(raw: Option<&str>, source: &str) -> Result<SessionId, ApiError> {
    let raw = raw.ok_or_else(|| ApiError::new(ErrorCode::MissingSessionId, format!("{source} is required")))?;
    SessionId::parse(raw.trim())
        .map_err(|_| ApiError::new(ErrorCode::InvalidSessionId, format!("{source} is not a valid session id")))
}

pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Query parameters of type `T`; anything malformed (a repeated or badly encoded
/// parameter, a wrong type) is a 400 in the error envelope, not axum's plain text.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(e) => Err(ApiError::new(ErrorCode::InvalidQuery, e.body_text())),
        }
    }
}

/// Path segments of type `T`; a segment that is not valid percent-encoded UTF-8 is a 400
/// in the error envelope.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(e) => Err(ApiError::new(ErrorCode::InvalidPath, e.body_text())),
        }
    }
}

/// The absolute base URL links should use: `PUBLIC_BASE_URL`, or the request's own
/// scheme and host.
pub struct BaseUrl(pub String);

impl FromRequestParts<App> for BaseUrl {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let through_the_edge = parts.extensions.get::<ThroughTheEdge>().is_some();
        Ok(BaseUrl(base_url(app.config().public_base_url.as_deref(), &parts.headers, through_the_edge)))
    }
}

/// Set on a request that carried the origin secret: it came through CloudFront, whose
/// viewer-request function reports the host the visitor used as `X-Forwarded-Host`
/// (API Gateway only ever sees its own).
#[derive(Clone, Copy)]
pub struct ThroughTheEdge;

fn base_url(configured: Option<&str>, headers: &HeaderMap, through_the_edge: bool) -> String {
    if let Some(base) = configured {
        return base.to_owned();
    }
    let forwarded = through_the_edge.then(|| header_str(headers, "x-forwarded-host")).flatten();
    let host = forwarded.or_else(|| header_str(headers, "host")).unwrap_or("localhost");
    let loopback = host.starts_with("localhost") || host.starts_with("127.0.0.1") || host.starts_with("[::1]");
    let proto = match header_str(headers, "x-forwarded-proto") {
        Some("http") => "http",
        Some(_) => "https",
        None if loopback => "http",
        None => "https",
    };
    let safe_host: String =
        host.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')).collect();
    format!("{proto}://{safe_host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().filter_map(|(k, v)| Some((axum::http::HeaderName::from_static(k), v.parse().ok()?))).collect()
    }

    #[test]
    fn links_use_the_host_the_visitor_used() {
        let api_gateway =
            [("host", "abc123.execute-api.us-east-1.amazonaws.com"), ("x-forwarded-host", "d111.cloudfront.net")];
        assert_eq!(base_url(None, &headers(&api_gateway), true), "https://d111.cloudfront.net", "through CloudFront");
        assert_eq!(
            base_url(None, &headers(&api_gateway), false),
            "https://abc123.execute-api.us-east-1.amazonaws.com",
            "an unchecked X-Forwarded-Host is anyone's"
        );
        assert_eq!(
            base_url(Some("https://chat.example.com"), &headers(&api_gateway), true),
            "https://chat.example.com"
        );
        assert_eq!(base_url(None, &headers(&[("host", "127.0.0.1:3000")]), false), "http://127.0.0.1:3000");
        let hostile = [("x-forwarded-host", "evil.example/\"x")];
        assert_eq!(base_url(None, &headers(&hostile), true), "https://evil.examplex", "only host characters survive");
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        #[serde(rename = "sessionId")]
        session_id: String,
        count: Option<u32>,
    }

    fn code(body: &str) -> Result<u32, ErrorCode> {
        parse_json::<Body>(body.as_bytes()).map(|b| b.count.unwrap_or(0)).map_err(|e| e.code)
    }

    #[test]
    fn a_body_is_malformed_json_or_the_wrong_shape_wherever_the_problem_sits() {
        assert_eq!(code(r#" {"sessionId":"s","count":3} "#), Ok(3));
        for malformed in [
            r#"{"sessionId":"s""#,
            r#"{"count":"three", "sessionId":"#,
            "nope",
            r#"["s"] x"#,
            r#"{"sessionId":"s"} {}"#,
        ] {
            assert_eq!(code(malformed), Err(ErrorCode::InvalidJson), "{malformed}");
        }
        // Serde reads a struct from an array; the API takes objects only.
        for wrong_shape in [r#"["s", 3]"#, "null", "3", r#"{"count":"three","sessionId":"s"}"#, r#"{"count":3}"#] {
            assert_eq!(code(wrong_shape), Err(ErrorCode::InvalidRequest), "{wrong_shape}");
        }
        // A repeated key could be read two ways: refused, not resolved.
        assert_eq!(code(r#"{"sessionId":"s","sessionId":"t"}"#), Err(ErrorCode::InvalidRequest));
    }
}
