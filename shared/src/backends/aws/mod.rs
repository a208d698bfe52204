//! The AWS backend: DynamoDB (one table, TTL on `ttl`) for sessions, transcripts,
//! idempotency records, tickets, uploads, rate windows, counters and the app log; S3 for
//! blobs; SQS for image jobs (fed by S3 notifications); Secrets Manager for secrets.
//! Clients are built once per process; endpoints come from the standard SDK
//! configuration, so `AWS_ENDPOINT_URL` points everything at an emulator.

pub mod bootstrap;
mod dynamo;
mod errors;
pub mod restore_drill;
mod s3;
mod secrets;
mod sns;
mod sqs;
pub use sns::TicketsTopic;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
use aws_types::SdkConfig;

use crate::config::AwsResources;
use crate::ports::{Backend, SecretValues, StoreResult};

pub use dynamo::{Dynamo, IDLE_INDEX};
pub use s3::S3Blobs;
pub use secrets::SecretsManagerSecrets;
pub use sqs::SqsQueue;

/// Short timeouts and few retries, so that a dead dependency becomes a 503 well inside
/// the Lambda timeout instead of a hang.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(500))
        .read_timeout(Duration::from_millis(1_500))
        .operation_attempt_timeout(Duration::from_millis(1_500))
        .operation_timeout(Duration::from_millis(3_500))
        .build()
}

fn retries() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(3)
}

/// The SDK configuration from the full credential chain (profiles, SSO, instance
/// metadata…), region and `AWS_ENDPOINT_URL` from the environment.
#[cfg(feature = "aws-config")]
pub async fn sdk_config() -> SdkConfig {
    sdk_config_at(None).await
}

/// The full-chain SDK configuration with every service at `endpoint` (an emulator),
/// when one is given.
#[cfg(feature = "aws-config")]
pub async fn sdk_config_at(endpoint: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts()).retry_config(retries());
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

/// The SDK configuration from what Lambda puts in the environment: region, the
/// function role's credentials, and `AWS_ENDPOINT_URL` when an emulator stands in.
#[cfg(not(feature = "aws-config"))]
pub async fn sdk_config() -> SdkConfig {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).unwrap_or_else(|| "us-east-1".into());
    let credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(key), Some(secret)) => Some(Credentials::new(key, secret, var("AWS_SESSION_TOKEN"), None, "environment")),
        _ => None,
    };
    build_config(region, credentials, var("AWS_ENDPOINT_URL"))
}

fn build_config(region: String, credentials: Option<Credentials>, endpoint: Option<String>) -> SdkConfig {
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .timeout_config(timeouts())
        .retry_config(retries());
    if let Some(credentials) = credentials {
        builder = builder.credentials_provider(SharedCredentialsProvider::new(credentials));
    }
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    builder.build()
}

/// The SDK configuration for an emulator (moto, LocalStack) at `endpoint`: fixed test
/// credentials and region, whatever the environment says.
pub async fn emulator_sdk_config(endpoint: &str) -> SdkConfig {
    build_config(
        "us-east-1".into(),
        Some(Credentials::new("test", "test", None, None, "emulator")),
        Some(endpoint.into()),
    )
}

/// A DynamoDB client on `config`, for callers without the SDK crate (the emulator tests).
pub fn dynamodb_client(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

/// Whether S3 must be addressed by path (emulators), not by virtual host.
fn path_style(config: &SdkConfig, resources: &AwsResources) -> bool {
    resources.force_path_style || config.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
}

/// Connects every port to AWS as the environment says. `fallback` secrets (from the
/// environment) fill any key the Secrets Manager secret lacks.
pub async fn connect(resources: &AwsResources, fallback: SecretValues) -> StoreResult<Backend> {
    connect_with(&sdk_config().await, resources, fallback).await
}

/// Connects every port with an explicit SDK configuration.
pub async fn connect_with(
    config: &SdkConfig,
    resources: &AwsResources,
    fallback: SecretValues,
) -> StoreResult<Backend> {
    let dynamo = Arc::new(Dynamo::new(dynamodb_client(config), resources.table.clone()));
    let s3_config = aws_sdk_s3::config::Builder::from(config).force_path_style(path_style(config, resources));
    let blobs = Arc::new(S3Blobs::new(
        aws_sdk_s3::Client::from_conf(s3_config.clone().build()),
        resources.bucket.clone(),
        resources.kms_key_id.clone(),
    ));
    let signer = Arc::new(s3::S3Signer::new(s3_config, resources.bucket.clone(), resources.kms_key_id.clone()));
    let sqs_client = aws_sdk_sqs::Client::new(config);
    let queue_url = match &resources.queue_url {
        Some(url) => url.clone(),
        None => sqs::queue_url(&sqs_client, &resources.queue_name).await?,
    };
    let queue = Arc::new(SqsQueue::new(sqs_client, queue_url));
    let secrets: Arc<dyn crate::ports::Secrets> = match (&resources.secret_id, &resources.origin_secret_id) {
        (None, None) => Arc::new(crate::backends::StaticSecrets(fallback)),
        (app, origin) => Arc::new(SecretsManagerSecrets::new(
            aws_sdk_secretsmanager::Client::new(config),
            app.clone(),
            origin.clone(),
            resources.secret_cache_ttl,
            fallback,
        )),
    };
    Ok(Backend {
        name: "aws",
        sessions: dynamo.clone(),
        tickets: dynamo.clone(),
        uploads: dynamo.clone(),
        blobs,
        queue,
        limiter: dynamo.clone(),
        counters: dynamo.clone(),
        applog: dynamo,
        secrets,
        signer,
    })
}
