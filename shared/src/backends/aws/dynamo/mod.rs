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
//! | rate-limited key (its GCRA arrival time `tat`) | `RL#<key>` | `GCRA` |
//! | counter | `COUNTERS` | `<name>` |
//! | app log line | `LOG#<yyyymmdd>` | `<ms, 13 digits>#<random>` |
//!
//! A transcript is one item per message, so a long conversation never nears the 400 KB
//! item limit; a turn (session + entries + reply) is one transaction.

mod applog;
mod counters;
mod limiter;
mod sessions;
pub use sessions::IDLE_INDEX;
mod tickets;
mod uploads;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, DeleteRequest, Put, PutRequest, TransactWriteItem, WriteRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::errors::sdk;
use crate::ports::{StoreError, StoreResult};

type Item = HashMap<String, AttributeValue>;

pub struct Dynamo {
    client: Client,
    table: String,
    /// The rate-limited keys' arrival times this instance last saw (`limiter`).
    rate_keys: limiter::SeenKeys,
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

const MAX_BATCH_WRITE: usize = 25;

/// Rounds of `BatchWriteItem` for one batch before its leftovers are an error.
const BATCH_ROUNDS: u32 = 8;

/// Sends a batch until DynamoDB has processed all of it; `send` answers what it left
/// unprocessed (it does under load). What is still left after `BATCH_ROUNDS` rounds is
/// an error, never silently dropped: an erasure either removes everything or fails, and
/// is safe to run again.
async fn until_processed<F, Fut>(mut pending: HashMap<String, Vec<WriteRequest>>, mut send: F) -> StoreResult<()>
where
    F: FnMut(HashMap<String, Vec<WriteRequest>>) -> Fut,
    Fut: std::future::Future<Output = StoreResult<Option<HashMap<String, Vec<WriteRequest>>>>>,
{
    for round in 0..BATCH_ROUNDS {
        match send(pending).await? {
            None => return Ok(()),
            Some(left) => {
                pending = left;
                if round + 1 < BATCH_ROUNDS {
                    tokio::time::sleep(std::time::Duration::from_millis(20 << round)).await;
                }
            }
        }
    }
    let left: usize = pending.values().map(Vec::len).sum();
    Err(StoreError::Unavailable(format!("{left} item(s) still unprocessed after {BATCH_ROUNDS} BatchWriteItem rounds")))
}

impl Dynamo {
    pub fn new(client: Client, table: String) -> Dynamo {
        Dynamo { client, table, rate_keys: limiter::SeenKeys::default() }
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

    /// The items `query` finds, page after page, until `limit` of them (if given).
    async fn query_pages(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        limit: Option<usize>,
    ) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = query.clone().set_exclusive_start_key(start.take()).send().await.map_err(|e| sdk("Query", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if limit.is_none_or(|l| items.len() < l) => start = Some(key),
                _ => {
                    items.truncate(limit.unwrap_or(usize::MAX));
                    return Ok(items);
                }
            }
        }
    }

    /// Every item of partition `pk` whose sort key starts with `prefix`, in order.
    async fn query(&self, pk: &str, prefix: &str, newest_first: bool, limit: Option<i32>) -> StoreResult<Vec<Item>> {
        let request = self.client.query().table_name(&self.table).expression_attribute_values(":pk", s(pk));
        // DynamoDB refuses an empty begins_with operand: the whole partition then.
        let request = if prefix.is_empty() {
            request.key_condition_expression("pk = :pk")
        } else {
            request
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":prefix", s(prefix))
        };
        let request = request.consistent_read(true).scan_index_forward(!newest_first).set_limit(limit);
        self.query_pages(request, limit.and_then(|l| usize::try_from(l).ok())).await
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
            self.batch_write(requests).await?;
        }
        Ok(())
    }

    /// Writes `items` (replacing any with the same keys), 25 to a batch.
    async fn put_all(&self, items: Vec<Item>) -> StoreResult<()> {
        for chunk in items.chunks(MAX_BATCH_WRITE) {
            let mut requests = Vec::with_capacity(chunk.len());
            for item in chunk {
                let put = build("put request", PutRequest::builder().set_item(Some(item.clone())).build())?;
                requests.push(WriteRequest::builder().put_request(put).build());
            }
            self.batch_write(requests).await?;
        }
        Ok(())
    }

    /// One batch of writes, retried until DynamoDB has processed all of it.
    async fn batch_write(&self, requests: Vec<WriteRequest>) -> StoreResult<()> {
        let pending = HashMap::from([(self.table.clone(), requests)]);
        until_processed(pending, |pending| async move {
            let out = self
                .client
                .batch_write_item()
                .set_request_items(Some(pending))
                .send()
                .await
                .map_err(|e| sdk("BatchWriteItem", e))?;
            Ok(out.unprocessed_items.filter(|u| u.values().any(|v| !v.is_empty())))
        })
        .await
    }

    /// Writes `item` if `condition` holds (with `values` for its placeholders); false when
    /// it does not.
    async fn put_if(&self, item: Item, condition: &str, values: &[(&str, AttributeValue)]) -> StoreResult<bool> {
        let mut request =
            self.client.put_item().table_name(&self.table).set_item(Some(item)).condition_expression(condition);
        for (name, value) in values {
            request = request.expression_attribute_values(*name, value.clone());
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(sdk("PutItem", e)),
        }
    }

    fn put(&self, item: Item, condition: Option<&str>) -> StoreResult<TransactWriteItem> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some(c) = condition {
            put = put.condition_expression(c);
        }
        Ok(TransactWriteItem::builder().put(build("put", put.build())?).build())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn batch(n: usize) -> HashMap<String, Vec<WriteRequest>> {
        let delete = |i: usize| {
            DeleteRequest::builder()
                .key("pk", s(format!("S#{i}")))
                .key("sk", s("META"))
                .build()
                .map(|d| WriteRequest::builder().delete_request(d).build())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        HashMap::from([("t".to_owned(), (0..n).map(delete).collect())])
    }

    #[tokio::test(start_paused = true)]
    async fn unprocessed_items_are_retried_then_reported_never_dropped() {
        let rounds = AtomicU32::new(0);
        let always_left = until_processed(batch(3), |pending| {
            rounds.fetch_add(1, Ordering::SeqCst);
            async move { Ok(Some(pending)) }
        })
        .await;
        match always_left {
            Err(StoreError::Unavailable(why)) => assert!(why.contains("3 item(s)"), "{why}"),
            other => panic!("leftovers must fail the call: {other:?}"),
        }
        assert_eq!(rounds.load(Ordering::SeqCst), BATCH_ROUNDS);

        let calls = AtomicU32::new(0);
        let drains = until_processed(batch(3), |pending| {
            let call = calls.fetch_add(1, Ordering::SeqCst);
            async move { Ok((call < 2).then_some(pending)) }
        })
        .await;
        assert!(drains.is_ok());
        assert_eq!(calls.load(Ordering::SeqCst), 3, "retried until DynamoDB took everything");
    }
}
