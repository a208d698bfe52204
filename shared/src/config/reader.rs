//! Reading the settings' sections from a [`Source`], one reader per section, each error
//! naming its variable.

use std::path::PathBuf;
use std::time::Duration;

use super::{
    AllowedOrigins, AwsResources, BackendKind, BodyPace, Config, ConfigError, Environment, Limits, OpenAiConfig,
    ProcessEnv, Retention, Source, WebhookConfig, WebhookFormat,
};
use crate::ports::Secret;
use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS};

pub(super) fn invalid(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { var, message: message.into() }
}

pub(super) struct Reader<'a> {
    pub(super) source: &'a dyn Source,
}

impl Reader<'_> {
    pub(super) fn raw(&self, var: &'static str) -> Option<String> {
        self.source.get(var).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    pub(super) fn parse<T: std::str::FromStr>(
        &self,
        var: &'static str,
        default: T,
        what: &str,
    ) -> Result<T, ConfigError> {
        match self.raw(var) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| invalid(var, format!("{v:?} is not {what}"))),
        }
    }

    pub(super) fn positive(&self, var: &'static str, default: u32) -> Result<u32, ConfigError> {
        let v: u32 = self.parse(var, default, "a whole number")?;
        if v == 0 {
            return Err(invalid(var, "must be at least 1"));
        }
        Ok(v)
    }

    pub(super) fn size(&self, var: &'static str, default: usize, min: usize, max: usize) -> Result<usize, ConfigError> {
        let v: usize = self.parse(var, default, "a whole number")?;
        if !(min..=max).contains(&v) {
            return Err(invalid(var, format!("must be between {min} and {max}")));
        }
        Ok(v)
    }

    pub(super) fn flag(&self, var: &'static str) -> Result<bool, ConfigError> {
        match self.raw(var).map(|v| v.to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) => match v.as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(invalid(var, format!("{v:?} is not true or false"))),
            },
        }
    }

    pub(super) fn environment(&self) -> Result<Environment, ConfigError> {
        match self.raw("STI_ENV").as_deref() {
            None | Some("development") | Some("dev") => Ok(Environment::Development),
            Some("production") | Some("prod") => Ok(Environment::Production),
            Some(other) => Err(invalid("STI_ENV", format!("{other:?} is not development or production"))),
        }
    }

    pub(super) fn backend_kind(&self) -> Result<BackendKind, ConfigError> {
        match self.raw("STI_BACKEND").as_deref() {
            None | Some("local") => Ok(BackendKind::Local),
            Some("aws") => Ok(BackendKind::Aws),
            Some(other) => Err(invalid("STI_BACKEND", format!("{other:?} is not local or aws"))),
        }
    }

    pub(super) fn whatsapp_number(&self) -> Result<Option<String>, ConfigError> {
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

    pub(super) fn openai(&self) -> Result<OpenAiConfig, ConfigError> {
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
            // `$LATEST` (or no Lambda at all) takes no canary traffic.
            deployed_as: self
                .raw("AWS_LAMBDA_FUNCTION_NAME")
                .zip(self.raw("AWS_LAMBDA_FUNCTION_VERSION").and_then(|v| v.parse::<u64>().ok())),
        })
    }

    /// A whole number of seconds, at least one.
    pub(super) fn seconds(&self, var: &'static str, default: u64) -> Result<Duration, ConfigError> {
        let secs: u64 = self.parse(var, default, "a number of seconds")?;
        if secs == 0 {
            return Err(invalid(var, "must be at least 1 second"));
        }
        Ok(Duration::from_secs(secs))
    }

    pub(super) fn allowed_origins(&self, env: Environment) -> Result<AllowedOrigins, ConfigError> {
        let Some(list) = self.raw("ALLOWED_ORIGINS") else {
            return Ok(match env {
                Environment::Development => AllowedOrigins::Loopback,
                Environment::Production => AllowedOrigins::List(Vec::new()),
            });
        };
        AllowedOrigins::parse(&list, env == Environment::Production).map_err(|m| invalid("ALLOWED_ORIGINS", m))
    }

    pub(super) fn limits(&self) -> Result<Limits, ConfigError> {
        Ok(Limits {
            greeting_per_min_ip: self.positive("RATE_LIMIT_GREETING_PER_MIN", 10)?,
            chat_per_min_session: self.positive("RATE_LIMIT_CHAT_PER_MIN_SESSION", 30)?,
            chat_per_min_ip: self.positive("RATE_LIMIT_CHAT_PER_MIN_IP", 120)?,
            upload_per_min_ip: self.positive("RATE_LIMIT_UPLOAD_PER_MIN", 3)?,
            status_per_min_session: self.positive("RATE_LIMIT_STATUS_PER_MIN_SESSION", 300)?,
            ticket_per_min_ip: self.positive("RATE_LIMIT_TICKET_PER_MIN_IP", 10)?,
            max_message_chars: self.size("MAX_MESSAGE_CHARS", 2_000, 1, 100_000)?,
            max_json_bytes: self.size("MAX_JSON_BYTES", 16 * 1024, 256, 1024 * 1024)?,
            max_image_bytes: self.size("MAX_IMAGE_BYTES", 5 * 1024 * 1024, 1024, 50 * 1024 * 1024)?,
            max_images_per_session: self.positive("MAX_IMAGES_PER_SESSION", 10)?,
            max_tickets_per_hour: self.positive("MAX_TICKETS_PER_HOUR", 3)?,
            max_turns_per_session: u64::from(self.positive("MAX_TURNS_PER_SESSION", 200)?),
            min_image_side: 10,
            max_image_side: 10_000,
            body_pace: BodyPace {
                grace: self.duration("BODY_READ_TIMEOUT", 10 * SECOND_MS)?,
                min_bytes_per_sec: self.size("BODY_MIN_RATE", 2 * 1024, 1, 100 * 1024 * 1024)?,
            },
            upload_url_ttl: self.upload_url_ttl()?,
        })
    }

    pub(super) fn upload_url_ttl(&self) -> Result<Duration, ConfigError> {
        let ttl = self.duration("UPLOAD_URL_TTL", 5 * 60 * SECOND_MS)?;
        if ttl > Duration::from_secs(5 * 60) {
            return Err(invalid("UPLOAD_URL_TTL", "a signed upload URL may live at most 5m".to_owned()));
        }
        Ok(ttl)
    }

    pub(super) fn retention(&self) -> Result<Retention, ConfigError> {
        Ok(Retention {
            session: self.duration("SESSION_TTL", 48 * HOUR_MS)?,
            session_lifetime: self.duration("SESSION_MAX_LIFETIME", 7 * DAY_MS)?,
            backups: self
                .raw("BACKUP_RETENTION")
                .map(|_| self.duration("BACKUP_RETENTION", 35 * DAY_MS))
                .transpose()?,
            upload: self.duration("UPLOAD_RETENTION", 30 * DAY_MS)?,
            ticket: self.duration("TICKET_RETENTION", 90 * DAY_MS)?,
            log: self.duration("LOG_RETENTION", 14 * DAY_MS)?,
        })
    }

    pub(super) fn public_base_url(&self) -> Result<Option<String>, ConfigError> {
        match self.raw("PUBLIC_BASE_URL") {
            Some(u) if !valid_base_url(u.trim_end_matches('/')) => {
                Err(invalid("PUBLIC_BASE_URL", "must be an http(s) URL like https://chat.example.com"))
            }
            other => Ok(other.map(|u| u.trim_end_matches('/').to_owned())),
        }
    }

    pub(super) fn log_token(&self, env: Environment) -> Result<Option<Secret>, ConfigError> {
        let token = self.raw("LOG_TOKEN").map(Secret::new);
        if let Some(token) = &token
            && env == Environment::Production
            && token.expose().chars().count() < 16
        {
            return Err(invalid("LOG_TOKEN", "must be at least 16 characters in production"));
        }
        Ok(token)
    }

    pub(super) fn aws(&self) -> Result<AwsResources, ConfigError> {
        Ok(AwsResources {
            table: self.raw("STI_TABLE_NAME").unwrap_or_else(|| "sti-chat".into()),
            bucket: self.raw("STI_BUCKET_NAME").unwrap_or_else(|| "sti-chat-uploads".into()),
            queue_name: self.raw("STI_QUEUE_NAME").unwrap_or_else(|| "sti-chat-images".into()),
            queue_url: self.raw("STI_QUEUE_URL"),
            secret_id: self.raw("STI_SECRET_ID"),
            origin_secret_id: self.raw("STI_ORIGIN_SECRET_ID"),
            secret_cache_ttl: self.duration("STI_SECRET_CACHE_TTL", 5 * MINUTE_MS)?,
            force_path_style: self.flag("STI_S3_FORCE_PATH_STYLE")?,
            kms_key_id: self.raw("STI_KMS_KEY_ID"),
        })
    }

    pub(super) fn time_zone(&self) -> Result<String, ConfigError> {
        let name = self.raw("TICKET_TIME_ZONE").unwrap_or_else(|| "America/Argentina/Buenos_Aires".into());
        jiff::tz::TimeZone::get(&name).map(|_| name.clone()).map_err(|_| {
            invalid("TICKET_TIME_ZONE", format!("{name:?} is not a time zone like America/Argentina/Buenos_Aires"))
        })
    }

    pub(super) fn webhook(&self) -> Result<WebhookConfig, ConfigError> {
        let url = self.raw("TICKET_WEBHOOK_URL").filter(|u| !u.trim().is_empty());
        if let Some(u) = &url
            && !valid_base_url(u.trim_end_matches('/'))
        {
            return Err(invalid("TICKET_WEBHOOK_URL", "must be an http(s) URL like https://hooks.example.com/sti"));
        }
        let format = match self.raw("TICKET_WEBHOOK_FORMAT").as_deref().map(str::trim) {
            None | Some("" | "json") => WebhookFormat::Json,
            Some("slack") => WebhookFormat::Slack,
            Some(_) => return Err(invalid("TICKET_WEBHOOK_FORMAT", "must be json or slack")),
        };
        Ok(WebhookConfig {
            url,
            secret: self.raw("TICKET_WEBHOOK_SECRET").filter(|s| !s.is_empty()).map(Secret::new),
            format,
            backoff: self.duration("TICKET_WEBHOOK_BACKOFF", 30 * SECOND_MS)?,
            deadline: self.duration("TICKET_WEBHOOK_DEADLINE", DAY_MS)?,
            timeout: self.duration("TICKET_WEBHOOK_TIMEOUT", 10 * SECOND_MS)?,
            topic_arn: self.raw("TICKETS_TOPIC_ARN").filter(|a| !a.trim().is_empty()),
        })
    }

    pub(super) fn duration(&self, var: &'static str, default_ms: i64) -> Result<Duration, ConfigError> {
        let ms = match self.raw(var) {
            None => default_ms,
            Some(v) => crate::time::parse_duration_ms(&v)
                .ok_or_else(|| invalid(var, format!("{v:?} is not a duration like 90s, 15m, 48h or 30d")))?,
        };
        Ok(Duration::from_millis(ms as u64))
    }
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
            origin_secret: r.raw("ORIGIN_SECRET").map(Secret::new),
            worker_max_attempts: r.positive("WORKER_MAX_ATTEMPTS", 3)?,
            worker_claim: r.duration("WORKER_CLAIM", 120 * SECOND_MS)?,
            webhook: r.webhook()?,
            ticket_time_zone: r.time_zone()?,
            case_abandoned_after: r.duration("CASE_ABANDONED_AFTER", 30 * MINUTE_MS)?,
            aws: r.aws()?,
        })
    }
}
