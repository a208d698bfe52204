//! Backends: implementations of every port.

#[cfg(feature = "aws")]
pub mod aws;
pub mod image_queue;
#[cfg(feature = "local")]
pub mod local;
pub mod ticket_stream;

use async_trait::async_trait;

use crate::config::Config;
use crate::ports::{Backend, SecretValues, Secrets, StoreError, StoreResult};

/// Secrets handed over at start-up (locally they come from the environment).
pub struct StaticSecrets(pub SecretValues);

#[async_trait]
impl Secrets for StaticSecrets {
    async fn load(&self) -> StoreResult<SecretValues> {
        Ok(self.0.clone())
    }
}

/// The secrets the environment provides, used as they are locally and as the fallback
/// for keys the AWS secret lacks.
pub fn secrets_from_env(config: &Config) -> SecretValues {
    SecretValues {
        log_token: config.log_token.clone(),
        openai_api_key: config.openai.api_key.clone(),
        whatsapp_number: config.whatsapp_number.clone(),
        webhook_secret: config.webhook.secret.clone(),
        origin_secret: config.origin_secret.clone(),
    }
}

/// Builds the backend the configuration asks for, once per process.
pub async fn connect(config: &Config) -> StoreResult<Backend> {
    match config.backend {
        #[cfg(feature = "local")]
        crate::config::BackendKind::Local => Ok(local::open(&config.data_dir, secrets_from_env(config))?.0),
        #[cfg(feature = "aws")]
        crate::config::BackendKind::Aws => aws::connect(&config.aws, secrets_from_env(config)).await,
        #[allow(unreachable_patterns)]
        other => Err(StoreError::Unavailable(format!("STI_BACKEND={other:?} is not part of this build"))),
    }
}
