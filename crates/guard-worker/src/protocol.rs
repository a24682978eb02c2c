//! What goes to a worker on its standard input and comes back on its
//! standard output: frames (a length, 8 bytes little-endian, then that many
//! bytes), each capped.
//!
//! A session opens with `Open` and the template's JSON text as the parent
//! prepared it (`GuardData::json`, copied as is, in a frame of its own);
//! then each `Evaluate` gets one `Evaluated` answer. `Parse` gets one
//! `Parsed`. The worker exits when its input ends.

use std::io::{self, Read, Write};

use guard_rules::{Evaluation, GuardError};
use serde::{Deserialize, Serialize};

/// The argument that makes a binary a worker (see
/// [`crate::serve_if_worker`]); the next one is the memory limit in bytes.
pub const WORKER_ARG: &str = "__guard-rules-worker";

/// Largest frame a worker reads: the template as Guard is handed it (2 MiB
/// at most), or the rules texts of one chunk (400 KB each).
pub const MAX_REQUEST_BYTES: usize = 64 << 20;

/// Largest answer the parent reads: Guard's failures, one line of at most
/// 400 characters per rule and resource. An answer past it is a chunk
/// Guard could not be run on (the worker is killed), never a pass.
pub const MAX_ANSWER_BYTES: usize = 32 << 20;

/// What a worker is asked to do.
#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// The template the next frame holds is the one to evaluate on.
    Open {
        skip_absent_types: bool,
        narrow: bool,
    },
    /// Evaluate each rules text on the template.
    Evaluate { rules: Vec<String> },
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

/// Writes one frame.
pub(crate) fn write_frame(to: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    to.write_all(&(bytes.len() as u64).to_le_bytes())?;
    to.write_all(bytes)?;
    to.flush()
}

/// Reads one frame of at most `cap` bytes; `None` when the input ended
/// before one began.
pub(crate) fn read_frame(from: &mut impl Read, cap: usize) -> io::Result<Option<Vec<u8>>> {
    let mut length = [0u8; 8];
    let mut read = 0;
    while read < length.len() {
        match from.read(&mut length[read..]) {
            Ok(0) if read == 0 => return Ok(None),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => read += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let length = u64::from_le_bytes(length);
    if length > cap as u64 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a frame of {length} bytes, over the {cap} allowed"),
        ));
    }
    let mut bytes = vec![0; length as usize];
    from.read_exact(&mut bytes)?;
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_read_back_and_are_capped() {
        let mut wire = Vec::new();
        write_frame(&mut wire, b"one").unwrap();
        write_frame(&mut wire, b"").unwrap();
        let mut from = wire.as_slice();
        assert_eq!(read_frame(&mut from, 3).unwrap(), Some(b"one".to_vec()));
        assert_eq!(read_frame(&mut from, 3).unwrap(), Some(Vec::new()));
        assert_eq!(read_frame(&mut from, 3).unwrap(), None);
        let mut from = wire.as_slice();
        assert!(read_frame(&mut from, 2).is_err());
        // Cut inside a frame or its length: an error, not a short frame.
        assert!(read_frame(&mut &wire[..9], 3).is_err());
        assert!(read_frame(&mut &wire[..6], 3).is_err());
    }
}
