//! Settings from the environment, validated once at start-up. Every error names the
//! variable at fault. Defaults run the whole system locally with no variables at all.

use std::path::PathBuf;
use std::time::Duration;

use crate::ports::Secret;
use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn invalid(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { var, message: message.into() }
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

/// Who may call the API from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Exactly these origins (scheme://host[:port]).
    List(Vec<String>),
    /// Any http://localhost or http://127.0.0.1 origin: the development default.
    Loopback,
}

impl AllowedOrigins {
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            AllowedOrigins::List(list) => list.iter().any(|o| o == "*" || o.eq_ignore_ascii_case(origin)),
            AllowedOrigins::Loopback => {
                let rest = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
                rest.is_some_and(|r| {
                    let host = r.split(':').next().unwrap_or("");
                    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
                })
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub greeting_per_min_ip: u32,
    pub chat_per_min_session: u32,
    pub chat_per_min_ip: u32,
    pub upload_per_min_ip: u32,
    pub ticket_per_min_ip: u32,
    pub max_message_chars: usize,
    pub max_json_bytes: usize,
    pub max_image_bytes: usize,
    pub max_images_per_session: u32,
    pub max_tickets_per_hour: u32,
    pub min_image_side: u32,
    pub max_image_side: u32,
    /// The longest a request body may take to arrive (slow senders hold memory).
    pub body_read_timeout: Duration,
    /// How long a signed upload URL stays valid (at most five minutes).
    pub upload_url_ttl: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    pub session: Duration,
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
    /// Deliveries of one image job before it is marked failed.
    pub worker_max_attempts: u32,
    /// How long a worker holds an upload before another delivery may take it over (a
    /// worker that died mid-job); the local queue's lease is half of it.
    pub worker_claim: Duration,
    pub aws: AwsResources,
}

/// Where settings come from: the process environment, or a map in tests.
pub trait Source {
    fn get(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnv;

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

struct Reader<'a> {
    source: &'a dyn Source,
}

impl Reader<'_> {
    fn raw(&self, var: &'static str) -> Option<String> {
        self.source.get(var).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    fn parse<T: std::str::FromStr>(&self, var: &'static str, default: T, what: &str) -> Result<T, ConfigError> {
        match self.raw(var) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| invalid(var, format!("{v:?} is not {what}"))),
        }
    }

    fn positive(&self, var: &'static str, default: u32) -> Result<u32, ConfigError> {
        let v: u32 = self.parse(var, default, "a whole number")?;
        if v == 0 {
            return Err(invalid(var, "must be at least 1"));
        }
        Ok(v)
    }

    fn size(&self, var: &'static str, default: usize, min: usize, max: usize) -> Result<usize, ConfigError> {
        let v: usize = self.parse(var, default, "a whole number")?;
        if !(min..=max).contains(&v) {
            return Err(invalid(var, format!("must be between {min} and {max}")));
        }
        Ok(v)
    }

