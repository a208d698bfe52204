//! Backends: implementations of every port.

#[cfg(feature = "local")]
pub mod local;
