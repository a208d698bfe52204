//! Smart mode: steps (and image descriptions) from an OpenAI-compatible model, behind a
//! per-call timeout, an overall budget, at most one retry, and a circuit breaker shared
//! by every request of the instance. Whatever goes wrong, the caller falls back to the
//! knowledge base; this module only says whether it got a usable answer.

pub mod breaker;
#[cfg(feature = "smart")]
mod client;
pub mod prompts;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::Value;

pub use breaker::{Breaker, BreakerConfig, CircuitState, Permit};
#[cfg(feature = "smart")]
pub use client::{CallError, ChatClient};

use crate::chat::Locale;
use crate::config::OpenAiConfig;
use crate::counters::{Counter, Tally};
use crate::ports::Counters;
use crate::time::Clock;

/// Shared gauge names: the circuit state for instances without the breaker (health and
/// metrics functions), and the operator's switch.
pub const CIRCUIT_GAUGE: &str = "openai.circuitState";
pub const FORCED_OFF_FLAG: &str = "smart.forcedOff";

/// The numbered version of `function` that must not call the model: the one taking canary
/// traffic (the deployment's pre-traffic hook sets it, its post-traffic hook clears it once
/// the alias points at that version alone), as the seeds' canary asks.
pub fn canary_flag(function: &str) -> String {
    format!("smart.canaryVersion.{function}")
}

/// Why a call's result cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    CircuitOpen,
    Timeout,
    /// HTTP status or transport trouble.
    Provider(String),
    /// The answer did not pass validation.
    Invalid(String),
    /// Smart mode is switched off by the operator.
    ForcedOff,
}

impl Failure {
    fn retryable(&self) -> bool {
        matches!(self, Failure::Timeout | Failure::Provider(_))
    }
}

/// One chat-completions call, abstracted so the breaker logic is testable without HTTP.
#[async_trait]
pub trait Completer: Send + Sync {
    /// The text of the model's answer, or why there is none.
    async fn complete(&self, model: &str, messages: Value, timeout: Duration) -> Result<String, Failure>;
}

pub struct Smart {
    completer: Box<dyn Completer>,
    config: OpenAiConfig,
    /// Where calls are counted, the circuit state published and the operator's switch read.
    tally: Tally,
    /// The breaker's and the switch cache's time (the budget and call timeouts are real).
    clock: Arc<dyn Clock>,
    breaker: Mutex<Breaker>,
    forced_off: Mutex<Option<(Instant, bool)>>,
    published: Mutex<Option<CircuitState>>,
}

/// A permitted call's outcome, owed to the breaker. Recorded when the call returns; if
/// the request is dropped mid-call instead (a visitor who went away), the breaker hears
/// that the call was abandoned, so a probe never leaves the circuit half-open for good.
struct PendingOutcome<'a> {
    breaker: &'a Mutex<Breaker>,
    clock: &'a dyn Clock,
    permit: Option<Permit>,
}

impl PendingOutcome<'_> {
    fn record(mut self, success: bool) {
        if let (Some(permit), Ok(mut breaker)) = (self.permit.take(), self.breaker.lock()) {
            breaker.record(self.clock.monotonic(), permit, success);
        }
    }
}

impl Drop for PendingOutcome<'_> {
    fn drop(&mut self) {
        if let (Some(permit), Ok(mut breaker)) = (self.permit.take(), self.breaker.lock()) {
            breaker.abandon(self.clock.monotonic(), permit);
        }
    }
}

/// Smallest slice of budget worth starting a call with.
const MIN_CALL: Duration = Duration::from_millis(100);

impl Smart {
    pub fn new(completer: Box<dyn Completer>, config: OpenAiConfig, tally: Tally, clock: Arc<dyn Clock>) -> Smart {
        Smart {
            clock,
            breaker: Mutex::new(Breaker::new(breaker_config(&config))),
            completer,
            config,
            tally,
            forced_off: Mutex::new(None),
            published: Mutex::new(None),
        }
    }

