//! `sti aws bootstrap`: creates on an emulator (or a sandbox account) the resources the
//! SAM template declares, with the same names, keys and settings: the table (pk/sk, TTL
//! on `ttl`, point-in-time recovery), the private encrypted bucket, the image queue with
//! its dead-letter queue and redrive, the bucket notification of `uploads/` to the queue
//! (with the queue policy that lets S3 send), and the secret. Safe to run again.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, PointInTimeRecoverySpecification, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Event, FilterRule, FilterRuleName, NotificationConfiguration,
    NotificationConfigurationFilter, PublicAccessBlockConfiguration, QueueConfiguration, S3KeyFilter,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use aws_sdk_sqs::types::QueueAttributeName;

use super::IDLE_INDEX;
use super::errors::sdk;
use crate::config::AwsResources;
use crate::ports::{StoreError, StoreResult};

/// How many receives before a job lands in the dead-letter queue: more than the worker's
/// own attempts (it marks the upload failed on its last one), so only jobs whose failure
/// could not even be recorded get there. The SAM template uses the same value.
pub const MAX_RECEIVE_COUNT: u32 = 5;
/// Six times the worker's timeout, as Lambda recommends for SQS event sources.
pub const VISIBILITY_TIMEOUT_SECS: u32 = 180;

#[derive(Debug, Default)]
pub struct Created {
    pub table: String,
    pub bucket: String,
    pub queue_url: String,
    pub dead_letter_queue_url: String,
    pub secret_id: String,
    pub log_token_generated: bool,
}

fn built<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> StoreResult<T> {
    r.map_err(|e| StoreError::Corrupt(format!("cannot build {what}: {e}")))
}

pub async fn bootstrap(resources: &AwsResources, log_token: Option<&str>) -> StoreResult<Created> {
    bootstrap_with(&super::sdk_config().await, resources, log_token).await
}

pub async fn bootstrap_with(
    config: &aws_types::SdkConfig,
    resources: &AwsResources,
    log_token: Option<&str>,
) -> StoreResult<Created> {
    let mut created = Created::default();
    table(&aws_sdk_dynamodb::Client::new(config), &resources.table).await?;
    created.table = resources.table.clone();

    let sqs = aws_sdk_sqs::Client::new(config);
    let (queue_url, queue_arn, dlq_url) = queues(&sqs, &resources.queue_name).await?;
    created.queue_url = queue_url;
    created.dead_letter_queue_url = dlq_url;

    let s3_config =
        aws_sdk_s3::config::Builder::from(config).force_path_style(super::path_style(config, resources)).build();
    let s3 = aws_sdk_s3::Client::from_conf(s3_config);
    let region = config.region().map(|r| r.as_ref().to_owned()).unwrap_or_else(|| "us-east-1".into());
    bucket(&s3, &resources.bucket, &region, &queue_arn).await?;
    created.bucket = resources.bucket.clone();

    let secret_id = resources.secret_id.clone().unwrap_or_else(|| "sti-chat/secrets".into());
    created.log_token_generated = secret(&aws_sdk_secretsmanager::Client::new(config), &secret_id, log_token).await?;
    created.secret_id = secret_id;
    Ok(created)
}

async fn table(client: &aws_sdk_dynamodb::Client, name: &str) -> StoreResult<()> {
    let key =
        |n: &str, t: KeyType| built("key schema", KeySchemaElement::builder().attribute_name(n).key_type(t).build());
    let attr = |n: &str, t: ScalarAttributeType| {
        built("attribute", AttributeDefinition::builder().attribute_name(n).attribute_type(t).build())
    };
    // The sparse index of sessions whose case may go quiet (see `dynamo::sessions`).
    let idle_keys = vec![key("iw", KeyType::Hash)?, key("wa", KeyType::Range)?];
    let idle_projection =
        Projection::builder().projection_type(ProjectionType::Include).non_key_attributes("exp").build();
    let result = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .attribute_definitions(attr("pk", ScalarAttributeType::S)?)
        .attribute_definitions(attr("sk", ScalarAttributeType::S)?)
        .attribute_definitions(attr("iw", ScalarAttributeType::S)?)
        .attribute_definitions(attr("wa", ScalarAttributeType::N)?)
        .global_secondary_indexes(built(
            "index",
            GlobalSecondaryIndex::builder()
                .index_name(IDLE_INDEX)
                .set_key_schema(Some(idle_keys.clone()))
                .projection(idle_projection.clone())
                .build(),
        )?)
        .send()
        .await;
    if let Err(e) = result
        && !e.as_service_error().is_some_and(|se| se.is_resource_in_use_exception())
    {
        return Err(sdk("CreateTable", e));
    }
    // Wait until it is usable (emulators answer at once).
    for _ in 0..60 {
        let out = client.describe_table().table_name(name).send().await.map_err(|e| sdk("DescribeTable", e))?;
        if out.table.and_then(|t| t.table_status).is_some_and(|s| s.as_str() == "ACTIVE") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    // A table made before the index existed gains it.
    let described = client.describe_table().table_name(name).send().await.map_err(|e| sdk("DescribeTable", e))?;
    let has_index = described
        .table
        .and_then(|t| t.global_secondary_indexes)
        .is_some_and(|ix| ix.iter().any(|i| i.index_name() == Some(IDLE_INDEX)));
    if !has_index {
        let create = built(
            "index",
            CreateGlobalSecondaryIndexAction::builder()
                .index_name(IDLE_INDEX)
                .set_key_schema(Some(idle_keys))
                .projection(idle_projection)
                .build(),
        )?;
        client
            .update_table()
            .table_name(name)
            .attribute_definitions(attr("iw", ScalarAttributeType::S)?)
            .attribute_definitions(attr("wa", ScalarAttributeType::N)?)
            .global_secondary_index_updates(GlobalSecondaryIndexUpdate::builder().create(create).build())
            .send()
            .await
            .map_err(|e| sdk("UpdateTable", e))?;
    }
    let ttl = built("TTL", TimeToLiveSpecification::builder().attribute_name("ttl").enabled(true).build())?;
    if let Err(e) = client.update_time_to_live().table_name(name).time_to_live_specification(ttl).send().await {
        // Enabling TTL twice is refused; anything else is a real failure.
        let already = e.as_service_error().map(|se| se.to_string()).is_some_and(|m| m.contains("already enabled"));
        if !already {
            return Err(sdk("UpdateTimeToLive", e));
        }
    }
    let pitr = built(
        "point-in-time recovery",
        PointInTimeRecoverySpecification::builder().point_in_time_recovery_enabled(true).build(),
    )?;
    client
        .update_continuous_backups()
        .table_name(name)
        .point_in_time_recovery_specification(pitr)
        .send()
        .await
        .map_err(|e| sdk("UpdateContinuousBackups", e))?;
    Ok(())
}

async fn queue_arn(client: &aws_sdk_sqs::Client, url: &str) -> StoreResult<String> {
    let out = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| sdk("GetQueueAttributes", e))?;
    out.attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| StoreError::Unavailable(format!("no ARN for {url}")))
}

