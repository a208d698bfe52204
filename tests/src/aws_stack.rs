//! A stack of the AWS backend on moto, as the end-to-end tests deploy it: names, the
//! environment that points `sti` at them, `sti aws bootstrap`, and the processes.

use std::process::Command;
use std::time::{Duration, Instant};

use sti_shared::config::AwsResources;
use sti_shared::ports::{Backend, SecretValues};

use crate::moto::Moto;
use crate::{Api, Server, data_dir, sti_bin};

/// One deployment's worth of names and the environment pointing `sti` at them on `moto`.
pub struct Stack {
    pub resources: AwsResources,
    pub env: Vec<(String, String)>,
}

impl Stack {
    pub fn new(moto: &Moto) -> Stack {
        let resources = AwsResources {
            table: Moto::unique("sti-e2e"),
            bucket: Moto::unique("sti-e2e").to_lowercase(),
            queue_name: Moto::unique("sti-e2e"),
            queue_url: None,
            secret_id: Some(Moto::unique("sti-e2e/secrets")),
            origin_secret_id: None,
            secret_cache_ttl: Duration::from_secs(300),
            force_path_style: true,
            kms_key_id: None,
        };
        let env = vec![
            ("STI_BACKEND", "aws".to_owned()),
            ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            ("STI_TABLE_NAME", resources.table.clone()),
            ("STI_BUCKET_NAME", resources.bucket.clone()),
            ("STI_QUEUE_NAME", resources.queue_name.clone()),
            ("STI_SECRET_ID", resources.secret_id.clone().unwrap_or_default()),
            ("LOG_TOKEN", "aws-e2e-log-token-0001".to_owned()),
            ("RATE_LIMIT_CHAT_PER_MIN_SESSION", "1000".to_owned()),
            ("RATE_LIMIT_CHAT_PER_MIN_IP", "1000".to_owned()),
            ("RATE_LIMIT_UPLOAD_PER_MIN", "1000".to_owned()),
            ("RATE_LIMIT_GREETING_PER_MIN", "1000".to_owned()),
            ("RATE_LIMIT_TICKET_PER_MIN_IP", "1000".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Stack { resources, env }
    }

    pub fn env(&self) -> Vec<(&str, &str)> {
        self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    /// `sti aws bootstrap` as an operator runs it.
    pub fn bootstrap(&self, moto: &Moto) {
        let out = Command::new(sti_bin())
            .args(["aws", "bootstrap", "--endpoint-url", &moto.endpoint])
            .envs(self.env())
            .output()
            .unwrap_or_else(|e| panic!("sti aws bootstrap: {e}"));
        assert!(out.status.success(), "bootstrap failed: {}", String::from_utf8_lossy(&out.stderr));
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(printed.contains(&self.resources.table) && printed.contains("dead-letter"), "{printed}");
    }

    /// The same resources through the library, to look behind the API.
    pub async fn backend(&self, moto: &Moto) -> Backend {
        let config = sti_shared::backends::aws::emulator_sdk_config(&moto.endpoint).await;
        sti_shared::backends::aws::connect_with(&config, &self.resources, SecretValues::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn serve(&self, dir: &std::path::Path, extra: &[&str]) -> Server {
        Server::start_with_args(dir, &self.env(), extra)
    }

    pub fn worker(&self, dir: &std::path::Path) -> Server {
        Server::start_worker(dir, &self.env())
    }
}

/// A bootstrapped stack with `sti serve --no-worker` and `sti worker` running on it.
pub struct Running {
    pub stack: Stack,
    pub aws: Backend,
    pub dir: tempfile::TempDir,
    pub server: Server,
    pub worker: Server,
    pub api: Api,
}

pub async fn running(moto: &Moto) -> Running {
    let stack = Stack::new(moto);
    stack.bootstrap(moto);
    let aws = stack.backend(moto).await;
    let dir = data_dir();
    let server = stack.serve(dir.path(), &["--no-worker"]);
    let worker = stack.worker(dir.path());
    let api = Api::new(&server.base);
    Running { stack, aws, dir, server, worker, api }
}

pub async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !check().await {
        assert!(Instant::now() < deadline, "{what} did not happen within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A tickets topic on moto with a queue subscribed to it, to read what was published.
pub struct TicketsInbox {
    pub topic_arn: String,
    queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

impl TicketsInbox {
    pub async fn create(moto: &Moto) -> TicketsInbox {
        let sdk = sti_shared::backends::aws::emulator_sdk_config(&moto.endpoint).await;
        let sns = aws_sdk_sns::Client::new(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let topic = sns.create_topic().name(Moto::unique("tickets")).send().await.ok().and_then(|t| t.topic_arn);
        let topic_arn = topic.unwrap_or_else(|| panic!("no topic"));
        let queue =
            sqs.create_queue().queue_name(Moto::unique("tickets-inbox")).send().await.ok().and_then(|q| q.queue_url);
        let queue_url = queue.unwrap_or_else(|| panic!("no queue"));
        let queue_arn =
            format!("arn:aws:sqs:us-east-1:123456789012:{}", queue_url.rsplit('/').next().unwrap_or_default());
        let subscribed = sns.subscribe().topic_arn(&topic_arn).protocol("sqs").endpoint(&queue_arn).send().await;
        assert!(subscribed.is_ok(), "{subscribed:?}");
        TicketsInbox { topic_arn, queue_url, sqs }
    }

    /// The messages published so far (taken off the queue).
    pub async fn published(&self) -> Vec<String> {
        let messages = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(2)
            .send()
            .await;
        messages
            .ok()
            .map(|m| m.messages().iter().filter_map(|m| m.body().map(str::to_owned)).collect())
            .unwrap_or_default()
    }
}
