//! Fixed demo records for local development: the sample events in `events/` refer to
//! them, so `cargo lambda invoke <fn> --data-file events/<fn>.json` gets a real answer.
//! Refused in production; the ids are public by design.

use bytes::Bytes;

use crate::app::App;
use crate::chat::{self, Conversation, Input, Locale};
use crate::ids::{SessionId, TicketId, UploadId};
use crate::ports::{Session, StoreResult, Ticket, Upload};
use crate::time::ms;

pub const SESSION_ID: &str = "web-de000000000000000000000000000001";
pub const UPLOAD_ID: &str = "upl-de000000000000000000000000000001";
pub const TICKET_ID: &str = "STI-20260101-DEMAQ2";
pub const TICKET_TOKEN: &str = "de0000000000000000000000000000a1";

/// A 64×48 PNG: small, real, decodable.
pub const DEMO_PNG: &[u8] = include_bytes!("demo.png");

fn ids() -> Option<(SessionId, UploadId, TicketId)> {
    Some((SessionId::parse(SESSION_ID).ok()?, UploadId::parse(UPLOAD_ID).ok()?, TicketId::parse(TICKET_ID).ok()?))
}

/// Creates (or renews) the demo session at `ask_problem`, a queued demo upload with
/// its file, and a demo ticket. Safe to run again: it resets them.
pub async fn seed(app: &App) -> StoreResult<()> {
    let Some((session_id, upload_id, ticket_id)) = ids() else {
        return Err(crate::ports::StoreError::Corrupt("demo ids are malformed".into()));
    };
    let b = app.backend();
    let now = app.now_ms();
    let retention = &app.config().retention;
    crate::services::session_data::erase(app, &session_id, "demo-seed").await?;

    let start = Conversation::new(Locale::Es);
    let named = chat::respond(&start, Input::Text { raw: "Soy Ana", masked: "Soy Ana" }, &[]).conversation;
    let session = Session {
        id: session_id.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
        expires_at: now + ms(retention.session),
        conversation: named,
        transcript_expires_at: 0,
        last_visitor_line: None,
        last_options: Vec::new(),
        feedback: Vec::new(),
        abandoned: None,
        chat_tat_us: None,
    };
    b.sessions.create(&session).await?;

    let upload = Upload::queued(
        upload_id,
        session_id.clone(),
        "image/png",
        DEMO_PNG.len() as u64,
        now,
        now + ms(retention.upload),
    );
    b.blobs.put(&upload.key, Bytes::from_static(DEMO_PNG), "image/png").await?;
    b.uploads.create(&upload).await?;

    let mut ticket = Ticket {
        id: ticket_id,
        access_token: TICKET_TOKEN.into(),
        session_id: session_id.clone(),
        // Case 0: the demo conversation's own case (1) stays free for a real ticket.
        case_no: 0,
        created_at: now,
        expires_at: now + ms(retention.ticket),
        locale: Locale::Es,
        name: Some("Ana".into()),
        category: Some("printer".into()),
        category_title: Some("la impresora no imprime".into()),
        summary: Some("Demo: la impresora no imprime".into()),
        attempts: Vec::new(),
        images: Vec::new(),
        transcript: Vec::new(),
        transcript_omitted: 0,
        whatsapp_url: String::new(),
        notification: Default::default(),
        status: Default::default(),
        resolution: None,
    };
    ticket.whatsapp_url =
        crate::services::tickets::links_for(&ticket, "http://localhost", app.config().whatsapp_number.as_deref())
            .whatsapp_url;
    b.tickets.create(&ticket).await?;
    Ok(())
}
