//! Every parser the outside world reaches, fed inputs up to its limits: queue message
//! bodies (S3 notifications and jobs) and identifiers (whole upload requests through the
//! router: `api/uploads.rs`). None may panic, and what they accept must be what they
//! promise.

use proptest::prelude::*;
use sti_shared::backends::image_queue::keys_of;
use sti_shared::ids::{SessionId, TicketId, UploadId, is_acceptable_request_id, is_valid_message_id};

fn s3_notification(keys: &[String]) -> String {
    let records: Vec<serde_json::Value> = keys
        .iter()
        .map(|k| {
            serde_json::json!({
                "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                "eventTime": "2026-12-05T17:00:00.000Z", "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:EXAMPLE"}, "requestParameters": {"sourceIPAddress": "203.0.113.9"},
                "responseElements": {}, "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": "b"}, "object": {"key": k, "size": 1}}
            })
        })
        .collect();
    serde_json::json!({ "Records": records }).to_string()
}

/// S3's form encoding of a key: spaces as '+', everything else unreserved kept.
fn form_encode(key: &str) -> String {
    let mut out = String::new();
    for b in key.bytes() {
        match b {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn queue_bodies_never_panic(body in "\\\\PC{0,4000}") {
        let _ = keys_of(&body);
    }

    #[test]
    fn s3_keys_arrive_decoded_and_only_under_uploads(
        names in proptest::collection::vec("[a-zA-Z0-9 +%:._-]{1,40}", 1..20),
        prefix in proptest::sample::select(vec!["uploads/", "sanitized/uploads/", "other/"]),
    ) {
        let keys: Vec<String> = names.iter().map(|n| format!("{prefix}{n}")).collect();
        let encoded: Vec<String> = keys.iter().map(|k| form_encode(k)).collect();
        let found = keys_of(&s3_notification(&encoded)).unwrap_or_default();
        let wanted: Vec<String> = if prefix == "uploads/" { keys } else { Vec::new() };
        prop_assert_eq!(found, wanted);
    }

    #[test]
    fn identifiers_parse_only_their_own_shape(raw in "\\\\PC{0,80}") {
        let parsed = [SessionId::parse(&raw).is_ok(), UploadId::parse(&raw).is_ok(), TicketId::parse(&raw).is_ok()];
        prop_assert!(parsed.iter().filter(|p| **p).count() <= 1, "{raw:?} parses as two kinds of id");
        if is_valid_message_id(&raw) {
            prop_assert!(!raw.is_empty() && raw.len() <= 64);
        }
        if is_acceptable_request_id(&raw) {
            prop_assert!(raw.bytes().all(|b| b.is_ascii_graphic()));
        }
    }

    #[test]
    fn generated_identifiers_round_trip(_seed in 0u8..8) {
        let session = SessionId::generate().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let upload = UploadId::generate().map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(SessionId::parse(session.as_str()).ok(), Some(session.clone()));
        prop_assert_eq!(UploadId::parse(upload.as_str()).ok(), Some(upload.clone()));
    }
}
