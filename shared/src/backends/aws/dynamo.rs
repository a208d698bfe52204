//! Every table-shaped port on one DynamoDB table (`pk`, `sk`; TTL attribute `ttl` in
//! epoch seconds). Records are JSON in `body`; the few attributes that conditions test
//! (`ver`, `exp`, `st`, `cl`, `c`, `v`) sit beside it.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | session | `S#<session>` | `META` |
//! | transcript entry | `S#<session>` | `M#<seq, 20 digits>` |
//! | reply to a messageId | `S#<session>` | `R#<messageId>` |
//! | ticket | `T#<ticket>` | `T` |
//! | ticket of a case | `ST#<session>` | `C#<case, 10 digits>` |
//! | upload | `SU#<session>` | `U#<upload>` |
//! | rate window | `RL#<key>` | `W#<window start>` |
//! | counter | `COUNTERS` | `<name>` |
//! | app log line | `LOG#<yyyymmdd>` | `<ms, 13 digits>#<random>` |
//!
//! A transcript is one item per message, so a long conversation never nears the 400 KB
//! item limit; a turn (session + entries + reply) is one transaction.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, DeleteRequest, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    WriteRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::errors::sdk;
use crate::ids::{SessionId, TicketId, UploadId};
use crate::ports::{
    AppLog, CommitOutcome, Counters, CreateTicketOutcome, LogEntry, RateDecision, RateLimiter, Session, SessionStore,
    SlidingWindow, StoreError, StoreResult, Ticket, TicketStore, TranscriptEntry, TurnRecord, Upload, UploadOutcome,
    UploadStatus, UploadStore,
};

type Item = HashMap<String, AttributeValue>;

pub struct Dynamo {
    client: Client,
    table: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn attr_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

fn attr_n(item: &Item, name: &str) -> Option<i64> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}

/// TTL in epoch seconds, rounded up so an item never vanishes before `exp_ms`.
fn ttl(exp_ms: i64) -> AttributeValue {
    n(exp_ms.div_euclid(1000) + 1)
}

fn json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

fn body<T: DeserializeOwned>(item: &Item) -> StoreResult<T> {
    let text = attr_s(item, "body").ok_or_else(|| StoreError::Corrupt("item without body".into()))?;
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("cannot decode stored record: {e}")))
}

/// Whether an item is still alive at `now` (TTL deletion lags; reads must not).
fn alive(item: &Item, now: i64) -> bool {
    attr_n(item, "exp").is_none_or(|exp| exp > now)
}

fn record(pk: String, sk: String, exp_ms: Option<i64>, body: String) -> Item {
    let mut item = Item::from([("pk".into(), s(pk)), ("sk".into(), s(sk)), ("body".into(), s(body))]);
    if let Some(exp) = exp_ms {
        item.insert("exp".into(), n(exp));
        item.insert("ttl".into(), ttl(exp));
    }
    item
}

fn build<T, E: std::fmt::Display>(what: &str, built: Result<T, E>) -> StoreResult<T> {
    built.map_err(|e| StoreError::Corrupt(format!("cannot build {what}: {e}")))
}

fn condition_failed(reason: Option<&CancellationReason>) -> bool {
    reason.and_then(CancellationReason::code) == Some("ConditionalCheckFailed")
}

fn session_pk(id: &SessionId) -> String {
    format!("S#{id}")
}

const MAX_BATCH_WRITE: usize = 25;

impl Dynamo {
    pub fn new(client: Client, table: String) -> Dynamo {
        Dynamo { client, table }
    }

