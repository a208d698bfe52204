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

/// The item naming the session of an upload (object keys do not), living as long as the
/// upload's own record.
fn owner_key(id: &UploadId) -> (String, String) {
    (format!("UO#{id}"), "OWNER".to_owned())
}

fn upload_from(item: &Item) -> StoreResult<Upload> {
    let mut upload: Upload = body(item)?;
    upload.claimed_until = attr_n(item, "cl");
    Ok(upload)
}

#[async_trait]
impl UploadStore for Dynamo {
    async fn create(&self, upload: &Upload) -> StoreResult<()> {
        self.put_owner(&upload.id, &upload.session_id, upload.expires_at).await?;
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

    async fn owner(&self, id: &UploadId, now: i64) -> StoreResult<Option<SessionId>> {
        let (pk, sk) = owner_key(id);
        match Dynamo::get(self, &pk, &sk).await? {
            Some(item) if alive(&item, now) => {
                let session: String = body(&item)?;
                SessionId::parse(&session)
                    .map(Some)
                    .map_err(|e| StoreError::Corrupt(format!("upload owner {session:?}: {e}")))
            }
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
        // The owner lives as long as the record: first, so a record never outlives it.
        self.put_owner(id, session, expires_at).await?;
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
        let mut keys: Vec<(String, String)> =
            items.iter().filter_map(|i| attr_s(i, "sk")).map(|sk| (pk.clone(), sk.to_owned())).collect();
        keys.extend(uploads.iter().map(|u| owner_key(&u.id)));
        self.delete_keys(keys).await?;
        Ok(uploads)
    }

    /// DynamoDB TTL removes the records and the bucket's lifecycle rule the files.
    async fn expired(&self, _now: i64, _limit: usize) -> StoreResult<Vec<Upload>> {
        Ok(Vec::new())
    }

    async fn delete(&self, session: &SessionId, id: &UploadId) -> StoreResult<bool> {
        let (owner_pk, owner_sk) = owner_key(id);
        self.delete_keys(vec![(owner_pk, owner_sk)]).await?;
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

impl Dynamo {
    async fn put_owner(&self, id: &UploadId, session: &SessionId, expires_at: i64) -> StoreResult<()> {
        let (pk, sk) = owner_key(id);
        self.put_all(vec![record(pk, sk, Some(expires_at), json(&session.as_str())?)]).await
    }
}
