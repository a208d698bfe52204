//! CloudWatch embedded metric format: one JSON line on stdout per observation, which
//! CloudWatch Logs turns into metrics without an API call. Emitted inside Lambda (or
//! when `STI_EMF=1`), silent elsewhere so local output stays readable.

pub mod phases;

use std::sync::OnceLock;

pub const NAMESPACE: &str = "STIChat";
pub const SERVICE: &str = "sti-chat";

fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| {
        std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() || std::env::var("STI_EMF").is_ok_and(|v| v == "1")
    })
}

/// The EMF document for `values` (name, value, unit), dimensioned by service and, when
/// given, by route as well.
pub fn emf_line(values: &[(&str, f64, &str)], route: Option<&str>, timestamp_ms: i64) -> String {
    let mut doc = serde_json::Map::new();
    let metrics: Vec<serde_json::Value> =
        values.iter().map(|(name, _, unit)| serde_json::json!({ "Name": name, "Unit": unit })).collect();
    let dimensions = match route {
        Some(_) => serde_json::json!([["Service"], ["Service", "Route"]]),
        None => serde_json::json!([["Service"]]),
    };
    doc.insert(
        "_aws".into(),
        serde_json::json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{ "Namespace": NAMESPACE, "Dimensions": dimensions, "Metrics": metrics }],
        }),
    );
    doc.insert("Service".into(), SERVICE.into());
    if let Some(route) = route {
        doc.insert("Route".into(), route.into());
    }
    for (name, value, _) in values {
        doc.insert((*name).into(), (*value).into());
    }
    serde_json::Value::Object(doc).to_string()
}

/// Writes one EMF line for `values` when running where CloudWatch reads stdout.
pub fn emf(values: &[(&str, f64, &str)]) {
    if enabled() {
        println!("{}", emf_line(values, None, crate::time::now_ms()));
    }
}

/// One answered HTTP request: count, 5xx and latency, per route and overall, for the
/// error-rate and latency alarms that gate deployments.
pub fn emf_request(path: &str, status: u16, latency_ms: f64) {
    if enabled() {
        let values = [
            ("Requests", 1.0, "Count"),
            ("Http5xx", if status >= 500 { 1.0 } else { 0.0 }, "Count"),
            ("Latency", latency_ms, "Milliseconds"),
        ];
        println!("{}", emf_line(&values, Some(route_of(path)), crate::time::now_ms()));
    }
}

/// One EMF document counting `name` once, dimensioned by each of `dimensions` (name,
/// value) alone and all together (with the service in every set).
pub fn emf_dimensioned_line(name: &str, dimensions: &[(&str, &str)], timestamp_ms: i64) -> String {
    let mut sets: Vec<Vec<&str>> = dimensions.iter().map(|(d, _)| vec!["Service", *d]).collect();
    if dimensions.len() > 1 {
        sets.push(std::iter::once("Service").chain(dimensions.iter().map(|(d, _)| *d)).collect());
    }
    let mut doc = serde_json::Map::new();
    doc.insert(
        "_aws".into(),
        serde_json::json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{ "Namespace": NAMESPACE, "Dimensions": sets, "Metrics": [{ "Name": name, "Unit": "Count" }] }],
        }),
    );
    doc.insert("Service".into(), SERVICE.into());
    for (dimension, value) in dimensions {
        doc.insert((*dimension).into(), (*value).into());
    }
    doc.insert(name.into(), 1.0.into());
    serde_json::Value::Object(doc).to_string()
}

/// A case closed: `CaseOutcomes` by outcome and by category × outcome (the support row of
/// the dashboards: solved rate, tickets per day).
pub fn emf_case_outcome(category: &str, outcome: &str) {
    if enabled() {
        println!(
            "{}",
            emf_dimensioned_line(
                "CaseOutcomes",
                &[("Category", category), ("Outcome", outcome)],
                crate::time::now_ms()
            )
        );
    }
}

