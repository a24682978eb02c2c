//! The continuation token: where the check stands between invocations.
//!
//! CodePipeline hands the token back on the next invocation of the same
//! job, so it carries what the deadline and the backoff need and nothing
//! else: `{"v":1,"first":<epoch ms of the first attempt>,"attempts":<n>}`,
//! about 50 characters (CodePipeline allows 2048). A token that cannot be
//! read (another version, garbage, a time in the future) is logged and the
//! check starts afresh: a new deadline is better than a stuck job.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use health_check::Progress;
use serde::{Deserialize, Serialize};
use tracing::warn;

/// The token format's version.
pub const VERSION: u32 = 1;

/// How far in the future a first-attempt time may be (clock skew between
/// invocations) before the token is distrusted.
const SKEW: Duration = Duration::from_secs(60);

#[derive(Debug, Serialize, Deserialize)]
struct Token {
    v: u32,
    first: u64,
    attempts: u32,
}

/// The token for `progress`.
pub fn write(progress: &Progress) -> String {
    let first = progress
        .first_attempt_at
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let token = Token {
        v: VERSION,
        first,
        attempts: progress.attempts,
    };
    // A struct of numbers always serializes.
    serde_json::to_string(&token).unwrap_or_default()
}

/// The progress in `token` (none: a fresh start), judged at `now`.
pub fn read(token: Option<&str>, now: SystemTime) -> Progress {
    let Some(text) = token else {
        return Progress::default();
    };
    match parse(text, now) {
        Ok(progress) => progress,
        Err(reason) => {
            // The token is ours, but its length is all a log needs.
            warn!(
                reason,
                token_chars = text.chars().count(),
                "unreadable continuation token: starting the check afresh"
            );
            Progress::default()
        }
    }
}

fn parse(text: &str, now: SystemTime) -> Result<Progress, &'static str> {
    let token: Token = serde_json::from_str(text).map_err(|_| "not a token")?;
    if token.v != VERSION {
        return Err("another token version");
    }
    let first = (token.first > 0).then(|| UNIX_EPOCH + Duration::from_millis(token.first));
    if first.is_some_and(|f| f > now + SKEW) {
        return Err("its first attempt is in the future");
    }
    Ok(Progress {
        first_attempt_at: first,
        attempts: token.attempts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn a_token_round_trips_and_is_small() {
        let progress = Progress {
            first_attempt_at: Some(at(1_700_000_000_123)),
            attempts: 42,
        };
        let token = write(&progress);
        assert_eq!(token, r#"{"v":1,"first":1700000000123,"attempts":42}"#);
        assert!(token.len() <= 2048);
        assert_eq!(read(Some(&token), at(1_700_000_100_000)), progress);
    }

    #[test]
    fn no_token_is_a_fresh_start() {
        assert_eq!(read(None, at(0)), Progress::default());
    }

    #[test]
    fn unreadable_tokens_are_a_fresh_start() {
        let now = at(1_700_000_000_000);
        for bad in [
            "",
            "garbage",
            "{}",
            r#"{"v":2,"first":1700000000000,"attempts":3}"#,
            r#"{"v":1,"first":-5,"attempts":3}"#,
            r#"{"v":1,"first":1800000000000,"attempts":3}"#,
        ] {
            assert_eq!(read(Some(bad), now), Progress::default(), "{bad}");
        }
    }

    #[test]
    fn a_token_from_before_any_attempt_keeps_its_count_only() {
        let token = write(&Progress {
            first_attempt_at: None,
            attempts: 0,
        });
        assert_eq!(token, r#"{"v":1,"first":0,"attempts":0}"#);
        assert_eq!(read(Some(&token), at(5)), Progress::default());
    }
}
