//! Telling the support team that a ticket exists: a signed webhook (or a Slack message)
//! sent from the ticket's outbox entry — written in the same commit as the ticket — at
//! least once, retried with doubling waits until a deadline. What is decided here is pure;
//! [`deliver`] does the sending.

#[cfg(feature = "webhooks")]
pub mod deliver;

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::config::{Config, WebhookConfig, WebhookFormat};
use crate::ports::{Notification, NotifyState, Ticket};
use crate::time::{HOUR_MS, ms, rfc3339};

/// The longest wait between two attempts.
const MAX_BACKOFF_MS: i64 = HOUR_MS;

/// The outbox entry a new ticket is written with: due now when a webhook or a tickets topic
/// is configured.
pub fn outbox_entry(config: &Config, base_url: &str, now: i64) -> Notification {
    let w = &config.webhook;
    let state = if w.url.is_some() || w.topic_arn.is_some() { NotifyState::Pending } else { NotifyState::Off };
    Notification { state, next_at: now, base_url: base_url.to_owned(), ..Notification::default() }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Payload<'a> {
    ticket_id: &'a str,
    created_at: String,
    category: Option<&'a str>,
    category_title: Option<&'a str>,
    summary: Option<&'a str>,
    ticket_url: String,
    images: Vec<PayloadImage<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PayloadImage<'a> {
    upload_id: &'a str,
    width: u32,
    height: u32,
    hint: Option<crate::images::ImageHint>,
    description: Option<&'a str>,
}

#[derive(Serialize)]
struct SlackMessage {
    text: String,
}

/// The link a technician opens (the visitor's origin, the ticket's token).
pub fn link(ticket: &Ticket) -> String {
    ticket.url(&ticket.notification.base_url)
}

/// The request body: the ticket's masked facts and its link, never the transcript.
pub fn body(ticket: &Ticket, format: WebhookFormat) -> String {
    let url = link(ticket);
    let encoded = match format {
        WebhookFormat::Json => serde_json::to_string(&Payload {
            ticket_id: ticket.id.as_str(),
            created_at: rfc3339(ticket.created_at),
            category: ticket.category.as_deref(),
            category_title: ticket.category_title.as_deref(),
            summary: ticket.summary.as_deref(),
            ticket_url: url,
            images: ticket
                .images
                .iter()
                .map(|i| PayloadImage {
                    upload_id: &i.upload_id,
                    width: i.analysis.width,
                    height: i.analysis.height,
                    hint: i.analysis.hint,
                    description: i.analysis.description.as_deref(),
                })
                .collect(),
        }),
        WebhookFormat::Slack => {
            let what = ticket.category_title.as_deref().map(crate::text::capitalize_first).unwrap_or_default();
            let summary = ticket.summary.as_deref().map(|s| format!("\n> {s}")).unwrap_or_default();
            let images = match ticket.images.len() {
                0 => String::new(),
                n => format!(" · {n} imagen(es)"),
            };
            serde_json::to_string(&SlackMessage {
                text: format!("🎫 Nuevo ticket *{}* — {what}{images}{summary}\n<{url}|Abrir el ticket>", ticket.id),
            })
        }
    };
    // Plain strings and numbers: encoding cannot fail.
    encoded.unwrap_or_default()
}

/// `sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<body>"), what `X-STI-Signature` carries.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("sha256={}", crate::ids::hex(&mac.finalize().into_bytes()))
}

/// One id per ticket, the same on every retry: receivers de-duplicate on it.
pub fn delivery_id(ticket: &Ticket) -> String {
    format!("{}-{}", ticket.id, &crate::ids::token_hash(&ticket.access_token)[..12])
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// A 2xx answer.
    Delivered,
    /// An answer that will not change (4xx other than 408 and 429).
    Refused(u16),
    /// Worth trying again: no connection, a timeout, 408, 429, 5xx.
    Transient(String),
}

impl Attempt {
    pub fn from_status(status: u16) -> Attempt {
        match status {
            200..=299 => Attempt::Delivered,
            408 | 429 => Attempt::Transient(format!("HTTP {status}")),
            400..=499 => Attempt::Refused(status),
            _ => Attempt::Transient(format!("HTTP {status}")),
        }
    }
}

/// The outbox entry after an attempt at `now`: delivered, failed for good, or due again
/// after a wait that doubles from `backoff` (at most an hour) — failed once the next try
/// would fall past the deadline counted from the ticket's creation.
pub fn after_attempt(
    previous: &Notification,
    created_at: i64,
    attempt: &Attempt,
    now: i64,
    policy: &WebhookConfig,
) -> Notification {
    let attempts = previous.attempts + 1;
    let mut next = Notification { attempts, ..previous.clone() };
    match attempt {
        Attempt::Delivered => {
            next.state = NotifyState::Delivered;
            next.delivered_at = Some(now);
            next.last_error = None;
        }
        Attempt::Refused(status) => {
            next.state = NotifyState::Failed;
            next.last_error = Some(format!("HTTP {status} (not retried)"));
        }
        Attempt::Transient(error) => {
            let wait = ms(policy.backoff).saturating_mul(1 << (attempts - 1).min(20)).min(MAX_BACKOFF_MS);
            next.last_error = Some(error.clone());
            next.next_at = now + wait;
            if next.next_at > created_at + ms(policy.deadline) {
                next.state = NotifyState::Failed;
            }
        }
    }
    next
}

#[cfg(test)]
mod tests;