    pub fn circuit_state(&self) -> CircuitState {
        self.breaker.lock().map(|b| b.state(self.clock.monotonic())).unwrap_or(CircuitState::Closed)
    }

    /// The operator's switch, or this version's canary, read from the shared store at most
    /// every `flag_cache`.
    pub async fn forced_off(&self) -> bool {
        if let Some((at, value)) = self.forced_off.lock().ok().and_then(|c| *c)
            && self.clock.monotonic().saturating_duration_since(at) < self.config.flag_cache
        {
            return value;
        }
        let store = self.tally.store();
        let canary = async {
            match &self.config.deployed_as {
                Some((function, version)) => store
                    .get(&canary_flag(function))
                    .await
                    .map(|v| v.and_then(|v| u64::try_from(v).ok()) == Some(*version)),
                None => Ok(false),
            }
        };
        let value = match (store.get(FORCED_OFF_FLAG).await, canary.await) {
            (Ok(forced), Ok(canary)) => forced.unwrap_or(0) != 0 || canary,
            // Keep the last known value while the store hiccups; default to on.
            _ => return self.forced_off.lock().ok().and_then(|c| c.map(|(_, v)| v)).unwrap_or(false),
        };
        if let Ok(mut cache) = self.forced_off.lock() {
            *cache = Some((self.clock.monotonic(), value));
        }
        value
    }

    /// Steps for the visitor's problem, from masked text only.
    pub async fn steps(
        &self,
        locale: Locale,
        title: &str,
        problem: Option<&str>,
        round: u8,
        tried: &[String],
    ) -> Result<Vec<String>, Failure> {
        let messages = prompts::steps_messages(locale, title, problem, round, tried);
        self.call(&self.config.model, messages, prompts::parse_steps).await
    }

    /// A description of an image (and the text of an error on it), masked.
    pub async fn describe(&self, locale: Locale, data_url: &str) -> Result<(String, Option<String>), Failure> {
        let messages = prompts::vision_messages(locale, data_url);
        self.call(&self.config.vision_model, messages, prompts::parse_description).await
    }

