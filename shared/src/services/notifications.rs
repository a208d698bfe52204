//! What the image queue carries: S3 `ObjectCreated` notifications (URL-encoded keys, and
//! the `s3:TestEvent` S3 sends when a notification is configured), or the embedded
//! queue's own `{"key": …}` jobs. Both the Lambda worker and the SQS consumer read them.

use serde::Deserialize;

/// What an SQS message of the image queue may carry.
#[derive(Deserialize)]
#[serde(untagged)]
enum QueueBody {
    /// An S3 event notification (`Records[].s3.object.key`, URL-encoded).
    S3 {
        #[serde(rename = "Records")]
        records: Vec<S3Record>,
    },
    /// The `s3:TestEvent` S3 sends when a notification is configured.
    Test {
        #[serde(rename = "Event")]
        event: String,
    },
    /// The embedded queue's own job format, `{"key": "uploads/…"}`.
    Job(crate::ports::Job),
}

#[derive(Deserialize)]
struct S3Record {
    #[serde(rename = "eventName", default)]
    event_name: String,
    s3: S3Entity,
}

#[derive(Deserialize)]
struct S3Entity {
    object: S3Object,
}

#[derive(Deserialize)]
struct S3Object {
    key: String,
}

/// S3 keys arrive form-URL-encoded ("a+b%2Fc" is "a b/c").
fn decode_s3_key(key: &str) -> String {
    let spaced = key.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// The upload keys a message asks to process; `Err` for a message nobody can process.
pub fn keys_of(body: &str) -> Result<Vec<String>, String> {
    match serde_json::from_str::<QueueBody>(body) {
        Ok(QueueBody::S3 { records }) => Ok(records
            .into_iter()
            .filter(|r| r.event_name.starts_with("ObjectCreated"))
            .map(|r| decode_s3_key(&r.s3.object.key))
            .filter(|k| k.starts_with("uploads/"))
            .collect()),
        Ok(QueueBody::Test { event }) if event == "s3:TestEvent" => Ok(Vec::new()),
        Ok(QueueBody::Test { event }) => Err(format!("unknown event {event:?}")),
        Ok(QueueBody::Job(job)) => Ok(vec![job.key]),
        Err(e) => Err(format!("not an S3 notification or an image job: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_s3_notifications_tests_and_jobs() {
        let s3 = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"uploads/web-1/upl-2","size":5}}},
                     {"eventName":"ObjectCreated:Put","s3":{"object":{"key":"sanitized/uploads/x.png"}}},
                     {"eventName":"ObjectRemoved:Delete","s3":{"object":{"key":"uploads/web-1/upl-3"}}}]}"#;
        assert_eq!(keys_of(s3), Ok(vec!["uploads/web-1/upl-2".to_owned()]));
        assert_eq!(keys_of(r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}"#), Ok(vec![]));
        assert_eq!(keys_of(r#"{"key":"uploads/web-1/upl-9"}"#), Ok(vec!["uploads/web-1/upl-9".to_owned()]));
        assert!(keys_of("garbage").is_err());
        assert!(keys_of(r#"{"Event":"s3:Other"}"#).is_err());
    }

    #[test]
    fn s3_keys_are_url_decoded() {
        assert_eq!(decode_s3_key("uploads/a+b/c%2Bd%3A"), "uploads/a b/c+d:");
    }
}
