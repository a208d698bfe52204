use std::collections::BTreeMap;

use async_trait::async_trait;

use super::StoreResult;

/// Named integers shared by every instance: counters incremented atomically, and gauges
/// or switches set outright (the circuit state, the smart-mode kill switch).
#[async_trait]
pub trait Counters: Send + Sync {
    async fn add(&self, deltas: &[(&str, i64)]) -> StoreResult<()>;
    async fn set(&self, name: &str, value: i64) -> StoreResult<()>;
    async fn get(&self, name: &str) -> StoreResult<Option<i64>>;
    async fn snapshot(&self) -> StoreResult<BTreeMap<String, i64>>;
}
