use std::fmt;

use async_trait::async_trait;

use super::StoreResult;

/// A secret string: never printed, never serialised, compared only in constant time.
#[derive(Clone)]
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
        use subtle::ConstantTimeEq;
        bool::from(self.0.as_bytes().ct_eq(candidate.as_bytes()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The secrets the service needs (one JSON secret in AWS; environment locally).
#[derive(Debug, Clone, Default)]
pub struct SecretValues {
    pub log_token: Option<Secret>,
    pub openai_api_key: Option<Secret>,
    pub whatsapp_number: Option<String>,
    pub webhook_secret: Option<Secret>,
    /// What the proxy in front sends as `X-STI-Origin` (its own secret on AWS).
    pub origin_secret: Option<Secret>,
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
        assert!(Secret::new("").matches(""));
    }
}
