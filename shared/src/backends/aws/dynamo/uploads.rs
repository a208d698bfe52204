//! Upload records and their worker claims.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;

use super::super::errors::sdk;
use super::{Dynamo, Item, alive, attr_n, attr_s, body, json, n, record, s};
use crate::ids::{SessionId, UploadId};
use crate::ports::{StoreError, StoreResult, Upload, UploadOutcome, UploadStatus, UploadStore};

fn upload_key(session: &SessionId, id: &UploadId) -> (String, String) {
    (format!("SU#{session}"), format!("U#{id}"))
}

fn upload_from(item: &Item) -> StoreResult<Upload> {
    let mut upload: Upload = body(item)?;
    upload.claimed_until = attr_n(item, "cl");
    Ok(upload)
}

#[async_trait]
impl UploadStore for Dynamo {
    async fn create(&self, upload: &Upload) -> StoreResult<()> {
        let (pk, sk) = upload_key(&upload.session_id, &upload.id);
        let mut item = record(pk, sk, Some(upload.expires_at), json(upload)?);
        item.insert("st".into(), s(upload.status.as_str()));
        // Upload ids are random: an existing item means a bug, not a race to lose quietly.
        if self.put_if(item, "attribute_not_exists(pk)", &[]).await? {
            Ok(())
        } else {
            Err(StoreError::Corrupt(format!("upload {} already exists", upload.id)))
        }
    }

    async fn get(&self, session: &SessionId, id: &UploadId, now: i64) -> StoreResult<Option<Upload>> {
        let (pk, sk) = upload_key(session, id);
        match Dynamo::get(self, &pk, &sk).await? {
            Some(item) if alive(&item, now) => Ok(Some(upload_from(&item)?)),
            _ => Ok(None),
        }
    }

    async fn list_for_session(&self, session: &SessionId, now: i64) -> StoreResult<Vec<Upload>> {
        let items = self.query(&format!("SU#{session}"), "U#", false, None).await?;
        let mut uploads: Vec<Upload> =
            items.iter().filter(|i| alive(i, now)).map(upload_from).collect::<StoreResult<_>>()?;
        uploads.sort_by_key(|u| (u.created_at, u.id.to_string()));
        Ok(uploads)
    }

    async fn claim(&self, session: &SessionId, id: &UploadId, until: i64, now: i64) -> StoreResult<bool> {
        let (pk, sk) = upload_key(session, id);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression("SET cl = :until")
            .condition_expression("attribute_exists(pk) AND st = :queued AND (attribute_not_exists(cl) OR cl <= :now)")
            .expression_attribute_values(":until", n(until))
            .expression_attribute_values(":queued", s(UploadStatus::Queued.as_str()))
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(sdk("UpdateItem", e)),
        }
    }

    async fn mark_received(&self, session: &SessionId, id: &UploadId, expires_at: i64, now: i64) -> StoreResult<bool> {
        let (pk, sk) = upload_key(session, id);
        let Some(item) = Dynamo::get(self, &pk, &sk).await? else {
            return Ok(false);
        };
        let mut upload = upload_from(&item)?;
        if upload.status != UploadStatus::AwaitingUpload || !alive(&item, now) {
            return Ok(false);
        }
        upload.status = UploadStatus::Queued;
        upload.expires_at = expires_at;
        let mut replacement = record(pk, sk, Some(expires_at), json(&upload)?);
        replacement.insert("st".into(), s(upload.status.as_str()));
        self.put_if(replacement, "st = :awaiting", &[(":awaiting", s(UploadStatus::AwaitingUpload.as_str()))]).await
    }

    async fn complete(
        &self,
        session: &SessionId,
        id: &UploadId,
        outcome: &UploadOutcome,
        now: i64,
    ) -> StoreResult<bool> {
        let (pk, sk) = upload_key(session, id);
        let Some(item) = Dynamo::get(self, &pk, &sk).await? else {
            return Ok(false);
        };
        let mut upload = upload_from(&item)?;
        if upload.status != UploadStatus::Queued {
            return Ok(false);
        }
        upload.finish(outcome.clone(), now);
        let mut replacement = record(pk, sk, Some(upload.expires_at), json(&upload)?);
        replacement.insert("st".into(), s(upload.status.as_str()));
        self.put_if(replacement, "st = :queued", &[(":queued", s(UploadStatus::Queued.as_str()))]).await
    }

    async fn delete_for_session(&self, session: &SessionId) -> StoreResult<Vec<Upload>> {
        let pk = format!("SU#{session}");
        let items = self.query(&pk, "U#", false, None).await?;
        let uploads = items.iter().map(upload_from).collect::<StoreResult<Vec<_>>>()?;
        let keys = items.iter().filter_map(|i| attr_s(i, "sk")).map(|sk| (pk.clone(), sk.to_owned())).collect();
        self.delete_keys(keys).await?;
        Ok(uploads)
    }

    /// DynamoDB TTL removes the records and the bucket's lifecycle rule the files.
    async fn expired(&self, _now: i64, _limit: usize) -> StoreResult<Vec<Upload>> {
        Ok(Vec::new())
    }

    async fn delete(&self, session: &SessionId, id: &UploadId) -> StoreResult<bool> {
        let (pk, sk) = upload_key(session, id);
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk("DeleteItem", e))?;
        Ok(out.attributes.is_some_and(|old| !old.is_empty()))
    }

    /// The bucket's notification enqueues every stored object; a record whose object
    /// never arrived is settled when its status is read (`services::uploads::status::view`).
    async fn stale_queued(&self, _created_before: i64, _now: i64, _limit: usize) -> StoreResult<Vec<Upload>> {
        Ok(Vec::new())
    }
}
