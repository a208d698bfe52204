use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{StoreResult, TranscriptEntry};
use crate::chat::Attempt;
use crate::ids::{SessionId, TicketId};
use crate::images::Analysis;

/// An image attached to a ticket: its analysis, without the bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketImage {
    pub upload_id: String,
    pub analysis: Analysis,
}

/// Where a ticket's announcement to the support team stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyState {
    /// No webhook was configured when the ticket was opened.
    #[default]
    Off,
    Pending,
    Delivered,
    Failed,
}

impl NotifyState {
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyState::Off => "off",
            NotifyState::Pending => "pending",
            NotifyState::Delivered => "delivered",
            NotifyState::Failed => "failed",
        }
    }
}

/// The ticket's outbox entry: written with the ticket, then updated by the deliverer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub state: NotifyState,
    /// Delivery attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due (pending only).
    pub next_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<i64>,
    /// The origin the ticket's links point to, as the visitor's request saw it.
    #[serde(default)]
    pub base_url: String,
    /// Published to the tickets topic (AWS), which happens once, before the webhook.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub announced: bool,
}

/// Where a ticket stands for the support team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketStatus {
    #[default]
    Open,
    Resolved,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::Resolved => "resolved",
        }
    }
}

/// A technician's closing of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    pub at: i64,
    /// Masked, like every free text of a ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What the technician gets. Every free-text field is masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    pub id: TicketId,
    /// The secret that, with the id, opens the ticket page.
    pub access_token: String,
    pub session_id: SessionId,
    /// One ticket per case of a session.
    pub case_no: u32,
    pub created_at: i64,
    pub expires_at: i64,
    pub locale: crate::chat::Locale,
    pub name: Option<String>,
    pub category: Option<String>,
    pub category_title: Option<String>,
    pub summary: Option<String>,
    pub attempts: Vec<Attempt>,
    pub images: Vec<TicketImage>,
    /// The end of the conversation, within [`Ticket::TRANSCRIPT_CHARS`]; the whole of it
    /// stays with the session (and its export).
    pub transcript: Vec<TranscriptEntry>,
    /// Earlier messages left out of `transcript`.
    #[serde(default)]
    pub transcript_omitted: u32,
    pub whatsapp_url: String,
    #[serde(default)]
    pub notification: Notification,
    #[serde(default)]
    pub status: TicketStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
}

impl Ticket {
    /// Marks the ticket resolved with `resolution` unless it already is (the first
    /// resolution stays); true when it changed.
    pub fn mark_resolved(&mut self, resolution: &Resolution) -> bool {
        if self.status == TicketStatus::Resolved {
            return false;
        }
        self.status = TicketStatus::Resolved;
        self.resolution = Some(resolution.clone());
        true
    }

    /// The technician's link to this ticket on the service at `base_url`.
    pub fn url(&self, base_url: &str) -> String {
        format!("{base_url}/api/ticket/{}?t={}", self.id, self.access_token)
    }

    /// Characters of transcript a ticket keeps: with everything else it holds, a ticket
    /// stays far below DynamoDB's 400 KB item limit (4 bytes a character at worst).
    pub const TRANSCRIPT_CHARS: usize = 40_000;

    /// The newest entries of `transcript` that fit [`Ticket::TRANSCRIPT_CHARS`], in order,
    /// and how many older ones were left out.
    pub fn excerpt(mut transcript: Vec<TranscriptEntry>) -> (Vec<TranscriptEntry>, u32) {
        let mut chars = 0;
        let mut keep = 0;
        for entry in transcript.iter().rev() {
            chars += entry.text.chars().count();
            if chars > Ticket::TRANSCRIPT_CHARS {
                break;
            }
            keep += 1;
        }
        let omitted = transcript.len() - keep;
        transcript.drain(..omitted);
        (transcript, u32::try_from(omitted).unwrap_or(u32::MAX))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum CreateTicketOutcome {
    Created,
    /// This case already has a ticket: that one.
    AlreadyOpen(Box<Ticket>),
    /// The ticket id is taken (a random collision): generate another.
    IdTaken,
}

/// A record of the tickets table's change stream, as the notifier reads it: its position
/// and, for a newly inserted ticket, the ticket's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    pub sequence: String,
    pub ticket: Option<TicketId>,
}

/// Where a new ticket is published besides the webhook (the SNS tickets topic on AWS).
#[async_trait]
pub trait TicketAnnouncer: Send + Sync {
    async fn announce(&self, ticket: &Ticket, link: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait TicketStore: Send + Sync {
    async fn create(&self, ticket: &Ticket) -> StoreResult<CreateTicketOutcome>;
    async fn get(&self, id: &TicketId, now: i64) -> StoreResult<Option<Ticket>>;
    async fn find_for_case(&self, session: &SessionId, case_no: u32, now: i64) -> StoreResult<Option<Ticket>>;
    async fn list_for_session(&self, session: &SessionId, now: i64) -> StoreResult<Vec<Ticket>>;
    /// Erases every ticket of the session; returns how many.
    async fn delete_for_session(&self, session: &SessionId) -> StoreResult<u64>;
    async fn purge_expired(&self, now: i64) -> StoreResult<u64>;
    /// Replaces the ticket's notification (outbox entry); false when the ticket is gone.
    async fn save_notification(&self, id: &TicketId, notification: &Notification) -> StoreResult<bool>;
    /// Marks the ticket resolved with `resolution` unless it already is: the ticket as it
    /// stands after (the first resolution wins), `None` when it is gone.
    async fn resolve(&self, id: &TicketId, resolution: &Resolution) -> StoreResult<Option<Ticket>>;
    /// Up to `limit` live tickets whose pending notification is due at `now`, oldest due
    /// first. (On AWS a DynamoDB Stream feeds the notifier instead; this scans.)
    async fn due_notifications(&self, now: i64, limit: usize) -> StoreResult<Vec<Ticket>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Role;

    fn entry(seq: u64, chars: usize) -> TranscriptEntry {
        TranscriptEntry { seq, at: 0, role: Role::Visitor, text: "ñ".repeat(chars) }
    }

    #[test]
    fn an_excerpt_keeps_the_newest_messages_within_the_budget() {
        let long: Vec<TranscriptEntry> = (0..260).map(|i| entry(i, 2_000)).collect();
        let (kept, omitted) = Ticket::excerpt(long);
        assert_eq!((kept.len(), omitted), (20, 240));
        assert_eq!(kept.first().map(|e| e.seq), Some(240));
        assert_eq!(kept.last().map(|e| e.seq), Some(259));
        assert!(kept.iter().map(|e| e.text.chars().count()).sum::<usize>() <= Ticket::TRANSCRIPT_CHARS);

        let short: Vec<TranscriptEntry> = (0..6).map(|i| entry(i, 100)).collect();
        assert_eq!(Ticket::excerpt(short.clone()), (short, 0));
        assert_eq!(Ticket::excerpt(Vec::new()), (Vec::new(), 0));
    }
}
