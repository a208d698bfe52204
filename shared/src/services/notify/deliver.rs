//! Sending the notifications that are due: one POST per ticket, its outcome written back
//! to the ticket's outbox entry, counted and logged.

use std::time::Duration;

use tokio::sync::watch;

use super::{Attempt, after_attempt, body, delivery_id, signature};
use crate::app::{App, LogSubject};
use crate::config::WebhookFormat;
use crate::counters::Counter;
use crate::ports::{LogLevel, NewTicket, Notification, NotifyState, StoreResult, Ticket, TicketAnnouncer};

/// Tickets taken per sweep.
const BATCH: usize = 32;
/// The longest a stream invocation waits for a ticket's next try to be due: the stream
/// redelivers a failed record at once, so the wait is what spaces the tries out.
const MAX_STREAM_WAIT: Duration = Duration::from_secs(60);

pub struct Deliverer {
    http: reqwest::Client,
}

impl Deliverer {
    pub fn new(timeout: Duration) -> Result<Deliverer, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5).min(timeout))
            .timeout(timeout)
            .user_agent(concat!("sti-chat-webhook/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Deliverer { http })
    }

    /// One POST of `ticket`'s notification to the configured webhook.
    pub async fn attempt(&self, app: &App, ticket: &Ticket) -> Attempt {
        let config = &app.config().webhook;
        let Some(url) = config.url.as_deref() else {
            // Only the topic was configured: publishing it was the whole announcement.
            return Attempt::Delivered;
        };
        let payload = body(ticket, config.format);
        let mut request = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("x-sti-delivery", delivery_id(ticket));
        if config.format == WebhookFormat::Json {
            let timestamp = app.now_ms() / 1_000;
            request = request.header("x-sti-timestamp", timestamp.to_string());
            match app.backend().secrets.load().await {
                Ok(secrets) => {
                    if let Some(secret) = secrets.webhook_secret {
                        request = request.header("x-sti-signature", signature(secret.expose(), timestamp, &payload));
                    }
                }
                Err(e) => return Attempt::Transient(format!("secrets unavailable: {e}")),
            }
        }
        match request.body(payload).send().await {
            Ok(response) => Attempt::from_status(response.status().as_u16()),
            Err(e) if e.is_timeout() => Attempt::Transient("timed out".into()),
            Err(e) if e.is_connect() => Attempt::Transient("connection failed".into()),
            Err(e) => Attempt::Transient(format!("request failed: {e}")),
        }
    }

    /// Attempts `ticket`'s notification — published to `topic` first, once — and records
    /// the outcome; returns the new entry.
    pub async fn deliver(
        &self,
        app: &App,
        ticket: &Ticket,
        topic: Option<&dyn TicketAnnouncer>,
    ) -> StoreResult<Notification> {
        let mut before = ticket.notification.clone();
        let attempt = match topic {
            Some(topic) if !before.announced => match topic.announce(ticket, &super::link(ticket)).await {
                Ok(()) => {
                    before.announced = true;
                    self.attempt(app, ticket).await
                }
                Err(e) => Attempt::Transient(format!("tickets topic: {e}")),
            },
            _ => self.attempt(app, ticket).await,
        };
        let next = after_attempt(&before, ticket.created_at, &attempt, app.now_ms(), &app.config().webhook);
        app.backend().tickets.save_notification(&ticket.id, &next).await?;
        let about = LogSubject::session(ticket.session_id.as_str());
        match next.state {
            NotifyState::Delivered => {
                app.count(&[(Counter::TicketsNotified, 1)]).await;
                let message = format!("ticket {} announced (attempt {})", ticket.id, next.attempts);
                app.log_event(LogLevel::Info, "ticket.notified", about, &message).await;
            }
            NotifyState::Failed => {
                app.count(&[(Counter::TicketNotificationsFailed, 1)]).await;
                let error = next.last_error.as_deref().unwrap_or("unknown");
                let message =
                    format!("ticket {} could not be announced after {} attempt(s): {error}", ticket.id, next.attempts);
                app.log_event(LogLevel::Error, "ticket.notify_failed", about, &message).await;
            }
            NotifyState::Pending | NotifyState::Off => {
                tracing::info!(ticket = %ticket.id, attempts = next.attempts, error = ?next.last_error, "ticket notification will be retried");
            }
        }
        Ok(next)
    }

    /// Delivers every notification due now (a batch at a time); returns how many were tried.
    pub async fn deliver_due(&self, app: &App) -> StoreResult<usize> {
        let due = app.backend().tickets.due_notifications(app.now_ms(), BATCH).await?;
        for ticket in &due {
            self.deliver(app, ticket, None).await?;
        }
        Ok(due.len())
    }

    /// New tickets from the table's stream, in order: each pending one is announced and
    /// delivered (from its stored state: a retried record may be older than it). Returns
    /// the first record that must come again (a transient failure), which stops the batch
    /// there so that later tickets keep their order; `None` when all are done.
    pub async fn handle_stream(
        &self,
        app: &App,
        records: &[NewTicket],
        topic: Option<&dyn TicketAnnouncer>,
    ) -> Option<String> {
        for record in records {
            let Some(id) = &record.ticket else { continue };
            let stored = match app.backend().tickets.get(id, app.now_ms()).await {
                Ok(Some(t)) if t.notification.state == NotifyState::Pending => t,
                Ok(_) => continue, // erased, delivered already, or nothing to send
                Err(e) => {
                    tracing::warn!(error = %e, ticket = %id, "cannot read the ticket to announce");
                    return Some(record.sequence.clone());
                }
            };
            let due_in = stored.notification.next_at - app.now_ms();
            if due_in > 0 {
                let wait = Duration::from_millis(u64::try_from(due_in).unwrap_or(0)).min(MAX_STREAM_WAIT);
                tokio::time::sleep(wait).await;
                if wait == MAX_STREAM_WAIT {
                    return Some(record.sequence.clone());
                }
            }
            match self.deliver(app, &stored, topic).await {
                Ok(n) if n.state == NotifyState::Pending => return Some(record.sequence.clone()),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, ticket = %id, "cannot record the ticket's notification");
                    return Some(record.sequence.clone());
                }
            }
        }
        None
    }
}

/// The local deliverer: sweeps the outbox every `every` until `shutdown` says so. On the
/// AWS backend the table's stream drives the `ticket-notifier` function instead (a sweep
/// there would scan the table every time), so this returns at once.
pub async fn run(app: App, every: Duration, mut shutdown: watch::Receiver<bool>) {
    if app.config().webhook.url.is_none() || app.config().backend != crate::config::BackendKind::Local {
        return;
    }
    let deliverer = match Deliverer::new(app.config().webhook.timeout) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "cannot set up the ticket webhook client; tickets will not be announced");
            return;
        }
    };
    while !*shutdown.borrow() {
        match deliverer.deliver_due(&app).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "ticket notifications: the store did not answer"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
}
