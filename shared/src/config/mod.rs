//! Settings from the environment, validated once at start-up. Every error names the
//! variable at fault. Defaults run the whole system locally with no variables at all.

use std::path::PathBuf;
use std::time::Duration;

use crate::ports::Secret;

mod origins;
mod reader;

pub use origins::AllowedOrigins;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Local,
    Aws,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub greeting_per_min_ip: u32,
    pub chat_per_min_session: u32,
    pub chat_per_min_ip: u32,
    pub upload_per_min_ip: u32,
    /// Upload-status reads per minute per session (the widget polls each second at most).
    pub status_per_min_session: u32,
    pub ticket_per_min_ip: u32,
    pub max_message_chars: usize,
    pub max_json_bytes: usize,
    pub max_image_bytes: usize,
    pub max_images_per_session: u32,
    pub max_tickets_per_hour: u32,
    /// Turns one session may hold: a conversation (and so its export or ticket) never
    /// outgrows what one response can carry.
    pub max_turns_per_session: u64,
    pub min_image_side: u32,
    pub max_image_side: u32,
    /// How fast a request body must arrive (slow senders hold memory and connections).
    pub body_pace: BodyPace,
    /// How long a signed upload URL stays valid (at most five minutes).
    pub upload_url_ttl: Duration,
}

/// A request body must arrive at `min_bytes_per_sec` on average once `grace` is over: its
/// first `n` bytes are due `grace + n / min_bytes_per_sec` after it began. A slow but
/// steady upload from a poor connection gets through; a client that trickles bytes to
/// hold the server's memory is cut off (408).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyPace {
    pub grace: Duration,
    pub min_bytes_per_sec: usize,
}

impl BodyPace {
    /// When the first `received` bytes are due, for a body that began at `began`.
    pub fn due(&self, began: std::time::Instant, received: usize) -> std::time::Instant {
        let rate = self.min_bytes_per_sec.max(1) as u64;
        let keep_pace = Duration::from_millis((received as u64).saturating_mul(1_000) / rate);
        began + self.grace + keep_pace
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    pub session: Duration,
    /// The longest a session lives from its first message, however active.
    pub session_lifetime: Duration,
    /// How long backups keep what was erased or expired (AWS Backup and point-in-time
    /// recovery); none for a store without backups of its own.
    pub backups: Option<Duration>,
    pub upload: Duration,
    pub ticket: Duration,
    pub log: Duration,
}

/// Where the AWS backend keeps things (names set by the SAM template).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsResources {
    pub table: String,
    pub bucket: String,
    pub queue_name: String,
    /// Looked up from `queue_name` when not given.
    pub queue_url: Option<String>,
    /// The JSON secret (name or ARN); without one, secrets come from the environment.
    pub secret_id: Option<String>,
    /// The secret whose value CloudFront sends as `X-STI-Origin` (name or ARN): when set,
    /// requests without it are refused.
    pub origin_secret_id: Option<String>,
    pub secret_cache_ttl: Duration,
    pub force_path_style: bool,
    /// SSE-KMS key for uploads; SSE-S3 (AES256) without one.
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    pub base_url: String,
    pub api_key: Option<Secret>,
    pub model: String,
    pub vision_model: String,
    /// Per call.
    pub timeout: Duration,
    /// Everything smart mode may add to one request, retry included.
    pub budget: Duration,
    /// Circuit breaker: the sliding window of recent calls, the calls in it before the
    /// failure rate counts, the rate that opens the circuit, and how long it stays open.
    pub breaker_window: Duration,
    pub breaker_min_calls: u32,
    pub breaker_failure_rate: f64,
    pub breaker_cooldown: Duration,
    /// How long the operator's off switch is cached per instance.
    pub flag_cache: Duration,
    /// The Lambda function and numbered version this instance runs as (the runtime sets
    /// both): a version taking canary traffic is kept off the model until it takes all of it.
    pub deployed_as: Option<(String, u64)>,
}

/// What a ticket webhook receives: our signed JSON, or a Slack incoming-webhook message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    Json,
    Slack,
}

/// Where new tickets are announced, and how hard we try.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: Option<String>,
    /// Signs the JSON format (in AWS the secret's `TICKET_WEBHOOK_SECRET` wins).
    pub secret: Option<Secret>,
    pub format: WebhookFormat,
    /// The first retry's wait; each next one doubles, up to an hour.
    pub backoff: Duration,
    /// After this long from the ticket, a notification still not delivered has failed.
    pub deadline: Duration,
    /// Each delivery attempt's limit.
    pub timeout: Duration,
    /// On AWS, the SNS topic every new ticket is also published to (e-mail, HTTPS).
    pub topic_arn: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub env: Environment,
    /// `STI_ENV=development` was said, not assumed: only then do operator endpoints open
    /// without a token.
    pub development_explicit: bool,
    pub backend: BackendKind,
    pub data_dir: PathBuf,
    pub log_token: Option<Secret>,
    pub whatsapp_number: Option<String>,
    pub smart_mode: bool,
    pub openai: OpenAiConfig,
    pub allowed_origins: AllowedOrigins,
    pub limits: Limits,
    pub retention: Retention,
    pub public_base_url: Option<String>,
    pub trust_forwarded_for: bool,
    /// `ORIGIN_SECRET`: the `X-STI-Origin` value a proxy in front adds (on AWS it comes from
    /// `STI_ORIGIN_SECRET_ID`); requests without it are refused, and the proxy's
    /// `CloudFront-Viewer-Address` is trusted for the caller's address.
    pub origin_secret: Option<Secret>,
    /// Deliveries of one image job before it is marked failed.
    pub worker_max_attempts: u32,
    /// How long a worker holds an upload before another delivery may take it over (a
    /// worker that died mid-job); the local queue's lease is half of it.
    pub worker_claim: Duration,
    pub webhook: WebhookConfig,
    /// The support team's time zone, for the times on ticket pages (an IANA name).
    pub ticket_time_zone: String,
    /// How long a case may wait on the visitor at the bot's steps before it counts as
    /// abandoned.
    pub case_abandoned_after: Duration,
    pub aws: AwsResources,
}

