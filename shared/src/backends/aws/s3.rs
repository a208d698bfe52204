//! Blobs in S3: server-side encrypted (SSE-KMS when a key is configured, SSE-S3
//! otherwise), with a CRC32 checksum the service verifies on upload.

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, Delete, ObjectIdentifier, ServerSideEncryption};
use bytes::Bytes;

use super::errors::sdk;
use crate::ports::{BlobStore, StoreError, StoreResult, is_valid_blob_key};

pub struct S3Blobs {
    client: Client,
    bucket: String,
    kms_key_id: Option<String>,
}

impl S3Blobs {
    pub fn new(client: Client, bucket: String, kms_key_id: Option<String>) -> S3Blobs {
        S3Blobs { client, bucket, kms_key_id }
    }
}

fn checked(key: &str) -> StoreResult<&str> {
    if is_valid_blob_key(key) { Ok(key) } else { Err(StoreError::Corrupt(format!("invalid blob key {key:?}"))) }
}

/// S3 deletes at most this many keys per request.
const DELETE_BATCH: usize = 1000;

#[async_trait]
impl BlobStore for S3Blobs {
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> StoreResult<()> {
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(checked(key)?)
            .content_type(content_type)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(bytes));
        request = match &self.kms_key_id {
            Some(kms) => request.server_side_encryption(ServerSideEncryption::AwsKms).ssekms_key_id(kms),
            None => request.server_side_encryption(ServerSideEncryption::Aes256),
        };
        request.send().await.map_err(|e| sdk("PutObject", e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Bytes>> {
        let result = self.client.get_object().bucket(&self.bucket).key(checked(key)?).send().await;
        let out = match result {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|se| se.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(sdk("GetObject", e)),
        };
        let data = out.body.collect().await.map_err(|e| StoreError::Unavailable(format!("GetObject body: {e}")))?;
        Ok(Some(data.into_bytes()))
    }

    async fn exists(&self, key: &str) -> StoreResult<bool> {
        match self.client.head_object().bucket(&self.bucket).key(checked(key)?).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_not_found()) => Ok(false),
            // Without s3:ListBucket S3 answers a missing key with 403, not 404. The template
            // grants it, but a policy that lost it must leave an upload "not there yet"
            // (the visitor keeps polling), not turn every poll into a 503.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => {
                tracing::warn!(key, "HeadObject answered 403: read as not there yet (is s3:ListBucket granted?)");
                Ok(false)
            }
            Err(e) => Err(sdk("HeadObject", e)),
        }
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(checked(key)?)
            .send()
            .await
            .map_err(|e| sdk("DeleteObject", e))?;
        Ok(())
    }

    async fn delete_prefix(&self, prefix: &str) -> StoreResult<u64> {
        if prefix.is_empty() || prefix.contains("..") {
            return Err(StoreError::Corrupt(format!("refusing to delete prefix {prefix:?}")));
        }
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| sdk("ListObjectsV2", e))?;
            keys.extend(out.contents.unwrap_or_default().into_iter().filter_map(|o| o.key));
            match out.next_continuation_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        for chunk in keys.chunks(DELETE_BATCH) {
            let objects = chunk
                .iter()
                .map(|k| ObjectIdentifier::builder().key(k).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| StoreError::Corrupt(format!("cannot build a delete request: {e}")))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| StoreError::Corrupt(format!("cannot build a delete request: {e}")))?;
            self.client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| sdk("DeleteObjects", e))?;
        }
        Ok(keys.len() as u64)
    }

    async fn ping(&self) -> StoreResult<()> {
        self.client.head_bucket().bucket(&self.bucket).send().await.map_err(|e| sdk("HeadBucket", e))?;
        Ok(())
    }
}

/// Presigned `PUT`s straight into the bucket. S3 checks the signature, so the type, the
/// exact length and the encryption headers signed here are the only ones it accepts.
pub struct S3Signer {
    /// A client that adds no checksum of its own: at signing time there is no body, and a
    /// checksum of nothing would be signed into the URL and refuse every real upload.
    client: Client,
    bucket: String,
    kms_key_id: Option<String>,
}

impl S3Signer {
    pub fn new(config: aws_sdk_s3::config::Builder, bucket: String, kms_key_id: Option<String>) -> S3Signer {
        let config =
            config.request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired).build();
        S3Signer { client: Client::from_conf(config), bucket, kms_key_id }
    }
}

