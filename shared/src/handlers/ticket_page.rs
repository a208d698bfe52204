//! The ticket as a page for the technician who receives it: words, not field names, in
//! the ticket's language; times in the support team's zone; the screenshots themselves;
//! what was tried; the masked conversation; a summary to copy; and "mark as resolved",
//! a plain form (no script needed). Printable. maud escapes every value written into it.

use std::sync::LazyLock;

use base64::Engine;
use maud::{Markup, PreEscaped, html};
use sha2::{Digest, Sha256};

use crate::chat::{Locale, Outcome, kb};
use crate::images::ImageHint;
use crate::ports::{NotifyState, Role, Ticket, TicketStatus};
use crate::services::tickets::ImageLinks;
use crate::time::local_datetime;

/// Every word of the page, in one language.
struct Labels {
    lang: &'static str,
    ticket: &'static str,
    created: &'static str,
    status: &'static str,
    open: &'static str,
    resolved: &'static str,
    name: &'static str,
    problem: &'static str,
    summary: &'static str,
    tried: &'static str,
    round: &'static str,
    nothing_tried: &'static str,
    images: &'static str,
    no_images: &'static str,
    full_size: &'static str,
    image_gone: &'static str,
    seen: &'static str,
    conversation: &'static str,
    omitted: &'static str,
    visitor: &'static str,
    bot: &'static str,
    notified: &'static str,
    copy: &'static str,
    copied: &'static str,
    resolve: &'static str,
    note: &'static str,
    resolved_on: &'static str,
    times_in: &'static str,
}

const ES: Labels = Labels {
    lang: "es",
    ticket: "Ticket",
    created: "Creado",
    status: "Estado",
    open: "Abierto",
    resolved: "Resuelto",
    name: "Nombre",
    problem: "Problema",
    summary: "Resumen",
    tried: "Pasos que ya probó",
    round: "Ronda",
    nothing_tried: "Todavía no probó pasos.",
    images: "Imágenes",
    no_images: "No mandó imágenes.",
    full_size: "Ver en tamaño completo",
    image_gone: "Imagen borrada (el visitante borró sus datos o venció)",
    seen: "Se ve",
    conversation: "Conversación (con los datos personales enmascarados)",
    omitted: "mensajes anteriores no se muestran.",
    visitor: "Visitante",
    bot: "Asistente",
    notified: "Aviso al equipo",
    copy: "Copiar resumen",
    copied: "Copiado",
    resolve: "Marcar como resuelto",
    note: "Nota (opcional)",
    resolved_on: "Resuelto el",
    times_in: "Horarios de",
};

const EN: Labels = Labels {
    lang: "en",
    ticket: "Ticket",
    created: "Created",
    status: "Status",
    open: "Open",
    resolved: "Resolved",
    name: "Name",
    problem: "Problem",
    summary: "Summary",
    tried: "Steps already tried",
    round: "Round",
    nothing_tried: "No steps tried yet.",
    images: "Images",
    no_images: "No images sent.",
    full_size: "Full size",
    image_gone: "Image erased (the visitor erased their data, or it expired)",
    seen: "Shows",
    conversation: "Conversation (personal data masked)",
    omitted: "earlier messages are not shown.",
    visitor: "Visitor",
    bot: "Assistant",
    notified: "Team notified",
    copy: "Copy summary",
    copied: "Copied",
    resolve: "Mark as resolved",
    note: "Note (optional)",
    resolved_on: "Resolved on",
    times_in: "Times in",
};

fn labels(locale: Locale) -> &'static Labels {
    match locale {
        Locale::Es => &ES,
        Locale::En => &EN,
    }
}

/// How a round of steps ended, in the technician's words.
fn outcome_label(locale: Locale, outcome: Outcome) -> &'static str {
    match (locale, outcome) {
        (Locale::Es, Outcome::Pending) => "sin respuesta todavía",
        (Locale::Es, Outcome::Solved) => "se solucionó",
        (Locale::Es, Outcome::NotSolved) => "no se solucionó",
        (Locale::Es, Outcome::Escalated) => "pidió un técnico",
        (Locale::En, Outcome::Pending) => "no answer yet",
        (Locale::En, Outcome::Solved) => "solved",
        (Locale::En, Outcome::NotSolved) => "not solved",
        (Locale::En, Outcome::Escalated) => "asked for a technician",
    }
}

/// What the image analysis noticed, in the technician's words.
fn hint_label(locale: Locale, hint: ImageHint) -> &'static str {
    match (locale, hint) {
        (Locale::Es, ImageHint::TooDark) => "muy oscura",
        (Locale::Es, ImageHint::TooBright) => "muy clara o con reflejos",
        (Locale::Es, ImageHint::Blurry) => "borrosa",
        (Locale::Es, ImageHint::TooSmall) => "muy chica",
        (Locale::En, ImageHint::TooDark) => "very dark",
        (Locale::En, ImageHint::TooBright) => "washed out or glaring",
        (Locale::En, ImageHint::Blurry) => "blurry",
        (Locale::En, ImageHint::TooSmall) => "too small",
    }
}