    async fn get(&self, pk: &str, sk: &str) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk("GetItem", e))?;
        Ok(out.item)
    }

    /// Every item of partition `pk` whose sort key starts with `prefix`, in order.
    async fn query(&self, pk: &str, prefix: &str, newest_first: bool, limit: Option<i32>) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut request = self.client.query().table_name(&self.table).expression_attribute_values(":pk", s(pk));
            // DynamoDB refuses an empty begins_with operand: the whole partition then.
            request = if prefix.is_empty() {
                request.key_condition_expression("pk = :pk")
            } else {
                request
                    .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .expression_attribute_values(":prefix", s(prefix))
            };
            let mut request =
                request.consistent_read(true).scan_index_forward(!newest_first).set_exclusive_start_key(start.take());
            if let Some(limit) = limit {
                request = request.limit(limit - items.len() as i32);
            }
            let out = request.send().await.map_err(|e| sdk("Query", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if limit.is_none_or(|l| (items.len() as i32) < l) => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    async fn delete_keys(&self, keys: Vec<(String, String)>) -> StoreResult<()> {
        for chunk in keys.chunks(MAX_BATCH_WRITE) {
            let mut requests = Vec::with_capacity(chunk.len());
            for (pk, sk) in chunk {
                let delete = build(
                    "delete request",
                    DeleteRequest::builder().key("pk", s(pk.as_str())).key("sk", s(sk.as_str())).build(),
                )?;
                requests.push(WriteRequest::builder().delete_request(delete).build());
            }
            let mut pending = HashMap::from([(self.table.clone(), requests)]);
            // Unprocessed items come back under load: retry them with a short pause.
            for attempt in 0..8u64 {
                let out = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(pending))
                    .send()
                    .await
                    .map_err(|e| sdk("BatchWriteItem", e))?;
                match out.unprocessed_items.filter(|u| u.values().any(|v| !v.is_empty())) {
                    Some(left) => {
                        pending = left;
                        tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
                    }
                    None => break,
                }
            }
        }
        Ok(())
    }

    fn put(&self, item: Item, condition: Option<&str>) -> StoreResult<TransactWriteItem> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some(c) = condition {
            put = put.condition_expression(c);
        }
        Ok(TransactWriteItem::builder().put(build("put", put.build())?).build())
    }
}

#[async_trait]
impl SessionStore for Dynamo {
    async fn create(&self, session: &Session) -> StoreResult<bool> {
        let mut item = record(session_pk(&session.id), "META".into(), Some(session.expires_at), json(session)?);
        item.insert("ver".into(), n(session.version as i64));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(sdk("PutItem", e)),
        }
    }

    async fn get(&self, id: &SessionId, now: i64) -> StoreResult<Option<Session>> {
        match Dynamo::get(self, &session_pk(id), "META").await? {
            Some(item) if alive(&item, now) => Ok(Some(body(&item)?)),
            _ => Ok(None),
        }
    }

    async fn commit_turn(&self, turn: &TurnRecord) -> StoreResult<CommitOutcome> {
        let pk = session_pk(&turn.session.id);
        let expires = turn.session.expires_at;
        let mut session = record(pk.clone(), "META".into(), Some(expires), json(&turn.session)?);
        session.insert("ver".into(), n(turn.session.version as i64));
        let meta = Put::builder()
            .table_name(&self.table)
            .set_item(Some(session))
            .condition_expression("ver = :expected AND exp > :now")
            .expression_attribute_values(":expected", n(turn.expected_version as i64))
            .expression_attribute_values(":now", n(turn.session.updated_at));
        let mut items = vec![TransactWriteItem::builder().put(build("put", meta.build())?).build()];
        for entry in &turn.entries {
            let item = record(pk.clone(), format!("M#{:020}", entry.seq), Some(expires), json(entry)?);
            items.push(self.put(item, Some("attribute_not_exists(pk)"))?);
        }
        if let Some(mid) = &turn.message_id {
            let mut item = record(pk.clone(), format!("R#{mid}"), Some(expires), String::new());
            item.insert("body".into(), s(turn.response_json.clone()));
            items.push(self.put(item, Some("attribute_not_exists(pk)"))?);
        }
        let reply_index = turn.message_id.as_ref().map(|_| items.len() - 1);
        let result = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        let error = match result {
            Ok(_) => return Ok(CommitOutcome::Committed),
            Err(e) => e,
        };
        let reasons = match error.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(c)) => c.cancellation_reasons().to_vec(),
            _ => return Err(sdk("TransactWriteItems", error)),
        };
        if let (Some(i), Some(mid)) = (reply_index, &turn.message_id)
            && condition_failed(reasons.get(i))
            && let Some(earlier) = self.find_reply(&turn.session.id, mid).await?
        {
            return Ok(CommitOutcome::Duplicate(earlier));
        }
        // A failed version check or a concurrent transaction on the same items: re-read.
        Ok(CommitOutcome::Conflict)
    }

    async fn find_reply(&self, id: &SessionId, message_id: &str) -> StoreResult<Option<String>> {
        let item = Dynamo::get(self, &session_pk(id), &format!("R#{message_id}")).await?;
        Ok(item.and_then(|i| attr_s(&i, "body").map(str::to_owned)))
    }

    async fn transcript(&self, id: &SessionId) -> StoreResult<Vec<TranscriptEntry>> {
        self.query(&session_pk(id), "M#", false, None).await?.iter().map(body).collect()
    }

    async fn delete(&self, id: &SessionId) -> StoreResult<bool> {
        let pk = session_pk(id);
        let items = self.query(&pk, "", false, None).await?;
        let existed = items.iter().any(|i| attr_s(i, "sk") == Some("META"));
        let keys = items.iter().filter_map(|i| attr_s(i, "sk")).map(|sk| (pk.clone(), sk.to_owned())).collect();
        self.delete_keys(keys).await?;
        Ok(existed)
    }

    async fn purge_expired(&self, _now: i64) -> StoreResult<u64> {
        // DynamoDB TTL deletes expired items; reads already ignore them.
        Ok(0)
    }

    async fn ping(&self) -> StoreResult<()> {
        Dynamo::get(self, "HEALTH", "PING").await.map(|_| ())
    }
}

