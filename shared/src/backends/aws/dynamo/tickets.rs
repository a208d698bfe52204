//! Tickets, and the per-case pointer that keeps one ticket per case.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::super::errors::sdk;
use super::{Dynamo, Item, alive, attr_s, body, build, condition_failed, json, n, record, s};
use crate::ids::{SessionId, TicketId};
use crate::ports::{
    CreateTicketOutcome, Notification, NotifyState, Resolution, StoreError, StoreResult, Ticket, TicketStore,
};

/// Read-modify-write rounds before a ticket that keeps changing is reported busy.
const UPDATE_ATTEMPTS: usize = 5;

/// The ticket's item: its JSON, its expiry and, while a notification is pending, when it
/// is due (`notify_at`, which only the sweep reads: on AWS the table's stream feeds the
/// notifier).
fn ticket_item(ticket: &Ticket) -> StoreResult<Item> {
    let mut item = record(ticket_pk(&ticket.id), "T".into(), Some(ticket.expires_at), json(ticket)?);
    if ticket.notification.state == NotifyState::Pending {
        item.insert("notify_at".into(), n(ticket.notification.next_at));
    }
    Ok(item)
}

fn ticket_pk(id: &TicketId) -> String {
    format!("T#{id}")
}

fn case_key(session: &SessionId, case_no: u32) -> (String, String) {
    (format!("ST#{session}"), format!("C#{case_no:010}"))
}

impl Dynamo {
    /// Applies `change` to the stored ticket (when it says it changed something) on the
    /// condition that nobody wrote it in between — the notifier and a technician may write
    /// the same ticket at once — retrying a few times. The ticket after; `None` if gone.
    async fn update_ticket(
        &self,
        id: &TicketId,
        mut change: impl FnMut(&mut Ticket) -> bool,
    ) -> StoreResult<Option<Ticket>> {
        for _ in 0..UPDATE_ATTEMPTS {
            let Some(item) = Dynamo::get(self, &ticket_pk(id), "T").await? else {
                return Ok(None);
            };
            let mut ticket: Ticket = body(&item)?;
            if !change(&mut ticket) {
                return Ok(Some(ticket));
            }
            // A revision number, not the body itself, is compared: a ticket's body may be
            // far larger than a condition value should be.
            let revision = item.get("rev").and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok());
            let mut next = ticket_item(&ticket)?;
            next.insert("rev".into(), n(revision.unwrap_or(0) + 1));
            let written = match revision {
                Some(rev) => self.put_if(next, "rev = :rev", &[(":rev", n(rev))]).await?,
                None => self.put_if(next, "attribute_exists(pk) AND attribute_not_exists(rev)", &[]).await?,
            };
            if written {
                return Ok(Some(ticket));
            }
        }
        Err(StoreError::Unavailable(format!("ticket {id} kept changing while being updated")))
    }

    async fn ticket_by_pointer(&self, pointer: &Item, now: i64) -> StoreResult<Option<Ticket>> {
        let Some(id) = attr_s(pointer, "ticket").and_then(|t| TicketId::parse(t).ok()) else {
            return Ok(None);
        };
        TicketStore::get(self, &id, now).await
    }
}

#[async_trait]
impl TicketStore for Dynamo {
    async fn create(&self, ticket: &Ticket) -> StoreResult<CreateTicketOutcome> {
        let (ppk, psk) = case_key(&ticket.session_id, ticket.case_no);
        let mut pointer = record(ppk.clone(), psk.clone(), Some(ticket.expires_at), String::new());
        pointer.insert("ticket".into(), s(ticket.id.to_string()));
        pointer.remove("body");
        let pointer_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(pointer))
            .condition_expression("attribute_not_exists(pk) OR exp <= :now")
            .expression_attribute_values(":now", n(ticket.created_at));
        let items = vec![
            TransactWriteItem::builder().put(build("put", pointer_put.build())?).build(),
            self.put(ticket_item(ticket)?, Some("attribute_not_exists(pk)"))?,
        ];
        let error = match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => return Ok(CreateTicketOutcome::Created),
            Err(e) => e,
        };
        let reasons = match error.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(c)) => c.cancellation_reasons().to_vec(),
            _ => return Err(sdk("TransactWriteItems", error)),
        };
        if condition_failed(reasons.first()) {
            let existing = match Dynamo::get(self, &ppk, &psk).await? {
                Some(p) => self.ticket_by_pointer(&p, ticket.created_at).await?,
                None => None,
            };
            return Ok(match existing {
                Some(t) => CreateTicketOutcome::AlreadyOpen(Box::new(t)),
                // The other ticket of this case vanished between the two reads: try again.
                None => CreateTicketOutcome::IdTaken,
            });
        }
        if condition_failed(reasons.get(1)) {
            return Ok(CreateTicketOutcome::IdTaken);
        }
        // Lost a race on the same items: the caller's retry will see the winner.
        Ok(CreateTicketOutcome::IdTaken)
    }

    async fn get(&self, id: &TicketId, now: i64) -> StoreResult<Option<Ticket>> {
        match Dynamo::get(self, &ticket_pk(id), "T").await? {
            Some(item) if alive(&item, now) => Ok(Some(body(&item)?)),
            _ => Ok(None),
        }
    }

    async fn find_for_case(&self, session: &SessionId, case_no: u32, now: i64) -> StoreResult<Option<Ticket>> {
        let (pk, sk) = case_key(session, case_no);
        match Dynamo::get(self, &pk, &sk).await? {
            Some(pointer) if alive(&pointer, now) => self.ticket_by_pointer(&pointer, now).await,
            _ => Ok(None),
        }
    }

    async fn list_for_session(&self, session: &SessionId, now: i64) -> StoreResult<Vec<Ticket>> {
        let mut tickets = Vec::new();
        for pointer in self.query(&format!("ST#{session}"), "C#", false, None).await? {
            if alive(&pointer, now)
                && let Some(t) = self.ticket_by_pointer(&pointer, now).await?
            {
                tickets.push(t);
            }
        }
        Ok(tickets)
    }

    async fn delete_for_session(&self, session: &SessionId) -> StoreResult<u64> {
        let pk = format!("ST#{session}");
        let pointers = self.query(&pk, "C#", false, None).await?;
        let mut keys = Vec::new();
        for p in &pointers {
            if let Some(sk) = attr_s(p, "sk") {
                keys.push((pk.clone(), sk.to_owned()));
            }
            if let Some(id) = attr_s(p, "ticket") {
                keys.push((format!("T#{id}"), "T".to_owned()));
            }
        }
        self.delete_keys(keys).await?;
        Ok(pointers.len() as u64)
    }

    async fn purge_expired(&self, _now: i64) -> StoreResult<u64> {
        Ok(0)
    }

    async fn save_notification(&self, id: &TicketId, notification: &Notification) -> StoreResult<bool> {
        let updated = self
            .update_ticket(id, |t| {
                t.notification = notification.clone();
                true
            })
            .await?;
        Ok(updated.is_some())
    }

    async fn resolve(&self, id: &TicketId, resolution: &Resolution) -> StoreResult<Option<Ticket>> {
        self.update_ticket(id, |t| t.mark_resolved(resolution)).await
    }

    async fn due_notifications(&self, now: i64, limit: usize) -> StoreResult<Vec<Ticket>> {
        let mut due = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("notify_at <= :now AND exp > :now")
                .expression_attribute_values(":now", n(now))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk("Scan", e))?;
            for item in page.items() {
                due.push(body::<Ticket>(item)?);
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        due.sort_by_key(|t| t.notification.next_at);
        due.truncate(limit);
        Ok(due)
    }
}
