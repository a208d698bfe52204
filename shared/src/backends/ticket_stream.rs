//! The tickets table's DynamoDB Stream, as Lambda hands it to the `ticket-notifier`
//! function: which records are newly inserted tickets. The stream carries keys only (the
//! notifier reads the ticket's current state), so a few fields are read by hand rather
//! than through a crate that would bring a date library and a DynamoDB mapper along.

use serde::Deserialize;

use crate::ids::TicketId;
use crate::ports::NewTicket;

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "Records", default)]
    records: Vec<Record>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "eventName", default)]
    event_name: String,
    #[serde(default)]
    dynamodb: Change,
}

#[derive(Deserialize, Default)]
struct Change {
    #[serde(rename = "Keys", default)]
    keys: Keys,
    #[serde(rename = "SequenceNumber", default)]
    sequence_number: String,
}

#[derive(Deserialize, Default)]
struct Keys {
    pk: Option<StringAttribute>,
    sk: Option<StringAttribute>,
}

#[derive(Deserialize)]
struct StringAttribute {
    #[serde(rename = "S")]
    s: String,
}

/// Whether the event is the function's EventBridge schedule rather than the stream: then
/// it counts the cases visitors walked away from.
pub fn is_schedule(event: &serde_json::Value) -> bool {
    event.get("source").and_then(serde_json::Value::as_str) == Some("aws.events")
        && event.get("detail-type").and_then(serde_json::Value::as_str) == Some("Scheduled Event")
}

/// The records of a stream event in order; `ticket` is set for an inserted ticket item
/// (`pk = T#<id>`, `sk = T`), not for pointers, other items, updates or removals. An event
/// that is not a stream event at all is an error (the function's input is wrong).
pub fn new_tickets(event: &serde_json::Value) -> Result<Vec<NewTicket>, String> {
    let event: Event =
        serde_json::from_value(event.clone()).map_err(|e| format!("not a DynamoDB stream event: {e}"))?;
    Ok(event
        .records
        .into_iter()
        .map(|r| {
            let keys = &r.dynamodb.keys;
            let is_ticket = r.event_name == "INSERT" && keys.sk.as_ref().is_some_and(|sk| sk.s == "T");
            let ticket = keys
                .pk
                .as_ref()
                .and_then(|pk| pk.s.strip_prefix("T#"))
                .filter(|_| is_ticket)
                .and_then(|id| TicketId::parse(id).ok());
            NewTicket { sequence: r.dynamodb.sequence_number, ticket }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(name: &str, pk: &str, sk: &str, seq: &str) -> serde_json::Value {
        json!({
            "eventID": "1", "eventName": name, "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
            "dynamodb": { "Keys": { "pk": { "S": pk }, "sk": { "S": sk } }, "SequenceNumber": seq, "StreamViewType": "KEYS_ONLY" }
        })
    }

    #[test]
    fn only_inserted_tickets_are_named() {
        let event = json!({ "Records": [
            record("INSERT", "T#STI-20261205-ABCDEF", "T", "100"),
            record("MODIFY", "T#STI-20261205-ABCDEF", "T", "101"),
            record("INSERT", "ST#web-0123456789abcdef0123456789abcdef", "C#0000000001", "102"),
            record("REMOVE", "T#STI-20261205-ZZZZZZ", "T", "103"),
            record("INSERT", "T#not-a-ticket", "T", "104"),
        ]});
        let found = new_tickets(&event).unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<(String, Option<String>)> =
            found.into_iter().map(|r| (r.sequence, r.ticket.map(|t| t.to_string()))).collect();
        assert_eq!(
            ids,
            [
                ("100".to_owned(), Some("STI-20261205-ABCDEF".to_owned())),
                ("101".to_owned(), None),
                ("102".to_owned(), None),
                ("103".to_owned(), None),
                ("104".to_owned(), None),
            ]
        );
    }

    #[test]
    fn the_schedule_is_told_from_the_stream() {
        let schedule = json!({ "version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-12-06T01:00:00Z", "region": "us-east-1", "resources": [], "detail": {} });
        assert!(is_schedule(&schedule));
        assert!(!is_schedule(&json!({ "Records": [record("INSERT", "T#STI-20261205-ABCDEF", "T", "1")] })));
        assert!(!is_schedule(&json!({ "detail-type": "Scheduled Event", "source": "someone.else" })));
    }

    #[test]
    fn anything_else_is_refused() {
        assert!(new_tickets(&json!({ "Records": "nope" })).is_err());
        assert_eq!(new_tickets(&json!({})).map(|r| r.len()), Ok(0));
    }
}
