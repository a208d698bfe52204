//! Signed upload URLs: the browser puts an image's bytes straight into storage (S3 on
//! AWS, `sti serve` itself locally) instead of through a function invocation.

use async_trait::async_trait;

use super::StoreResult;
use crate::ids::{SessionId, UploadId};

/// What a signed URL allows: one `PUT` of exactly `length` bytes of `content_type` to
/// the upload's key, until `expires_at` (ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutGrant {
    pub session: SessionId,
    pub upload: UploadId,
    pub content_type: String,
    pub length: u64,
    pub expires_at: i64,
}

impl PutGrant {
    /// The blob key the bytes land under (the one storage events carry to the worker).
    pub fn key(&self) -> String {
        super::uploads::original_key(&self.session, &self.upload)
    }
}

/// A request the client makes as it is: `method` to `url` with these `headers`
/// (besides the `Content-Length` its HTTP stack sets from the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPut {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

#[async_trait]
pub trait UploadSigner: Send + Sync {
    /// A URL for `grant`. `base_url` is where this server is reached, for signers whose
    /// URLs point back at it.
    async fn sign(&self, grant: &PutGrant, base_url: &str) -> StoreResult<SignedPut>;

    /// Whether `signature` is one this signer issued for `grant`, for a `PUT` received by
    /// this server. Signers whose URLs point elsewhere (S3 checks its own) accept none.
    fn verify(&self, _grant: &PutGrant, _signature: &str) -> bool {
        false
    }

    /// A URL anyone holding it may `GET` the stored file `key` with, until `expires_at`
    /// (ms): how a technician's page shows an image without making it public.
    async fn sign_get(&self, key: &str, expires_at: i64, base_url: &str) -> StoreResult<String>;

    /// Whether `signature` is one this signer issued for a `GET` of `key` until
    /// `expires_at`, for a request received by this server (S3 checks its own).
    fn verify_get(&self, _key: &str, _expires_at: i64, _signature: &str) -> bool {
        false
    }
}
