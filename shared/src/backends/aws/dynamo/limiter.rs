//! Sliding-window rate limits: one item per window, written conditionally.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;

use super::super::errors::sdk;
use super::{Dynamo, Item, attr_n, n, s, ttl};
use crate::ports::{RateDecision, RateLimiter, SlidingWindow, StoreResult};

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