/// A visitor's rating: `Feedback` by rating (up or down) and by outcome × rating.
pub fn emf_feedback(rating: &str, outcome: &str) {
    if enabled() {
        println!(
            "{}",
            emf_dimensioned_line("Feedback", &[("Rating", rating), ("Outcome", outcome)], crate::time::now_ms())
        );
    }
}

/// The route template of a request path, so that ids never become metric dimensions.
pub fn route_of(path: &str) -> &'static str {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match segments.as_slice() {
        ["", "api", "health"] => "/api/health",
        ["", "api", "greeting"] => "/api/greeting",
        ["", "api", "session", "validate"] => "/api/session/validate",
        ["", "api", "chat"] => "/api/chat",
        ["", "api", "upload-image"] => "/api/upload-image",
        ["", "api", "upload", _] => "/api/upload/{uploadId}",
        ["", "api", "whatsapp-ticket"] => "/api/whatsapp-ticket",
        ["", "api", "ticket", _] => "/api/ticket/{ticketId}",
        ["", "api", "ticket", _, "resolve"] => "/api/ticket/{ticketId}/resolve",
        ["", "api", "feedback"] => "/api/feedback",
        ["", "api", "session", _, "history"] => "/api/session/{sessionId}/history",
        ["", "api", "files", ..] => "/api/files/{key}",
        ["", "api", "logs"] => "/api/logs",
        ["", "api", "metrics"] => "/api/metrics",
        ["", "api", "session", _, "export"] => "/api/session/{sessionId}/export",
        ["", "api", "session", _] => "/api/session/{sessionId}",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_documents_carry_each_dimension_and_both_together() {
        let line = emf_dimensioned_line("CaseOutcomes", &[("Category", "printer"), ("Outcome", "ticket")], 1);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        let sets = &v["_aws"]["CloudWatchMetrics"][0]["Dimensions"];
        assert_eq!(
            sets,
            &serde_json::json!([["Service", "Category"], ["Service", "Outcome"], ["Service", "Category", "Outcome"]])
        );
        assert_eq!(
            (v["Category"].as_str(), v["Outcome"].as_str(), v["CaseOutcomes"].as_f64()),
            (Some("printer"), Some("ticket"), Some(1.0))
        );
        assert_eq!(route_of("/api/ticket/STI-1/resolve"), "/api/ticket/{ticketId}/resolve");
        assert_eq!(route_of("/api/files/thumbnails/uploads/t/u.jpg"), "/api/files/{key}");
    }

    #[test]
    fn documents_follow_the_embedded_metric_format() {
        let line = emf_line(
            &[("OpenAILatency", 120.0, "Milliseconds"), ("OpenAIFailures", 1.0, "Count")],
            None,
            1_700_000_000_000,
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][0], "Service");
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Metrics"][1]["Name"], "OpenAIFailures");
        assert_eq!(v["Service"], SERVICE);
        assert_eq!(v["OpenAILatency"], 120.0);
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000i64);
    }

    #[test]
    fn request_records_carry_the_route_template() {
        let line = emf_line(&[("Requests", 1.0, "Count")], Some("/api/chat"), 0);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            serde_json::json!([["Service"], ["Service", "Route"]])
        );
        assert_eq!(v["Route"], "/api/chat");
    }

    #[test]
    fn ids_never_become_dimensions() {
        for (path, route) in [
            ("/api/health", "/api/health"),
            ("/api/chat/", "/api/chat"),
            ("/api/upload/upl-0123456789abcdef", "/api/upload/{uploadId}"),
            ("/api/ticket/STI-20261122-K7QM2X", "/api/ticket/{ticketId}"),
            ("/api/session/web-0123/export", "/api/session/{sessionId}/export"),
            ("/api/session/web-0123", "/api/session/{sessionId}"),
            ("/api/session/validate", "/api/session/validate"),
            ("/wp-admin/setup.php", "other"),
            ("/api/upload/a/b", "other"),
            ("", "other"),
        ] {
            assert_eq!(route_of(path), route, "{path}");
        }
    }
}
