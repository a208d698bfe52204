//! A minimal client for the OpenAI chat-completions API (or any compatible server):
//! one JSON request, one JSON answer, a hard per-call timeout. Callers validate what the
//! model wrote; an answer that does not validate counts as a failure.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::ports::Secret;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("the call timed out")]
    Timeout,
    #[error("the provider answered HTTP {0}")]
    Status(u16),
    #[error("the provider could not be reached: {0}")]
    Transport(String),
    #[error("the provider's answer was not usable: {0}")]
    Invalid(String),
    #[error("no API key is configured")]
    NoKey,
}

pub struct ChatClient {
    http: reqwest::Client,
    base_url: String,
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
}

#[derive(Deserialize)]
struct Message {
    content: Option<String>,
}

impl ChatClient {
    pub fn new(base_url: &str) -> Result<ChatClient, CallError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(1_000))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| CallError::Transport(e.to_string()))?;
        Ok(ChatClient { http, base_url: base_url.trim_end_matches('/').to_owned() })
    }

    /// Sends `messages` and returns the text of the first choice.
    pub async fn complete(
        &self,
        key: Option<&Secret>,
        model: &str,
        messages: Value,
        timeout: Duration,
    ) -> Result<String, CallError> {
        let key = key.ok_or(CallError::NoKey)?;
        let body = json!({
            "model": model,
            "messages": messages,
            "temperature": 0.2,
            "max_tokens": 700,
            "response_format": { "type": "json_object" },
        });
        let request = self
            .http
            .post(format!("{}/chat/completions", self.base_url))
            .bearer_auth(key.expose())
            .timeout(timeout)
            .json(&body)
            .send();
        let response = match tokio::time::timeout(timeout, request).await {
            Err(_) => return Err(CallError::Timeout),
            Ok(Err(e)) if e.is_timeout() => return Err(CallError::Timeout),
            Ok(Err(e)) => return Err(CallError::Transport(e.without_url().to_string())),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        if !status.is_success() {
            return Err(CallError::Status(status.as_u16()));
        }
        let completion: Completion = match tokio::time::timeout(timeout, response.json()).await {
            Err(_) => return Err(CallError::Timeout),
            Ok(Err(e)) => return Err(CallError::Invalid(format!("not a chat completion: {}", e.without_url()))),
            Ok(Ok(c)) => c,
        };
        completion
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| CallError::Invalid("an empty answer".into()))
    }
}
