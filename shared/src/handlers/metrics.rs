//! `GET /api/metrics[?format=prometheus]`: the shared counters, as JSON or for Prometheus.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::app::App;
use crate::counters::Counter;
use crate::http::extract::Query;
use crate::http::guards::{self, WithoutToken};
use crate::http::{ApiError, ApiResult, ErrorCode, Routes};
use crate::metrics::phases::{self, Summary};
use crate::services::operations::{self, Figures};
use crate::services::report::{
    FeedbackFigures, OutcomeFigures, feedback_figures, feedback_lines, minutes_to_resolution, outcome_figures,
    outcome_lines,
};
use crate::time::rfc3339;

pub fn routes() -> Routes {
    Routes::new().route("/api/metrics", get(metrics))
}

#[derive(Deserialize)]
struct MetricsQuery {
    format: Option<String>,
    token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetricsJson {
    openai: OpenAiFigures,
    uploads: UploadFigures,
    chat: ChatFigures,
    sessions: SessionFigures,
    tickets: TicketFigures,
    ratelimit: RateLimitFigures,
    http: HttpFigures,
    feedback: FeedbackFigures,
    outcomes: OutcomeFigures,
    /// Where `/api/chat` requests spent their time in the process that answered, since it
    /// started (each Lambda instance and each `sti serve` has its own).
    turn_phases: BTreeMap<&'static str, Summary>,
    generated_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OpenAiFigures {
    requests: i64,
    failures: i64,
    avg_latency_ms: f64,
    circuit_state: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UploadFigures {
    total: i64,
    processed: i64,
    failed: i64,
    avg_analysis_time: f64,
    queue_depth: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChatFigures {
    total_messages: i64,
}

#[derive(Serialize)]
struct SessionFigures {
    created: i64,
    erased: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TicketFigures {
    created: i64,
    notified: i64,
    notifications_failed: i64,
    resolved: i64,
    /// Average time from a ticket to its resolution, in minutes.
    avg_minutes_to_resolution: f64,
}

#[derive(Serialize)]
struct RateLimitFigures {
    rejected: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HttpFigures {
    errors5xx: i64,
}

impl From<&Figures> for MetricsJson {
    fn from(f: &Figures) -> MetricsJson {
        use Counter::*;
        MetricsJson {
            openai: OpenAiFigures {
                requests: f.get(OpenAiRequests),
                failures: f.get(OpenAiFailures),
                avg_latency_ms: f.average(OpenAiLatencyMsTotal, OpenAiRequests),
                circuit_state: f.circuit_state,
            },
            uploads: UploadFigures {
                total: f.get(UploadsTotal),
                processed: f.get(UploadsProcessed),
                failed: f.get(UploadsFailed),
                avg_analysis_time: f.average(UploadsAnalysisMsTotal, UploadsProcessed),
                queue_depth: f.queue_depth,
            },
            chat: ChatFigures { total_messages: f.get(ChatMessages) },
            sessions: SessionFigures { created: f.get(SessionsCreated), erased: f.get(SessionsErased) },
            tickets: TicketFigures {
                created: f.get(TicketsCreated),
                notified: f.get(TicketsNotified),
                notifications_failed: f.get(TicketNotificationsFailed),
                resolved: f.get(TicketsResolved),
                avg_minutes_to_resolution: minutes_to_resolution(f),
            },
            ratelimit: RateLimitFigures { rejected: f.get(RateLimitRejected) },
            http: HttpFigures { errors5xx: f.get(Http5xx) },
            feedback: feedback_figures(f),
            outcomes: outcome_figures(f),
            turn_phases: phases::summaries().into_iter().map(|(phase, summary)| (phase.as_str(), summary)).collect(),
            generated_at: rfc3339(crate::time::now_ms()),
        }
    }
}

fn write_metric(out: &mut String, name: &str, kind: &str, help: &str, value: &str) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"));
}

fn prometheus(f: &Figures) -> String {
    let mut out = String::new();
    for counter in Counter::ALL {
        write_metric(&mut out, counter.prometheus_name(), "counter", counter.help(), &f.get(*counter).to_string());
    }
    let openai_avg = f.average(Counter::OpenAiLatencyMsTotal, Counter::OpenAiRequests);
    write_metric(
        &mut out,
        "sti_openai_latency_avg_ms",
        "gauge",
        "Average OpenAI call latency.",
        &openai_avg.to_string(),
    );
    let analysis_avg = f.average(Counter::UploadsAnalysisMsTotal, Counter::UploadsProcessed);
    write_metric(
        &mut out,
        "sti_uploads_analysis_avg_ms",
        "gauge",
        "Average image analysis time.",
        &analysis_avg.to_string(),
    );
    if let Some(depth) = f.queue_depth {
        write_metric(
            &mut out,
            "sti_upload_queue_depth",
            "gauge",
            "Image jobs waiting or in flight.",
            &depth.to_string(),
        );
    }
    out.push_str("# HELP sti_feedback_total Visitors' ratings of how their case ended, by outcome and category.\n");
    out.push_str("# TYPE sti_feedback_total counter\n");
    for line in feedback_lines(f) {
        for (rating, value) in [("up", line.up), ("down", line.down)] {
            let (outcome, category) = (&line.outcome, &line.category);
            out.push_str(&format!(
                "sti_feedback_total{{outcome=\"{outcome}\",category=\"{category}\",rating=\"{rating}\"}} {value}\n"
            ));
        }
    }
    out.push_str("# HELP sti_conversation_outcomes_total Cases closed, by knowledge-base category and outcome.\n");
    out.push_str("# TYPE sti_conversation_outcomes_total counter\n");
    for line in outcome_lines(f) {
        out.push_str(&format!(
            "sti_conversation_outcomes_total{{category=\"{}\",outcome=\"{}\"}} {}\n",
            line.category, line.outcome, line.count
        ));
    }
    turn_phase_lines(&mut out);
    out.push_str("# HELP sti_openai_circuit_state Circuit breaker state of the OpenAI client (1 = current).\n");
    out.push_str("# TYPE sti_openai_circuit_state gauge\n");
    for state in ["closed", "open", "half_open", "disabled", "forced_off"] {
        let v = u8::from(f.circuit_state == state);
        out.push_str(&format!("sti_openai_circuit_state{{state=\"{state}\"}} {v}\n"));
    }
    out
}

/// The phases of `/api/chat` requests in this process, as a Prometheus summary.
fn turn_phase_lines(out: &mut String) {
    out.push_str("# HELP sti_turn_phase_seconds Time /api/chat requests spent per phase in this process.\n");
    out.push_str("# TYPE sti_turn_phase_seconds summary\n");
    let seconds = |us: u64| us as f64 / 1e6;
    for (phase, s) in phases::summaries() {
        let phase = phase.as_str();
        for (quantile, us) in [("0.5", s.p50_us), ("0.9", s.p90_us), ("0.99", s.p99_us), ("0.999", s.p999_us)] {
            out.push_str(&format!(
                "sti_turn_phase_seconds{{phase=\"{phase}\",quantile=\"{quantile}\"}} {}\n",
                seconds(us)
            ));
        }
        out.push_str(&format!("sti_turn_phase_seconds_sum{{phase=\"{phase}\"}} {}\n", seconds(s.sum_us)));
        out.push_str(&format!("sti_turn_phase_seconds_count{{phase=\"{phase}\"}} {}\n", s.count));
    }
}

async fn metrics(State(app): State<App>, Query(query): Query<MetricsQuery>, headers: HeaderMap) -> ApiResult<Response> {
    if app.config().is_production() {
        guards::operator(&app, &headers, query.token.as_deref(), WithoutToken::Closed).await?;
    }
    let format = query.format.as_deref();
    if !matches!(format, None | Some("json") | Some("prometheus")) {
        return Err(ApiError::new(ErrorCode::InvalidFormat, "format must be json or prometheus"));
    }
    let figures = operations::figures(&app).await?;
    if format == Some("prometheus") {
        let mut response = (StatusCode::OK, prometheus(&figures)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
        return Ok(response);
    }
    Ok(Json(MetricsJson::from(&figures)).into_response())
}