fn notified_label(locale: Locale, state: NotifyState) -> &'static str {
    match (locale, state) {
        (Locale::Es, NotifyState::Off) => "sin aviso configurado",
        (Locale::Es, NotifyState::Pending) => "pendiente",
        (Locale::Es, NotifyState::Delivered) => "entregado",
        (Locale::Es, NotifyState::Failed) => "falló",
        (Locale::En, NotifyState::Off) => "no notification configured",
        (Locale::En, NotifyState::Pending) => "pending",
        (Locale::En, NotifyState::Delivered) => "delivered",
        (Locale::En, NotifyState::Failed) => "failed",
    }
}

/// A category key as its human title in `locale` (the key itself for one no longer known).
fn category_title(key: &str, locale: Locale) -> String {
    kb::category(key).map(|c| crate::text::capitalize_first(c.title(locale))).unwrap_or_else(|| key.to_owned())
}

/// The summary a technician pastes elsewhere: plain text, masked like the ticket.
pub fn plain_summary(ticket: &Ticket, link: &str) -> String {
    let l = labels(ticket.locale);
    let dash = || "—".to_owned();
    let mut out = format!("{} {}\n", l.ticket, ticket.id);
    out.push_str(&format!("{}: {}\n", l.name, ticket.name.clone().unwrap_or_else(dash)));
    let problem = ticket.category.as_deref().map(|c| category_title(c, ticket.locale));
    out.push_str(&format!("{}: {}\n", l.problem, problem.unwrap_or_else(dash)));
    out.push_str(&format!("{}: {}\n", l.summary, ticket.summary.clone().unwrap_or_else(dash)));
    for a in &ticket.attempts {
        out.push_str(&format!(
            "{} {} ({}): {}\n",
            l.round,
            a.round,
            outcome_label(ticket.locale, a.outcome),
            a.steps.iter().map(|s| s.as_ref()).collect::<Vec<_>>().join(" / ")
        ));
    }
    out.push_str(&format!("{}: {}\n{link}\n", l.images, ticket.images.len()));
    out
}

/// The page's one script: the copy button (allowed by its hash, nothing else runs).
const COPY_SCRIPT: &str = "document.getElementById('copy').addEventListener('click',function(){var b=this;\
navigator.clipboard.writeText(document.getElementById('summary-text').value).then(function(){b.textContent=b.dataset.done})})";

