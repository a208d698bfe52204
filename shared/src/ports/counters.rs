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
    /// Adds to counters of single days, kept apart from the running totals (which
    /// [`Counters::snapshot`] reads without them).
    async fn add_daily(&self, deltas: &[DailyDelta]) -> StoreResult<()>;
    /// Each daily counter summed over the days `from ..= to` (`yyyy-mm-dd`).
    async fn daily_sums(&self, from: &str, to: &str) -> StoreResult<BTreeMap<String, i64>>;
}

/// A change to one counter of one day (UTC, `yyyy-mm-dd`): what a report over a period
/// sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyDelta {
    pub day: String,
    pub name: String,
    pub delta: i64,
}
