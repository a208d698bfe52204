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
            .content_length(length);
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
