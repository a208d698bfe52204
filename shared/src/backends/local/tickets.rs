use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::Local;
use super::db::{map_err, query_all, query_one, to_json};
use crate::ids::{SessionId, TicketId};
use crate::ports::{CreateTicketOutcome, Notification, NotifyState, Resolution, StoreResult, Ticket, TicketStore};

/// The `notify_at` column: when the ticket's pending notification is due, else NULL (the
/// deliverer's index holds only tickets with something to send).
fn notify_at(n: &Notification) -> Option<i64> {
    (n.state == NotifyState::Pending).then_some(n.next_at)
}

impl Local {
    /// Applies `change` to the stored ticket in one transaction (when it says it changed
    /// something), keeping `notify_at` in step with its notification. The ticket after;
    /// `None` when it is gone.
    async fn update_ticket(
        &self,
        id: &TicketId,
        mut change: impl FnMut(&mut Ticket) -> bool + Send + 'static,
    ) -> StoreResult<Option<Ticket>> {
        let id = id.to_string();
        self.db
            .write(move |tx| {
                let ticket: Option<Ticket> = query_one(tx, "SELECT body FROM tickets WHERE id = ?1", params![id])?;
                let Some(mut ticket) = ticket else {
                    return Ok(None);
                };
                if change(&mut ticket) {
                    let (body, due) = (to_json(&ticket)?, notify_at(&ticket.notification));
                    tx.execute("UPDATE tickets SET body = ?2, notify_at = ?3 WHERE id = ?1", params![id, body, due])
                        .map_err(map_err)?;
                }
                Ok(Some(ticket))
            })
            .await
    }
}

#[async_trait]
impl TicketStore for Local {
    async fn create(&self, ticket: &Ticket) -> StoreResult<CreateTicketOutcome> {
        let body = to_json(ticket)?;
        let (id, session, case_no, created, expires, due) = (
            ticket.id.to_string(),
            ticket.session_id.to_string(),
            ticket.case_no,
            ticket.created_at,
            ticket.expires_at,
            notify_at(&ticket.notification),
        );
        self.db
            .write(move |tx| {
                // An expired ticket no longer holds its case.
                tx.execute(
                    "DELETE FROM tickets WHERE session_id = ?1 AND case_no = ?2 AND expires_at <= ?3",
                    params![session, case_no, created],
                )
                .map_err(map_err)?;
                let open: Option<Ticket> = query_one(
                    tx,
                    "SELECT body FROM tickets WHERE session_id = ?1 AND case_no = ?2",
                    params![session, case_no],
                )?;
                if let Some(open) = open {
                    return Ok(CreateTicketOutcome::AlreadyOpen(Box::new(open)));
                }
                let taken: Option<i64> = tx
                    .query_row("SELECT 1 FROM tickets WHERE id = ?1", params![id], |r| r.get(0))
                    .optional()
                    .map_err(map_err)?;
                if taken.is_some() {
                    return Ok(CreateTicketOutcome::IdTaken);
                }
                tx.execute(
                    "INSERT INTO tickets (id, session_id, case_no, expires_at, body, notify_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![id, session, case_no, expires, body, due],
                )
                .map_err(map_err)?;
                Ok(CreateTicketOutcome::Created)
            })
            .await
    }

    async fn get(&self, id: &TicketId, now: i64) -> StoreResult<Option<Ticket>> {
        let id = id.to_string();
        self.db
            .read(move |conn| {
                query_one(conn, "SELECT body FROM tickets WHERE id = ?1 AND expires_at > ?2", params![id, now])
            })
            .await
    }

    async fn find_for_case(&self, session: &SessionId, case_no: u32, now: i64) -> StoreResult<Option<Ticket>> {
        let session = session.to_string();
        self.db
            .read(move |conn| {
                query_one(
                    conn,
                    "SELECT body FROM tickets WHERE session_id = ?1 AND case_no = ?2 AND expires_at > ?3",
                    params![session, case_no, now],
                )
            })
            .await
    }

    async fn list_for_session(&self, session: &SessionId, now: i64) -> StoreResult<Vec<Ticket>> {
        let session = session.to_string();
        self.db
            .read(move |conn| {
                query_all(
                    conn,
                    "SELECT body FROM tickets WHERE session_id = ?1 AND expires_at > ?2 ORDER BY case_no",
                    params![session, now],
                )
            })
            .await
    }

    async fn delete_for_session(&self, session: &SessionId) -> StoreResult<u64> {
        let session = session.to_string();
        self.db
            .write(move |tx| {
                Ok(tx.execute("DELETE FROM tickets WHERE session_id = ?1", params![session]).map_err(map_err)? as u64)
            })
            .await
    }

    async fn save_notification(&self, id: &TicketId, notification: &Notification) -> StoreResult<bool> {
        let notification = notification.clone();
        let updated = self
            .update_ticket(id, move |t| {
                t.notification = notification.clone();
                true
            })
            .await?;
        Ok(updated.is_some())
    }

    async fn resolve(&self, id: &TicketId, resolution: &Resolution) -> StoreResult<Option<Ticket>> {
        let resolution = resolution.clone();
        self.update_ticket(id, move |t| t.mark_resolved(&resolution)).await
    }

    async fn due_notifications(&self, now: i64, limit: usize) -> StoreResult<Vec<Ticket>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .read(move |conn| {
                query_all(
                    conn,
                    "SELECT body FROM tickets WHERE notify_at <= ?1 AND expires_at > ?1 ORDER BY notify_at LIMIT ?2",
                    params![now, limit],
                )
            })
            .await
    }

    async fn purge_expired(&self, now: i64) -> StoreResult<u64> {
        self.db
            .write(move |tx| {
                Ok(tx.execute("DELETE FROM tickets WHERE expires_at <= ?1", params![now]).map_err(map_err)? as u64)
            })
            .await
    }
}
