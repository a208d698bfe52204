use std::collections::BTreeMap;

use async_trait::async_trait;

use super::StoreResult;

/// Named integer counters shared by every instance, incremented atomically.
#[async_trait]
pub trait Counters: Send + Sync {
    async fn add(&self, deltas: &[(&str, i64)]) -> StoreResult<()>;
    async fn snapshot(&self) -> StoreResult<BTreeMap<String, i64>>;
}