    async fn call<T>(
        &self,
        model: &str,
        messages: Value,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, Failure> {
        if self.forced_off().await {
            return Err(Failure::ForcedOff);
        }
        let started = Instant::now();
        let mut last = Failure::Timeout;
        for attempt in 0..2 {
            let left = self.config.budget.saturating_sub(started.elapsed());
            if left < MIN_CALL {
                break;
            }
            let permit =
                self.breaker.lock().map(|mut b| b.try_acquire(self.clock.monotonic())).unwrap_or(Permit::Rejected);
            if permit == Permit::Rejected {
                self.publish().await;
                return Err(Failure::CircuitOpen);
            }
            let pending = PendingOutcome { breaker: &self.breaker, clock: self.clock.as_ref(), permit: Some(permit) };
            let call_started = Instant::now();
            let timeout = self.config.timeout.min(left);
            let result = self
                .completer
                .complete(model, messages.clone(), timeout)
                .await
                .and_then(|text| parse(&text).map_err(Failure::Invalid));
            let latency = call_started.elapsed();
            pending.record(result.is_ok());
            self.account(latency, result.is_ok()).await;
            match result {
                Ok(value) => return Ok(value),
                Err(failure) => {
                    tracing::warn!(attempt, ?failure, latency_ms = latency.as_millis() as u64, "smart call failed");
                    let retry = failure.retryable() && attempt == 0 && permit == Permit::Call;
                    last = failure;
                    if !retry {
                        break;
                    }
                    let jitter = crate::ids::random_bytes::<1>().map(|b| u64::from(b[0]) % 100).unwrap_or(50);
                    tokio::time::sleep(Duration::from_millis(50 + jitter)).await;
                }
            }
        }
        Err(last)
    }

    /// Shared counters for `/api/metrics`, an EMF line for the alarms, and the circuit
    /// state for instances that only read it.
    async fn account(&self, latency: Duration, success: bool) {
        let ms = latency.as_millis() as i64;
        self.tally
            .add(&[
                (Counter::OpenAiRequests, 1),
                (Counter::OpenAiFailures, i64::from(!success)),
                (Counter::OpenAiLatencyMsTotal, ms),
            ])
            .await;
        crate::metrics::emf(&[
            ("OpenAIRequests", 1.0, "Count"),
            ("OpenAIFailures", if success { 0.0 } else { 1.0 }, "Count"),
            ("OpenAILatency", ms as f64, "Milliseconds"),
        ]);
        self.publish().await;
    }

    async fn publish(&self) {
        let current = self.circuit_state();
        let changed = self.published.lock().map(|mut p| p.replace(current) != Some(current)).unwrap_or(false);
        if changed {
            tracing::info!(state = current.as_str(), "circuit state");
            if let Err(e) = self.tally.store().set(CIRCUIT_GAUGE, current.code()).await {
                tracing::warn!(error = %e, "could not publish the circuit state");
            }
        }
    }
}

/// The HTTP completer for the OpenAI-compatible API; the key is read from the secrets
/// on every call (they are cached, and rotate).
#[cfg(feature = "smart")]
pub struct HttpCompleter {
    client: ChatClient,
    secrets: std::sync::Arc<dyn crate::ports::Secrets>,
}

#[cfg(feature = "smart")]
impl HttpCompleter {
    pub fn new(base_url: &str, secrets: std::sync::Arc<dyn crate::ports::Secrets>) -> Result<HttpCompleter, CallError> {
        Ok(HttpCompleter { client: ChatClient::new(base_url)?, secrets })
    }
}

#[cfg(feature = "smart")]
#[async_trait]
impl Completer for HttpCompleter {
    async fn complete(&self, model: &str, messages: Value, timeout: Duration) -> Result<String, Failure> {
        let key = self.secrets.load().await.ok().and_then(|s| s.openai_api_key);
        self.client.complete(key.as_ref(), model, messages, timeout).await.map_err(|e| match e {
            CallError::Timeout => Failure::Timeout,
            CallError::Invalid(why) => Failure::Invalid(why),
            other => Failure::Provider(other.to_string()),
        })
    }
}

/// What `/api/health` and `/api/metrics` say about the OpenAI client: "disabled",
/// "forced_off", or the circuit state — this instance's own (`smart`), or the one the
/// chat instances last published.
pub async fn status(smart_mode: bool, counters: &dyn Counters, smart: Option<&Smart>) -> &'static str {
    if !smart_mode {
        return "disabled";
    }
    if counters.get(FORCED_OFF_FLAG).await.ok().flatten().unwrap_or(0) != 0 {
        return "forced_off";
    }
    match smart {
        Some(smart) => smart.circuit_state().as_str(),
        None => counters
            .get(CIRCUIT_GAUGE)
            .await
            .ok()
            .flatten()
            .and_then(CircuitState::from_code)
            .unwrap_or(CircuitState::Closed)
            .as_str(),
    }
}

/// `data:<mime>;base64,<bytes>` for an image in a chat-completions request.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    use base64::Engine;
    format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn breaker_config(config: &OpenAiConfig) -> BreakerConfig {
    BreakerConfig {
        window: config.breaker_window,
        min_calls: config.breaker_min_calls,
        failure_rate: config.breaker_failure_rate,
        cooldown: config.breaker_cooldown,
    }
}

/// Smart mode for this process, when `SMART_MODE=true`.
#[cfg(feature = "smart")]
pub fn from_config(
    config: &crate::config::Config,
    backend: &crate::ports::Backend,
    tally: Tally,
    clock: Arc<dyn Clock>,
) -> Result<Option<Smart>, CallError> {
    if !config.smart_mode {
        return Ok(None);
    }
    let completer = HttpCompleter::new(&config.openai.base_url, Arc::clone(&backend.secrets))?;
    Ok(Some(Smart::new(Box::new(completer), config.openai.clone(), tally, clock)))
}

#[cfg(test)]
mod tests;