    fn flag(&self, var: &'static str) -> Result<bool, ConfigError> {
        match self.raw(var).map(|v| v.to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) => match v.as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(invalid(var, format!("{v:?} is not true or false"))),
            },
        }
    }

    fn environment(&self) -> Result<Environment, ConfigError> {
        match self.raw("STI_ENV").as_deref() {
            None | Some("development") | Some("dev") => Ok(Environment::Development),
            Some("production") | Some("prod") => Ok(Environment::Production),
            Some(other) => Err(invalid("STI_ENV", format!("{other:?} is not development or production"))),
        }
    }

    fn backend_kind(&self) -> Result<BackendKind, ConfigError> {
        match self.raw("STI_BACKEND").as_deref() {
            None | Some("local") => Ok(BackendKind::Local),
            Some("aws") => Ok(BackendKind::Aws),
            Some(other) => Err(invalid("STI_BACKEND", format!("{other:?} is not local or aws"))),
        }
    }

    fn whatsapp_number(&self) -> Result<Option<String>, ConfigError> {
        let Some(n) = self.raw("WHATSAPP_NUMBER") else {
            return Ok(None);
        };
        let digits: String = n.chars().filter(|c| !matches!(c, '+' | ' ' | '-')).collect();
        if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "WHATSAPP_NUMBER",
                "must be an international number, 8 to 15 digits (e.g. 5491112345678)",
            ));
        }
        Ok(Some(digits))
    }

    fn openai(&self) -> Result<OpenAiConfig, ConfigError> {
        let model = self.raw("OPENAI_MODEL").unwrap_or_else(|| "gpt-4o-mini".to_owned());
        let timeout_ms = self.parse("OPENAI_TIMEOUT", 1_500u64, "a number of milliseconds")?;
        if !(100..=60_000).contains(&timeout_ms) {
            return Err(invalid("OPENAI_TIMEOUT", "must be between 100 and 60000 milliseconds"));
        }
        let budget_ms = self.parse("OPENAI_BUDGET", timeout_ms.min(10_000), "a number of milliseconds")?;
        if !(100..=10_000).contains(&budget_ms) {
            return Err(invalid("OPENAI_BUDGET", "must be between 100 and 10000 milliseconds"));
        }
        let failure_rate = self.parse("OPENAI_CB_FAILURE_RATE", 0.5f64, "a fraction between 0 and 1")?;
        if !(failure_rate > 0.0 && failure_rate <= 1.0) {
            return Err(invalid("OPENAI_CB_FAILURE_RATE", "must be a fraction above 0 and at most 1, e.g. 0.5"));
        }
        let base_url = self.raw("OPENAI_BASE_URL").unwrap_or_else(|| "https://api.openai.com/v1".to_owned());
        if !valid_base_url(base_url.trim_end_matches('/')) {
            return Err(invalid("OPENAI_BASE_URL", "must be an http(s) URL"));
        }
        Ok(OpenAiConfig {
            base_url,
            api_key: self.raw("OPENAI_API_KEY").map(Secret::new),
            vision_model: self.raw("OPENAI_VISION_MODEL").unwrap_or_else(|| model.clone()),
            model,
            timeout: Duration::from_millis(timeout_ms),
            budget: Duration::from_millis(budget_ms),
            breaker_window: self.seconds("OPENAI_CB_WINDOW_SECS", 60)?,
            breaker_min_calls: self.positive("OPENAI_CB_MIN_CALLS", 5)?,
            breaker_failure_rate: failure_rate,
            breaker_cooldown: self.seconds("OPENAI_CB_COOLDOWN_SECS", 30)?,
            flag_cache: Duration::from_secs(self.parse("SMART_FLAG_CACHE_SECS", 15u64, "a number of seconds")?),
        })
    }

    /// A whole number of seconds, at least one.
    fn seconds(&self, var: &'static str, default: u64) -> Result<Duration, ConfigError> {
        let secs: u64 = self.parse(var, default, "a number of seconds")?;
        if secs == 0 {
            return Err(invalid(var, "must be at least 1 second"));
        }
        Ok(Duration::from_secs(secs))
    }

    fn allowed_origins(&self, env: Environment) -> Result<AllowedOrigins, ConfigError> {
        let Some(list) = self.raw("ALLOWED_ORIGINS") else {
            return Ok(match env {
                Environment::Development => AllowedOrigins::Loopback,
                Environment::Production => AllowedOrigins::List(Vec::new()),
            });
        };
        let origins: Vec<String> =
            list.split(',').map(|o| o.trim().trim_end_matches('/').to_owned()).filter(|o| !o.is_empty()).collect();
        if let Some(bad) = origins.iter().find(|o| !valid_origin(o)) {
            return Err(invalid("ALLOWED_ORIGINS", format!("{bad:?} is not an origin like https://example.com")));
        }
        if env == Environment::Production && origins.iter().any(|o| o == "*") {
            return Err(invalid("ALLOWED_ORIGINS", "\"*\" is not allowed in production"));
        }
        Ok(AllowedOrigins::List(origins))
    }

    fn limits(&self) -> Result<Limits, ConfigError> {
        Ok(Limits {
            greeting_per_min_ip: self.positive("RATE_LIMIT_GREETING_PER_MIN", 10)?,
            chat_per_min_session: self.positive("RATE_LIMIT_CHAT_PER_MIN_SESSION", 30)?,
            chat_per_min_ip: self.positive("RATE_LIMIT_CHAT_PER_MIN_IP", 120)?,
            upload_per_min_ip: self.positive("RATE_LIMIT_UPLOAD_PER_MIN", 3)?,
            ticket_per_min_ip: self.positive("RATE_LIMIT_TICKET_PER_MIN_IP", 10)?,
            max_message_chars: self.size("MAX_MESSAGE_CHARS", 2_000, 1, 100_000)?,
            max_json_bytes: self.size("MAX_JSON_BYTES", 16 * 1024, 256, 1024 * 1024)?,
            max_image_bytes: self.size("MAX_IMAGE_BYTES", 5 * 1024 * 1024, 1024, 50 * 1024 * 1024)?,
            max_images_per_session: self.positive("MAX_IMAGES_PER_SESSION", 10)?,
            max_tickets_per_hour: self.positive("MAX_TICKETS_PER_HOUR", 3)?,
            min_image_side: 10,
            max_image_side: 10_000,
            body_read_timeout: self.duration("BODY_READ_TIMEOUT", 30 * SECOND_MS)?,
            upload_url_ttl: self.upload_url_ttl()?,
        })
    }

    fn upload_url_ttl(&self) -> Result<Duration, ConfigError> {
        let ttl = self.duration("UPLOAD_URL_TTL", 5 * 60 * SECOND_MS)?;
        if ttl > Duration::from_secs(5 * 60) {
            return Err(invalid("UPLOAD_URL_TTL", "a signed upload URL may live at most 5m".to_owned()));
        }
        Ok(ttl)
    }

    fn retention(&self) -> Result<Retention, ConfigError> {
        Ok(Retention {
            session: self.duration("SESSION_TTL", 48 * HOUR_MS)?,
            upload: self.duration("UPLOAD_RETENTION", 30 * DAY_MS)?,
            ticket: self.duration("TICKET_RETENTION", 90 * DAY_MS)?,
            log: self.duration("LOG_RETENTION", 14 * DAY_MS)?,
        })
    }

    fn public_base_url(&self) -> Result<Option<String>, ConfigError> {
        match self.raw("PUBLIC_BASE_URL") {
            Some(u) if !valid_base_url(u.trim_end_matches('/')) => {
                Err(invalid("PUBLIC_BASE_URL", "must be an http(s) URL like https://chat.example.com"))
            }
            other => Ok(other.map(|u| u.trim_end_matches('/').to_owned())),
        }
    }

    fn log_token(&self, env: Environment) -> Result<Option<Secret>, ConfigError> {
        let token = self.raw("LOG_TOKEN").map(Secret::new);
        if let Some(token) = &token
            && env == Environment::Production
            && token.expose().chars().count() < 16
        {
            return Err(invalid("LOG_TOKEN", "must be at least 16 characters in production"));
        }
        Ok(token)
    }

    fn aws(&self) -> Result<AwsResources, ConfigError> {
        Ok(AwsResources {
            table: self.raw("STI_TABLE_NAME").unwrap_or_else(|| "sti-chat".into()),
            bucket: self.raw("STI_BUCKET_NAME").unwrap_or_else(|| "sti-chat-uploads".into()),
            queue_name: self.raw("STI_QUEUE_NAME").unwrap_or_else(|| "sti-chat-images".into()),
            queue_url: self.raw("STI_QUEUE_URL"),
            secret_id: self.raw("STI_SECRET_ID"),
            secret_cache_ttl: self.duration("STI_SECRET_CACHE_TTL", 5 * MINUTE_MS)?,
            force_path_style: self.flag("STI_S3_FORCE_PATH_STYLE")?,
            kms_key_id: self.raw("STI_KMS_KEY_ID"),
        })
    }

    fn duration(&self, var: &'static str, default_ms: i64) -> Result<Duration, ConfigError> {
        let ms = match self.raw(var) {
            None => default_ms,
            Some(v) => parse_duration_ms(&v)
                .ok_or_else(|| invalid(var, format!("{v:?} is not a duration like 90s, 15m, 48h or 30d")))?,
        };
        Ok(Duration::from_millis(ms as u64))
    }
}

