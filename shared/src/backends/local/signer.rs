//! Signed upload URLs that point back at `sti serve`: an HMAC-SHA256 over everything the
//! URL allows, with a key kept in the data dir so that every process serving that dir
//! (`cargo lambda watch` runs one per function) signs and verifies alike.

use std::io::Write;
use std::path::Path;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::ports::{PutGrant, SignedPut, StoreError, StoreResult, UploadSigner};

pub const KEY_FILE: &str = "upload-url.key";
const KEY_BYTES: usize = 32;

pub struct LocalSigner {
    /// Keyed once; each signature starts from a clone.
    keyed: Hmac<Sha256>,
}

impl LocalSigner {
    /// The data dir's signing key, created (readable by its owner only) on first use.
    pub fn open(data_dir: &Path) -> StoreResult<LocalSigner> {
        let path = data_dir.join(KEY_FILE);
        let unavailable = |what: &str, e: std::io::Error| {
            StoreError::Unavailable(format!("cannot {what} the upload-URL key {}: {e}", path.display()))
        };
        let mut fresh = [0u8; KEY_BYTES];
        getrandom::fill(&mut fresh).map_err(|e| StoreError::Unavailable(format!("no randomness: {e}")))?;
        match create_private(&path) {
            Ok(mut file) => {
                file.write_all(&fresh).and_then(|()| file.sync_all()).map_err(|e| unavailable("write", e))?;
                LocalSigner::keyed(&fresh)
            }
            // Another process made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let stored = std::fs::read(&path).map_err(|e| unavailable("read", e))?;
                let key = <[u8; KEY_BYTES]>::try_from(stored.as_slice()).map_err(|_| {
                    StoreError::Corrupt(format!("{} is not a {KEY_BYTES}-byte key: delete it", path.display()))
                })?;
                LocalSigner::keyed(&key)
            }
            Err(e) => Err(unavailable("create", e)),
        }
    }

    fn keyed(key: &[u8]) -> StoreResult<LocalSigner> {
        let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
            .map_err(|e| StoreError::Corrupt(format!("upload-URL key refused: {e}")))?;
        Ok(LocalSigner { keyed })
    }

    fn signature(&self, grant: &PutGrant) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        // Fields joined by a byte none of them can contain.
        let message = format!(
            "sti-upload-v1\n{}\n{}\n{}\n{}\n{}",
            grant.session, grant.upload, grant.content_type, grant.length, grant.expires_at
        );
        mac.update(message.as_bytes());
        mac
    }

    fn get_signature(&self, key: &str, expires_at: i64) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(format!("sti-get-v1\n{key}\n{expires_at}").as_bytes());
        mac
    }
}

fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    super::private_files::create_private_file(path, true)
}

#[async_trait]
impl UploadSigner for LocalSigner {
    async fn sign(&self, grant: &PutGrant, base_url: &str) -> StoreResult<SignedPut> {
        let signature = URL_SAFE_NO_PAD.encode(self.signature(grant).finalize().into_bytes());
        let url = format!(
            // The session is signed (in the HMAC) but not named: its id is a credential.
            "{}/api/upload/{}/content?type={}&length={}&expires={}&signature={signature}",
            base_url.trim_end_matches('/'),
            grant.upload,
            percent_encoding::utf8_percent_encode(&grant.content_type, percent_encoding::NON_ALPHANUMERIC),
            grant.length,
            grant.expires_at,
        );
        Ok(SignedPut { url, headers: vec![("Content-Type".into(), grant.content_type.clone())] })
    }

    fn verify(&self, grant: &PutGrant, signature: &str) -> bool {
        let Ok(claimed) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        // Constant time: a forger learns nothing from how long a wrong guess took.
        self.signature(grant).verify_slice(&claimed).is_ok()
    }

    async fn sign_get(&self, key: &str, expires_at: i64, base_url: &str) -> StoreResult<String> {
        let signature = URL_SAFE_NO_PAD.encode(self.get_signature(key, expires_at).finalize().into_bytes());
        Ok(format!("{}/api/files/{key}?expires={expires_at}&signature={signature}", base_url.trim_end_matches('/')))
    }

    fn verify_get(&self, key: &str, expires_at: i64, signature: &str) -> bool {
        let Ok(claimed) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        self.get_signature(key, expires_at).verify_slice(&claimed).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{SessionId, UploadId};

    fn grant() -> PutGrant {
        PutGrant {
            session: SessionId::generate().unwrap_or_else(|e| panic!("{e}")),
            upload: UploadId::generate().unwrap_or_else(|e| panic!("{e}")),
            content_type: "image/jpeg".into(),
            length: 5_000_000,
            expires_at: 1_900_000_000_000,
        }
    }

    fn signature_of(url: &str) -> String {
        url.rsplit_once("signature=").map(|(_, s)| s.to_owned()).unwrap_or_default()
    }

    #[tokio::test]
    async fn a_signature_covers_every_field_of_the_grant() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let signer = LocalSigner::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let grant = grant();
        let signed = signer.sign(&grant, "http://127.0.0.1:3000/").await.unwrap_or_else(|e| panic!("{e}"));
        assert!(signed.url.starts_with(&format!("http://127.0.0.1:3000/api/upload/{}/content?", grant.upload)));
        assert_eq!(signed.headers, vec![("Content-Type".to_owned(), "image/jpeg".to_owned())]);
        let signature = signature_of(&signed.url);
        assert!(signer.verify(&grant, &signature));
        let changed = [
            PutGrant { session: SessionId::generate().unwrap_or_else(|e| panic!("{e}")), ..grant.clone() },
            PutGrant { upload: UploadId::generate().unwrap_or_else(|e| panic!("{e}")), ..grant.clone() },
            PutGrant { content_type: "image/png".into(), ..grant.clone() },
            PutGrant { length: grant.length + 1, ..grant.clone() },
            PutGrant { expires_at: grant.expires_at + 1, ..grant.clone() },
        ];
        for other in &changed {
            assert!(!signer.verify(other, &signature), "{other:?} accepted");
        }
        assert!(!signer.verify(&grant, "not base64 at all!"));
        assert!(!signer.verify(&grant, ""));
    }

    #[tokio::test]
    async fn a_get_signature_covers_the_key_and_the_expiry_and_differs_from_a_put() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let signer = LocalSigner::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let key = "sanitized/uploads/abc/upl-1.jpg";
        let url =
            signer.sign_get(key, 1_900_000_000_000, "http://127.0.0.1:3000/").await.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            url.starts_with("http://127.0.0.1:3000/api/files/sanitized/uploads/abc/upl-1.jpg?expires=1900000000000&")
        );
        let signature = signature_of(&url);
        assert!(signer.verify_get(key, 1_900_000_000_000, &signature));
        assert!(!signer.verify_get("sanitized/uploads/abc/upl-2.jpg", 1_900_000_000_000, &signature));
        assert!(!signer.verify_get(key, 1_900_000_000_001, &signature));
        assert!(!signer.verify(&grant(), &signature), "a GET signature is no PUT signature");
        assert!(!signer.verify_get(key, 1_900_000_000_000, "%%%"));
    }

    #[tokio::test]
    async fn processes_sharing_a_data_dir_share_the_key() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let first = LocalSigner::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let second = LocalSigner::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let grant = grant();
        let signed = first.sign(&grant, "http://x").await.unwrap_or_else(|e| panic!("{e}"));
        assert!(second.verify(&grant, &signature_of(&signed.url)));
        let other_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let stranger = LocalSigner::open(other_dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(!stranger.verify(&grant, &signature_of(&signed.url)), "another data dir's key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode.ok(), Some(0o600));
        }
    }
}
