use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::json_response;
use super::logs::authorize_operator;
use crate::http::{ApiError, ApiResult, AppState};
use crate::time::{now_ms, rfc3339};

#[derive(Deserialize)]
pub struct MetricsQuery {
    format: Option<String>,
    token: Option<String>,
}

fn avg(total: i64, count: i64) -> f64 {
    if count <= 0 { 0.0 } else { ((total as f64 / count as f64) * 10.0).round() / 10.0 }
}

/// The figures of `/api/metrics`, from the shared counters.
pub struct Figures {
    c: BTreeMap<String, i64>,
    queue_depth: Option<u64>,
    circuit_state: &'static str,
}

impl Figures {
    fn get(&self, name: &str) -> i64 {
        self.c.get(name).copied().unwrap_or(0)
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "openai": {
                "requests": self.get("openai.requests"),
                "failures": self.get("openai.failures"),
                "avgLatencyMs": avg(self.get("openai.latencyMsTotal"), self.get("openai.requests")),
                "circuitState": self.circuit_state,
            },
            "uploads": {
                "total": self.get("uploads.total"),
                "processed": self.get("uploads.processed"),
                "failed": self.get("uploads.failed"),
                "avgAnalysisTime": avg(self.get("uploads.analysisMsTotal"), self.get("uploads.processed")),
                "queueDepth": self.queue_depth,
            },
            "chat": { "totalMessages": self.get("chat.totalMessages") },
            "sessions": { "created": self.get("sessions.created"), "erased": self.get("sessions.erased") },
            "tickets": { "created": self.get("tickets.created") },
            "ratelimit": { "rejected": self.get("ratelimit.rejected") },
            "http": { "errors5xx": self.get("http.5xx") },
            "generatedAt": rfc3339(now_ms()),
        })
    }

    fn prometheus(&self) -> String {
        let mut out = String::new();
        let counters = [
            ("sti_openai_requests_total", "Calls made to the OpenAI-compatible API.", "openai.requests"),
            ("sti_openai_failures_total", "Failed or timed-out OpenAI calls.", "openai.failures"),
            (
                "sti_openai_latency_ms_total",
                "Milliseconds spent in OpenAI calls (for windowed averages).",
                "openai.latencyMsTotal",
            ),
            ("sti_uploads_total", "Images accepted.", "uploads.total"),
            ("sti_uploads_processed_total", "Images analysed.", "uploads.processed"),
            ("sti_uploads_failed_total", "Images that could not be processed.", "uploads.failed"),
            ("sti_chat_messages_total", "Chat messages answered.", "chat.totalMessages"),
            ("sti_sessions_created_total", "Sessions created.", "sessions.created"),
            ("sti_sessions_erased_total", "Sessions erased on request.", "sessions.erased"),
            ("sti_tickets_created_total", "Tickets opened.", "tickets.created"),
            ("sti_ratelimit_rejected_total", "Requests refused by rate limits.", "ratelimit.rejected"),
            ("sti_http_5xx_total", "Responses with a 5xx status.", "http.5xx"),
        ];
        for (name, help, key) in counters {
            write_metric(&mut out, name, "counter", help, &self.get(key).to_string());
        }
        let openai_avg = avg(self.get("openai.latencyMsTotal"), self.get("openai.requests"));
        write_metric(
            &mut out,
            "sti_openai_latency_avg_ms",
            "gauge",
            "Average OpenAI call latency.",
            &openai_avg.to_string(),
        );
        let analysis_avg = avg(self.get("uploads.analysisMsTotal"), self.get("uploads.processed"));
        write_metric(
            &mut out,
            "sti_uploads_analysis_avg_ms",
            "gauge",
            "Average image analysis time.",
            &analysis_avg.to_string(),
        );
        if let Some(depth) = self.queue_depth {
            write_metric(
                &mut out,
                "sti_upload_queue_depth",
                "gauge",
                "Image jobs waiting or in flight.",
                &depth.to_string(),
            );
        }
        out.push_str("# HELP sti_openai_circuit_state Circuit breaker state of the OpenAI client (1 = current).\n");
        out.push_str("# TYPE sti_openai_circuit_state gauge\n");
        for state in ["closed", "open", "half_open", "disabled", "forced_off"] {
            let v = u8::from(self.circuit_state == state);
            out.push_str(&format!("sti_openai_circuit_state{{state=\"{state}\"}} {v}\n"));
        }
        out
    }
}

fn write_metric(out: &mut String, name: &str, kind: &str, help: &str, value: &str) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"));
}

pub async fn metrics(
    State(state): State<AppState>,
    Query(query): Query<MetricsQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if state.config().is_production() {
        authorize_operator(&state, &headers, query.token.as_deref(), true).await?;
    }
    let counters = state.backend().counters.snapshot().await?;
    let figures = Figures {
        c: counters,
        queue_depth: state.backend().queue.depth().await.ok(),
        circuit_state: crate::smart::status(&state).await,
    };
    match query.format.as_deref() {
        None | Some("json") => Ok(json_response(StatusCode::OK, figures.json().to_string())),
        Some("prometheus") => {
            let mut response = (StatusCode::OK, figures.prometheus()).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
            Ok(response)
        }
        Some(_) => Err(ApiError::bad_request("invalid_format", "format must be json or prometheus")),
    }
}
