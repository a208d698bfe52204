//! The app log: one partition per day.

use async_trait::async_trait;

use super::super::errors::sdk;
use super::{Dynamo, alive, attr_n, body, json, n, record};
use crate::ports::{AppLog, LogEntry, StoreResult};

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