fn ticket_pk(id: &TicketId) -> String {
    format!("T#{id}")
}

fn case_key(session: &SessionId, case_no: u32) -> (String, String) {
    (format!("ST#{session}"), format!("C#{case_no:010}"))
}

impl Dynamo {
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
            self.put(
                record(ticket_pk(&ticket.id), "T".into(), Some(ticket.expires_at), json(ticket)?),
                Some("attribute_not_exists(pk)"),
            )?,
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
}

fn upload_key(session: &SessionId, id: &UploadId) -> (String, String) {
    (format!("SU#{session}"), format!("U#{id}"))
}

fn upload_from(item: &Item) -> StoreResult<Upload> {
    let mut upload: Upload = body(item)?;
    upload.claimed_until = attr_n(item, "cl");
    Ok(upload)
}

#[async_trait]
impl UploadStore for Dynamo {
    async fn create(&self, upload: &Upload) -> StoreResult<()> {
        let (pk, sk) = upload_key(&upload.session_id, &upload.id);
        let mut item = record(pk, sk, Some(upload.expires_at), json(upload)?);
        item.insert("st".into(), s(upload.status.as_str()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| sdk("PutItem", e))?;
        Ok(())
    }

    async fn get(&self, session: &SessionId, id: &UploadId, now: i64) -> StoreResult<Option<Upload>> {
        let (pk, sk) = upload_key(session, id);
        match Dynamo::get(self, &pk, &sk).await? {
            Some(item) if alive(&item, now) => Ok(Some(upload_from(&item)?)),
            _ => Ok(None),
        }
    }

    async fn list_for_session(&self, session: &SessionId, now: i64) -> StoreResult<Vec<Upload>> {
        let items = self.query(&format!("SU#{session}"), "U#", false, None).await?;
        let mut uploads: Vec<Upload> =
            items.iter().filter(|i| alive(i, now)).map(upload_from).collect::<StoreResult<_>>()?;
        uploads.sort_by_key(|u| (u.created_at, u.id.to_string()));
        Ok(uploads)
    }

    async fn claim(&self, session: &SessionId, id: &UploadId, until: i64, now: i64) -> StoreResult<bool> {
        let (pk, sk) = upload_key(session, id);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression("SET cl = :until")
            .condition_expression("attribute_exists(pk) AND st = :queued AND (attribute_not_exists(cl) OR cl <= :now)")
            .expression_attribute_values(":until", n(until))
            .expression_attribute_values(":queued", s(UploadStatus::Queued.as_str()))
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(sdk("UpdateItem", e)),
        }
    }

    async fn complete(
        &self,
        session: &SessionId,
        id: &UploadId,
        outcome: &UploadOutcome,
        now: i64,
    ) -> StoreResult<bool> {
        let (pk, sk) = upload_key(session, id);
        let Some(item) = Dynamo::get(self, &pk, &sk).await? else {
            return Ok(false);
        };
        let mut upload = upload_from(&item)?;
        if upload.status != UploadStatus::Queued {
            return Ok(false);
        }
        upload.finish(outcome.clone(), now);
        let mut replacement = record(pk, sk, Some(upload.expires_at), json(&upload)?);
        replacement.insert("st".into(), s(upload.status.as_str()));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(replacement))
            .condition_expression("st = :queued")
            .expression_attribute_values(":queued", s(UploadStatus::Queued.as_str()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(sdk("PutItem", e)),
        }
    }

    async fn delete_for_session(&self, session: &SessionId) -> StoreResult<Vec<Upload>> {
        let pk = format!("SU#{session}");
        let items = self.query(&pk, "U#", false, None).await?;
        let uploads = items.iter().map(upload_from).collect::<StoreResult<Vec<_>>>()?;
        let keys = items.iter().filter_map(|i| attr_s(i, "sk")).map(|sk| (pk.clone(), sk.to_owned())).collect();
        self.delete_keys(keys).await?;
        Ok(uploads)
    }

    async fn purge_expired(&self, _now: i64) -> StoreResult<Vec<Upload>> {
        // TTL removes the records; the bucket's lifecycle rules expire their files.
        Ok(Vec::new())
    }
}

