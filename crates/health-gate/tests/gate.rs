//! The gate's rounds on a clock that only moves when told: when it probes,
//! how long it waits, and how each signal alone makes it wait, fail or
//! pass, naming the signal.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use health_check::schedule::Backoff;
use health_check::{Attempt, Clock, Probe, Problem, Refusal, Schedule};
use health_gate::gate::{self, End, GateRun, Progress};
use health_gate::{
    Alarm, AlarmsRead, InsufficientData, Observation, Outcome, Plan, Selection, SignalError,
    StackState, Streak, TargetGroupHealth, TargetHealth,
};

/// A clock that only moves when told to (or slept on).
#[derive(Clone)]
struct FakeClock(Arc<Mutex<SystemTime>>);

const EPOCH: u64 = 1_700_000_000;

impl FakeClock {
    fn new() -> Self {
        FakeClock(Arc::new(Mutex::new(
            UNIX_EPOCH + Duration::from_secs(EPOCH),
        )))
    }
    fn advance(&self, d: Duration) {
        *self.0.lock().unwrap() += d;
    }
    /// Seconds since the clock was made.
    fn elapsed(&self) -> f64 {
        self.now()
            .duration_since(UNIX_EPOCH + Duration::from_secs(EPOCH))
            .unwrap()
            .as_secs_f64()
    }
}

impl Clock for FakeClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send {
        self.advance(d);
        std::future::ready(())
    }
}

fn probe(healthy: bool, latency_ms: u64, problem: Option<Problem>) -> Probe {
    Probe {
        url: "http://calc.test/".to_string(),
        final_url: None,
        status: Some(if healthy { 200 } else { 502 }),
        latency: Duration::from_millis(latency_ms),
        body_bytes: 0,
        truncated: false,
        problem: if healthy {
            None
        } else {
            problem.or(Some(Problem::Status {
                expected: 200,
                snippet: "Bad Gateway".to_string(),
            }))
        },
    }
}

/// A plan for `http://calc.test/` asking for `successes` in a row, 2 s
/// apart, with a `deadline` in seconds.
fn plan(successes: u32, deadline: f64) -> Plan {
    Plan {
        consecutive_successes: successes,
        probe_interval: Duration::from_secs(2),
        deadline: Duration::from_secs_f64(deadline),
        ..Plan::for_url("http://calc.test/")
    }
}

fn schedule(plan: &Plan, run_until: Option<SystemTime>) -> Schedule {
    Schedule {
        deadline: plan.deadline,
        backoff: Backoff::default(),
        attempt_time: Duration::from_secs(2),
        run_until,
    }
}

/// What the service answers at each attempt (by its number, from 1), and
/// what the signals say at each round (by its index, from 0).
struct Script {
    healthy: Box<dyn Fn(u32) -> bool>,
    latency_ms: Box<dyn Fn(u32) -> u64>,
    signals: Box<dyn Fn(usize) -> Result<Observation, SignalError>>,
}

impl Script {
    /// Healthy from attempt `from` on (never if 0), 10 ms each, no signals.
    fn healthy_from(from: u32) -> Script {
        Script {
            healthy: Box::new(move |n| from != 0 && n >= from),
            latency_ms: Box::new(|_| 10),
            signals: Box::new(|_| Ok(Observation::default())),
        }
    }

    fn signals(
        mut self,
        signals: impl Fn(usize) -> Result<Observation, SignalError> + 'static,
    ) -> Script {
        self.signals = Box::new(signals);
        self
    }
}

/// Runs the gate on `script`; each attempt takes 0.5 s. Returns the run
/// and the clock time (s) of each attempt.
async fn run(
    clock: &FakeClock,
    plan: &Plan,
    schedule: &Schedule,
    progress: Progress,
    script: &Script,
) -> (GateRun, Vec<f64>) {
    let times = Arc::new(Mutex::new(Vec::new()));
    let rounds = Mutex::new(0usize);
    let result = gate::run(
        plan,
        schedule,
        progress,
        clock,
        || {
            let mut round = rounds.lock().unwrap();
            let observation = (script.signals)(*round);
            *round += 1;
            std::future::ready(observation)
        },
        |n, _allowance| {
            times.lock().unwrap().push(clock.elapsed());
            let at = clock.now();
            clock.advance(Duration::from_millis(500));
            let attempt = Attempt {
                number: n,
                started_at: at,
                probes: vec![probe((script.healthy)(n), (script.latency_ms)(n), None)],
            };
            std::future::ready(attempt)
        },
    )
    .await;
    let times = times.lock().unwrap().clone();
    (result, times)
}