/// `'sha256-…'` of [`COPY_SCRIPT`], for the page's Content-Security-Policy.
pub static COPY_SCRIPT_HASH: LazyLock<String> = LazyLock::new(|| {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(COPY_SCRIPT.as_bytes())))
});

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:1.5rem auto;padding:0 1rem;color:#1b1f24}\
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.2rem;margin-top:1.6rem;border-bottom:1px solid #c9d1db}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}\
.status{display:inline-block;padding:.1rem .6rem;border-radius:1rem;font-weight:600}\
.open{background:#fff4d6;color:#6b4a00}.resolved{background:#dff3e4;color:#0a5c2c}\
.msg{padding:.5rem .8rem;border-radius:.6rem;margin:.4rem 0}.visitor{background:#e8f0fb}.bot{background:#f2f4f7}\
.who{font-weight:600}.when{color:#4a5563;font-size:.9rem}figure{margin:.6rem 0}figure img{max-width:100%;border:1px solid #c9d1db;border-radius:.4rem}\
textarea{width:100%;font:inherit}button{font:inherit;padding:.5rem 1rem;border-radius:.5rem;border:2px solid #0b5cad;background:#0b5cad;color:#fff;cursor:pointer}\
button.secondary{background:#fff;color:#0b5cad}a{color:#0b5cad}.muted{color:#4a5563}\
@media print{form,button,.noprint{display:none}body{margin:0}}";

/// Everything the page shows besides the ticket itself.
pub struct PageContext<'a> {
    pub images: &'a [ImageLinks],
    /// The ticket's own link (with its token), as the summary quotes it.
    pub link: &'a str,
    /// Where the resolve form posts (with the token).
    pub resolve_action: &'a str,
    pub time_zone: &'a str,
}

fn transcript(ticket: &Ticket, l: &Labels, zone: &str) -> Markup {
    html! {
        @for line in &ticket.transcript {
            @let (class, who) = if line.role == Role::Visitor { ("msg visitor", l.visitor) } else { ("msg bot", l.bot) };
            div class=(class) {
                span class="who" { (who) } " " span class="when" { (local_datetime(line.at, zone)) }
                @for text in line.text.split('\n').filter(|t| !t.trim().is_empty()) {
                    p { (text) }
                }
            }
        }
    }
}

pub fn page(ticket: &Ticket, cx: &PageContext<'_>) -> String {
    let l = labels(ticket.locale);
    let loc = ticket.locale;
    let zone = cx.time_zone;
    let dash = || "—".to_owned();
    let problem = ticket.category.as_deref().map(|c| category_title(c, loc)).unwrap_or_else(dash);
    let resolved = ticket.status == TicketStatus::Resolved;
    let page = html! {
        (PreEscaped("<!doctype html>"))
        html lang=(l.lang) {
            head {
                meta charset="utf-8";
                meta name="robots" content="noindex";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // No favicon request to a server that has none.
                link rel="icon" href="data:,";
                title { (l.ticket) " " (ticket.id.as_str()) " · " (problem) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    h1 { (l.ticket) " " (ticket.id.as_str()) }
                    p {
                        span class={ "status " (if resolved { "resolved" } else { "open" }) } {
                            (l.status) ": " (if resolved { l.resolved } else { l.open })
                        }
                        @if let Some(r) = &ticket.resolution {
                            " " span class="muted" { (l.resolved_on) " " (local_datetime(r.at, zone)) }
                        }
                    }
                    @if let Some(note) = ticket.resolution.as_ref().and_then(|r| r.note.as_deref()) {
                        p { "📝 " (note) }
                    }
                    dl {
                        dt { (l.created) } dd { (local_datetime(ticket.created_at, zone)) }
                        dt { (l.name) } dd { (ticket.name.clone().unwrap_or_else(dash)) }
                        dt { (l.problem) } dd { (problem) }
                        dt { (l.summary) } dd { (ticket.summary.clone().unwrap_or_else(dash)) }
                        dt { (l.notified) } dd { (notified_label(loc, ticket.notification.state)) }
                    }
                    p class="muted" { small { (l.times_in) " " (zone) "." } }

                    h2 { (l.images) }
                    @if cx.images.is_empty() { p class="muted" { (l.no_images) } }
                    @for (image, links) in ticket.images.iter().zip(cx.images) {
                        @let a = &image.analysis;
                        figure {
                            @match &links.links {
                                Some((thumbnail, full)) => {
                                    a href=(full) {
                                        img src=(thumbnail) alt={ (l.images) " " (image.upload_id) " (" (a.width) "×" (a.height) ")" };
                                    }
                                    figcaption {
                                        (a.width) "×" (a.height)
                                        @if let Some(hint) = a.hint { " · " (hint_label(loc, hint)) }
                                        @if let Some(seen) = &a.description { " · " (l.seen) ": " (seen) }
                                        " · " a href=(full) { (l.full_size) }
                                    }
                                }
                                None => { p class="muted" { (l.image_gone) } }
                            }
                        }
                    }

                    h2 { (l.tried) }
                    @if ticket.attempts.is_empty() { p class="muted" { (l.nothing_tried) } }
                    @for attempt in &ticket.attempts {
                        h3 { (category_title(&attempt.category, loc)) " — " (l.round) " " (attempt.round) ": " (outcome_label(loc, attempt.outcome)) }
                        ol { @for step in &attempt.steps { li { (step.as_ref()) } } }
                    }

                    h2 { (l.summary) }
                    textarea id="summary-text" rows="7" readonly aria-label=(l.summary) { (plain_summary(ticket, cx.link)) }
                    p class="noprint" {
                        button id="copy" type="button" class="secondary" data-done=(l.copied) { (l.copy) }
                    }

                    @if !resolved {
                        form method="post" action=(cx.resolve_action) {
                            h2 { (l.resolve) }
                            label for="note" { (l.note) }
                            textarea id="note" name="note" rows="3" maxlength="1000" {}
                            p { button type="submit" { (l.resolve) } }
                        }
                    }

                    h2 { (l.conversation) }
                    @if ticket.transcript_omitted > 0 {
                        p class="muted" { (ticket.transcript_omitted) " " (l.omitted) }
                    }
                    (transcript(ticket, l, zone))
                }
                script { (PreEscaped(COPY_SCRIPT)) }
            }
        }
    };
    page.into_string()
}

/// The page's Content-Security-Policy: its own style and copy script, images from this
/// server and the image links' origins, a form back to this server; nothing else.
pub fn csp(images: &[ImageLinks]) -> String {
    let mut origins: Vec<String> = images
        .iter()
        .filter_map(|i| i.links.as_ref())
        .flat_map(|(a, b)| [a, b])
        .filter_map(|url| {
            let rest = url.split_once("://")?;
            let host = rest.1.split(['/', '?']).next()?;
            Some(format!("{}://{host}", rest.0))
        })
        .collect();
    origins.sort();
    origins.dedup();
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: {}; script-src {}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        origins.join(" "),
        *COPY_SCRIPT_HASH
    )
}