/// A presigned request valid from now until `expires_at` (ms), at least a second.
fn presigning_until(expires_at: i64) -> StoreResult<aws_sdk_s3::presigning::PresigningConfig> {
    let now = crate::time::now_ms();
    let lifetime = std::time::Duration::from_millis(u64::try_from(expires_at - now).unwrap_or(0).max(1_000));
    let start = std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(now).unwrap_or(0));
    aws_sdk_s3::presigning::PresigningConfig::builder()
        .start_time(start)
        .expires_in(lifetime)
        .build()
        .map_err(|e| StoreError::Corrupt(format!("cannot presign for {lifetime:?}: {e}")))
}

#[async_trait]
impl crate::ports::UploadSigner for S3Signer {
    async fn sign(&self, grant: &crate::ports::PutGrant, _base_url: &str) -> StoreResult<crate::ports::SignedPut> {
        let presigning = presigning_until(grant.expires_at)?;
        let length = i64::try_from(grant.length).map_err(|_| StoreError::Corrupt("upload length overflows".into()))?;
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(checked(&grant.key())?)
            .content_type(&grant.content_type)
            .content_length(length)
            // Single use: S3 refuses (412) a second PUT through the same URL while the first
            // object is there (conditional writes); the worker deletes one that arrives after.
            .if_none_match("*");
        request = match &self.kms_key_id {
            Some(kms) => request.server_side_encryption(ServerSideEncryption::AwsKms).ssekms_key_id(kms),
            None => request.server_side_encryption(ServerSideEncryption::Aes256),
        };
        let presigned = request.presigned(presigning).await.map_err(|e| sdk("PutObject (presign)", e))?;
        // The client's HTTP stack sets Content-Length from the body (browsers refuse to let
        // scripts set it); every other signed header must be sent as given.
        let headers = presigned
            .headers()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("content-length") && !name.eq_ignore_ascii_case("host"))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        Ok(crate::ports::SignedPut { url: presigned.uri().to_owned(), headers })
    }

    async fn sign_get(&self, key: &str, expires_at: i64, _base_url: &str) -> StoreResult<String> {
        let presigning = presigning_until(expires_at)?;
        let presigned = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(checked(key)?)
            .presigned(presigning)
            .await
            .map_err(|e| sdk("GetObject (presign)", e))?;
        Ok(presigned.uri().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
    use aws_smithy_types::body::SdkBody;

    use super::*;

    /// Blobs on an S3 that answers every request with `status` (and an empty body, as
    /// HeadObject's answers have).
    fn s3_answering(statuses: &[u16]) -> (S3Blobs, StaticReplayClient) {
        let events = statuses
            .iter()
            .map(|status| {
                let request = http::Request::builder()
                    .uri("https://uploads.s3.us-east-1.amazonaws.com/uploads/k")
                    .body(SdkBody::empty());
                let response = http::Response::builder().status(*status).body(SdkBody::empty());
                match (request, response) {
                    (Ok(request), Ok(response)) => ReplayEvent::new(request, response),
                    _ => panic!("cannot build the replayed exchange"),
                }
            })
            .collect();
        let replay = StaticReplayClient::new(events);
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "replay"))
            .http_client(replay.clone())
            .build();
        (S3Blobs::new(Client::from_conf(config), "uploads".into(), None), replay)
    }

    #[tokio::test]
    async fn a_missing_key_is_not_there_yet_whether_s3_says_404_or_403() {
        let (blobs, replay) = s3_answering(&[404, 403, 200]);
        for (status, expected) in [(404, false), (403, false), (200, true)] {
            match blobs.exists("uploads/k").await {
                Ok(found) => assert_eq!(found, expected, "HeadObject answered {status}"),
                Err(e) => panic!("HeadObject answered {status}: {e}"),
            }
        }
        assert_eq!(replay.actual_requests().count(), 3, "one HeadObject each");
    }

    #[tokio::test]
    async fn other_refusals_are_still_errors() {
        let (blobs, _) = s3_answering(&[500, 500, 500, 500]);
        assert!(blobs.exists("uploads/k").await.is_err(), "a 500 is not an answer");
    }
}
