//! Rate limits ([`Gcra`]): one item per key holding its arrival time `tat` (µs), moved by one
//! conditional update per allowed hit.
//!
//! DynamoDB cannot write `max(tat, now) + interval`, so a hit is one of two updates: a
//! *free* key's (`tat` absent or past: set it to `now + interval`) or a *busy* key's
//! (`tat` between now and the latest that passes: add the interval). Each instance
//! remembers the `tat` it last saw per key to pick the right one first; a wrong guess
//! (another instance moved the key) fails its condition, returns the item, and the other
//! update follows. A key this instance already saw past the latest passing `tat` is
//! refused without a call: arrival times only move forward.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};

use super::super::errors::sdk;
use super::{Dynamo, Item, attr_n, n, s, ttl};
use crate::ports::{Gcra, RateDecision, RateLimiter, StoreError, StoreResult, tat_free_at_ms};

/// Keys remembered before the free ones are forgotten.
const REMEMBER_AT_MOST: usize = 4_096;
/// Updates tried per hit: a guess, the other update, and one more for a key that another
/// instance freed meanwhile (TTL deletion).
const ATTEMPTS: usize = 3;

/// The `tat` this instance last saw per key.
#[derive(Default)]
pub struct SeenKeys(Mutex<HashMap<String, i64>>);

impl SeenKeys {
    fn get(&self, key: &str) -> Option<i64> {
        self.0.lock().ok().and_then(|seen| seen.get(key).copied())
    }

    fn remember(&self, key: &str, tat: i64, now: i64) {
        if let Ok(mut seen) = self.0.lock() {
            if seen.len() >= REMEMBER_AT_MOST {
                seen.retain(|_, tat| tat_free_at_ms(*tat) > now);
                if seen.len() >= REMEMBER_AT_MOST {
                    seen.clear();
                }
            }
            seen.insert(key.to_owned(), tat);
        }
    }
}

enum Attempt {
    Passed(i64),
    /// The condition failed; the key's `tat` as it is (`None`: no item).
    Found(Option<i64>),
}

impl Dynamo {
    async fn try_hit(&self, key: &str, gcra: Gcra, busy: bool, now: i64) -> StoreResult<Attempt> {
        let (interval, now_us) = (gcra.interval_us(), now * 1_000);
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("RL#{key}")))
            .key("sk", s("GCRA"))
            .expression_attribute_names("#ttl", "ttl")
            // The new `tat` is at most a window ahead: the item is useless after that.
            .expression_attribute_values(":ttl", ttl(now + gcra.window_ms))
            .expression_attribute_values(":now", n(now_us))
            .return_values(ReturnValue::UpdatedNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let update = if busy {
            update
                .update_expression("SET tat = tat + :interval, #ttl = :ttl")
                .condition_expression("tat >= :now AND tat <= :latest")
                .expression_attribute_values(":interval", n(interval))
                .expression_attribute_values(":latest", n(gcra.latest_passing_tat(now)))
        } else {
            update
                .update_expression("SET tat = :next, #ttl = :ttl")
                .condition_expression("attribute_not_exists(tat) OR tat < :now")
                .expression_attribute_values(":next", n(gcra.after_hit(None, now)))
        };
        match update.send().await {
            Ok(out) => {
                let tat = out.attributes.as_ref().and_then(|item| attr_n(item, "tat"));
                Ok(Attempt::Passed(tat.unwrap_or_else(|| gcra.after_hit(None, now))))
            }
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(c)) => {
                    Ok(Attempt::Found(c.item.as_ref().and_then(|item: &Item| attr_n(item, "tat"))))
                }
                _ => Err(sdk("UpdateItem", e)),
            },
        }
    }
}

#[async_trait]
impl RateLimiter for Dynamo {
    async fn hit(&self, key: &str, limit: u32, window_ms: i64, now: i64) -> StoreResult<RateDecision> {
        let gcra = Gcra { limit, window_ms };
        let mut seen = self.rate_keys.get(key);
        if gcra.refuses(seen, now) {
            return Ok(RateDecision::Limited { retry_after_secs: gcra.retry_after_secs(seen, now) });
        }
        for _ in 0..ATTEMPTS {
            let busy = seen.is_some_and(|tat| tat >= now * 1_000);
            match self.try_hit(key, gcra, busy, now).await? {
                Attempt::Passed(tat) => {
                    self.rate_keys.remember(key, tat, now);
                    return Ok(RateDecision::Allowed);
                }
                Attempt::Found(tat) => {
                    if let Some(tat) = tat {
                        self.rate_keys.remember(key, tat, now);
                    }
                    if gcra.refuses(tat, now) {
                        return Ok(RateDecision::Limited { retry_after_secs: gcra.retry_after_secs(tat, now) });
                    }
                    // The other update fits what the item holds: try it.
                    seen = tat;
                }
            }
        }
        Err(StoreError::Unavailable(format!("rate limit of {key} kept moving under {ATTEMPTS} updates")))
    }

    async fn purge_expired(&self, _now: i64) -> StoreResult<u64> {
        Ok(0)
    }
}