fn reasons(run: &GateRun) -> Vec<String> {
    run.evidence
        .verdict
        .as_ref()
        .map(|v| v.reasons.clone())
        .unwrap_or_default()
}

// --- The schedule: a plain URL waits for its first healthy answer --------

#[tokio::test]
async fn a_plain_url_passes_at_its_first_healthy_attempt_after_backing_off() {
    let clock = FakeClock::new();
    let plan = Plan::for_url("http://calc.test/");
    let (result, times) = run(
        &clock,
        &plan,
        &schedule(&plan, None),
        Progress::default(),
        &Script::healthy_from(4),
    )
    .await;
    assert_eq!(result.end, End::Passed);
    assert_eq!(result.progress.attempts, 4);
    assert_eq!(times, [0.0, 1.5, 4.0, 8.5]);
    assert_eq!(result.evidence.recent.last().unwrap().number, 4);
}

#[tokio::test]
async fn a_service_never_healthy_gives_up_after_the_deadline_with_the_last_attempts() {
    let clock = FakeClock::new();
    let plan = Plan {
        deadline: Duration::from_secs(10),
        ..Plan::for_url("http://calc.test/")
    };
    let (result, times) = run(
        &clock,
        &plan,
        &schedule(&plan, None),
        Progress::default(),
        &Script::healthy_from(0),
    )
    .await;
    // 0, +0.5 attempt +1 wait, +0.5 +2, +0.5 +4, then the wait is cut to
    // the deadline at 10.
    assert_eq!(times, [0.0, 1.5, 4.0, 8.5, 10.0]);
    assert_eq!(result.end, End::GaveUp);
    let numbers: Vec<u32> = result.evidence.recent.iter().map(|a| a.number).collect();
    assert_eq!(numbers, [3, 4, 5]);
    assert_eq!(reasons(&result), ["0 of 1 successes in a row"]);
}

#[tokio::test]
async fn a_run_suspends_when_its_time_is_up_and_the_next_run_goes_on() {
    let clock = FakeClock::new();
    let plan = Plan {
        deadline: Duration::from_secs(30),
        ..Plan::for_url("http://calc.test/")
    };
    let run_until = clock.now() + Duration::from_secs(6);
    let never = Script::healthy_from(0);
    let (first, times) = run(
        &clock,
        &plan,
        &schedule(&plan, Some(run_until)),
        Progress::default(),
        &never,
    )
    .await;
    // Attempts at 0, 1.5 and 4.0; after it, the next wait (4 s) plus an
    // attempt (2 s) does not fit before 6.
    assert_eq!(times, [0.0, 1.5, 4.0]);
    assert_eq!(first.end, End::Suspended);
    assert_eq!(first.progress.attempts, 3);
    assert_eq!(first.progress.failures, 3);
    let started = first.progress.first_attempt_at.unwrap();

    // The next run comes 40 s later, past the deadline: one last attempt,
    // then it gives up.
    clock.advance(Duration::from_secs(40));
    let run_until = clock.now() + Duration::from_secs(100);
    let (second, times) = run(
        &clock,
        &plan,
        &schedule(&plan, Some(run_until)),
        first.progress,
        &never,
    )
    .await;
    assert_eq!(times.len(), 1);
    assert_eq!(second.end, End::GaveUp);
    assert_eq!(second.evidence.recent[0].number, 4);
    assert_eq!(second.progress.first_attempt_at, Some(started));
}

