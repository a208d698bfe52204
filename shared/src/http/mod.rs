//! HTTP glue shared by every host: the router around a set of handler routes, the
//! middleware every answer goes through, extractors, guards, and the error type (the one
//! place where error codes meet statuses).

mod admission;
mod error;
pub mod extract;
pub mod guards;
mod layers;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub use error::{ApiError, ApiResult, ErrorCode, error_body};
pub use extract::{BaseUrl, ClientIp, JsonBody, RequestId, SESSION_HEADER};
pub use layers::{HTML_CSP, REQUEST_ID_HEADER};

use crate::app::App;

/// The routes of one or more handlers, waiting for the application they serve.
pub type Routes = Router<App>;

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "this endpoint does not accept that method")
}

/// `routes` served for `app` with every layer the API promises.
pub fn router(app: App, routes: Routes) -> Router {
    let routes = routes.fallback(not_found).method_not_allowed_fallback(method_not_allowed);
    layers::apply(routes, &app).with_state(app)
}

/// A JSON answer whose body is already encoded (a stored reply, replayed as it was).
pub fn json_text(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
