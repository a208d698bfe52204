//! `GET /api/ticket/{ticketId}?t=…`: the technician's view of a ticket, JSON or HTML
//! (`ticket_page`); `POST /api/ticket/{ticketId}/resolve?t=…`: marking it resolved, from
//! the page's form or as JSON.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::chat::Attempt;
use crate::http::extract::{Path, Query, header_str};
use crate::http::{ApiError, ApiResult, BaseUrl, ErrorCode, Routes};
use crate::ids::TicketId;
use crate::ports::{Resolution, TicketImage};
use crate::services::session_data::TranscriptLine;
use crate::services::tickets::{self, MAX_NOTE_CHARS, TicketView};

use super::ticket_page::{self, PageContext};
use crate::time::rfc3339;

pub fn routes() -> Routes {
    Routes::new()
        .route("/api/ticket/{ticket_id}", get(view_ticket))
        .route("/api/ticket/{ticket_id}/resolve", post(resolve_ticket))
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
    status: &'static str,
    resolution: Option<ResolutionJson>,
    /// Ten-minute links to each image's thumbnail and sanitised copy (absent once erased).
    image_links: Vec<ImageLinkJson>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResolutionJson {
    resolved_at: String,
    note: Option<String>,
}

impl From<&Resolution> for ResolutionJson {
    fn from(r: &Resolution) -> ResolutionJson {
        ResolutionJson { resolved_at: rfc3339(r.at), note: r.note.clone() }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageLinkJson {
    upload_id: String,
    thumbnail_url: Option<String>,
    image_url: Option<String>,
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
            status: t.status.as_str(),
            resolution: t.resolution.as_ref().map(ResolutionJson::from),
            image_links: view
                .images
                .into_iter()
                .map(|i| {
                    let (thumbnail_url, image_url) = i.links.map_or((None, None), |(t, f)| (Some(t), Some(f)));
                    ImageLinkJson { upload_id: i.upload_id, thumbnail_url, image_url }
                })
                .collect(),
        }
    }
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
    let token = query.t.as_deref().unwrap_or_default();
    let resolve_action = format!("/api/ticket/{}/resolve?t={token}", view.ticket.id);
    let cx = PageContext {
        images: &view.images,
        link: &view.links.ticket_url,
        resolve_action: &resolve_action,
        time_zone: &app.config().ticket_time_zone,
    };
    let mut response = (StatusCode::OK, ticket_page::page(&view.ticket, &cx)).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    if let Ok(csp) = HeaderValue::from_str(&ticket_page::csp(&view.images)) {
        h.insert("content-security-policy", csp);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Deserialize)]
struct ResolveForm {
    note: Option<String>,
}

/// The page's form (then back to the page, 303) or any client (JSON answer).
async fn resolve_ticket(
    State(app): State<App>,
    Path(raw_id): Path<String>,
    Query(query): Query<TicketQuery>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<ResolveForm>,
) -> ApiResult<Response> {
    let note = form.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if let Some(chars) = note.map(|n| n.chars().count())
        && chars > MAX_NOTE_CHARS
    {
        return Err(ApiError::new(
            ErrorCode::MessageTooLong,
            format!("the note has {chars} characters; the limit is {MAX_NOTE_CHARS}"),
        ));
    }
    let ticket = tickets::resolve(&app, &raw_id, query.t.as_deref(), note).await?;
    if wants_html(&headers) {
        let back = format!("/api/ticket/{}?t={}", ticket.id, query.t.as_deref().unwrap_or_default());
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(location) = HeaderValue::from_str(&back) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        return Ok(response);
    }
    let resolution = ticket.resolution.as_ref().map(ResolutionJson::from);
    Ok(Json(serde_json::json!({ "ticketId": ticket.id, "status": ticket.status.as_str(), "resolution": resolution }))
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Locale, Outcome};
    use crate::ports::{Role, Ticket, TranscriptEntry};

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

    fn context<'a>(images: &'a [tickets::ImageLinks]) -> PageContext<'a> {
        PageContext {
            images,
            link: "https://chat.example.com/api/ticket/x?t=y",
            resolve_action: "/r",
            time_zone: "America/Argentina/Buenos_Aires",
        }
    }

    #[test]
    fn every_value_is_escaped() {
        let page = ticket_page::page(
            &ticket("<script>alert('x')</script>", "a & b\n<img src=x onerror=alert(1)>"),
            &context(&[]),
        );
        assert!(!page.contains("<script>alert") && !page.contains("<img src=x"), "{page}");
        assert!(page.contains("&lt;script&gt;") && page.contains("a &amp; b") && page.contains("&lt;img"), "{page}");
    }

    #[test]
    fn a_person_reads_words_not_debug_names_and_local_times() {
        let page = ticket_page::page(&ticket("Ana", "hola"), &context(&[]));
        assert!(page.contains("Ronda 1: no se solucionó"), "{page}");
        assert!(page.contains("La impresora no imprime"), "{page}");
        assert!(page.contains("31/12/1969 21:00"), "times in Buenos Aires: {page}");
        assert!(page.contains("Marcar como resuelto") && page.contains("method=\"post\""), "{page}");
        for debug_name in ["NotSolved", "printer ·", "Some(", "None", "T00:00"] {
            assert!(!page.contains(debug_name), "{debug_name} in {page}");
        }
    }

    #[test]
    fn images_are_shown_through_their_links_and_the_policy_allows_just_them() {
        let mut t = ticket("Ana", "hola");
        t.images = vec![TicketImage {
            upload_id: "upl-1".into(),
            analysis: crate::images::Analysis {
                format: "jpeg".into(),
                bytes: 9,
                width: 800,
                height: 600,
                blur_score: 1.0,
                brightness: 100.0,
                hint: Some(crate::images::ImageHint::Blurry),
                sanitized_bytes: 9,
                analysis_ms: 1,
                description: None,
                error_text: None,
            },
        }];
        let links = [tickets::ImageLinks {
            upload_id: "upl-1".into(),
            links: Some((
                "https://b.s3.amazonaws.com/thumbnails/x.jpg?X-Amz-Signature=1".into(),
                "https://b.s3.amazonaws.com/sanitized/x.jpg?s=2".into(),
            )),
        }];
        let page = ticket_page::page(&t, &context(&links));
        assert!(page.contains("src=\"https://b.s3.amazonaws.com/thumbnails/x.jpg?X-Amz-Signature=1\""), "{page}");
        assert!(page.contains("borrosa"), "{page}");
        let csp = ticket_page::csp(&links);
        assert!(
            csp.contains("img-src 'self' data: https://b.s3.amazonaws.com;") && csp.contains("script-src 'sha256-"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-eval") && csp.contains("form-action 'self'"), "{csp}");
        let gone = [tickets::ImageLinks { upload_id: "upl-1".into(), links: None }];
        assert!(ticket_page::page(&t, &context(&gone)).contains("Imagen borrada"));
    }
}