#[tokio::test]
async fn a_refused_target_is_not_retried() {
    let clock = FakeClock::new();
    let plan = Plan::for_url("http://calc.test/");
    let refusal = Refusal {
        url: "http://169.254.169.254/".to_string(),
        host: "169.254.169.254".to_string(),
        address: "169.254.169.254".parse().unwrap(),
        reason: health_check::addr::reason("169.254.169.254".parse().unwrap()).unwrap(),
        redirected_from: Some("http://calc.test/".to_string()),
    };
    let mut calls = 0;
    let result = gate::run(
        &plan,
        &schedule(&plan, None),
        Progress::default(),
        &clock,
        || std::future::ready(Ok(Observation::default())),
        |n, _| {
            calls += 1;
            let attempt = Attempt {
                number: n,
                started_at: clock.now(),
                probes: vec![probe(false, 1, Some(Problem::Refused(refusal.clone())))],
            };
            std::future::ready(attempt)
        },
    )
    .await;
    assert_eq!(calls, 1);
    assert!(matches!(result.end, End::Refused(_)));
}

#[tokio::test]
async fn a_run_without_time_for_one_attempt_makes_none_and_the_first_gets_what_is_left() {
    let clock = FakeClock::new();
    let plan = Plan::for_url("http://calc.test/");
    let (result, times) = run(
        &clock,
        &plan,
        &schedule(&plan, Some(clock.now() + Duration::from_millis(300))),
        Progress::default(),
        &Script::healthy_from(1),
    )
    .await;
    assert_eq!(result.end, End::NoTime);
    assert!(times.is_empty());
    assert_eq!(result.progress, Progress::default());

    let mut allowances = Vec::new();
    gate::run(
        &plan,
        &schedule(&plan, Some(clock.now() + Duration::from_millis(1500))),
        Progress::default(),
        &clock,
        || std::future::ready(Ok(Observation::default())),
        |n, allowance| {
            allowances.push(allowance);
            let attempt = Attempt {
                number: n,
                started_at: clock.now(),
                probes: vec![probe(true, 1, None)],
            };
            std::future::ready(attempt)
        },
    )
    .await;
    assert_eq!(allowances, [Duration::from_millis(1500)]);
}

// --- A run of successes, and its latency ------------------------------------

#[tokio::test]
async fn a_run_of_successes_passes_probe_interval_apart_and_a_failure_resets_it() {
    let clock = FakeClock::new();
    let plan = plan(3, 600.0);
    let steady = Script::healthy_from(1);
    let (result, times) = run(
        &clock,
        &plan,
        &schedule(&plan, None),
        Progress::default(),
        &steady,
    )
    .await;
    assert_eq!(result.end, End::Passed);
    // Each attempt takes 0.5 s, then the 2 s interval.
    assert_eq!(times, [0.0, 2.5, 5.0]);
    assert_eq!(result.progress.streak.count, 3);

    // Healthy, healthy, a 502, then healthy: the run starts again at 4.
    let clock = FakeClock::new();
    let flaky = Script {
        healthy: Box::new(|n| n != 3),
        ..Script::healthy_from(1)
    };
    let (result, times) = run(
        &clock,
        &plan,
        &schedule(&plan, None),
        Progress::default(),
        &flaky,
    )
    .await;
    assert_eq!(result.end, End::Passed);
    assert_eq!(result.progress.attempts, 6);
    // 0, 2.5, 5.0 (fails: back off 1 s), 6.5, 9.0, 11.5.
    assert_eq!(times, [0.0, 2.5, 5.0, 6.5, 9.0, 11.5]);
}

#[tokio::test]
async fn a_run_cut_short_by_the_deadline_fails_saying_how_far_it_got() {
    let clock = FakeClock::new();
    let plan = plan(3, 3.5);
    let (result, times) = run(
        &clock,
        &plan,
        &schedule(&plan, None),
        Progress::default(),
        &Script::healthy_from(1),
    )
    .await;
    // The last wait is cut to end at the deadline, where the last attempt
    // is made.
    assert_eq!(times, [0.0, 2.5, 3.5]);
    assert_eq!(result.end, End::Passed);

    let clock = FakeClock::new();
    let plan = self::plan(4, 3.5);
    let (result, _) = run(
        &clock,
        &plan,
        &schedule(&plan, None),
        Progress::default(),
        &Script::healthy_from(1),
    )
    .await;
    assert_eq!(result.end, End::GaveUp);
    assert_eq!(reasons(&result), ["3 of 4 successes in a row"]);
}

