//! `GET /api/ticket/{ticketId}?t=…`: the technician's view of a ticket, JSON or HTML.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use maud::{PreEscaped, html};

use crate::app::App;
use crate::chat::{Attempt, Locale, Outcome, kb};
use crate::http::extract::{Path, Query, header_str};
use crate::http::{ApiResult, BaseUrl, HTML_CSP, Routes};
use crate::ids::TicketId;
use crate::images::ImageHint;
use crate::ports::{Role, Ticket, TicketImage};
use crate::services::session_data::TranscriptLine;
use crate::services::tickets::{self, TicketView};
use crate::time::rfc3339;

pub fn routes() -> Routes {
    Routes::new().route("/api/ticket/{ticket_id}", get(view_ticket))
}

#[derive(Deserialize)]
struct TicketQuery {
    t: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TicketJson {
    ticket_id: TicketId,
    created_at: String,
    expires_at: String,
    locale: &'static str,
    name: Option<String>,
    category: Option<String>,
    category_title: Option<String>,
    summary: Option<String>,
    steps_tried: Vec<Attempt>,
    images: Vec<TicketImage>,
    transcript: Vec<TranscriptLine>,
    /// Earlier messages not in `transcript` (the session export has them all).
    transcript_omitted: u32,
    whatsapp_url: String,
    /// Whether the support team's webhook got it: off, pending, delivered or failed.
    notification: &'static str,
}

impl From<TicketView> for TicketJson {
    fn from(view: TicketView) -> TicketJson {
        let t = view.ticket;
        TicketJson {
            created_at: rfc3339(t.created_at),
            expires_at: rfc3339(t.expires_at),
            locale: t.locale.as_str(),
            transcript: t.transcript.iter().map(TranscriptLine::from).collect(),
            transcript_omitted: t.transcript_omitted,
            ticket_id: t.id,
            name: t.name,
            category: t.category,
            category_title: t.category_title,
            summary: t.summary,
            steps_tried: t.attempts,
            images: t.images,
            whatsapp_url: view.links.whatsapp_url,
            notification: t.notification.state.as_str(),
        }
    }
}

/// How a round of steps ended, in the technician's words.
fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pending => "sin respuesta todavía",
        Outcome::Solved => "solucionado",
        Outcome::NotSolved => "no se solucionó",
        Outcome::Escalated => "derivado a un técnico",
    }
}

/// What the image analysis noticed, in the technician's words.
fn hint_label(hint: ImageHint) -> &'static str {
    match hint {
        ImageHint::TooDark => "muy oscura",
        ImageHint::TooBright => "muy clara",
        ImageHint::Blurry => "borrosa",
        ImageHint::TooSmall => "muy chica",
    }
}

/// A category key as its knowledge-base title (the key itself for one no longer known).
fn category_label(key: &str) -> &str {
    kb::category(key).map(|c| c.title(Locale::Es)).unwrap_or(key)
}

