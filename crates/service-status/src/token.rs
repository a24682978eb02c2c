//! The continuation token: where the gate stands between invocations.
//!
//! CodePipeline hands the token back on the next invocation of the same
//! job, so it carries what the deadline, the backoff and the run of
//! successes need and nothing else:
//! `{"v":1,"first":<epoch ms of the first attempt>,"attempts":<n>,"fails":<failed attempts in a row>}`,
//! plus `"run":<successes in a row>,"ms":[<their latest latencies>]` while a
//! run builds up: at most about 190 characters (20 latencies of a minute),
//! where CodePipeline allows 2048. A token without `fails` (written before
//! the gate counted successes, when every attempt so far had failed) counts
//! each attempt as a failure. A token that cannot be read (another
//! version, garbage, a time in the future, a run longer than any plan's)
//! is logged and the gate starts afresh: a new deadline is better than a
//! stuck job.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use health_gate::plan::MAX_CONSECUTIVE_SUCCESSES;
use health_gate::{Progress, Streak};
use serde::{Deserialize, Serialize};
use tracing::warn;

/// The token format's version.
pub const VERSION: u32 = 1;

/// How far in the future a first-attempt time may be (clock skew between
/// invocations) before the token is distrusted.
const SKEW: Duration = Duration::from_secs(60);

/// The longest latency a token may hold (a probe times out sooner).
const MAX_LATENCY_MS: u64 = 86_400_000;

#[derive(Debug, Serialize, Deserialize)]
struct Token {
    v: u32,
    first: u64,
    attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fails: Option<u32>,
    #[serde(default, skip_serializing_if = "is_zero")]
    run: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ms: Vec<u64>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
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
        fails: Some(progress.failures),
        run: progress.streak.count,
        ms: progress
            .streak
            .latencies
            .iter()
            .map(|d| d.as_millis() as u64)
            .collect(),
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
    if token.ms.len() > MAX_CONSECUTIVE_SUCCESSES as usize
        || token.ms.len() > token.run as usize
        || token.ms.iter().any(|&ms| ms > MAX_LATENCY_MS)
    {
        return Err("its run of successes is not one a plan makes");
    }
    Ok(Progress {
        first_attempt_at: first,
        attempts: token.attempts,
        failures: token.fails.unwrap_or(token.attempts),
        streak: Streak {
            count: token.run,
            latencies: token.ms.into_iter().map(Duration::from_millis).collect(),
        },
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
            failures: 42,
            streak: Streak::default(),
        };
        let token = write(&progress);
        assert_eq!(
            token,
            r#"{"v":1,"first":1700000000123,"attempts":42,"fails":42}"#
        );
        assert_eq!(read(Some(&token), at(1_700_000_100_000)), progress);

        let building = Progress {
            first_attempt_at: Some(at(1_700_000_000_123)),
            attempts: 9,
            failures: 0,
            streak: Streak {
                count: 25,
                latencies: vec![Duration::from_millis(60_000); 20],
            },
        };
        let token = write(&building);
        assert!(token.starts_with(
            r#"{"v":1,"first":1700000000123,"attempts":9,"fails":0,"run":25,"ms":[60000,"#
        ));
        assert!(token.len() <= 200, "{} characters", token.len());
        assert_eq!(read(Some(&token), at(1_700_000_100_000)), building);
    }

    #[test]
    fn a_token_from_before_the_run_of_successes_counts_every_attempt_a_failure() {
        let progress = read(
            Some(r#"{"v":1,"first":1700000000000,"attempts":3}"#),
            at(1_700_000_100_000),
        );
        assert_eq!(progress.attempts, 3);
        assert_eq!(progress.failures, 3);
        assert_eq!(progress.streak, Streak::default());
    }

    #[test]
    fn no_token_is_a_fresh_start() {
        assert_eq!(read(None, at(0)), Progress::default());
    }

    #[test]
    fn unreadable_tokens_are_a_fresh_start() {
        let now = at(1_700_000_000_000);
        let too_long: Vec<u64> = vec![5; 21];
        for bad in [
            "".to_string(),
            "garbage".to_string(),
            "{}".to_string(),
            r#"{"v":2,"first":1700000000000,"attempts":3}"#.to_string(),
            r#"{"v":1,"first":-5,"attempts":3}"#.to_string(),
            r#"{"v":1,"first":1800000000000,"attempts":3}"#.to_string(),
            format!(r#"{{"v":1,"first":1700000000000,"attempts":30,"run":30,"ms":{too_long:?}}}"#),
            r#"{"v":1,"first":1700000000000,"attempts":3,"run":1,"ms":[5,6]}"#.to_string(),
            r#"{"v":1,"first":1700000000000,"attempts":3,"run":1,"ms":[99999999999]}"#.to_string(),
        ] {
            assert_eq!(read(Some(&bad), now), Progress::default(), "{bad}");
        }
    }

    #[test]
    fn a_token_from_before_any_attempt_keeps_its_count_only() {
        let token = write(&Progress::default());
        assert_eq!(token, r#"{"v":1,"first":0,"attempts":0,"fails":0}"#);
        assert_eq!(read(Some(&token), at(5)), Progress::default());
    }
}