#[tokio::test]
async fn a_run_goes_on_across_runs_through_the_progress() {
    let clock = FakeClock::new();
    let plan = plan(3, 600.0);
    let progress = Progress {
        first_attempt_at: Some(clock.now() - Duration::from_secs(30)),
        attempts: 9,
        failures: 0,
        streak: Streak {
            count: 2,
            latencies: vec![Duration::from_millis(10); 2],
        },
    };
    let (result, times) = run(
        &clock,
        &plan,
        &schedule(&plan, None),
        progress,
        &Script::healthy_from(1),
    )
    .await;
    assert_eq!(result.end, End::Passed);
    assert_eq!(times.len(), 1);
    assert_eq!(result.progress.streak.count, 3);
}

#[tokio::test]
async fn a_slow_run_waits_until_its_p95_is_within_bounds_or_the_deadline() {
    let clock = FakeClock::new();
    let plan = Plan {
        latency_p95: Some(Duration::from_millis(100)),
        ..plan(3, 60.0)
    };
    // 400 ms for the first four, then 50 ms: the run passes once the last
    // three are quick.
    let slow_then_quick = Script {
        latency_ms: Box::new(|n| if n <= 4 { 400 } else { 50 }),
        ..Script::healthy_from(1)
    };
    let (result, _) = run(
        &clock,
        &plan,
        &schedule(&plan, None),
        Progress::default(),
        &slow_then_quick,
    )
    .await;
    assert_eq!(result.end, End::Passed);
    assert_eq!(result.progress.attempts, 7);
    assert_eq!(
        result.progress.streak.p95(),
        Some(Duration::from_millis(50))
    );

    let clock = FakeClock::new();
    let plan = Plan {
        deadline: Duration::from_secs(10),
        ..plan
    };
    let always_slow = Script {
        latency_ms: Box::new(|_| 400),
        ..Script::healthy_from(1)
    };
    let (result, _) = run(
        &clock,
        &plan,
        &schedule(&plan, None),
        Progress::default(),
        &always_slow,
    )
    .await;
    assert_eq!(result.end, End::GaveUp);
    assert_eq!(
        reasons(&result),
        ["p95 latency 400 ms over the last 3 successes, above 100 ms"]
    );
}

// --- The stack, the targets and the alarms, each alone ----------------------

fn stack(status: &str, reason: Option<&str>) -> Observation {
    Observation {
        stack: Some(StackState {
            name: "CICD-test-stack".to_string(),
            status: status.to_string(),
            reason: reason.map(str::to_string),
            outputs: Vec::new(),
        }),
        ..Observation::default()
    }
}

fn targets(states: &[(&str, &str, Option<&str>)]) -> Observation {
    Observation {
        targets: Some(vec![TargetGroupHealth {
            arn: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg/1".to_string(),
            targets: states
                .iter()
                .map(|(id, state, reason)| TargetHealth {
                    id: id.to_string(),
                    port: Some(8080),
                    state: state.to_string(),
                    reason: reason.map(str::to_string),
                    description: None,
                })
                .collect(),
        }]),
        ..Observation::default()
    }
}

fn alarms(states: &[(&str, &str)]) -> Observation {
    Observation {
        alarms: Some(AlarmsRead::Read(
            states
                .iter()
                .map(|(name, state)| Alarm {
                    name: name.to_string(),
                    state: state.to_string(),
                    reason: None,
                })
                .collect(),
        )),
        ..Observation::default()
    }
}

/// A plan whose probes pass at once, so that only the signal decides.
fn signal_plan(deadline: f64) -> Plan {
    Plan {
        stack: Some("CICD-test-stack".to_string()),
        targets: Some(Selection::Stack),
        alarms: Some(Selection::Stack),
        ..plan(1, deadline)
    }
}

async fn judged_by(
    plan: &Plan,
    signals: impl Fn(usize) -> Observation + 'static,
) -> (GateRun, Vec<f64>) {
    let clock = FakeClock::new();
    let script = Script::healthy_from(1).signals(move |round| Ok(signals(round)));
    run(
        &clock,
        plan,
        &schedule(plan, None),
        Progress::default(),
        &script,
    )
    .await
}

