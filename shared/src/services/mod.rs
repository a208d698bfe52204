//! Operations shared by several handlers and hosts: opening tickets, the image worker,
//! erasing and exporting a session's data, and the janitor.

pub mod janitor;
pub mod session_data;
pub mod tickets;
pub mod turns;
#[cfg(feature = "images")]
pub mod worker;
