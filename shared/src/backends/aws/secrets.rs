//! The one JSON secret (`LOG_TOKEN`, `OPENAI_API_KEY`, `WHATSAPP_NUMBER`), fetched on
//! first use and again after a TTL, so a rotation reaches warm instances. Its values
//! never reach a log line.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use serde::Deserialize;

use super::errors::sdk;
use crate::ports::{Secret, SecretValues, Secrets, StoreError, StoreResult};

pub struct SecretsManagerSecrets {
    client: Client,
    secret_id: Option<String>,
    origin_secret_id: Option<String>,
    ttl: Duration,
    fallback: SecretValues,
    cache: Mutex<Option<(Instant, SecretValues)>>,
}

#[derive(Deserialize)]
struct SecretJson {
    #[serde(rename = "LOG_TOKEN")]
    log_token: Option<String>,
    #[serde(rename = "OPENAI_API_KEY")]
    openai_api_key: Option<String>,
    #[serde(rename = "WHATSAPP_NUMBER")]
    whatsapp_number: Option<String>,
    #[serde(rename = "TICKET_WEBHOOK_SECRET")]
    webhook_secret: Option<String>,
}

fn present(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl SecretsManagerSecrets {
    /// The app's JSON secret and the origin header's plain one, either optional.
    pub fn new(
        client: Client,
        secret_id: Option<String>,
        origin_secret_id: Option<String>,
        ttl: Duration,
        fallback: SecretValues,
    ) -> SecretsManagerSecrets {
        SecretsManagerSecrets { client, secret_id, origin_secret_id, ttl, fallback, cache: Mutex::new(None) }
    }

    async fn secret_string(&self, id: &str) -> StoreResult<String> {
        let out = self.client.get_secret_value().secret_id(id).send().await.map_err(|e| sdk("GetSecretValue", e))?;
        out.secret_string.ok_or_else(|| StoreError::Corrupt("the secret has no string value".into()))
    }

    fn cached(&self, fresh_only: bool) -> Option<SecretValues> {
        let cache = self.cache.lock().ok()?;
        let (at, values) = cache.as_ref()?;
        (!fresh_only || at.elapsed() < self.ttl).then(|| values.clone())
    }

    async fn fetch(&self) -> StoreResult<SecretValues> {
        let origin_secret = match &self.origin_secret_id {
            Some(id) => present(Some(self.secret_string(id).await?)).map(Secret::new),
            None => self.fallback.origin_secret.clone(),
        };
        let Some(id) = &self.secret_id else {
            return Ok(SecretValues { origin_secret, ..self.fallback.clone() });
        };
        let text = self.secret_string(id).await?;
        let parsed: SecretJson = serde_json::from_str(&text)
            .map_err(|_| StoreError::Corrupt("the secret is not the expected JSON object".into()))?;
        let digits = |n: String| n.chars().filter(char::is_ascii_digit).collect::<String>();
        Ok(SecretValues {
            log_token: present(parsed.log_token).map(Secret::new).or_else(|| self.fallback.log_token.clone()),
            openai_api_key: present(parsed.openai_api_key)
                .map(Secret::new)
                .or_else(|| self.fallback.openai_api_key.clone()),
            whatsapp_number: present(parsed.whatsapp_number)
                .map(digits)
                .or_else(|| self.fallback.whatsapp_number.clone()),
            webhook_secret: present(parsed.webhook_secret)
                .map(Secret::new)
                .or_else(|| self.fallback.webhook_secret.clone()),
            origin_secret,
        })
    }
}

#[async_trait]
impl Secrets for SecretsManagerSecrets {
    async fn load(&self) -> StoreResult<SecretValues> {
        if let Some(values) = self.cached(true) {
            return Ok(values);
        }
        match self.fetch().await {
            Ok(values) => {
                if let Ok(mut cache) = self.cache.lock() {
                    *cache = Some((Instant::now(), values.clone()));
                }
                Ok(values)
            }
            // A stale secret beats no secret while Secrets Manager hiccups.
            Err(e) => match self.cached(false) {
                Some(stale) => {
                    tracing::warn!(error = %e, "using the cached secret past its TTL");
                    Ok(stale)
                }
                None => Err(e),
            },
        }
    }
}
