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
        notification: Notification::default(),
        status: Default::default(),
        resolution: None,
    }
}

/// A ticket's notification is written with it and found when due, oldest first; each
/// save replaces it; delivered or failed ones are no longer due. (Other tests' tickets
/// may share the store: only ours are looked at.)
pub async fn tickets_notifications_are_an_outbox(b: &Backend) {
    let now = now_ms();
    let session = new_session(now).id;
    let pending = |next_at| Notification {
        state: NotifyState::Pending,
        next_at,
        base_url: "http://127.0.0.1:3000".into(),
        ..Notification::default()
    };
    let mut early = ticket(&session, 1, now);
    early.notification = pending(now - 2_000);
    let mut late = ticket(&session, 2, now);
    late.notification = pending(now - 1_000);
    let mut later = ticket(&session, 3, now);
    later.notification = pending(now + 60_000);
    let silent = ticket(&session, 4, now);
    for t in [&late, &early, &later, &silent] {
        assert_eq!(ok(b.tickets.create(t).await, "create"), CreateTicketOutcome::Created);
    }
    let ours = |due: Vec<Ticket>| -> Vec<TicketId> {
        due.into_iter().filter(|t| t.session_id == session).map(|t| t.id).collect()
    };
    let due = ours(ok(b.tickets.due_notifications(now, 1_000).await, "due"));
    assert_eq!(due, vec![early.id.clone(), late.id.clone()], "due ones, oldest first; not the later or silent one");
    assert_eq!(ok(b.tickets.get(&early.id, now).await, "get"), Some(early.clone()), "stored with the ticket");

    let retry = Notification { attempts: 1, last_error: Some("HTTP 500".into()), ..pending(now + 30_000) };
    assert!(ok(b.tickets.save_notification(&early.id, &retry).await, "retry later"));
    let delivered =
        Notification { state: NotifyState::Delivered, attempts: 1, delivered_at: Some(now), ..pending(now) };
    assert!(ok(b.tickets.save_notification(&late.id, &delivered).await, "delivered"));
    assert_eq!(ours(ok(b.tickets.due_notifications(now, 1_000).await, "due after")), Vec::<TicketId>::new());
    assert_eq!(ours(ok(b.tickets.due_notifications(now + 31_000, 1_000).await, "due again")), vec![early.id.clone()]);
    let stored = ok(b.tickets.get(&early.id, now).await, "get").map(|t| t.notification);
    assert_eq!(stored, Some(retry));

    let gone = ticket(&session, 5, now);
    assert!(!ok(b.tickets.save_notification(&gone.id, &delivered).await, "unknown ticket"));
    ok(b.tickets.delete_for_session(&session).await, "erase");
    assert_eq!(ours(ok(b.tickets.due_notifications(now + 120_000, 1_000).await, "erased")), Vec::<TicketId>::new());
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

/// A ticket is resolved once (the first note wins), and resolving it and recording its
/// notification do not undo each other.
pub async fn tickets_resolve_once(b: &Backend) {
    let now = now_ms();
    let session = new_session(now).id;
    let mut t = ticket(&session, 1, now);
    t.notification = Notification { state: NotifyState::Pending, next_at: now - 1, ..Notification::default() };
    assert_eq!(ok(b.tickets.create(&t).await, "create"), CreateTicketOutcome::Created);
    let first = Resolution { at: now + 5, note: Some("cambié el tóner".into()) };
    let resolved = ok(b.tickets.resolve(&t.id, &first).await, "resolve").unwrap_or_else(|| panic!("gone"));
    assert_eq!((resolved.status, resolved.resolution.clone()), (TicketStatus::Resolved, Some(first.clone())));
    let again = ok(b.tickets.resolve(&t.id, &Resolution { at: now + 9, note: None }).await, "again");
    assert_eq!(again.and_then(|t| t.resolution), Some(first.clone()), "the first resolution stays");
    let due: Vec<TicketId> =
        ok(b.tickets.due_notifications(now, 1_000).await, "due").into_iter().map(|t| t.id).collect();
    assert!(due.contains(&t.id), "resolving keeps the notification pending");
    let delivered = Notification { state: NotifyState::Delivered, attempts: 1, ..t.notification.clone() };
    assert!(ok(b.tickets.save_notification(&t.id, &delivered).await, "deliver"));
    let stored = ok(b.tickets.get(&t.id, now).await, "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!((stored.status, stored.notification.state), (TicketStatus::Resolved, NotifyState::Delivered));
    let unknown = ticket(&session, 2, now);
    assert_eq!(ok(b.tickets.resolve(&unknown.id, &first).await, "unknown"), None);

    // The notifier and a technician writing the same ticket at once: neither write is lost.
    for case in 3..7 {
        let mut t = ticket(&session, case, now);
        t.notification = Notification { state: NotifyState::Pending, next_at: now, ..Notification::default() };
        assert_eq!(ok(b.tickets.create(&t).await, "create"), CreateTicketOutcome::Created);
        let delivered = Notification { state: NotifyState::Delivered, attempts: 1, ..t.notification.clone() };
        let (resolved, saved) =
            tokio::join!(b.tickets.resolve(&t.id, &first), b.tickets.save_notification(&t.id, &delivered));
        assert!(ok(resolved, "resolve").is_some() && ok(saved, "save"));
        let stored = ok(b.tickets.get(&t.id, now).await, "get").unwrap_or_else(|| panic!("gone"));
        assert_eq!((stored.status, stored.notification.state), (TicketStatus::Resolved, NotifyState::Delivered));
    }
}
