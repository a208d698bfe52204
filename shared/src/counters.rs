//! The shared counters behind `/api/metrics`: their names, and a writer that never fails
//! or stalls the request it counts for.

use std::sync::Arc;
use std::time::Duration;

use crate::ports::{Counters, DailyDelta};

macro_rules! counters {
    ($($variant:ident = $key:literal, $prometheus:literal, $help:literal;)+) => {
        /// A shared counter: its key in the store, and its Prometheus name and help.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Counter {
            $($variant,)+
        }

        impl Counter {
            pub const ALL: &[Counter] = &[$(Counter::$variant,)+];

            pub fn key(self) -> &'static str {
                match self {
                    $(Counter::$variant => $key,)+
                }
            }

            pub fn prometheus_name(self) -> &'static str {
                match self {
                    $(Counter::$variant => $prometheus,)+
                }
            }

            pub fn help(self) -> &'static str {
                match self {
                    $(Counter::$variant => $help,)+
                }
            }
        }
    };
}

counters! {
    OpenAiRequests = "openai.requests", "sti_openai_requests_total", "Calls made to the OpenAI-compatible API.";
    OpenAiFailures = "openai.failures", "sti_openai_failures_total", "Failed or timed-out OpenAI calls.";
    OpenAiLatencyMsTotal = "openai.latencyMsTotal", "sti_openai_latency_ms_total",
        "Milliseconds spent in OpenAI calls (for windowed averages).";
    UploadsTotal = "uploads.total", "sti_uploads_total", "Images accepted.";
    UploadUrlsIssued = "uploads.urlsIssued", "sti_upload_urls_issued_total", "Signed upload URLs handed out.";
    UploadsOrphaned = "uploads.orphaned", "sti_uploads_orphaned_total",
        "Stored objects that matched no live upload record, deleted by the worker.";
    UploadsProcessed = "uploads.processed", "sti_uploads_processed_total", "Images analysed.";
    UploadsFailed = "uploads.failed", "sti_uploads_failed_total", "Images that could not be processed.";
    UploadsAnalysisMsTotal = "uploads.analysisMsTotal", "sti_uploads_analysis_ms_total",
        "Milliseconds spent analysing images (for windowed averages).";
    ChatMessages = "chat.totalMessages", "sti_chat_messages_total", "Chat messages answered.";
    SessionsCreated = "sessions.created", "sti_sessions_created_total", "Sessions created.";
    SessionsErased = "sessions.erased", "sti_sessions_erased_total", "Sessions erased on request.";
    TicketsCreated = "tickets.created", "sti_tickets_created_total", "Tickets opened.";
    TicketsResolved = "tickets.resolved", "sti_tickets_resolved_total", "Tickets a technician marked resolved.";
    TicketResolutionMsTotal = "tickets.resolutionMsTotal", "sti_ticket_resolution_ms_total",
        "Milliseconds tickets were open before being resolved (for the average time to resolution).";
    TicketsNotified = "tickets.notified", "sti_tickets_notified_total", "Tickets announced to the support team's webhook.";
    TicketNotificationsFailed = "tickets.notifyFailed", "sti_ticket_notifications_failed_total",
        "Tickets whose announcement failed for good (refused, or not delivered within the deadline).";
    RateLimitRejected = "ratelimit.rejected", "sti_ratelimit_rejected_total", "Requests refused by rate limits.";
    Http5xx = "http.5xx", "sti_http_5xx_total", "Responses with a 5xx status.";
    FeedbackUp = "feedback.up", "sti_feedback_up_total", "Visitors who rated how their case ended as good.";
    FeedbackDown = "feedback.down", "sti_feedback_down_total", "Visitors who rated how their case ended as bad.";
}

/// The counter of one case outcome in one category, `outcomes.<category>.<outcome>`:
/// static names (a turn's counters ride in its commit), one per knowledge-base category
/// and outcome, made once.
pub fn outcome_key(category: &str, outcome: crate::chat::CaseOutcome) -> &'static str {
    use std::collections::HashMap;
    use std::sync::LazyLock;
    static KEYS: LazyLock<HashMap<(&'static str, &'static str), &'static str>> = LazyLock::new(|| {
        let categories = crate::chat::kb::categories().chain(std::iter::once(&crate::chat::kb::GENERAL));
        categories
            .flat_map(|c| crate::chat::CaseOutcome::ALL.map(|o| (c.id, o.as_str())))
            .map(|(c, o)| ((c, o), &*Box::leak(format!("{OUTCOMES}{c}.{o}").into_boxed_str())))
            .collect()
    });
    let category = crate::chat::kb::category(category).map_or(crate::chat::kb::GENERAL.id, |c| c.id);
    KEYS.get(&(category, outcome.as_str())).copied().unwrap_or("outcomes.general.unknown")
}

/// The prefix of [`outcome_key`]s.
pub const OUTCOMES: &str = "outcomes.";

/// The counter of one rating for one outcome and category, `feedback.by.<outcome>.<category>.<up|down>`
/// (category ids and outcomes are fixed lowercase words, so the key splits back on dots).
pub fn feedback_key(outcome: &str, category: &str, up: bool) -> String {
    format!("{FEEDBACK_BY}{outcome}.{category}.{}", if up { "up" } else { "down" })
}

/// The prefix of [`feedback_key`]s.
pub const FEEDBACK_BY: &str = "feedback.by.";

/// `keyed` as changes to the counters of the day `at` falls on (UTC).
pub fn daily(at: i64, keyed: &[(&str, i64)]) -> Vec<DailyDelta> {
    let day = crate::time::utc_day(at);
    keyed.iter().map(|(name, delta)| DailyDelta { day: day.clone(), name: (*name).to_owned(), delta: *delta }).collect()
}

/// How long a counter write may hold up a response.
const WRITE_TIMEOUT: Duration = Duration::from_millis(1_000);

/// Adds to the shared counters; errors are logged and a slow store is given up on.
#[derive(Clone)]
pub struct Tally {
    counters: Arc<dyn Counters>,
}

impl Tally {
    pub fn new(counters: Arc<dyn Counters>) -> Tally {
        Tally { counters }
    }

    pub async fn add(&self, deltas: &[(Counter, i64)]) {
        let keyed: Vec<(&str, i64)> = deltas.iter().map(|(c, n)| (c.key(), *n)).collect();
        self.add_keyed(&keyed).await;
    }

    /// [`Tally::add`] for deltas already keyed by the counters' store names.
    pub async fn add_keyed(&self, keyed: &[(&str, i64)]) {
        match tokio::time::timeout(WRITE_TIMEOUT, self.counters.add(keyed)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not update counters"),
            Err(_) => tracing::warn!("counters update timed out"),
        }
    }

    /// [`Tally::add_keyed`] for the counters of single days.
    pub async fn add_daily(&self, deltas: &[DailyDelta]) {
        match tokio::time::timeout(WRITE_TIMEOUT, self.counters.add_daily(deltas)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not update daily counters"),
            Err(_) => tracing::warn!("daily counters update timed out"),
        }
    }

    /// The store behind the tally, for gauges and flags that are set rather than added.
    pub fn store(&self) -> &Arc<dyn Counters> {
        &self.counters
    }
}
