//! Test servers (see `servers.rs`).

pub mod servers;
