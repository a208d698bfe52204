//! `GET /api/ticket/{ticketId}?t=…`: the technician's view of a ticket, JSON or HTML.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::chat::Attempt;
use crate::http::extract::{Path, Query, header_str};
use crate::http::{ApiResult, BaseUrl, HTML_CSP, Routes};
use crate::ids::TicketId;
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
        }
    }
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn ticket_html(ticket: &Ticket) -> String {
    let e = |s: &str| escape_html(s);
    let opt = |s: &Option<String>| s.as_deref().map(e).unwrap_or_else(|| "—".to_owned());
    let steps: String = ticket
        .attempts
        .iter()
        .map(|a| {
            let items: String = a.steps.iter().map(|s| format!("<li>{}</li>", e(s.as_ref()))).collect();
            format!("<h3>{} · ronda {} · {:?}</h3><ol>{items}</ol>", e(&a.category), a.round, a.outcome)
        })
        .collect();
    let images: String = ticket
        .images
        .iter()
        .map(|i| {
            let a = &i.analysis;
            format!(
                "<li>{} {}×{} · {} bytes · nitidez {} · brillo {}{}</li>",
                e(&a.format),
                a.width,
                a.height,
                a.bytes,
                a.blur_score,
                a.brightness,
                a.hint.map(|h| format!(" · {h:?}")).unwrap_or_default()
            )
        })
        .collect();
    let omitted = match ticket.transcript_omitted {
        0 => String::new(),
        n => format!("<p><small>{n} mensajes anteriores no se muestran aquí.</small></p>"),
    };
    let transcript: String = ticket
        .transcript
        .iter()
        .map(|m| {
            let who = if m.role == Role::Visitor { "visitante" } else { "bot" };
            format!(
                "<p class=\"{who}\"><b>{who}</b> <small>{}</small><br>{}</p>",
                rfc3339(m.at),
                e(&m.text).replace('\n', "<br>")
            )
        })
        .collect();
    format!(
        "<!doctype html><html lang=\"es\"><head><meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>Ticket {id}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}}\
         .visitante{{background:#eef5ff;padding:.5rem}}.bot{{background:#f4f4f4;padding:.5rem}}small{{color:#666}}</style></head>\
         <body><h1>Ticket {id}</h1><p><b>Creado:</b> {created}<br><b>Nombre:</b> {name}<br><b>Problema:</b> {title}<br>\
         <b>Resumen:</b> {summary}</p><h2>Pasos probados</h2>{steps}<h2>Imágenes</h2><ul>{images}</ul>\
         <h2>Conversación (datos personales enmascarados)</h2>{omitted}{transcript}</body></html>",
        id = e(ticket.id.as_str()),
        created = rfc3339(ticket.created_at),
        name = opt(&ticket.name),
        title = opt(&ticket.category_title),
        summary = opt(&ticket.summary),
    )
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
    use super::escape_html;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_html("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
