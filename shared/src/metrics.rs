//! CloudWatch embedded metric format: one JSON line on stdout per observation, which
//! CloudWatch Logs turns into metrics without an API call. Emitted inside Lambda (or
//! when `STI_EMF=1`), silent elsewhere so local output stays readable.

use std::sync::OnceLock;

pub const NAMESPACE: &str = "STIChat";
pub const SERVICE: &str = "sti-chat";

fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| {
        std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() || std::env::var("STI_EMF").is_ok_and(|v| v == "1")
    })
}

/// The EMF document for `values` (name, value, unit), dimensioned by service.
pub fn emf_line(values: &[(&str, f64, &str)], timestamp_ms: i64) -> String {
    let mut doc = serde_json::Map::new();
    let metrics: Vec<serde_json::Value> =
        values.iter().map(|(name, _, unit)| serde_json::json!({ "Name": name, "Unit": unit })).collect();
    doc.insert(
        "_aws".into(),
        serde_json::json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{ "Namespace": NAMESPACE, "Dimensions": [["Service"]], "Metrics": metrics }],
        }),
    );
    doc.insert("Service".into(), SERVICE.into());
    for (name, value, _) in values {
        doc.insert((*name).into(), (*value).into());
    }
    serde_json::Value::Object(doc).to_string()
}

/// Writes one EMF line for `values` when running where CloudWatch reads stdout.
pub fn emf(values: &[(&str, f64, &str)]) {
    if enabled() {
        println!("{}", emf_line(values, crate::time::now_ms()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_follow_the_embedded_metric_format() {
        let line =
            emf_line(&[("OpenAILatency", 120.0, "Milliseconds"), ("OpenAIFailures", 1.0, "Count")], 1_700_000_000_000);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][0], "Service");
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Metrics"][1]["Name"], "OpenAIFailures");
        assert_eq!(v["Service"], SERVICE);
        assert_eq!(v["OpenAILatency"], 120.0);
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000i64);
    }
}
