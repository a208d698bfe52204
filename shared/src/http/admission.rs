//! The last layer before a route, for a server that reads request bodies itself
//! ([`Admission`]): the body first, paced and within the shared buffer, then a slot. The
//! route reads the body again from memory, with its own limits.

use axum::body::{Body, HttpBody as _};
use axum::extract::State;
use axum::http::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::time::Instant;

use super::extract::{PacedBody, joined};
use super::{ApiError, ErrorCode};
use crate::app::{Admission, App};
use crate::metrics::phases::{self, CHAT_PATH, Phase};

pub(super) async fn admit(State(app): State<App>, req: Request<Body>, next: Next) -> Response {
    let Some(admission) = app.admission() else { return next.run(req).await };
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    // A body declared larger than any route takes is refused by its route from the
    // declaration, unread, as on every host.
    let declared_too_large = body.size_hint().lower() > admission.largest_body() as u64;
    let (body, _room) = if body.is_end_stream() || declared_too_large {
        (body, Vec::new())
    } else {
        match receive(admission, body, &app).await {
            Ok((bytes, room)) => (Body::from(bytes), room),
            Err(e) => return e.into_response(),
        }
    };
    let Some(_slot) = admission.slot().await else { return closed().into_response() };
    if parts.uri.path() == CHAT_PATH {
        phases::record(Phase::Admission, started.elapsed());
    }
    next.run(Request::from_parts(parts, body)).await
}

/// The whole body, and the room it holds in the shared buffer until the request is done.
async fn receive(
    admission: &Admission,
    body: Body,
    app: &App,
) -> Result<(Bytes, Vec<tokio::sync::OwnedSemaphorePermit>), ApiError> {
    let mut paced = PacedBody::new(body, admission.largest_body(), app.config().limits.body_pace)?;
    let (mut chunks, mut room) = (Vec::new(), Vec::new());
    while let Some(chunk) = paced.next_chunk().await? {
        room.push(paced.deadline().meet(admission.room_for(chunk.len())).await?.ok_or_else(closed)?);
        chunks.push(chunk);
    }
    Ok((joined(chunks), room))
}

/// The semaphores are never closed; should one be, the request is not handled.
fn closed() -> ApiError {
    ApiError::new(ErrorCode::InternalError, "the server is not taking requests")
}