/// "90s", "15m", "48h", "30d" → milliseconds (positive).
pub fn parse_duration_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().ok().filter(|n| *n > 0)?;
    let unit_ms = match unit.trim() {
        "s" => SECOND_MS,
        "m" => MINUTE_MS,
        "h" => HOUR_MS,
        "d" => DAY_MS,
        _ => return None,
    };
    n.checked_mul(unit_ms)
}

fn valid_origin(o: &str) -> bool {
    if o == "*" {
        return true;
    }
    let Some(rest) = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://")) else {
        return false;
    };
    !rest.is_empty() && !rest.contains('/') && !rest.contains(' ')
}

fn valid_base_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://")) && !u.ends_with('/') && !u.contains(' ')
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_source(&ProcessEnv)
    }

    pub fn from_source(source: &dyn Source) -> Result<Config, ConfigError> {
        let r = Reader { source };
        let env = r.environment()?;
        let backend = r.backend_kind()?;
        let smart_mode = r.flag("SMART_MODE")?;
        let openai = r.openai()?;
        if smart_mode && backend == BackendKind::Local && openai.api_key.is_none() {
            return Err(invalid("OPENAI_API_KEY", "SMART_MODE=true needs a key (in AWS it comes from the secret)"));
        }
        Ok(Config {
            env,
            development_explicit: env == Environment::Development && r.raw("STI_ENV").is_some(),
            backend,
            data_dir: r.raw("STI_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(".sti-data")),
            log_token: r.log_token(env)?,
            whatsapp_number: r.whatsapp_number()?,
            smart_mode,
            openai,
            allowed_origins: r.allowed_origins(env)?,
            limits: r.limits()?,
            retention: r.retention()?,
            public_base_url: r.public_base_url()?,
            trust_forwarded_for: r.flag("TRUST_X_FORWARDED_FOR")?,
            worker_max_attempts: r.positive("WORKER_MAX_ATTEMPTS", 3)?,
            worker_claim: r.duration("WORKER_CLAIM", 120 * SECOND_MS)?,
            aws: r.aws()?,
        })
    }

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
        assert_eq!(parse_duration_ms("15m"), Some(15 * MINUTE_MS));
        assert_eq!(parse_duration_ms("0s"), None);
        assert_eq!(parse_duration_ms("h"), None);
    }
}