#[tokio::test]
async fn the_stack_alone_passes_waits_or_fails_at_once_naming_its_state() {
    let plan = signal_plan(600.0);
    let (passed, _) = judged_by(&plan, |_| stack("UPDATE_COMPLETE", None)).await;
    assert_eq!(passed.end, End::Passed);

    let (waited, times) = judged_by(&plan, |round| {
        if round < 2 {
            stack("UPDATE_IN_PROGRESS", None)
        } else {
            stack("UPDATE_COMPLETE", None)
        }
    })
    .await;
    assert_eq!(waited.end, End::Passed);
    assert_eq!(times.len(), 3, "two rounds waited for the update");

    let (failed, times) = judged_by(&plan, |_| {
        stack(
            "UPDATE_ROLLBACK_IN_PROGRESS",
            Some("The following resource(s) failed to update: [AutoScalingGroup]."),
        )
    })
    .await;
    assert_eq!(failed.end, End::Failed);
    assert!(times.is_empty(), "no probe of a stack rolling back");
    assert_eq!(failed.progress.attempts, 0);
    assert_eq!(
        reasons(&failed),
        [
            "stack CICD-test-stack is UPDATE_ROLLBACK_IN_PROGRESS: The following resource(s) failed to update: [AutoScalingGroup]."
        ]
    );

    let plan = signal_plan(4.0);
    let (gave_up, _) = judged_by(&plan, |_| stack("CREATE_IN_PROGRESS", None)).await;
    assert_eq!(gave_up.end, End::GaveUp);
    assert_eq!(
        reasons(&gave_up),
        ["stack CICD-test-stack is CREATE_IN_PROGRESS"]
    );
}

#[tokio::test]
async fn targets_alone_pass_or_wait_until_the_deadline_naming_each_target_not_healthy() {
    let plan = signal_plan(600.0);
    let (passed, _) = judged_by(&plan, |_| {
        targets(&[("i-1", "healthy", None), ("i-2", "healthy", None)])
    })
    .await;
    assert_eq!(passed.end, End::Passed);
    assert_eq!(
        passed.evidence.observation.unwrap().healthy_targets(),
        Some(2)
    );

    // `initial` while registering, then healthy.
    let (registered, times) = judged_by(&plan, |round| {
        if round == 0 {
            targets(&[("i-1", "initial", Some("Elb.RegistrationInProgress"))])
        } else {
            targets(&[("i-1", "healthy", None)])
        }
    })
    .await;
    assert_eq!(registered.end, End::Passed);
    assert_eq!(times, [0.0, 2.5]);

    // Unhealthy, draining, unused and unavailable hold it until the
    // deadline: each named with its state and reason.
    let plan = signal_plan(5.0);
    for (state, reason) in [
        ("unhealthy", "Target.ResponseCodeMismatch"),
        ("draining", "Target.DeregistrationInProgress"),
        ("unused", "Target.InvalidState"),
        ("unavailable", "Elb.InternalError"),
    ] {
        let (held, _) = judged_by(&plan, move |_| {
            targets(&[("i-1", "healthy", None), ("i-2", state, Some(reason))])
        })
        .await;
        assert_eq!(held.end, End::GaveUp, "{state}");
        assert_eq!(
            reasons(&held),
            [format!(
                "target group targetgroup/tg/1: 1 of 2 targets healthy: i-2:8080 {state} ({reason})"
            )],
            "{state}"
        );
        assert_eq!(
            held.evidence.verdict.unwrap().outcome,
            Outcome::Inconclusive
        );
    }
}

