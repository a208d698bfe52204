//! The table's restore drill: a point-in-time restore into a new table, checked (item
//! counts, a known session, TTL switched back on, since restores do not carry it), with
//! the commands that would move the stack onto it. Run against a sandbox account or an
//! emulator; it never touches the source table.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Select, TableStatus, TimeToLiveSpecification};

use super::errors::sdk;
use crate::ids::SessionId;
use crate::ports::{StoreError, StoreResult};

/// What the drill found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drill {
    pub source_items: u64,
    pub restored_items: u64,
    pub session_found: bool,
    pub pitr_status: String,
    pub restore_secs: u64,
}

/// How long a restore may take before the drill gives up waiting.
const RESTORE_DEADLINE: Duration = Duration::from_secs(30 * 60);

async fn count_items(client: &Client, table: &str) -> StoreResult<u64> {
    let mut total = 0u64;
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .select(Select::Count)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| sdk("Scan", e))?;
        total += u64::try_from(page.count).unwrap_or(0);
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(total),
        }
    }
}

pub async fn run(client: &Client, source: &str, target: &str, session: &SessionId) -> StoreResult<Drill> {
    let pitr_status = match client.describe_continuous_backups().table_name(source).send().await {
        Ok(out) => out
            .continuous_backups_description
            .and_then(|d| d.point_in_time_recovery_description)
            .and_then(|p| p.point_in_time_recovery_status)
            .map(|s| s.as_str().to_owned())
            .unwrap_or_else(|| "unknown".into()),
        Err(e) => return Err(sdk("DescribeContinuousBackups", e)),
    };
    let started = Instant::now();
    client
        .restore_table_to_point_in_time()
        .source_table_name(source)
        .target_table_name(target)
        .use_latest_restorable_time(true)
        .send()
        .await
        .map_err(|e| sdk("RestoreTableToPointInTime", e))?;
    loop {
        let described = client.describe_table().table_name(target).send().await.map_err(|e| sdk("DescribeTable", e))?;
        if described.table.and_then(|t| t.table_status) == Some(TableStatus::Active) {
            break;
        }
        if started.elapsed() > RESTORE_DEADLINE {
            return Err(StoreError::Unavailable(format!("{target} is not active after {RESTORE_DEADLINE:?}")));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let restore_secs = started.elapsed().as_secs();
    let ttl = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name("ttl")
        .build()
        .map_err(|e| StoreError::Corrupt(format!("TTL specification: {e}")))?;
    client
        .update_time_to_live()
        .table_name(target)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|e| sdk("UpdateTimeToLive", e))?;
    let session_found = client
        .get_item()
        .table_name(target)
        .key("pk", AttributeValue::S(format!("S#{session}")))
        .key("sk", AttributeValue::S("META".into()))
        .send()
        .await
        .map_err(|e| sdk("GetItem", e))?
        .item
        .is_some_and(|item| !item.is_empty());
    Ok(Drill {
        source_items: count_items(client, source).await?,
        restored_items: count_items(client, target).await?,
        session_found,
        pitr_status,
        restore_secs,
    })
}