const TICKET_STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}\
    .visitante{background:#eef5ff;padding:.5rem}.bot{background:#f4f4f4;padding:.5rem}small{color:#666}";

/// The ticket as a page; maud escapes every value written into it.
fn ticket_html(ticket: &Ticket) -> String {
    let or_dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "—".to_owned());
    let page = html! {
        (PreEscaped("<!doctype html>"))
        html lang="es" {
            head {
                meta charset="utf-8";
                meta name="robots" content="noindex";
                meta name="viewport" content="width=device-width";
                title { "Ticket " (ticket.id.as_str()) }
                style { (PreEscaped(TICKET_STYLE)) }
            }
            body {
                h1 { "Ticket " (ticket.id.as_str()) }
                p {
                    b { "Creado:" } " " (rfc3339(ticket.created_at)) br;
                    b { "Nombre:" } " " (or_dash(&ticket.name)) br;
                    b { "Problema:" } " " (or_dash(&ticket.category_title)) br;
                    b { "Resumen:" } " " (or_dash(&ticket.summary))
                }
                h2 { "Pasos probados" }
                @for attempt in &ticket.attempts {
                    h3 { (category_label(&attempt.category)) " · ronda " (attempt.round) " · " (outcome_label(attempt.outcome)) }
                    ol { @for step in &attempt.steps { li { (step.as_ref()) } } }
                }
                h2 { "Imágenes" }
                ul {
                    @for image in &ticket.images {
                        @let a = &image.analysis;
                        li {
                            (a.format) " " (a.width) "×" (a.height) " · " (a.bytes) " bytes · nitidez " (a.blur_score)
                            " · brillo " (a.brightness)
                            @if let Some(hint) = a.hint { " · " (hint_label(hint)) }
                        }
                    }
                }
                h2 { "Conversación (datos personales enmascarados)" }
                @if ticket.transcript_omitted > 0 {
                    p { small { (ticket.transcript_omitted) " mensajes anteriores no se muestran aquí." } }
                }
                @for line in &ticket.transcript {
                    @let who = if line.role == Role::Visitor { "visitante" } else { "bot" };
                    p class=(who) {
                        b { (who) } " " small { (rfc3339(line.at)) } br;
                        @for (n, text) in line.text.split('\n').enumerate() {
                            @if n > 0 { br; }
                            (text)
                        }
                    }
                }
            }
        }
    };
    page.into_string()
}

fn wants_html(headers: &HeaderMap) -> bool {
    header_str(headers, header::ACCEPT.as_str()).is_some_and(|a| a.contains("text/html"))
}

async fn view_ticket(
    State(app): State<App>,
    Path(raw_id): Path<String>,
    Query(query): Query<TicketQuery>,
    BaseUrl(base_url): BaseUrl,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let view = tickets::view(&app, &raw_id, query.t.as_deref(), &base_url).await?;
    if !wants_html(&headers) {
        return Ok(Json(TicketJson::from(view)).into_response());
    }
    let mut response = (StatusCode::OK, ticket_html(&view.ticket)).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert("content-security-policy", HeaderValue::from_static(HTML_CSP));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::TranscriptEntry;

    fn ticket(name: &str, text: &str) -> Ticket {
        let id = TicketId::parse("STI-20261205-ABCDEF").unwrap_or_else(|e| panic!("{e}"));
        let session = crate::ids::SessionId::generate().unwrap_or_else(|e| panic!("{e}"));
        let attempt = Attempt {
            category: "printer".into(),
            round: 1,
            steps: vec!["Revisá que tenga papel".into()],
            outcome: Outcome::NotSolved,
        };
        Ticket {
            id,
            access_token: "0".repeat(32),
            session_id: session,
            case_no: 1,
            created_at: 0,
            expires_at: 0,
            locale: Locale::Es,
            name: Some(name.to_owned()),
            category: Some("printer".into()),
            category_title: Some("La impresora no imprime".to_owned()),
            summary: None,
            attempts: vec![attempt],
            images: Vec::new(),
            transcript: vec![TranscriptEntry { seq: 1, at: 0, role: Role::Visitor, text: text.to_owned() }],
            transcript_omitted: 0,
            whatsapp_url: String::new(),
            notification: Default::default(),
            status: Default::default(),
            resolution: None,
        }
    }

    #[test]
    fn every_value_is_escaped() {
        let page = ticket_html(&ticket("<script>alert('x')</script>", "a & b\n<img src=x onerror=alert(1)>"));
        assert!(!page.contains("<script>alert") && !page.contains("<img src=x"), "{page}");
        assert!(page.contains("&lt;script&gt;") && page.contains("a &amp; b<br>&lt;img"), "{page}");
    }

    #[test]
    fn a_person_reads_words_not_debug_names() {
        let page = ticket_html(&ticket("Ana", "hola"));
        assert!(page.contains("ronda 1 · no se solucionó"), "{page}");
        assert!(page.contains("La impresora no imprime"), "{page}");
        for debug_name in ["NotSolved", "printer ·", "Some(", "None"] {
            assert!(!page.contains(debug_name), "{debug_name} in {page}");
        }
    }
}
