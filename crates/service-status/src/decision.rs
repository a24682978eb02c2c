//! What a run of the gate means for the pipeline. Pure: the plan and the
//! gate's [`GateRun`] in, the result to report out.
//!
//! | run ended | report |
//! |---|---|
//! | pass | success: URL, status, latency, attempts, and for a plan with more than a URL the run of successes and every signal read; output variables `verdict` (`pass`), `p95_ms`, `successes`, `healthy_targets` (`n/a` when targets are not read), `url`, `status`, `latency_ms`, `attempts` |
//! | inconclusive, this invocation's time is up, the deadline is not | in progress: a continuation token (see [`crate::token`]), saying what is not there yet |
//! | inconclusive at the deadline | `JobFailed` with the evidence: the last attempts, what kept it from passing, the stack, the targets and the alarms |
//! | a signal against the release (the stack rolling back or failed, an alarm in `ALARM`) | `JobFailed` at once, naming it, with the evidence |
//! | a signal that cannot be read | `ConfigurationError` (not there), `PermissionError` (denied), `JobFailed` (AWS failing) |
//! | a refused target (loopback, the metadata service, a redirect there or to another scheme, ...) | `ConfigurationError` |
//! | no time for even one attempt | `ConfigurationError`: the function's timeout is too short |
//!
//! A plan that is only a URL reads, and reports, as the old function did.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use health_check::{Attempt, format};
use health_gate::gate::{End, Evidence, GateRun};
use health_gate::{Plan, SignalError, SignalErrorKind};
use pipeline_job::{JobError, Outcome};

use crate::token;

