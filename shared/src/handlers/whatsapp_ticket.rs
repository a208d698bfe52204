//! `POST /api/whatsapp-ticket`: the ticket of the session's current case (opened once)
//! and its WhatsApp links.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::http::extract::session_id;
use crate::http::{ApiResult, BaseUrl, ClientIp, JsonBody, RequestId, Routes};
use crate::services::Origin;
use crate::services::tickets::TicketLinks;
use crate::services::turns;

pub fn routes() -> Routes {
    Routes::new().route("/api/whatsapp-ticket", post(whatsapp_ticket))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TicketRequest {
    session_id: Option<String>,
}

#[derive(Serialize)]
struct TicketOpened {
    #[serde(flatten)]
    links: TicketLinks,
    /// False when the case already had this ticket.
    created: bool,
}

async fn whatsapp_ticket(
    State(app): State<App>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    BaseUrl(base_url): BaseUrl,
    JsonBody(req): JsonBody<TicketRequest>,
) -> ApiResult<(StatusCode, Json<TicketOpened>)> {
    let id = session_id(req.session_id.as_deref(), "sessionId")?;
    let origin = Origin { base_url: &base_url, request_id: &request_id };
    let (links, created) = turns::ticket(&app, &id, &ip, &origin).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(TicketOpened { links, created })))
}