#[tokio::test]
async fn alarms_alone_pass_fail_at_once_or_wait_as_insufficient_data_says() {
    let plan = signal_plan(600.0);
    let (passed, _) = judged_by(&plan, |_| alarms(&[("s-5xx", "OK"), ("s-unhealthy", "OK")])).await;
    assert_eq!(passed.end, End::Passed);

    let (failed, times) = judged_by(&plan, |_| {
        alarms(&[("s-5xx", "ALARM"), ("s-unhealthy", "OK")])
    })
    .await;
    assert_eq!(failed.end, End::Failed);
    assert!(times.is_empty());
    assert_eq!(reasons(&failed), ["alarm s-5xx is ALARM"]);

    let (waited, times) = judged_by(&plan, |round| {
        if round < 3 {
            alarms(&[("s-5xx", "INSUFFICIENT_DATA")])
        } else {
            alarms(&[("s-5xx", "OK")])
        }
    })
    .await;
    assert_eq!(waited.end, End::Passed);
    assert_eq!(times.len(), 4);

    let ok = Plan {
        insufficient_data: InsufficientData::Ok,
        ..plan.clone()
    };
    let (passed, _) = judged_by(&ok, |_| alarms(&[("s-5xx", "INSUFFICIENT_DATA")])).await;
    assert_eq!(passed.end, End::Passed);
    let fail = Plan {
        insufficient_data: InsufficientData::Fail,
        ..plan
    };
    let (failed, _) = judged_by(&fail, |_| alarms(&[("s-5xx", "INSUFFICIENT_DATA")])).await;
    assert_eq!(failed.end, End::Failed);
    assert_eq!(reasons(&failed), ["alarm s-5xx is INSUFFICIENT_DATA"]);
}

#[tokio::test]
async fn an_alarm_firing_after_the_run_began_fails_the_gate_between_probes() {
    let plan = Plan {
        alarms: Some(Selection::Stack),
        ..signal_plan(600.0)
    };
    let plan = Plan {
        consecutive_successes: 3,
        ..plan
    };
    let (failed, times) = judged_by(&plan, |round| {
        if round < 2 {
            alarms(&[("s-5xx", "OK")])
        } else {
            alarms(&[("s-5xx", "ALARM")])
        }
    })
    .await;
    assert_eq!(failed.end, End::Failed);
    assert_eq!(times.len(), 2, "the third round fails before its probe");
    assert_eq!(failed.progress.streak.count, 2);
}

#[tokio::test]
async fn a_signal_that_cannot_be_read_ends_the_gate() {
    let clock = FakeClock::new();
    let plan = signal_plan(600.0);
    let script = Script::healthy_from(1)
        .signals(|_| Err(SignalError::permission("not allowed to describe alarms")));
    let (result, times) = run(
        &clock,
        &plan,
        &schedule(&plan, None),
        Progress::default(),
        &script,
    )
    .await;
    assert_eq!(
        result.end,
        End::Unreadable(SignalError::permission("not allowed to describe alarms"))
    );
    assert!(times.is_empty());
}

#[tokio::test(start_paused = true)]
async fn signals_not_read_in_time_make_the_round_inconclusive_and_the_gate_tries_again() {
    let clock = FakeClock::new();
    let plan = Plan {
        deadline: Duration::from_secs(60),
        ..signal_plan(60.0)
    };
    let rounds = Mutex::new(0);
    let mut probes = 0;
    let result = gate::run(
        &plan,
        &schedule(&plan, None),
        Progress::default(),
        &clock,
        || {
            let mut round = rounds.lock().unwrap();
            *round += 1;
            let first = *round == 1;
            async move {
                if first {
                    // AWS never answers this round.
                    std::future::pending::<()>().await;
                }
                Ok(stack("UPDATE_COMPLETE", None))
            }
        },
        |n, _| {
            probes += 1;
            let attempt = Attempt {
                number: n,
                started_at: clock.now(),
                probes: vec![probe(true, 1, None)],
            };
            std::future::ready(attempt)
        },
    )
    .await;
    assert_eq!(result.end, End::Passed);
    assert_eq!(
        probes, 1,
        "no probe in the round whose signals were not read"
    );
    assert_eq!(*rounds.lock().unwrap(), 2);
    assert_eq!(
        clock.elapsed(),
        2.0,
        "the next round came a probe interval later"
    );

    // Never read: inconclusive until the deadline, saying why.
    let clock = FakeClock::new();
    let plan = signal_plan(10.0);
    let result = gate::run(
        &plan,
        &schedule(&plan, None),
        Progress::default(),
        &clock,
        || async {
            std::future::pending::<()>().await;
            Ok(Observation::default())
        },
        |n, _| {
            std::future::ready(Attempt {
                number: n,
                started_at: UNIX_EPOCH,
                probes: Vec::new(),
            })
        },
    )
    .await;
    assert_eq!(result.end, End::GaveUp);
    assert_eq!(
        reasons(&result),
        ["the release's signals were not read within 5 s"]
    );
    assert_eq!(result.progress.attempts, 0);
}