/// The result to report for `run`, a check of `url` under `plan`, at
/// `now`: a success or a continuation, or the failure.
pub fn decide(plan: &Plan, run: &GateRun, url: &str, now: SystemTime) -> Result<Outcome, JobError> {
    let attempts = run.progress.attempts;
    let elapsed = run
        .progress
        .first_attempt_at
        .and_then(|first| now.duration_since(first).ok())
        .unwrap_or_default();
    let evidence = &run.evidence;
    match &run.end {
        End::Passed => Ok(success(plan, run, url, elapsed)),
        End::Suspended => {
            let last = evidence
                .recent
                .last()
                .map(ToString::to_string)
                .unwrap_or_else(|| "none".to_string());
            let not_yet = evidence
                .not_passed()
                .map(|why| format!("; not yet: {why}"))
                .unwrap_or_default();
            Ok(Outcome::Continue {
                token: token::write(&run.progress),
                summary: format!(
                    "{url} is not healthy yet: {} over {} of the {} allowed; the last: {last}{not_yet}. Checking again.",
                    plural(attempts, "attempt"),
                    format::duration(elapsed),
                    format::duration(plan.deadline),
                ),
            })
        }
        End::GaveUp => {
            let recent = &evidence.recent;
            let mut message = format!(
                "{url} did not become healthy within {}: {} over {}; the last {}:",
                format::duration(plan.deadline),
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
            if let Some(why) = evidence.not_passed() {
                message.push_str(&format!("\nnot passed: {why}"));
            }
            push_signals(&mut message, evidence);
            Err(JobError::failed(message))
        }
        End::Failed => {
            let why = evidence
                .verdict
                .as_ref()
                .map(|v| v.reasons.join("; "))
                .unwrap_or_default();
            let mut message = format!("{url} is not healthy: {why}");
            for attempt in &evidence.recent {
                message.push('\n');
                message.push_str(&attempt.to_string());
            }
            push_signals(&mut message, evidence);
            Err(JobError::failed(message))
        }
        End::Refused(attempt) => Err(JobError::configuration(
            attempt.refused().unwrap_or_else(|| attempt.to_string()),
        )),
        End::Unreadable(error) => Err(unreadable(error)),
        End::NoTime => Err(JobError::configuration(
            "the function was invoked with too little time left for even one request; raise its timeout (120 s is recommended)",
        )),
    }
}

/// A signal that could not be read, as the failure type that says who can
/// fix it.
pub fn unreadable(error: &SignalError) -> JobError {
    match error.kind {
        SignalErrorKind::Configuration => JobError::configuration(error.message.clone()),
        SignalErrorKind::Permission => JobError::permission(error.message.clone()),
        SignalErrorKind::Failed => JobError::failed(error.message.clone()),
    }
}

/// The signals read last, a line each.
fn push_signals(message: &mut String, evidence: &Evidence) {
    for line in evidence.signal_lines() {
        message.push('\n');
        message.push_str(&line);
    }
}

fn success(plan: &Plan, run: &GateRun, url: &str, elapsed: Duration) -> Outcome {
    let evidence = &run.evidence;
    let streak = &run.progress.streak;
    let last: Option<&Attempt> = evidence.recent.last();
    let mut variables = BTreeMap::new();
    variables.insert("url".to_string(), url.to_string());
    variables.insert("verdict".to_string(), "pass".to_string());
    variables.insert("successes".to_string(), streak.count.to_string());
    let p95 = streak.p95().unwrap_or_default();
    variables.insert("p95_ms".to_string(), p95.as_millis().to_string());
    let healthy_targets = evidence
        .observation
        .as_ref()
        .and_then(|o| o.healthy_targets());
    variables.insert(
        "healthy_targets".to_string(),
        healthy_targets.map_or_else(|| "n/a".to_string(), |n| n.to_string()),
    );
    let mut summary = format!("{url} is healthy");
    if let Some(main) = last.and_then(Attempt::primary) {
        let status = main.status.unwrap_or_default();
        summary.push_str(&format!(
            ": {} in {}",
            format::status(status),
            format::duration(main.latency)
        ));
        variables.insert("status".to_string(), status.to_string());
        variables.insert(
            "latency_ms".to_string(),
            main.latency.as_millis().to_string(),
        );
    }
    let number = last.map_or(run.progress.attempts, |a| a.number);
    variables.insert("attempts".to_string(), number.to_string());
    if number <= 1 {
        summary.push_str(", at the first attempt");
    } else {
        summary.push_str(&format!(
            ", at attempt {number} ({} after the first)",
            format::duration(elapsed)
        ));
    }
    if plan.consecutive_successes > 1 || plan.latency_p95.is_some() {
        summary.push_str(&format!(
            "; {} in a row (p95 {} ms",
            plural(streak.count, "success"),
            p95.as_millis()
        ));
        if let Some(bound) = plan.latency_p95 {
            summary.push_str(&format!(", at most {} ms", bound.as_millis()));
        }
        summary.push(')');
    }
    let more = last.map_or(0, |a| a.probes.len().saturating_sub(1)) as u32;
    if more > 0 {
        summary.push_str(&format!("; {} passed too", plural(more, "more check")));
    }
    for line in evidence.signal_lines() {
        summary.push('\n');
        summary.push_str(&line);
    }
    Outcome::Success {
        summary,
        output_variables: variables,
    }
}

/// "1 attempt", "3 attempts", "1 success", "3 successes".
fn plural(n: u32, noun: &str) -> String {
    match (n, noun.ends_with('s')) {
        (1, _) => format!("1 {noun}"),
        (_, true) => format!("{n} {noun}es"),
        (_, false) => format!("{n} {noun}s"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use health_check::{Probe, Problem, Refusal};
    use health_gate::gate::Progress;
    use health_gate::{
        Alarm, AlarmsRead, Observation, Outcome as Verdicts, Selection, StackState, Streak,
        TargetGroupHealth, TargetHealth, Verdict,
    };
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

    fn run(end: End, attempts: u32, recent: Vec<Attempt>) -> GateRun {
        let streak = match recent.last() {
            Some(a) if a.healthy() => Streak {
                count: 1,
                latencies: vec![Duration::from_millis(12)],
            },
            _ => Streak::default(),
        };
        let reasons = if streak.count == 0 {
            vec!["0 of 1 successes in a row".to_string()]
        } else {
            Vec::new()
        };
        GateRun {
            end,
            progress: Progress {
                first_attempt_at: Some(at(0)),
                attempts,
                failures: if streak.count == 0 { attempts } else { 0 },
                streak,
            },
            evidence: Evidence {
                recent,
                observation: Some(Observation::default()),
                verdict: Some(Verdict {
                    outcome: if reasons.is_empty() {
                        Verdicts::Pass
                    } else {
                        Verdicts::Inconclusive
                    },
                    reasons,
                }),
            },
        }
    }

    fn plain() -> Plan {
        Plan::for_url(URL)
    }

    /// A plan that reads the stack, its targets and its alarms, and asks
    /// for three successes within 500 ms.
    fn gate_plan() -> Plan {
        Plan {
            stack: Some("CICD-test-stack".to_string()),
            targets: Some(Selection::Stack),
            alarms: Some(Selection::Stack),
            consecutive_successes: 3,
            latency_p95: Some(Duration::from_millis(500)),
            ..plain()
        }
    }

    fn signals(target_state: &str, alarm_state: &str) -> Observation {
        Observation {
            stack: Some(StackState {
                name: "CICD-test-stack".to_string(),
                status: "UPDATE_COMPLETE".to_string(),
                reason: None,
                outputs: Vec::new(),
            }),
            targets: Some(vec![TargetGroupHealth {
                arn: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg/1".to_string(),
                targets: vec![
                    TargetHealth {
                        id: "i-1".to_string(),
                        port: Some(8080),
                        state: "healthy".to_string(),
                        reason: None,
                        description: None,
                    },
                    TargetHealth {
                        id: "i-2".to_string(),
                        port: Some(8080),
                        state: target_state.to_string(),
                        reason: (target_state != "healthy")
                            .then(|| "Target.InvalidState".to_string()),
                        description: None,
                    },
                ],
            }]),
            alarms: Some(AlarmsRead::Read(vec![Alarm {
                name: "s-target-5xx".to_string(),
                state: alarm_state.to_string(),
                reason: None,
            }])),
        }
    }

    fn vars(outcome: &Outcome) -> Vec<(&str, &str)> {
        let Outcome::Success {
            output_variables, ..
        } = outcome
        else {
            panic!("expected a success, got {outcome:?}");
        };
        output_variables
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn a_plain_url_passes_as_before_with_the_gates_variables_besides() {
        let healthy = attempt(
            3,
            vec![
                probe(URL, Some(200), None),
                probe("http://calc.test/add?a=2&b=3", Some(200), None),
            ],
        );
        let outcome = decide(&plain(), &run(End::Passed, 3, vec![healthy]), URL, at(7)).unwrap();
        let Outcome::Success { summary, .. } = &outcome else {
            panic!("expected a success");
        };
        assert_eq!(
            summary,
            "http://calc.test/ is healthy: 200 OK in 12 ms, at attempt 3 (7 s after the first); 1 more check passed too"
        );
        assert_eq!(
            vars(&outcome),
            [
                ("attempts", "3"),
                ("healthy_targets", "n/a"),
                ("latency_ms", "12"),
                ("p95_ms", "12"),
                ("status", "200"),
                ("successes", "1"),
                ("url", URL),
                ("verdict", "pass"),
            ]
        );
    }

    #[test]
    fn a_gate_passes_naming_its_run_and_every_signal() {
        let recent = (3..=5)
            .map(|n| attempt(n, vec![probe(URL, Some(200), None)]))
            .collect();
        let mut passed = run(End::Passed, 5, recent);
        passed.progress.streak = Streak {
            count: 3,
            latencies: vec![Duration::from_millis(12); 3],
        };
        passed.evidence.observation = Some(signals("healthy", "OK"));
        let outcome = decide(&gate_plan(), &passed, URL, at(12)).unwrap();
        let Outcome::Success { summary, .. } = &outcome else {
            panic!("expected a success");
        };
        assert_eq!(
            summary,
            "http://calc.test/ is healthy: 200 OK in 12 ms, at attempt 5 (12 s after the first); 3 successes in a row (p95 12 ms, at most 500 ms)\n\
             stack CICD-test-stack is UPDATE_COMPLETE\n\
             target group targetgroup/tg/1: 2 of 2 targets healthy\n\
             alarms: s-target-5xx OK"
        );
        let vars = vars(&outcome);
        for expected in [
            ("verdict", "pass"),
            ("successes", "3"),
            ("p95_ms", "12"),
            ("healthy_targets", "2"),
        ] {
            assert!(vars.contains(&expected), "{expected:?} in {vars:?}");
        }
    }

    #[test]
    fn a_suspended_run_continues_with_a_token_saying_what_is_not_there_yet() {
        let recent = vec![attempt(4, vec![probe(URL, None, refused())])];
        let outcome = decide(&plain(), &run(End::Suspended, 4, recent), URL, at(100)).unwrap();
        assert_eq!(
            outcome,
            Outcome::Continue {
                token: r#"{"v":1,"first":1700000000000,"attempts":4,"fails":4}"#.to_string(),
                summary: "http://calc.test/ is not healthy yet: 4 attempts over 100 s of the 600 s allowed; the last: attempt 4: GET http://calc.test/ → cannot connect (after 12 ms): tcp connect error: Connection refused (os error 111). Checking again.".to_string()
            }
        );

        let recent = vec![attempt(4, vec![probe(URL, Some(200), None)])];
        let mut waiting = run(End::Suspended, 4, recent);
        waiting.evidence.observation = Some(signals("unused", "OK"));
        waiting.evidence.verdict = Some(Verdict {
            outcome: Verdicts::Inconclusive,
            reasons: vec![
                "1 of 3 successes in a row".to_string(),
                "target group targetgroup/tg/1: 1 of 2 targets healthy: i-2:8080 unused (Target.InvalidState)".to_string(),
            ],
        });
        let Outcome::Continue { summary, token } =
            decide(&gate_plan(), &waiting, URL, at(30)).unwrap()
        else {
            panic!("expected a continuation");
        };
        assert!(token.contains(r#""run":1,"ms":[12]"#), "{token}");
        assert_eq!(
            summary,
            "http://calc.test/ is not healthy yet: 4 attempts over 30 s of the 600 s allowed; the last: attempt 4: GET http://calc.test/ → 200 OK in 12 ms; not yet: 1 of 3 successes in a row; target group targetgroup/tg/1: 1 of 2 targets healthy: i-2:8080 unused (Target.InvalidState). Checking again."
        );
    }

    #[test]
    fn a_plain_url_never_healthy_fails_with_the_last_attempts_as_before() {
        let recent = vec![
            attempt(4, vec![probe(URL, None, refused())]),
            attempt(5, vec![probe(URL, None, refused())]),
        ];
        let plan = Plan {
            deadline: Duration::from_millis(2500),
            ..plain()
        };
        let error = decide(&plan, &run(End::GaveUp, 5, recent), URL, at(3)).unwrap_err();
        assert_eq!(error.kind, FailureKind::JobFailed);
        assert_eq!(
            error.message,
            "http://calc.test/ did not become healthy within 2.5 s: 5 attempts over 3 s; the last 2:\n\
             attempt 4: GET http://calc.test/ → cannot connect (after 12 ms): tcp connect error: Connection refused (os error 111)\n\
             attempt 5: GET http://calc.test/ → cannot connect (after 12 ms): tcp connect error: Connection refused (os error 111)"
        );
    }

    #[test]
    fn an_inconclusive_gate_fails_at_the_deadline_with_the_evidence() {
        let recent = vec![attempt(40, vec![probe(URL, Some(200), None)])];
        let mut gave_up = run(End::GaveUp, 40, recent);
        gave_up.evidence.observation = Some(signals("unused", "INSUFFICIENT_DATA"));
        gave_up.evidence.verdict = Some(Verdict {
            outcome: Verdicts::Inconclusive,
            reasons: vec![
                "target group targetgroup/tg/1: 1 of 2 targets healthy: i-2:8080 unused (Target.InvalidState)".to_string(),
                "alarm s-target-5xx is INSUFFICIENT_DATA".to_string(),
            ],
        });
        let error = decide(&gate_plan(), &gave_up, URL, at(601)).unwrap_err();
        assert_eq!(error.kind, FailureKind::JobFailed);
        assert_eq!(
            error.message,
            "http://calc.test/ did not become healthy within 600 s: 40 attempts over 601 s; the last one:\n\
             attempt 40: GET http://calc.test/ → 200 OK in 12 ms\n\
             not passed: target group targetgroup/tg/1: 1 of 2 targets healthy: i-2:8080 unused (Target.InvalidState); alarm s-target-5xx is INSUFFICIENT_DATA\n\
             stack CICD-test-stack is UPDATE_COMPLETE\n\
             target group targetgroup/tg/1: 1 of 2 targets healthy: i-2:8080 unused (Target.InvalidState)\n\
             alarms: s-target-5xx INSUFFICIENT_DATA"
        );
    }

    #[test]
    fn a_signal_against_the_release_fails_at_once_naming_it() {
        let mut failed = run(
            End::Failed,
            2,
            vec![attempt(2, vec![probe(URL, Some(200), None)])],
        );
        failed.evidence.observation = Some(signals("healthy", "ALARM"));
        failed.evidence.verdict = Some(Verdict {
            outcome: Verdicts::Fail,
            reasons: vec!["alarm s-target-5xx is ALARM".to_string()],
        });
        let error = decide(&gate_plan(), &failed, URL, at(10)).unwrap_err();
        assert_eq!(error.kind, FailureKind::JobFailed);
        assert_eq!(
            error.message,
            "http://calc.test/ is not healthy: alarm s-target-5xx is ALARM\n\
             attempt 2: GET http://calc.test/ → 200 OK in 12 ms\n\
             stack CICD-test-stack is UPDATE_COMPLETE\n\
             target group targetgroup/tg/1: 2 of 2 targets healthy\n\
             alarms: s-target-5xx ALARM"
        );
    }

    #[test]
    fn a_signal_that_cannot_be_read_says_who_can_fix_it() {
        for (error, kind) in [
            (
                SignalError::configuration("no such alarm: x"),
                FailureKind::ConfigurationError,
            ),
            (
                SignalError::permission("denied"),
                FailureKind::PermissionError,
            ),
            (SignalError::failed("throttled"), FailureKind::JobFailed),
        ] {
            let reported = decide(
                &gate_plan(),
                &run(End::Unreadable(error.clone()), 0, Vec::new()),
                URL,
                at(0),
            )
            .unwrap_err();
            assert_eq!((reported.kind, reported.message), (kind, error.message));
        }
    }

    #[test]
    fn a_refusal_and_no_time_are_configuration_errors() {
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
            &plain(),
            &run(End::Refused(refused), 1, Vec::new()),
            URL,
            at(0),
        )
        .unwrap_err();
        assert_eq!(error.kind, FailureKind::ConfigurationError);
        assert_eq!(error.message, refusal.to_string());
        let error = decide(&plain(), &run(End::NoTime, 0, Vec::new()), URL, at(0)).unwrap_err();
        assert_eq!(error.kind, FailureKind::ConfigurationError);
    }
}
