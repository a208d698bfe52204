use async_trait::async_trait;
use rusqlite::params;

use super::Local;
use super::db::{from_json, map_err, to_json};
use crate::ports::{Delivery, Job, JobQueue, StoreError, StoreResult};

/// Receipts are `<job id>:<lease token>`: only the current lease holder can ack.
fn parse_receipt(receipt: &str) -> StoreResult<(i64, String)> {
    let (id, lease) =
        receipt.split_once(':').ok_or_else(|| StoreError::Corrupt(format!("malformed receipt {receipt:?}")))?;
    let id = id.parse().map_err(|_| StoreError::Corrupt(format!("malformed receipt {receipt:?}")))?;
    Ok((id, lease.to_owned()))
}

#[async_trait]
impl JobQueue for Local {
    async fn enqueue(&self, job: &Job) -> StoreResult<()> {
        let body = to_json(job)?;
        self.db
            .write(move |tx| {
                // Visible at once, whatever the consumer's clock says.
                tx.execute("INSERT INTO jobs (body, visible_at) VALUES (?1, 0)", params![body]).map_err(map_err)?;
                Ok(())
            })
            .await
    }

    async fn receive(&self, max: usize, lease_ms: i64, now: i64) -> StoreResult<Vec<Delivery>> {
        let tokens = (0..max)
            .map(|_| crate::ids::access_token().map_err(|e| StoreError::Unavailable(e.to_string())))
            .collect::<StoreResult<Vec<String>>>()?;
        self.db
            .write(move |tx| {
                let mut stmt = tx
                    .prepare("SELECT id, body, attempts FROM jobs WHERE visible_at <= ?1 ORDER BY id LIMIT ?2")
                    .map_err(map_err)?;
                let rows: Vec<(i64, String, i64)> = stmt
                    .query_map(params![now, max as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .map_err(map_err)?
                    .collect::<Result<_, _>>()
                    .map_err(map_err)?;
                let mut out = Vec::with_capacity(rows.len());
                for ((id, body, attempts), lease) in rows.into_iter().zip(&tokens) {
                    tx.execute(
                        "UPDATE jobs SET attempts = attempts + 1, visible_at = ?1, lease = ?2 WHERE id = ?3",
                        params![now + lease_ms, lease, id],
                    )
                    .map_err(map_err)?;
                    out.push(Delivery {
                        receipt: format!("{id}:{lease}"),
                        job: from_json(&body)?,
                        attempt: attempts as u32 + 1,
                    });
                }
                Ok(out)
            })
            .await
    }

    async fn ack(&self, receipt: &str) -> StoreResult<()> {
        let (id, lease) = parse_receipt(receipt)?;
        self.db
            .write(move |tx| {
                tx.execute("DELETE FROM jobs WHERE id = ?1 AND lease = ?2", params![id, lease]).map_err(map_err)?;
                Ok(())
            })
            .await
    }

    async fn retry_later(&self, receipt: &str, delay_ms: i64, now: i64) -> StoreResult<()> {
        let (id, lease) = parse_receipt(receipt)?;
        self.db
            .write(move |tx| {
                tx.execute(
                    "UPDATE jobs SET visible_at = ?1 WHERE id = ?2 AND lease = ?3",
                    params![now + delay_ms, id, lease],
                )
                .map_err(map_err)?;
                Ok(())
            })
            .await
    }

    async fn depth(&self) -> StoreResult<u64> {
        self.db
            .read(|conn| {
                conn.query_row("SELECT COUNT(*) FROM jobs", [], |r| r.get::<_, i64>(0))
                    .map(|n| n as u64)
                    .map_err(map_err)
            })
            .await
    }
}
