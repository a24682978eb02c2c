//! What a run of the check means for the pipeline. Pure: the wait's
//! [`Run`] in, the result to report out.
//!
//! | run ended | report |
//! |---|---|
//! | healthy | success: URL, status, latency, attempts; output variables `url`, `status`, `latency_ms`, `attempts` |
//! | this invocation's time is up, the deadline is not | in progress: a continuation token (see [`crate::token`]) |
//! | the deadline has passed | `JobFailed` with the last attempts |
//! | a refused target (loopback, the metadata service, a redirect there or to another scheme, ...) | `ConfigurationError` |
//! | no time for even one attempt | `ConfigurationError`: the function's timeout is too short |

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use health_check::format;
use health_check::{Attempt, Run, RunEnd};
use pipeline_job::{JobError, Outcome};

use crate::token;

/// The result to report for `run`, a check of `url` with `deadline`, at
/// `now`: a success or a continuation, or the failure.
pub fn decide(
    run: &Run,
    url: &str,
    deadline: Duration,
    now: SystemTime,
) -> Result<Outcome, JobError> {
    let attempts = run.progress.attempts;
    let elapsed = run
        .progress
        .first_attempt_at
        .and_then(|first| now.duration_since(first).ok())
        .unwrap_or_default();
    match &run.end {
        RunEnd::Healthy(attempt) => Ok(success(attempt, url, elapsed)),
        RunEnd::Suspended { recent } => Ok(Outcome::Continue {
            token: token::write(&run.progress),
            summary: format!(
                "{url} is not healthy yet: {} over {} of the {} allowed; the last: {}. Checking again.",
                plural(attempts, "attempt"),
                format::duration(elapsed),
                format::duration(deadline),
                recent
                    .last()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "none".to_string()),
            ),
        }),
        RunEnd::Unhealthy { recent } => {
            let mut message = format!(
                "{url} did not become healthy within {}: {} over {}; the last {}:",
                format::duration(deadline),
                plural(attempts, "attempt"),
                format::duration(elapsed),
                if recent.len() == 1 {
                    "one".to_string()
                } else {
                    recent.len().to_string()
                },
            );
            for attempt in recent {
                message.push('\n');
                message.push_str(&attempt.to_string());
            }
            Err(JobError::failed(message))
        }
        RunEnd::Refused(attempt) => Err(JobError::configuration(
            attempt.refused().unwrap_or_else(|| attempt.to_string()),
        )),
        RunEnd::NoTime => Err(JobError::configuration(
            "the function was invoked with too little time left for even one request; raise its timeout (120 s is recommended)",
        )),
    }
}

fn success(attempt: &Attempt, url: &str, elapsed: Duration) -> Outcome {
    let mut output_variables = BTreeMap::new();
    output_variables.insert("url".to_string(), url.to_string());
    output_variables.insert("attempts".to_string(), attempt.number.to_string());
    let mut summary = format!("{url} is healthy");
    if let Some(main) = attempt.primary() {
        let status = main.status.unwrap_or_default();
        summary.push_str(&format!(
            ": {} in {}",
            format::status(status),
            format::duration(main.latency)
        ));
        output_variables.insert("status".to_string(), status.to_string());
        output_variables.insert(
            "latency_ms".to_string(),
            main.latency.as_millis().to_string(),
        );
    }
    if attempt.number <= 1 {
        summary.push_str(", at the first attempt");
    } else {
        summary.push_str(&format!(
            ", at attempt {} ({} after the first)",
            attempt.number,
            format::duration(elapsed)
        ));
    }
    let more = attempt.probes.len().saturating_sub(1) as u32;
    if more > 0 {
        summary.push_str(&format!("; {} passed too", plural(more, "more check")));
    }
    Outcome::Success {
        summary,
        output_variables,
    }
}

