//! Opening the ticket of a conversation's current case, at most once per case.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use crate::app::{App, LogSubject};
use crate::chat::Locale;
use crate::counters::Counter;
use crate::error::{Error, IdKind, Result};
use crate::ids::{TicketId, access_token_from, is_access_token};
use crate::pii::mask_pii;
use crate::ports::{
    CreateTicketOutcome, LogLevel, Resolution, Secret, Session, Ticket, TicketImage, TicketStatus, UploadStatus,
};
use crate::services::Origin;
use crate::services::admission::{Quota, admit};
use crate::time::ms;

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
    let url = ticket.url(base_url);
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
pub async fn open_for_session(app: &App, session: &Session, origin: &Origin<'_>, now: i64) -> Result<Opened> {
    let backend = app.backend();
    let base_url = origin.base_url;
    let conversation = &session.conversation;
    let number = whatsapp_number(app).await?;
    if let Some(existing) = backend.tickets.find_for_case(&session.id, conversation.case_no, now).await? {
        let links = links_for(&existing, base_url, number.as_deref());
        return Ok(Opened { ticket: existing, links, created: false });
    }
    admit(app, &Quota::tickets_per_session(&session.id, &app.config().limits)).await?;

    let (transcript, transcript_omitted) = Ticket::excerpt(backend.sessions.transcript(&session.id).await?);
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
            id: TicketId::generate_from(now, app.random())?,
            access_token: access_token_from(app.random())?,
            session_id: session.id.clone(),
            case_no: conversation.case_no,
            created_at: now,
            expires_at: now + ms(app.config().retention.ticket),
            locale: conversation.locale,
            name: conversation.name.clone(),
            category: conversation.category.clone(),
            category_title: conversation.category_title().map(str::to_owned),
            summary: conversation.problem.clone(),
            attempts: conversation.attempts.clone(),
            images: images.clone(),
            transcript: transcript.clone(),
            transcript_omitted,
            whatsapp_url: String::new(),
            notification: crate::services::notify::outbox_entry(app.config(), base_url, now),
            status: Default::default(),
            resolution: None,
        };
        let links = links_for(&ticket, base_url, number.as_deref());
        ticket.whatsapp_url = links.whatsapp_url.clone();
        match backend.tickets.create(&ticket).await? {
            CreateTicketOutcome::Created => {
                app.count_event(now, &[(Counter::TicketsCreated.key(), 1)]).await;
                let message = format!(
                    "ticket {} opened (case {}, category {})",
                    ticket.id,
                    ticket.case_no,
                    ticket.category.as_deref().unwrap_or("none")
                );
                let session_id = Some(session.id.as_str());
                app.log_event(
                    LogLevel::Info,
                    "ticket.created",
                    LogSubject { session_id, request_id: Some(origin.request_id) },
                    &message,
                )
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
    Err(Error::IdsExhausted(IdKind::Ticket))
}

/// The number WhatsApp links go to: the secret's, else the environment's.
pub async fn whatsapp_number(app: &App) -> Result<Option<String>> {
    let from_secret = app.backend().secrets.load().await?.whatsapp_number;
    Ok(from_secret.or_else(|| app.config().whatsapp_number.clone()))
}

/// A ticket and the links to it, with short-lived links to its images.
pub struct TicketView {
    pub ticket: Ticket,
    pub links: TicketLinks,
    pub images: Vec<ImageLinks>,
}

/// Where a ticket's image is shown: its thumbnail and its sanitised copy, both signed for
/// ten minutes; `None` when the image is no longer stored (the session was erased).
pub struct ImageLinks {
    pub upload_id: String,
    pub links: Option<(String, String)>,
}

/// Longest note a technician may leave when resolving, in characters.
pub const MAX_NOTE_CHARS: usize = 1_000;

/// The ticket whose id and token were given, or `TicketNotFound` for anything else.
async fn authorised(app: &App, raw_id: &str, token: Option<&str>) -> Result<Ticket> {
    let id = TicketId::parse(raw_id).map_err(|_| Error::TicketNotFound)?;
    let token = token.filter(|t| is_access_token(t)).ok_or(Error::TicketNotFound)?;
    let ticket = app.backend().tickets.get(&id, app.now_ms()).await?.ok_or(Error::TicketNotFound)?;
    if !Secret::new(ticket.access_token.clone()).matches(token) {
        return Err(Error::TicketNotFound);
    }
    Ok(ticket)
}

async fn image_links(app: &App, ticket: &Ticket, base_url: &str) -> Result<Vec<ImageLinks>> {
    // One look-up of the session's uploads (erased ones are simply missing), not one per image.
    let uploads = if ticket.images.is_empty() {
        Vec::new()
    } else {
        app.backend().uploads.list_for_session(&ticket.session_id, app.now_ms()).await?
    };
    let mut out = Vec::with_capacity(ticket.images.len());
    for image in &ticket.images {
        let links = match uploads.iter().find(|u| u.id.as_str() == image.upload_id) {
            Some(u) => crate::services::files::links(app, u, base_url).await?,
            None => None,
        };
        out.push(ImageLinks { upload_id: image.upload_id.clone(), links });
    }
    Ok(out)
}

/// A technician marks the ticket resolved (with an optional note, masked). The first
/// resolution stays; it is counted with the time the ticket was open.
pub async fn resolve(app: &App, raw_id: &str, token: Option<&str>, note: Option<&str>) -> Result<Ticket> {
    let ticket = authorised(app, raw_id, token).await?;
    if ticket.status == TicketStatus::Resolved {
        return Ok(ticket);
    }
    let now = app.now_ms();
    let resolution = Resolution { at: now, note: note.map(mask_pii).filter(|n| !n.is_empty()) };
    let after = app.backend().tickets.resolve(&ticket.id, &resolution).await?.ok_or(Error::TicketNotFound)?;
    if after.resolution.as_ref().is_some_and(|r| r.at == now) {
        let open_ms = now - after.created_at;
        let resolved = [(Counter::TicketsResolved.key(), 1), (Counter::TicketResolutionMsTotal.key(), open_ms)];
        app.count_event(now, &resolved).await;
        let message = format!("ticket {} resolved after {} min", after.id, open_ms / 60_000);
        let about = LogSubject::session(after.session_id.as_str());
        app.log_event(LogLevel::Info, "ticket.resolved", about, &message).await;
    }
    Ok(after)
}

/// The ticket `raw_id` for a holder of its access token. Unknown ticket, malformed id,
/// missing or wrong token: the same answer, so links cannot be probed.
pub async fn view(app: &App, raw_id: &str, token: Option<&str>, base_url: &str) -> Result<TicketView> {
    let ticket = authorised(app, raw_id, token).await?;
    let links = links_for(&ticket, base_url, whatsapp_number(app).await?.as_deref());
    let images = image_links(app, &ticket, base_url).await?;
    Ok(TicketView { ticket, links, images })
}
