//! Opening the ticket of a conversation's current case, at most once per case.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use crate::chat::Locale;
use crate::http::{ApiError, ApiResult, AppState};
use crate::ids::{TicketId, access_token};
use crate::ports::{CreateTicketOutcome, LogLevel, RateDecision, Session, Ticket, TicketImage, UploadStatus};
use crate::time::HOUR_MS;

/// The links a visitor and a technician use for a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketLinks {
    pub ticket_id: String,
    pub whatsapp_url: String,
    pub whatsapp_web_url: String,
    pub whatsapp_app_url: String,
    pub ticket_url: String,
}

pub struct Opened {
    pub ticket: Ticket,
    pub links: TicketLinks,
    /// False when the case already had this ticket.
    pub created: bool,
}

const MAX_ID_ATTEMPTS: usize = 5;

/// Everything but RFC 3986 unreserved characters is escaped in the message text, so the
/// ticket number stays readable in the link.
const MESSAGE_TEXT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub fn ticket_url(base_url: &str, ticket: &Ticket) -> String {
    format!("{base_url}/api/ticket/{}?t={}", ticket.id, ticket.access_token)
}

fn whatsapp_text(locale: Locale, name: Option<&str>, ticket_id: &str, title: Option<&str>, url: &str) -> String {
    let who = name.map(|n| format!(", soy {n}")).unwrap_or_default();
    let who_en = name.map(|n| format!(", I'm {n}")).unwrap_or_default();
    match locale {
        Locale::Es => format!(
            "Hola{who}. Necesito ayuda con el ticket {ticket_id}{}. Detalle: {url}",
            title.map(|t| format!(" ({t})")).unwrap_or_default()
        ),
        Locale::En => format!(
            "Hi{who_en}. I need help with ticket {ticket_id}{}. Details: {url}",
            title.map(|t| format!(" ({t})")).unwrap_or_default()
        ),
    }
}

pub fn links_for(ticket: &Ticket, base_url: &str, number: Option<&str>) -> TicketLinks {
    let url = ticket_url(base_url, ticket);
    let text = whatsapp_text(
        ticket.locale,
        ticket.name.as_deref(),
        ticket.id.as_str(),
        ticket.category_title.as_deref(),
        &url,
    );
    let encoded = utf8_percent_encode(&text, MESSAGE_TEXT).to_string();
    // Without a configured number WhatsApp opens its contact picker with the text ready.
    let phone_param = number.map(|n| format!("phone={n}&")).unwrap_or_default();
    TicketLinks {
        ticket_id: ticket.id.to_string(),
        whatsapp_url: format!("https://wa.me/{}?text={encoded}", number.unwrap_or("")),
        whatsapp_web_url: format!("https://web.whatsapp.com/send?{phone_param}text={encoded}"),
        whatsapp_app_url: format!("whatsapp://send?{phone_param}text={encoded}"),
        ticket_url: url,
    }
}

/// Opens (or finds) the ticket of `session`'s current case. Counts against the
/// per-session hourly quota only when a new ticket is needed.
pub async fn open_for_session(
    state: &AppState,
    session: &Session,
    base_url: &str,
    now: i64,
    request_id: &str,
) -> ApiResult<Opened> {
    let backend = state.backend();
    let conversation = &session.conversation;
    let number = backend.secrets.load().await?.whatsapp_number.or_else(|| state.config().whatsapp_number.clone());
    if let Some(existing) = backend.tickets.find_for_case(&session.id, conversation.case_no, now).await? {
        let links = links_for(&existing, base_url, number.as_deref());
        return Ok(Opened { ticket: existing, links, created: false });
    }
    let quota_key = format!("tickets:{}", session.id);
    if let RateDecision::Limited { retry_after_secs } =
        backend.limiter.hit(&quota_key, state.config().limits.max_tickets_per_hour, HOUR_MS, now).await?
    {
        state.count(&[("ratelimit.rejected", 1)]).await;
        return Err(ApiError::rate_limited("ticket_limit", retry_after_secs));
    }

    let transcript = backend.sessions.transcript(&session.id).await?;
    let images = backend
        .uploads
        .list_for_session(&session.id, now)
        .await?
        .into_iter()
        .filter(|u| u.status == UploadStatus::Done)
        .filter_map(|u| u.analysis.map(|analysis| TicketImage { upload_id: u.id.to_string(), analysis }))
        .collect::<Vec<_>>();

    for _ in 0..MAX_ID_ATTEMPTS {
        let mut ticket = Ticket {
            id: TicketId::generate(now)?,
            access_token: access_token()?,
            session_id: session.id.clone(),
            case_no: conversation.case_no,
            created_at: now,
            expires_at: now + state.config().retention.ticket_ms,
            locale: conversation.locale,
            name: conversation.name.clone(),
            category: conversation.category.clone(),
            category_title: conversation.category_title().map(str::to_owned),
            summary: conversation.problem.clone(),
            attempts: conversation.attempts.clone(),
            images: images.clone(),
            transcript: transcript.clone(),
            whatsapp_url: String::new(),
        };
        let links = links_for(&ticket, base_url, number.as_deref());
        ticket.whatsapp_url = links.whatsapp_url.clone();
        match backend.tickets.create(&ticket).await? {
            CreateTicketOutcome::Created => {
                state.count(&[("tickets.created", 1)]).await;
                let message = format!(
                    "ticket {} opened (case {}, category {})",
                    ticket.id,
                    ticket.case_no,
                    ticket.category.as_deref().unwrap_or("none")
                );
                state
                    .log_event(LogLevel::Info, "ticket.created", Some(request_id), Some(session.id.as_str()), &message)
                    .await;
                return Ok(Opened { ticket, links, created: true });
            }
            CreateTicketOutcome::AlreadyOpen(existing) => {
                let links = links_for(&existing, base_url, number.as_deref());
                return Ok(Opened { ticket: *existing, links, created: false });
            }
            CreateTicketOutcome::IdTaken => continue,
        }
    }
    Err(ApiError::unavailable("ticket_id_exhausted", "could not allocate a ticket number; please retry", 1))
}

/// The absolute base URL links should use: the configured one, or the request's own
/// scheme and host.
pub fn base_url(state: &AppState, headers: &axum::http::HeaderMap) -> String {
    if let Some(base) = &state.config().public_base_url {
        return base.clone();
    }
    let host = crate::http::extract::header_str(headers, "host").unwrap_or("localhost");
    let loopback = host.starts_with("localhost") || host.starts_with("127.0.0.1") || host.starts_with("[::1]");
    let proto = match crate::http::extract::header_str(headers, "x-forwarded-proto") {
        Some("http") => "http",
        Some(_) => "https",
        None if loopback => "http",
        None => "https",
    };
    let safe_host: String =
        host.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')).collect();
    format!("{proto}://{safe_host}")
}
