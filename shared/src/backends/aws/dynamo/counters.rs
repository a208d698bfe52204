//! Shared counters, updated with `ADD`.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::super::errors::sdk;
use super::{Dynamo, attr_n, attr_s, n, s};
use crate::ports::{Counters, StoreResult};

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
