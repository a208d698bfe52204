//! What a message of the image queue carries, read into the upload keys it names: S3
//! `ObjectCreated` notifications (aws_lambda_events' S3 types; keys arrive URL-encoded),
//! the `s3:TestEvent` S3 sends when a notification is configured, or a `{"key": …}` job
//! (the embedded queue's format, and how a job is re-driven by hand on SQS). The Lambda
//! host and the SQS consumer both read their messages through [`keys_of`].

use aws_lambda_events::event::s3::S3Event;
use serde::Deserialize;

use crate::ports::Job;

/// What an image-queue message may carry.
#[derive(Deserialize)]
#[serde(untagged)]
enum QueueBody {
    S3(S3Event),
    Test(TestEvent),
    Job(Job),
}

/// Record fields S3 always writes but emulators leave out, and that we never read: a
/// record without them is still a notification of a stored object.
const RECORD_FIELDS_WE_DO_NOT_READ: [&str; 2] = ["userIdentity", "requestParameters"];

/// The body as JSON, with the record fields we do not read filled in where missing.
fn normalised(body: &str) -> serde_json::Result<serde_json::Value> {
    let mut value: serde_json::Value = serde_json::from_str(body)?;
    if let Some(records) = value.get_mut("Records").and_then(serde_json::Value::as_array_mut) {
        for record in records.iter_mut().filter_map(serde_json::Value::as_object_mut) {
            for field in RECORD_FIELDS_WE_DO_NOT_READ {
                record.entry(field).or_insert_with(|| serde_json::json!({}));
            }
        }
    }
    Ok(value)
}

/// The message S3 sends once when a bucket notification is set up (not a record).
#[derive(Deserialize)]
struct TestEvent {
    #[serde(rename = "Event")]
    event: String,
}

const TEST_EVENT: &str = "s3:TestEvent";
const UPLOADS_PREFIX: &str = "uploads/";

/// S3 keys arrive form-URL-encoded ("a+b%2Fc" is "a b/c").
fn decode_s3_key(key: &str) -> String {
    let spaced = key.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// The upload keys a message asks to process (none for S3's test event or objects outside
/// `uploads/`); `Err` with the reason for a message nobody can process.
pub fn keys_of(body: &str) -> Result<Vec<String>, String> {
    match normalised(body).and_then(serde_json::from_value::<QueueBody>) {
        Ok(QueueBody::S3(event)) => Ok(event
            .records
            .into_iter()
            .filter(|r| r.event_name.as_deref().is_some_and(|n| n.starts_with("ObjectCreated")))
            .filter_map(|r| r.s3.object.key.as_deref().map(decode_s3_key))
            .filter(|k| k.starts_with(UPLOADS_PREFIX))
            .collect()),
        Ok(QueueBody::Test(test)) if test.event == TEST_EVENT => Ok(Vec::new()),
        Ok(QueueBody::Test(test)) => Err(format!("unknown event {:?}", test.event)),
        Ok(QueueBody::Job(job)) => Ok(vec![job.key]),
        Err(e) => Err(format!("not an S3 notification or an image job: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `ObjectCreated`/`ObjectRemoved` record as S3 writes it.
    fn record(event_name: &str, key: &str) -> serde_json::Value {
        serde_json::json!({
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-12-05T17:00:00.000Z", "eventName": event_name,
            "userIdentity": {"principalId": "AWS:EXAMPLE"},
            "requestParameters": {"sourceIPAddress": "203.0.113.9"},
            "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810"},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "uploads",
                   "bucket": {"name": "b", "ownerIdentity": {"principalId": "EXAMPLE"}, "arn": "arn:aws:s3:::b"},
                   "object": {"key": key, "size": 5, "eTag": "d41d8cd98f00b204e9800998ecf8427e", "sequencer": "0A1B"}}
        })
    }

    #[test]
    fn reads_s3_notifications_tests_and_jobs() {
        let s3 = serde_json::json!({"Records": [
            record("ObjectCreated:Put", "uploads/web-1/upl-2"),
            record("ObjectCreated:Put", "sanitized/uploads/x.png"),
            record("ObjectRemoved:Delete", "uploads/web-1/upl-3"),
        ]})
        .to_string();
        assert_eq!(keys_of(&s3), Ok(vec!["uploads/web-1/upl-2".to_owned()]));
        assert_eq!(keys_of(r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}"#), Ok(vec![]));
        assert_eq!(keys_of(r#"{"key":"uploads/web-1/upl-9"}"#), Ok(vec!["uploads/web-1/upl-9".to_owned()]));
        assert!(keys_of("garbage").is_err());
        assert!(keys_of(r#"{"Event":"s3:Other"}"#).is_err());
    }

    #[test]
    fn a_record_without_the_fields_emulators_leave_out_is_read() {
        // As moto writes it: no userIdentity, requestParameters or responseElements.
        let body = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
            "eventTime":"2026-12-05T17:29:52.123Z","eventName":"ObjectCreated:Put",
            "s3":{"s3SchemaVersion":"1.0","configurationId":"uploads","bucket":{"name":"b","arn":"arn:aws:s3:::b"},
            "object":{"key":"uploads/web-1/upl-2","size":5,"eTag":"abc"}}}]}"#;
        assert_eq!(keys_of(body), Ok(vec!["uploads/web-1/upl-2".to_owned()]));
    }

    #[test]
    fn the_events_folder_notification_is_read() {
        let event: serde_json::Value =
            serde_json::from_str(include_str!("../../../events/image-worker.json")).unwrap_or_default();
        let body = event["Records"][0]["body"].as_str().unwrap_or_default();
        let keys = keys_of(body).unwrap_or_default();
        assert_eq!(keys.len(), 1, "{body}");
        assert!(keys[0].starts_with(UPLOADS_PREFIX));
    }

    #[test]
    fn s3_keys_are_url_decoded() {
        assert_eq!(decode_s3_key("uploads/a+b/c%2Bd%3A"), "uploads/a b/c+d:");
    }
}