/// Where settings come from: the process environment, or a map in tests.
pub trait Source {
    fn get(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Config {
    /// Whether requests must carry the origin header (a proxy in front is the only way in).
    pub fn origin_check(&self) -> bool {
        self.origin_secret.is_some() || (self.backend == BackendKind::Aws && self.aws.origin_secret_id.is_some())
    }
}

impl Source for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<F: Fn(&str) -> Option<String>> Source for F {
    fn get(&self, name: &str) -> Option<String> {
        self(name)
    }
}

impl Config {
    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let lookup = move |name: &str| map.get(name).cloned();
        Config::from_source(&lookup)
    }

    #[test]
    fn defaults_need_no_variables() {
        let c = config(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.env, Environment::Development);
        assert_eq!(c.backend, BackendKind::Local);
        assert_eq!(c.limits.upload_per_min_ip, 3);
        assert_eq!(c.limits.max_image_bytes, 5 * 1024 * 1024);
        assert_eq!(c.retention.session, Duration::from_secs(48 * 3600));
        assert!(c.allowed_origins.allows("http://localhost:5173"));
        assert!(!c.allowed_origins.allows("https://evil.example"));
    }

    #[test]
    fn errors_name_the_variable() {
        let cases = [
            (("STI_ENV", "staging"), "STI_ENV"),
            (("STI_BACKEND", "gcp"), "STI_BACKEND"),
            (("RATE_LIMIT_UPLOAD_PER_MIN", "three"), "RATE_LIMIT_UPLOAD_PER_MIN"),
            (("RATE_LIMIT_CHAT_PER_MIN_IP", "0"), "RATE_LIMIT_CHAT_PER_MIN_IP"),
            (("SESSION_TTL", "48"), "SESSION_TTL"),
            (("CASE_ABANDONED_AFTER", "half an hour"), "CASE_ABANDONED_AFTER"),
            (("OPENAI_TIMEOUT", "5s"), "OPENAI_TIMEOUT"),
            (("WHATSAPP_NUMBER", "call me"), "WHATSAPP_NUMBER"),
            (("ALLOWED_ORIGINS", "example.com"), "ALLOWED_ORIGINS"),
            (("SMART_MODE", "maybe"), "SMART_MODE"),
            (("SMART_MODE", "true"), "OPENAI_API_KEY"),
            (("OPENAI_CB_FAILURE_RATE", "1.5"), "OPENAI_CB_FAILURE_RATE"),
            (("OPENAI_CB_MIN_CALLS", "0"), "OPENAI_CB_MIN_CALLS"),
            (("OPENAI_CB_COOLDOWN_SECS", "0"), "OPENAI_CB_COOLDOWN_SECS"),
            (("OPENAI_BUDGET", "50"), "OPENAI_BUDGET"),
            (("MAX_JSON_BYTES", "10"), "MAX_JSON_BYTES"),
            (("PUBLIC_BASE_URL", "chat.example.com"), "PUBLIC_BASE_URL"),
            (("STI_SECRET_CACHE_TTL", "often"), "STI_SECRET_CACHE_TTL"),
            (("STI_S3_FORCE_PATH_STYLE", "sometimes"), "STI_S3_FORCE_PATH_STYLE"),
            (("TICKET_WEBHOOK_URL", "hooks.example.com"), "TICKET_WEBHOOK_URL"),
            (("TICKET_WEBHOOK_FORMAT", "xml"), "TICKET_WEBHOOK_FORMAT"),
            (("TICKET_WEBHOOK_BACKOFF", "soon"), "TICKET_WEBHOOK_BACKOFF"),
            (("TICKET_TIME_ZONE", "Mars/Olympus_Mons"), "TICKET_TIME_ZONE"),
        ];
        for ((var, value), expected) in cases {
            match config(&[(var, value)]) {
                Err(e) => {
                    assert_eq!(e.var, expected);
                    assert!(e.to_string().contains(expected), "{e}");
                }
                Ok(_) => panic!("{var}={value} should be rejected"),
            }
        }
    }

    #[test]
    fn production_is_strict() {
        let c = config(&[("STI_ENV", "production")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.allowed_origins, AllowedOrigins::List(vec![]));
        assert!(config(&[("STI_ENV", "production"), ("ALLOWED_ORIGINS", "*")]).is_err());
        assert!(config(&[("STI_ENV", "production"), ("LOG_TOKEN", "short")]).is_err());
    }

    #[test]
    fn parses_values() {
        let c = config(&[
            ("ALLOWED_ORIGINS", "https://a.example, https://b.example/"),
            ("WHATSAPP_NUMBER", "+54 9 11 1234-5678"),
            ("SESSION_TTL", "90s"),
            ("UPLOAD_RETENTION", "7d"),
            ("TRUST_X_FORWARDED_FOR", "true"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(c.allowed_origins.allows("https://b.example"));
        assert!(!c.allowed_origins.allows("http://localhost:3000"));
        assert_eq!(c.whatsapp_number.as_deref(), Some("5491112345678"));
        assert_eq!(c.retention.session, Duration::from_secs(90));
        assert_eq!(c.retention.upload, Duration::from_secs(7 * 86_400));
        assert!(c.trust_forwarded_for);
    }
}