/// The image queue and its dead-letter queue; returns (url, arn, dlq url).
async fn queues(client: &aws_sdk_sqs::Client, name: &str) -> StoreResult<(String, String, String)> {
    let dlq = client
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .attributes(QueueAttributeName::SqsManagedSseEnabled, "true")
        .send()
        .await
        .map_err(|e| sdk("CreateQueue", e))?;
    let dlq_url = dlq.queue_url.ok_or_else(|| StoreError::Unavailable("no DLQ URL".into()))?;
    let dlq_arn = queue_arn(client, &dlq_url).await?;
    let redrive =
        serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT }).to_string();
    let queue = client
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::VisibilityTimeout, VISIBILITY_TIMEOUT_SECS.to_string())
        .attributes(QueueAttributeName::MessageRetentionPeriod, "345600")
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .attributes(QueueAttributeName::SqsManagedSseEnabled, "true")
        .send()
        .await
        .map_err(|e| sdk("CreateQueue", e))?;
    let url = queue.queue_url.ok_or_else(|| StoreError::Unavailable("no queue URL".into()))?;
    let arn = queue_arn(client, &url).await?;
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "S3SendsUploadNotifications",
            "Effect": "Allow",
            "Principal": { "Service": "s3.amazonaws.com" },
            "Action": "sqs:SendMessage",
            "Resource": arn,
        }],
    })
    .to_string();
    client
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::Policy, policy)
        .send()
        .await
        .map_err(|e| sdk("SetQueueAttributes", e))?;
    Ok((url, arn, dlq_url))
}

async fn bucket(client: &aws_sdk_s3::Client, name: &str, region: &str, queue_arn: &str) -> StoreResult<()> {
    let mut create = client.create_bucket().bucket(name);
    if region != "us-east-1" {
        let location =
            CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region)).build();
        create = create.create_bucket_configuration(location);
    }
    if let Err(e) = create.send().await
        && !e.as_service_error().is_some_and(|se| se.is_bucket_already_owned_by_you() || se.is_bucket_already_exists())
    {
        return Err(sdk("CreateBucket", e));
    }
    let block = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .block_public_policy(true)
        .ignore_public_acls(true)
        .restrict_public_buckets(true)
        .build();
    client
        .put_public_access_block()
        .bucket(name)
        .public_access_block_configuration(block)
        .send()
        .await
        .map_err(|e| sdk("PutPublicAccessBlock", e))?;
    let default = built(
        "encryption",
        ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256).build(),
    )?;
    let encryption = built(
        "encryption",
        ServerSideEncryptionConfiguration::builder()
            .rules(ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(default).build())
            .build(),
    )?;
    client
        .put_bucket_encryption()
        .bucket(name)
        .server_side_encryption_configuration(encryption)
        .send()
        .await
        .map_err(|e| sdk("PutBucketEncryption", e))?;
    let filter = NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(FilterRule::builder().name(FilterRuleName::Prefix).value("uploads/").build())
                .build(),
        )
        .build();
    let queue = built(
        "notification",
        QueueConfiguration::builder()
            .id("uploads-created")
            .queue_arn(queue_arn)
            .events(Event::from("s3:ObjectCreated:*"))
            .filter(filter)
            .build(),
    )?;
    client
        .put_bucket_notification_configuration()
        .bucket(name)
        .notification_configuration(NotificationConfiguration::builder().queue_configurations(queue).build())
        .send()
        .await
        .map_err(|e| sdk("PutBucketNotificationConfiguration", e))?;
    Ok(())
}

/// Creates the secret with a fresh LOG_TOKEN (or the given one); returns whether a token
/// was generated. An existing secret is left as it is.
async fn secret(client: &aws_sdk_secretsmanager::Client, id: &str, log_token: Option<&str>) -> StoreResult<bool> {
    let generated = log_token.is_none();
    let token = match log_token {
        Some(t) => t.to_owned(),
        None => crate::ids::access_token().map_err(|e| StoreError::Unavailable(e.to_string()))?,
    };
    let value = serde_json::json!({ "LOG_TOKEN": token, "OPENAI_API_KEY": "", "WHATSAPP_NUMBER": "" }).to_string();
    match client.create_secret().name(id).secret_string(value).send().await {
        Ok(_) => Ok(generated),
        Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_exists_exception()) => Ok(false),
        Err(e) => Err(sdk("CreateSecret", e)),
    }
}
