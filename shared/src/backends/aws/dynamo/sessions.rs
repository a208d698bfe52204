//! Sessions, their transcripts and the replies to `messageId`s: one partition per session.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, ReturnValue, TransactWriteItem};

use super::super::errors::sdk;
use super::{Dynamo, Item, alive, attr_n, attr_s, body, build, condition_failed, json, n, record, s, ttl};
use crate::ids::SessionId;
use crate::ports::{CommitOutcome, Session, SessionStore, StoreResult, TranscriptEntry, TurnRecord};

fn session_pk(id: &SessionId) -> String {
    format!("S#{id}")
}

/// The sparse index of sessions whose case waits on the visitor: its partition attribute
/// (one value) and its sort attribute (since when the case has waited).
pub const IDLE_INDEX: &str = "IdleCases";
const IDLE_PARTITION: &str = "IDLE";

/// Puts the session's item in the idle-case index while its case waits on the visitor
/// (the item is written whole, so out of it otherwise).
fn watch_idle(item: &mut Item, session: &Session) {
    if let Some(at) = session.waiting_since() {
        item.insert("iw".into(), s(IDLE_PARTITION));
        item.insert("wa".into(), n(at));
    }
}

#[async_trait]
impl SessionStore for Dynamo {
    async fn create(&self, session: &Session) -> StoreResult<bool> {
        let mut item = record(session_pk(&session.id), "META".into(), Some(session.expires_at), json(session)?);
        item.insert("ver".into(), n(session.version as i64));
        watch_idle(&mut item, session);
        self.put_if(item, "attribute_not_exists(pk)", &[]).await
    }

    async fn get(&self, id: &SessionId, now: i64) -> StoreResult<Option<Session>> {
        match Dynamo::get(self, &session_pk(id), "META").await? {
            Some(item) if alive(&item, now) => Ok(Some(body(&item)?)),
            _ => Ok(None),
        }
    }

