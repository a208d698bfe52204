use std::time::Duration;

use super::*;
use crate::chat::Locale;
use crate::ids::{SessionId, TicketId};
use crate::images::{Analysis, ImageHint};
use crate::ports::TicketImage;
use crate::time::MINUTE_MS;

fn policy() -> WebhookConfig {
    WebhookConfig {
        url: Some("http://127.0.0.1:9/hook".into()),
        secret: None,
        format: WebhookFormat::Json,
        backoff: Duration::from_secs(30),
        deadline: Duration::from_secs(24 * 3600),
        timeout: Duration::from_secs(10),
        topic_arn: None,
    }
}

fn ticket() -> Ticket {
    let analysis = Analysis {
        format: "jpeg".into(),
        bytes: 1_000,
        width: 800,
        height: 600,
        blur_score: 3.0,
        brightness: 120.0,
        hint: Some(ImageHint::Blurry),
        sanitized_bytes: 900,
        analysis_ms: 4,
        description: None,
        error_text: None,
    };
    Ticket {
        id: TicketId::parse("STI-20261205-ABCDEF").unwrap_or_else(|e| panic!("{e}")),
        access_token: "a".repeat(32),
        session_id: SessionId::parse("web-0123456789abcdef0123456789abcdef").unwrap_or_else(|e| panic!("{e}")),
        case_no: 1,
        created_at: 1_796_500_000_000,
        expires_at: 1_796_500_000_000 + 90 * 24 * HOUR_MS,
        locale: Locale::Es,
        name: Some("Ana".into()),
        category: Some("printer".into()),
        category_title: Some("la impresora no imprime".into()),
        summary: Some("no imprime, mi mail es [EMAIL]".into()),
        attempts: Vec::new(),
        images: vec![TicketImage { upload_id: "up-1".into(), analysis }],
        transcript: vec![crate::ports::TranscriptEntry {
            seq: 2,
            at: 0,
            role: crate::ports::Role::Visitor,
            text: "texto de la conversación".into(),
        }],
        transcript_omitted: 0,
        whatsapp_url: String::new(),
        notification: Notification {
            state: NotifyState::Pending,
            base_url: "https://chat.example.com".into(),
            ..Notification::default()
        },
        status: Default::default(),
        resolution: None,
    }
}

#[test]
fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
    // python3: hmac.new(b"topsecret", b'1796500000.{"a":1}', hashlib.sha256).hexdigest()
    assert_eq!(
        signature("topsecret", 1_796_500_000, r#"{"a":1}"#),
        "sha256=0dfd152dde4da2db1e095f9474d541bbae9b843033860326503482edd78a780c"
    );
}

#[test]
fn the_json_body_has_the_facts_and_the_link_never_the_transcript() {
    let t = ticket();
    let json: serde_json::Value = serde_json::from_str(&body(&t, WebhookFormat::Json)).unwrap_or_default();
    assert_eq!(json["ticketId"], "STI-20261205-ABCDEF");
    assert_eq!(json["category"], "printer");
    assert_eq!(json["summary"], "no imprime, mi mail es [EMAIL]");
    assert_eq!(
        json["ticketUrl"],
        format!("https://chat.example.com/api/ticket/STI-20261205-ABCDEF?t={}", "a".repeat(32))
    );
    assert_eq!(json["images"][0]["hint"], "blurry");
    assert!(json["createdAt"].as_str().is_some_and(|c| c.ends_with('Z')));
    assert!(!json.to_string().contains("texto de la conversación"));
}

#[test]
fn the_slack_body_is_one_text_with_the_link() {
    let json: serde_json::Value = serde_json::from_str(&body(&ticket(), WebhookFormat::Slack)).unwrap_or_default();
    let text = json["text"].as_str().unwrap_or_default();
    assert!(text.contains("*STI-20261205-ABCDEF*") && text.contains("La impresora no imprime"), "{text}");
    assert!(text.contains("|Abrir el ticket>") && text.contains("<https://chat.example.com/api/ticket/"), "{text}");
    assert_eq!(json.as_object().map(|o| o.len()), Some(1), "only text");
}

#[test]
fn the_delivery_id_is_one_per_ticket() {
    let a = ticket();
    assert_eq!(delivery_id(&a), delivery_id(&a.clone()));
    let mut b = ticket();
    b.access_token = "b".repeat(32);
    assert_ne!(delivery_id(&a), delivery_id(&b));
    assert!(delivery_id(&a).starts_with("STI-20261205-ABCDEF-"));
}

#[test]
fn answers_are_classified() {
    for status in [200, 201, 202, 204] {
        assert_eq!(Attempt::from_status(status), Attempt::Delivered, "{status}");
    }
    for status in [400, 401, 403, 404, 410, 413, 422] {
        assert_eq!(Attempt::from_status(status), Attempt::Refused(status), "{status}");
    }
    for status in [408, 429, 500, 502, 503, 504, 301] {
        assert!(matches!(Attempt::from_status(status), Attempt::Transient(_)), "{status}");
    }
}

#[test]
fn retries_double_up_to_an_hour_and_stop_at_the_deadline() {
    let t = ticket();
    let p = policy();
    let mut n = t.notification.clone();
    let mut now = t.created_at;
    let mut waits = Vec::new();
    while n.state == NotifyState::Pending {
        n = after_attempt(&n, t.created_at, &Attempt::Transient("HTTP 500".into()), now, &p);
        waits.push((n.next_at - now) / MINUTE_MS * 60 + (n.next_at - now) % MINUTE_MS / 1_000);
        now = n.next_at;
    }
    assert_eq!(&waits[..8], &[30, 60, 120, 240, 480, 960, 1920, 3600], "seconds between attempts");
    assert_eq!(n.state, NotifyState::Failed);
    assert!(n.next_at > t.created_at + 24 * HOUR_MS && now - n.next_at <= 0);
    assert_eq!(n.attempts as usize, waits.len());
    assert!((26..=32).contains(&n.attempts), "about a day of tries: {}", n.attempts);
    assert_eq!(n.last_error.as_deref(), Some("HTTP 500"));
}

#[test]
fn a_2xx_delivers_and_a_4xx_fails_for_good() {
    let t = ticket();
    let delivered = after_attempt(&t.notification, t.created_at, &Attempt::Delivered, t.created_at + 5, &policy());
    assert_eq!(
        (delivered.state, delivered.attempts, delivered.delivered_at),
        (NotifyState::Delivered, 1, Some(t.created_at + 5))
    );
    let refused = after_attempt(&t.notification, t.created_at, &Attempt::Refused(410), t.created_at, &policy());
    assert_eq!(refused.state, NotifyState::Failed);
    assert!(refused.last_error.as_deref().is_some_and(|e| e.contains("410")));
}

#[test]
fn a_ticket_is_written_pending_only_when_a_webhook_is_configured() {
    let lookup = |name: &str| (name == "TICKET_WEBHOOK_URL").then(|| "https://hooks.example.com/sti".to_owned());
    let with = crate::config::Config::from_source(&lookup).unwrap_or_else(|e| panic!("{e}"));
    let entry = outbox_entry(&with, "https://chat.example.com", 42);
    assert_eq!(
        (entry.state, entry.next_at, entry.base_url.as_str()),
        (NotifyState::Pending, 42, "https://chat.example.com")
    );
    let without = crate::config::Config::from_source(&|_: &str| None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outbox_entry(&without, "x", 42).state, NotifyState::Off);
}
