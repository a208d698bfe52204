use std::fmt;

use async_trait::async_trait;

use super::StoreResult;

/// A secret string: never printed, never serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares in time independent of where the first difference is.
    pub fn matches(&self, candidate: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), candidate.as_bytes())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Equality whose running time depends only on the lengths, not on the contents.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() ^ b.len()) as u64;
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= u64::from(x ^ y);
    }
    std::hint::black_box(diff) == 0
}

/// The secrets the service needs (one JSON secret in AWS; environment locally).
#[derive(Debug, Clone, Default)]
pub struct SecretValues {
    pub log_token: Option<Secret>,
    pub openai_api_key: Option<Secret>,
    pub whatsapp_number: Option<String>,
}

#[async_trait]
pub trait Secrets: Send + Sync {
    async fn load(&self) -> StoreResult<SecretValues>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_hide_and_compare() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert!(s.matches("hunter2"));
        assert!(!s.matches("hunter3"));
        assert!(!s.matches("hunter2 "));
        assert!(!s.matches(""));
        assert!(constant_time_eq(b"", b""));
    }
}