#[async_trait]
impl RateLimiter for Dynamo {
    async fn hit(&self, key: &str, limit: u32, window_ms: i64, now: i64) -> StoreResult<RateDecision> {
        let w = SlidingWindow { limit, window_ms, now };
        let pk = format!("RL#{key}");
        let count_at = |item: Option<&Item>| item.and_then(|i| attr_n(i, "c")).unwrap_or(0).max(0) as u64;
        let previous = count_at(Dynamo::get(self, &pk, &format!("W#{}", w.previous_start())).await?.as_ref());
        let max = w.max_current(previous);
        let current_sk = format!("W#{}", w.current_start());
        if max == 0 {
            let current = count_at(Dynamo::get(self, &pk, &current_sk).await?.as_ref());
            return Ok(RateDecision::Limited { retry_after_secs: w.retry_after_secs(previous, current) });
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(current_sk))
            .update_expression("ADD c :one SET #ttl = :ttl")
            .condition_expression("attribute_not_exists(c) OR c < :max")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(max as i64))
            .expression_attribute_values(":ttl", ttl(w.current_start() + 2 * window_ms))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(RateDecision::Allowed),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(c)) => {
                    let current = count_at(c.item.as_ref()).max(max);
                    Ok(RateDecision::Limited { retry_after_secs: w.retry_after_secs(previous, current) })
                }
                _ => Err(sdk("UpdateItem", e)),
            },
        }
    }

    async fn purge_expired(&self, _now: i64) -> StoreResult<u64> {
        Ok(0)
    }
}

#[async_trait]
impl Counters for Dynamo {
    async fn add(&self, deltas: &[(&str, i64)]) -> StoreResult<()> {
        let updates = deltas.iter().map(|(name, delta)| {
            self.client
                .update_item()
                .table_name(&self.table)
                .key("pk", s("COUNTERS"))
                .key("sk", s(*name))
                .update_expression("ADD v :d")
                .expression_attribute_values(":d", n(*delta))
                .send()
        });
        for result in futures::future::join_all(updates).await {
            result.map_err(|e| sdk("UpdateItem", e))?;
        }
        Ok(())
    }

    async fn set(&self, name: &str, value: i64) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s("COUNTERS"))
            .key("sk", s(name))
            .update_expression("SET v = :v")
            .expression_attribute_values(":v", n(value))
            .send()
            .await
            .map_err(|e| sdk("UpdateItem", e))?;
        Ok(())
    }

    async fn get(&self, name: &str) -> StoreResult<Option<i64>> {
        Ok(Dynamo::get(self, "COUNTERS", name).await?.and_then(|i| attr_n(&i, "v")))
    }

    async fn snapshot(&self) -> StoreResult<BTreeMap<String, i64>> {
        let items = self.query("COUNTERS", "", false, None).await?;
        Ok(items.iter().filter_map(|i| Some((attr_s(i, "sk")?.to_owned(), attr_n(i, "v")?))).collect())
    }
}

/// Log partitions are days; `recent` walks back at most this many.
const LOG_DAYS_SCANNED: i64 = 15;

#[async_trait]
impl AppLog for Dynamo {
    async fn append(&self, entry: &LogEntry, expires_at: i64) -> StoreResult<()> {
        let suffix = crate::ids::random_bytes::<4>().map(u32::from_be_bytes).unwrap_or(0);
        let pk = format!("LOG#{}", crate::time::utc_date_compact(entry.at));
        let mut item = record(pk, format!("{:013}#{suffix:08x}", entry.at), Some(expires_at), json(entry)?);
        item.insert("at".into(), n(entry.at));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| sdk("PutItem", e))?;
        Ok(())
    }

    async fn recent(&self, limit: usize, now: i64) -> StoreResult<Vec<LogEntry>> {
        let mut newest_first: Vec<LogEntry> = Vec::new();
        for day in 0..LOG_DAYS_SCANNED {
            if newest_first.len() >= limit {
                break;
            }
            let pk = format!("LOG#{}", crate::time::utc_date_compact(now - day * crate::time::DAY_MS));
            let want = (limit - newest_first.len()) as i32;
            for item in self.query(&pk, "", true, Some(want)).await? {
                if alive(&item, now) {
                    let mut entry: LogEntry = body(&item)?;
                    entry.at = attr_n(&item, "at").unwrap_or(entry.at);
                    newest_first.push(entry);
                }
            }
        }
        newest_first.truncate(limit);
        newest_first.reverse();
        Ok(newest_first)
    }

    async fn purge_expired(&self, _now: i64) -> StoreResult<u64> {
        Ok(0)
    }
}
