use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::json_response;
use crate::http::extract::{JsonBody, header_str, session_id};
use crate::http::{ApiError, ApiResult, AppState, HTML_CSP, RequestId};
use crate::ids::{TicketId, is_access_token};
use crate::ports::{Role, Ticket};
use crate::services::tickets::{base_url, links_for};
use crate::services::turns::ticket_turn;
use crate::time::{now_ms, rfc3339};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketRequest {
    session_id: Option<String>,
}

pub async fn whatsapp_ticket(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<TicketRequest>,
) -> ApiResult<Response> {
    let id = session_id(req.session_id.as_deref(), "sessionId")?;
    let base = base_url(&state, &headers);
    let (links, created) = ticket_turn(&state, &id, &base, &request_id).await?;
    let mut body = serde_json::to_value(&links).map_err(|e| ApiError::internal(e.to_string()))?;
    body["created"] = json!(created);
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(json_response(status, body.to_string()))
}

#[derive(Deserialize)]
pub struct TicketQuery {
    t: Option<String>,
}

fn ticket_json(ticket: &Ticket, whatsapp_url: &str) -> serde_json::Value {
    json!({
        "ticketId": ticket.id,
        "createdAt": rfc3339(ticket.created_at),
        "expiresAt": rfc3339(ticket.expires_at),
        "locale": ticket.locale.as_str(),
        "name": ticket.name,
        "category": ticket.category,
        "categoryTitle": ticket.category_title,
        "summary": ticket.summary,
        "stepsTried": ticket.attempts,
        "images": ticket.images,
        "transcript": ticket.transcript.iter().map(|e| json!({"at": rfc3339(e.at), "from": e.role, "text": e.text})).collect::<Vec<_>>(),
        "whatsappUrl": whatsapp_url,
    })
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
            let items: String = a.steps.iter().map(|s| format!("<li>{}</li>", e(s))).collect();
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
         <h2>Conversación (datos personales enmascarados)</h2>{transcript}</body></html>",
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

pub async fn view_ticket(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    Query(query): Query<TicketQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    // Unknown ticket, missing or wrong token: the same answer, so links cannot be probed.
    let not_found = || ApiError::not_found("ticket_not_found", "no such ticket, or the link is incomplete");
    let id = TicketId::parse(&raw_id).map_err(|_| not_found())?;
    let token = query.t.filter(|t| is_access_token(t)).ok_or_else(not_found)?;
    let ticket = state.backend().tickets.get(&id, now_ms()).await?.ok_or_else(not_found)?;
    if !crate::ports::Secret::new(ticket.access_token.clone()).matches(&token) {
        return Err(not_found());
    }
    if wants_html(&headers) {
        let mut response = (StatusCode::OK, ticket_html(&ticket)).into_response();
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        h.insert("content-security-policy", HeaderValue::from_static(HTML_CSP));
        return Ok(response);
    }
    let number =
        state.backend().secrets.load().await?.whatsapp_number.or_else(|| state.config().whatsapp_number.clone());
    let links = links_for(&ticket, &base_url(&state, &headers), number.as_deref());
    Ok(json_response(StatusCode::OK, ticket_json(&ticket, &links.whatsapp_url).to_string()))
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
