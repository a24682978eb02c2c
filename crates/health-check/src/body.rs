//! Reading a response body: at most a cap of bytes, by a deadline. A body
//! longer than the cap is cut there and the rest never downloaded, so a
//! hostile or broken service cannot make the check read gigabytes.

use tokio::time::Instant;

use crate::client_error::error_detail;

/// The body, or its first `cap` bytes.
#[derive(Debug)]
pub(crate) struct Body {
    pub bytes: Vec<u8>,
    /// The body was longer than the cap.
    pub truncated: bool,
}

/// Why a body could not be read to its end (or the cap), with the bytes
/// read until then.
#[derive(Debug)]
pub(crate) enum BodyFailure {
    TimedOut { read: usize },
    Broken { read: usize, detail: String },
}

/// Reads `response`'s body, up to `cap` bytes, by `deadline`.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
    deadline: Instant,
) -> Result<Body, BodyFailure> {
    let mut bytes = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Err(_) => return Err(BodyFailure::TimedOut { read: bytes.len() }),
            Ok(Err(e)) => {
                return Err(BodyFailure::Broken {
                    read: bytes.len(),
                    detail: error_detail(&e, false),
                });
            }
            Ok(Ok(None)) => {
                return Ok(Body {
                    bytes,
                    truncated: false,
                });
            }
            Ok(Ok(Some(chunk))) => {
                let room = cap - bytes.len();
                if chunk.len() > room {
                    // Dropping the response closes the connection; the rest
                    // is never downloaded.
                    bytes.extend_from_slice(&chunk[..room]);
                    return Ok(Body {
                        bytes,
                        truncated: true,
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
        }
    }
}
