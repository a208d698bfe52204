//! Shared counters, updated with `ADD`.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::super::errors::sdk;
use super::{Dynamo, attr_n, attr_s, n, s};
use crate::ports::{Counters, DailyDelta, StoreResult};

/// The partition of the daily counters (sort key `<day>#<name>`), apart from the running
/// totals so that `/api/metrics` never reads them.
const DAILY: &str = "DAILY";

/// How long a daily counter is kept: a year of reports, and a month to spare.
const DAILY_KEPT_SECS: i64 = 400 * 24 * 3_600;

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

    async fn add_daily(&self, deltas: &[DailyDelta]) -> StoreResult<()> {
        let updates = deltas.iter().map(|d| {
            let day_secs = crate::time::parse_day(&d.day).unwrap_or_default() / 1_000;
            self.client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(DAILY))
                .key("sk", s(format!("{}#{}", d.day, d.name)))
                .update_expression("ADD v :d SET #ttl = :ttl")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":d", n(d.delta))
                .expression_attribute_values(":ttl", n(day_secs + DAILY_KEPT_SECS))
                .send()
        });
        for result in futures::future::join_all(updates).await {
            result.map_err(|e| sdk("UpdateItem", e))?;
        }
        Ok(())
    }

    async fn daily_sums(&self, from: &str, to: &str) -> StoreResult<BTreeMap<String, i64>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(DAILY))
            .expression_attribute_values(":from", s(format!("{from}#")))
            // '$' sorts right after '#': every name of the last day.
            .expression_attribute_values(":to", s(format!("{to}$")))
            .consistent_read(true);
        let mut sums = BTreeMap::new();
        for item in self.query_pages(query, None).await? {
            if let (Some((_, name)), Some(v)) =
                (attr_s(&item, "sk").and_then(|k| k.split_once('#')), attr_n(&item, "v"))
            {
                *sums.entry(name.to_owned()).or_insert(0) += v;
            }
        }
        Ok(sums)
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
