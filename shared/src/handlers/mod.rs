//! One module per endpoint (and per Lambda function), each owning its routes: parse →
//! one service call → typed response. A function's `main.rs` serves one module's
//! `routes()`; `sti serve` serves [`all`].

pub mod chat;
pub mod files;
pub mod greeting;
pub mod health;
pub mod logs;
pub mod metrics;
pub mod session_data;
pub mod session_validate;
pub mod ticket;
pub mod ticket_page;
pub mod upload_content;
pub mod upload_image;
pub mod upload_status;
pub mod upload_url;
pub mod whatsapp_ticket;
pub mod widget;

use crate::config::Limits;
use crate::http::Routes;

/// The largest request body any route takes (an image with its multipart framing).
pub fn largest_request_body(limits: &Limits) -> usize {
    limits.max_json_bytes.max(upload_image::largest_body(limits))
}

/// Every endpoint of the API, for a host that serves them all on one port.
pub fn all() -> Routes {
    Routes::new()
        .merge(health::routes())
        .merge(greeting::routes())
        .merge(session_validate::routes())
        .merge(chat::routes())
        .merge(upload_url::routes())
        .merge(upload_content::routes())
        .merge(upload_image::routes())
        .merge(upload_status::routes())
        .merge(whatsapp_ticket::routes())
        .merge(ticket::routes())
        .merge(logs::routes())
        .merge(metrics::routes())
        .merge(session_data::routes())
        .merge(widget::routes())
        .merge(files::routes())
}
