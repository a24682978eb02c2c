//! What goes to a worker on its standard input and comes back on its
//! standard output.
//!
//! A request is one line of JSON (the header: what to do, and the rules
//! texts) followed, for an evaluation, by the template's JSON text as the
//! parent prepared it (`GuardData::json`), copied as is. The answer is one
//! JSON document. Both are capped.

use guard_rules::{Evaluation, GuardError};
use serde::{Deserialize, Serialize};

/// The argument that makes a binary a worker (see
/// [`crate::serve_if_worker`]); the next one is the memory limit in bytes.
pub const WORKER_ARG: &str = "__guard-rules-worker";

/// Largest request a worker reads: the template as Guard is handed it
/// (2 MiB at most) and the rules texts of one run (400 KB each).
pub const MAX_REQUEST_BYTES: usize = 64 << 20;

/// Largest answer the parent reads: Guard's failures, one line of at most
/// 400 characters per rule and resource. An answer past it is an item
/// Guard could not be run on (the worker is killed), never a pass.
pub const MAX_ANSWER_BYTES: usize = 32 << 20;

/// What a worker is asked to do.
#[derive(Debug, Serialize, Deserialize)]
pub enum Header {
    /// Evaluate each rules text on the template that follows the header.
    Evaluate {
        rules: Vec<String>,
        skip_absent_types: bool,
        narrow: bool,
    },
    /// Parse one rules text: its rule names, or why it cannot be used.
    Parse { text: String },
}

/// A worker's answer.
#[derive(Debug, Serialize, Deserialize)]
pub enum Answer {
    /// One result per rules text, in order.
    Evaluated(Vec<Result<Evaluation, GuardError>>),
    Parsed(Result<Vec<String>, GuardError>),
}
