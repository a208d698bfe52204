//! The whole API in-process: the router of `sti serve` over a temporary embedded store,
//! called with `tower::ServiceExt::oneshot`. Every endpoint's happy path, and every
//! public error code with its status and envelope; what only a real process shows
//! (signals, sockets, several processes, real timing) stays in the end-to-end tests of
//! `tests/`.

mod admission;
mod conversation;
mod edge;
mod endpoints;
mod errors;
#[path = "../common/faulty_sessions.rs"]
mod faulty_sessions;
mod limits;
mod operations;
mod signed_uploads;
mod support;
mod technicians;
mod uploads;
