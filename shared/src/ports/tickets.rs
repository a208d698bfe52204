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
    pub transcript: Vec<TranscriptEntry>,
    pub whatsapp_url: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CreateTicketOutcome {
    Created,
    /// This case already has a ticket: that one.
    AlreadyOpen(Box<Ticket>),
    /// The ticket id is taken (a random collision): generate another.
    IdTaken,
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
}