    async fn commit_turn(&self, turn: &TurnRecord) -> StoreResult<CommitOutcome> {
        let pk = session_pk(&turn.session.id);
        let expires = turn.session.expires_at;
        let mut stored = crate::ports::Session::clone(&turn.session);
        if stored.transcript_expires_at < expires {
            // Messages written earlier would lapse (TTL) before the session: move them
            // past its new expiry, with slack so this happens once per quarter of a
            // session lifetime of activity, not every turn. Done before the commit: a
            // later TTL is harmless if the commit then loses its race.
            let slack = (expires - stored.updated_at).max(0) / 4;
            stored.transcript_expires_at = expires + slack;
            // Before the first committed turn there is no transcript to move.
            if turn.expected_version > 1 {
                self.restamp(&pk, stored.transcript_expires_at).await?;
            }
        }
        let transcript_expires = stored.transcript_expires_at;
        let mut session = record(pk.clone(), "META".into(), Some(expires), json(&stored)?);
        session.insert("ver".into(), n(turn.session.version as i64));
        watch_idle(&mut session, &turn.session);
        let meta = Put::builder()
            .table_name(&self.table)
            .set_item(Some(session))
            .condition_expression("ver = :expected AND exp > :now")
            .expression_attribute_values(":expected", n(turn.expected_version as i64))
            .expression_attribute_values(":now", n(turn.session.updated_at));
        let mut items = vec![TransactWriteItem::builder().put(build("put", meta.build())?).build()];
        for entry in &turn.entries {
            let item = record(pk.clone(), format!("M#{:020}", entry.seq), Some(transcript_expires), json(entry)?);
            items.push(self.put(item, Some("attribute_not_exists(pk)"))?);
        }
        if let Some(entry) = &turn.rewritten {
            // The earlier line, replaced in the same transaction (it must still exist).
            let item = record(pk.clone(), format!("M#{:020}", entry.seq), Some(transcript_expires), json(entry)?);
            items.push(self.put(item, Some("attribute_exists(pk)"))?);
        }
        if let Some(mid) = &turn.message_id {
            let mut item = record(pk.clone(), format!("R#{mid}"), Some(transcript_expires), String::new());
            item.insert("body".into(), s(turn.response_json.clone()));
            items.push(self.put(item, Some("attribute_not_exists(pk)"))?);
        }
        let reply_index = turn.message_id.as_ref().map(|_| items.len() - 1);
        let result = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        let error = match result {
            Ok(_) => return Ok(CommitOutcome::Committed),
            Err(e) => e,
        };
        let reasons = match error.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(c)) => c.cancellation_reasons().to_vec(),
            _ => return Err(sdk("TransactWriteItems", error)),
        };
        if let (Some(i), Some(mid)) = (reply_index, &turn.message_id)
            && condition_failed(reasons.get(i))
            && let Some(earlier) = self.find_reply(&turn.session.id, mid).await?
        {
            return Ok(CommitOutcome::Duplicate(earlier));
        }
        // A failed version check or a concurrent transaction on the same items: re-read.
        Ok(CommitOutcome::Conflict)
    }

    async fn find_reply(&self, id: &SessionId, message_id: &str) -> StoreResult<Option<String>> {
        let item = Dynamo::get(self, &session_pk(id), &format!("R#{message_id}")).await?;
        Ok(item.and_then(|i| attr_s(&i, "body").map(str::to_owned)))
    }

    async fn transcript(&self, id: &SessionId) -> StoreResult<Vec<TranscriptEntry>> {
        self.query(&session_pk(id), "M#", false, None).await?.iter().map(body).collect()
    }

    async fn save_resume_token(&self, token_hash: &str, session: &SessionId, expires_at: i64) -> StoreResult<()> {
        let item = record(format!("RT#{token_hash}"), "RESUME".into(), Some(expires_at), json(&session.as_str())?);
        self.put_all(vec![item]).await
    }

    async fn take_resume_token(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionId>> {
        let old = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("RT#{token_hash}")))
            .key("sk", s("RESUME".to_owned()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk("DeleteItem", e))?
            .attributes;
        match old {
            Some(item) if !item.is_empty() && alive(&item, now) => {
                let session: String = body(&item)?;
                SessionId::parse(&session)
                    .map(Some)
                    .map_err(|e| crate::ports::StoreError::Corrupt(format!("resume token owner: {e}")))
            }
            _ => Ok(None),
        }
    }

    async fn delete(&self, id: &SessionId) -> StoreResult<bool> {
        let pk = session_pk(id);
        let items = self.query(&pk, "", false, None).await?;
        let existed = items.iter().any(|i| attr_s(i, "sk") == Some("META"));
        let keys = items.iter().filter_map(|i| attr_s(i, "sk")).map(|sk| (pk.clone(), sk.to_owned())).collect();
        self.delete_keys(keys).await?;
        Ok(existed)
    }

    async fn idle_cases(&self, quiet_since: i64, now: i64, limit: usize) -> StoreResult<Vec<SessionId>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(IDLE_INDEX)
            .key_condition_expression("iw = :iw AND wa <= :quiet")
            // An expired session waits for TTL to remove it; it is nobody's case.
            .filter_expression("exp > :now")
            .expression_attribute_values(":iw", s(IDLE_PARTITION))
            .expression_attribute_values(":quiet", n(quiet_since))
            .expression_attribute_values(":now", n(now))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX));
        let items = self.query_pages(query, Some(limit)).await?;
        Ok(items
            .iter()
            .filter_map(|i| attr_s(i, "pk")?.strip_prefix("S#").and_then(|id| SessionId::parse(id).ok()))
            .collect())
    }

    async fn purge_expired(&self, _now: i64) -> StoreResult<u64> {
        // DynamoDB TTL deletes expired items; reads already ignore them.
        Ok(0)
    }

    async fn ping(&self) -> StoreResult<()> {
        Dynamo::get(self, "HEALTH", "PING").await.map(|_| ())
    }
}

impl Dynamo {
    /// Gives every transcript entry and stored reply of the session partition `pk` the
    /// expiry `until` (an entry is never shortened: `until` only grows).
    async fn restamp(&self, pk: &str, until: i64) -> StoreResult<()> {
        let items: Vec<Item> = self
            .query(pk, "", false, None)
            .await?
            .into_iter()
            .filter(|i| attr_s(i, "sk").is_some_and(|sk| sk.starts_with("M#") || sk.starts_with("R#")))
            .filter(|i| attr_n(i, "exp").is_none_or(|exp| exp < until))
            .map(|mut i| {
                i.insert("exp".into(), n(until));
                i.insert("ttl".into(), ttl(until));
                i
            })
            .collect();
        self.put_all(items).await
    }
}

#[cfg(feature = "contract-tests")]
impl Dynamo {
    /// (sort key, `exp`) of every item of a session's partition: lets tests on an
    /// emulator, which never runs TTL, check the expiry bookkeeping itself.
    pub async fn partition_expiries(&self, id: &SessionId) -> StoreResult<Vec<(String, i64)>> {
        let items = self.query(&session_pk(id), "", false, None).await?;
        Ok(items.iter().filter_map(|i| Some((attr_s(i, "sk")?.to_owned(), attr_n(i, "exp")?))).collect())
    }
}