/// "1 attempt", "3 attempts".
fn plural(n: u32, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use health_check::{Probe, Problem};
    use health_check::{Progress, Refusal};
    use pipeline_job::FailureKind;

    use super::*;

    const URL: &str = "http://calc.test/";

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    fn probe(url: &str, status: Option<u16>, problem: Option<Problem>) -> Probe {
        Probe {
            url: url.to_string(),
            final_url: None,
            status,
            latency: Duration::from_millis(12),
            body_bytes: 100,
            truncated: false,
            problem,
        }
    }

    fn attempt(number: u32, probes: Vec<Probe>) -> Attempt {
        Attempt {
            number,
            started_at: at(0),
            probes,
        }
    }

    fn refused() -> Option<Problem> {
        Some(Problem::Connect {
            detail: "tcp connect error: Connection refused (os error 111)".to_string(),
        })
    }

    fn run(end: RunEnd, attempts: u32) -> Run {
        Run {
            end,
            progress: Progress {
                first_attempt_at: Some(at(0)),
                attempts,
            },
            attempts_in_run: attempts,
        }
    }

    #[test]
    fn a_healthy_run_reports_url_status_latency_and_attempts() {
        let healthy = attempt(
            3,
            vec![
                probe(URL, Some(200), None),
                probe("http://calc.test/add?a=2&b=3", Some(200), None),
            ],
        );
        let outcome = decide(
            &run(RunEnd::Healthy(healthy), 3),
            URL,
            Duration::from_secs(600),
            at(7),
        )
        .unwrap();
        let Outcome::Success {
            summary,
            output_variables,
        } = outcome
        else {
            panic!("expected a success");
        };
        assert_eq!(
            summary,
            "http://calc.test/ is healthy: 200 OK in 12 ms, at attempt 3 (7 s after the first); 1 more check passed too"
        );
        let vars: Vec<(&str, &str)> = output_variables
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            vars,
            [
                ("attempts", "3"),
                ("latency_ms", "12"),
                ("status", "200"),
                ("url", URL)
            ]
        );
    }

    #[test]
    fn a_suspended_run_continues_with_a_token() {
        let recent = vec![attempt(4, vec![probe(URL, None, refused())])];
        let outcome = decide(
            &run(RunEnd::Suspended { recent }, 4),
            URL,
            Duration::from_secs(600),
            at(100),
        )
        .unwrap();
        assert_eq!(
            outcome,
            Outcome::Continue {
                token: r#"{"v":1,"first":1700000000000,"attempts":4}"#.to_string(),
                summary: "http://calc.test/ is not healthy yet: 4 attempts over 100 s of the 600 s allowed; the last: attempt 4: GET http://calc.test/ → cannot connect (after 12 ms): tcp connect error: Connection refused (os error 111). Checking again.".to_string()
            }
        );
    }

    #[test]
    fn an_unhealthy_run_fails_with_the_last_attempts() {
        let recent = vec![
            attempt(4, vec![probe(URL, None, refused())]),
            attempt(5, vec![probe(URL, None, refused())]),
        ];
        let error = decide(
            &run(RunEnd::Unhealthy { recent }, 5),
            URL,
            Duration::from_millis(2500),
            at(3),
        )
        .unwrap_err();
        assert_eq!(error.kind, FailureKind::JobFailed);
        assert_eq!(
            error.message,
            "http://calc.test/ did not become healthy within 2.5 s: 5 attempts over 3 s; the last 2:\n\
             attempt 4: GET http://calc.test/ → cannot connect (after 12 ms): tcp connect error: Connection refused (os error 111)\n\
             attempt 5: GET http://calc.test/ → cannot connect (after 12 ms): tcp connect error: Connection refused (os error 111)"
        );
    }

    #[test]
    fn a_refusal_is_a_configuration_error() {
        let refusal = Refusal {
            url: "http://169.254.169.254/".to_string(),
            host: "169.254.169.254".to_string(),
            address: "169.254.169.254".parse().unwrap(),
            reason: health_check::addr::reason("169.254.169.254".parse().unwrap()).unwrap(),
            redirected_from: Some(URL.to_string()),
        };
        let refused = attempt(
            1,
            vec![probe(URL, None, Some(Problem::Refused(refusal.clone())))],
        );
        let error = decide(
            &run(RunEnd::Refused(refused), 1),
            URL,
            Duration::from_secs(600),
            at(0),
        )
        .unwrap_err();
        assert_eq!(error.kind, FailureKind::ConfigurationError);
        assert_eq!(error.message, refusal.to_string());
    }

    #[test]
    fn no_time_is_a_configuration_error() {
        let error = decide(
            &run(RunEnd::NoTime, 0),
            URL,
            Duration::from_secs(600),
            at(0),
        )
        .unwrap_err();
        assert_eq!(error.kind, FailureKind::ConfigurationError);
    }
}
