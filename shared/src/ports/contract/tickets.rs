//! Tickets: one per case, listing, expiry and erasure.

use super::*;

fn ticket(session: &SessionId, case_no: u32, now: i64) -> Ticket {
    Ticket {
        id: TicketId::generate(now).unwrap_or_else(|e| panic!("{e}")),
        access_token: crate::ids::access_token().unwrap_or_else(|e| panic!("{e}")),
        session_id: session.clone(),
        case_no,
        created_at: now,
        expires_at: now + 90 * 24 * HOUR_MS,
        locale: Locale::Es,
        name: Some("Ana".into()),
        category: Some("printer".into()),
        category_title: Some("la impresora no imprime".into()),
        summary: Some("no imprime [EMAIL]".into()),
        attempts: Vec::new(),
        images: Vec::new(),
        transcript: vec![TranscriptEntry { seq: 4, at: now, role: Role::Visitor, text: "no imprime".into() }],
        transcript_omitted: 0,
        whatsapp_url: "https://wa.me/?text=x".into(),
    }
}

pub async fn tickets_one_per_case(b: &Backend) {
    let now = now_ms();
    let session = new_session(now).id;
    let first = ticket(&session, 1, now);
    assert_eq!(ok(b.tickets.create(&first).await, "create"), CreateTicketOutcome::Created);
    assert_eq!(ok(b.tickets.get(&first.id, now).await, "get"), Some(first.clone()));
    // The same case again gives back the first ticket.
    let second = ticket(&session, 1, now);
    assert_eq!(ok(b.tickets.create(&second).await, "again"), CreateTicketOutcome::AlreadyOpen(Box::new(first.clone())));
    assert_eq!(ok(b.tickets.get(&second.id, now).await, "not stored"), None);
    // A colliding id for another case is reported, not overwritten.
    let mut collision = ticket(&session, 2, now);
    collision.id = first.id.clone();
    assert_eq!(ok(b.tickets.create(&collision).await, "collision"), CreateTicketOutcome::IdTaken);
    assert_eq!(ok(b.tickets.find_for_case(&session, 2, now).await, "case 2"), None);
    assert_eq!(ok(b.tickets.get(&first.id, now).await, "first intact"), Some(first.clone()));
    // Concurrent creations for one case: exactly one wins, all see the same ticket.
    let case3: Vec<Ticket> = (0..8).map(|_| ticket(&session, 3, now)).collect();
    let mut tasks = Vec::new();
    for t in case3 {
        let store = Arc::clone(&b.tickets);
        tasks.push(tokio::spawn(async move { store.create(&t).await }));
    }
    let mut created_count = 0;
    for t in tasks {
        if ok(ok(t.await, "task"), "create") == CreateTicketOutcome::Created {
            created_count += 1;
        }
    }
    assert_eq!(created_count, 1);
    assert!(ok(b.tickets.find_for_case(&session, 3, now).await, "case 3").is_some());
}

pub async fn tickets_listing_expiry_and_erasure(b: &Backend) {
    let now = now_ms();
    let session = new_session(now).id;
    let a = ticket(&session, 1, now);
    let mut short = ticket(&session, 2, now);
    short.expires_at = now + MINUTE_MS;
    ok(b.tickets.create(&a).await, "a");
    ok(b.tickets.create(&short).await, "short");
    let listed = ok(b.tickets.list_for_session(&session, now).await, "list");
    assert_eq!(listed.len(), 2);
    let later = now + 2 * MINUTE_MS;
    assert_eq!(ok(b.tickets.list_for_session(&session, later).await, "list later").len(), 1);
    assert_eq!(ok(b.tickets.get(&short.id, later).await, "expired"), None);
    assert_eq!(ok(b.tickets.find_for_case(&session, 2, later).await, "expired case"), None);
    ok(b.tickets.purge_expired(later).await, "purge");
    // Whether the expired one was already gone (purge) or still there (native TTL lags).
    assert!((1..=2).contains(&ok(b.tickets.delete_for_session(&session).await, "delete")));
    assert!(ok(b.tickets.list_for_session(&session, now).await, "after delete").is_empty());
    assert_eq!(ok(b.tickets.get(&a.id, now).await, "a deleted"), None);
}
