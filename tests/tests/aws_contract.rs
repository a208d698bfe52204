//! The port contract suite against the AWS backend, over the real AWS wire protocol on
//! moto's server mode: the same tests the embedded backend passes, unchanged.

use sti_e2e::moto::Moto;
use sti_shared::config::AwsResources;
use sti_shared::ports::{Backend, SecretValues};

/// Fresh resources per test on the shared moto, bootstrapped like `sti aws bootstrap`.
async fn aws_backend() -> Backend {
    let moto = Moto::shared();
    let config = sti_shared::backends::aws::emulator_sdk_config(&moto.endpoint).await;
    let resources = AwsResources {
        table: Moto::unique("sti-contract"),
        bucket: Moto::unique("sti-contract").to_lowercase(),
        queue_name: Moto::unique("sti-contract"),
        queue_url: None,
        secret_id: Some(Moto::unique("sti-contract/secrets")),
        secret_cache_ttl: std::time::Duration::from_secs(300),
        force_path_style: true,
        kms_key_id: None,
    };
    if let Err(e) =
        sti_shared::backends::aws::bootstrap::bootstrap_with(&config, &resources, Some("contract-log-token")).await
    {
        panic!("bootstrap on moto failed: {e}");
    }
    match sti_shared::backends::aws::connect_with(&config, &resources, SecretValues::default()).await {
        Ok(backend) => backend,
        Err(e) => panic!("connect to moto failed: {e}"),
    }
}

sti_shared::contract_tests!(aws_backend());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_come_from_the_json_secret() {
    let backend = aws_backend().await;
    let values = backend.secrets.load().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!format!("{values:?}").contains("contract-log-token"), "secrets never print");
    assert!(values.log_token.as_ref().is_some_and(|t| t.matches("contract-log-token")));
    assert_eq!(values.whatsapp_number, None, "empty values fall back to the environment's");
}
