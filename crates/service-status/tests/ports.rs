//! The gate in the Service_Status function with in-process ports, for what
//! moto cannot produce: a stack rolling back, targets `initial`,
//! `unhealthy` and `draining` with AWS's reason codes, alarms that cannot
//! be read. The service itself is a real loopback server.

mod support;

use std::sync::{Arc, Mutex};

use harness::server::{Reply, TestServer};
use health_gate::ports::{ALARM_TYPE, TARGET_GROUP_TYPE};
use health_gate::{Alarm, Alarms, SignalError, StackState, Stacks, TargetGroups, TargetHealth};
use serde_json::{Value, json};
use support::{Stage, event, failure, success};

const STACK: &str = "CICD-test-stack";
const GROUP: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/CICD-TG/6d0ecf831eec9f09";

/// What the fake answers, round after round: the stack's status, the
/// second target's state and reason, the alarm's state (or an error).
#[derive(Debug, Clone)]
struct Round {
    status: &'static str,
    target: (&'static str, Option<&'static str>),
    alarms: Result<&'static str, SignalError>,
}

const HEALTHY: Round = Round {
    status: "UPDATE_COMPLETE",
    target: ("healthy", None),
    alarms: Ok("OK"),
};

/// Ports that answer from a script: round `n` (counted by the stack's
/// reads) answers `rounds[n]`, the last one from then on.
#[derive(Debug, Clone)]
struct Scripted {
    url: String,
    rounds: Arc<Vec<Round>>,
    reads: Arc<Mutex<usize>>,
}

impl Scripted {
    fn new(url: String, rounds: Vec<Round>) -> Scripted {
        Scripted {
            url,
            rounds: Arc::new(rounds),
            reads: Arc::new(Mutex::new(0)),
        }
    }

    fn round(&self) -> Round {
        let reads = *self.reads.lock().unwrap();
        let index = reads.saturating_sub(1).min(self.rounds.len() - 1);
        self.rounds[index].clone()
    }
}

impl Stacks for Scripted {
    async fn stack(&self, name: &str) -> Result<StackState, SignalError> {
        *self.reads.lock().unwrap() += 1;
        let status = self.round().status;
        Ok(StackState {
            name: name.to_string(),
            status: status.to_string(),
            reason: status.contains("ROLLBACK").then(|| {
                "The following resource(s) failed to update: [AutoScalingGroup].".to_string()
            }),
            outputs: vec![("Url".to_string(), self.url.clone())],
        })
    }

    async fn resources(&self, _: &str, resource_type: &str) -> Result<Vec<String>, SignalError> {
        Ok(match resource_type {
            TARGET_GROUP_TYPE => vec![GROUP.to_string()],
            ALARM_TYPE => vec![format!("{STACK}-target-5xx")],
            _ => Vec::new(),
        })
    }
}

impl TargetGroups for Scripted {
    async fn target_health(&self, _: &str) -> Result<Vec<TargetHealth>, SignalError> {
        let (state, reason) = self.round().target;
        Ok(vec![
            TargetHealth {
                id: "i-0aaa".to_string(),
                port: Some(8080),
                state: "healthy".to_string(),
                reason: None,
                description: None,
            },
            TargetHealth {
                id: "i-0bbb".to_string(),
                port: Some(8080),
                state: state.to_string(),
                reason: reason.map(str::to_string),
                description: None,
            },
        ])
    }
}

impl Alarms for Scripted {
    async fn alarms(&self, names: &[String]) -> Result<Vec<Alarm>, SignalError> {
        let state = self.round().alarms?;
        Ok(names
            .iter()
            .map(|name| Alarm {
                name: name.clone(),
                state: state.to_string(),
                reason: None,
            })
            .collect())
    }
}

/// The pipeline's plan, quick.
fn plan(deadline: f64) -> Value {
    json!({"stack": STACK, "targets": "stack", "alarms": "stack", "deadline_seconds": deadline,
        "probe_interval_seconds": 0.05, "backoff_seconds": 0.05, "max_backoff_seconds": 0.1})
}

fn stage(server: &TestServer, rounds: Vec<Round>) -> Stage<Scripted> {
    Stage::with_signals(
        Scripted::new(server.url("/"), rounds),
        support::loopback_checker(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_rolling_back_fails_at_once_naming_its_state_and_reason_without_a_probe() {
    let server = TestServer::always(Reply::calculator());
    for status in ["UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"] {
        let rolling_back = Round { status, ..HEALTHY };
        let stage = stage(&server, vec![rolling_back]);
        let report = stage.invoke(&event(plan(600.0).to_string()), None).await;
        assert_eq!(
            failure(&report),
            (
                "JobFailed",
                format!("the release is not healthy: stack {STACK} is {status}: The following resource(s) failed to update: [AutoScalingGroup].").as_str()
            )
        );
    }
    // Given the URL, the gate's first round fails the same, before a probe.
    let stage = stage(
        &server,
        vec![Round {
            status: "UPDATE_ROLLBACK_IN_PROGRESS",
            ..HEALTHY
        }],
    );
    let mut given = plan(600.0);
    given["url"] = json!(server.url("/"));
    let report = stage.invoke(&event(given.to_string()), None).await;
    let (kind, message) = failure(&report);
    assert_eq!(kind, "JobFailed");
    assert!(
        message.starts_with(&format!(
            "{} is not healthy: stack {STACK} is UPDATE_ROLLBACK_IN_PROGRESS: The following resource(s) failed to update: [AutoScalingGroup].\nstack {STACK} is UPDATE_ROLLBACK_IN_PROGRESS",
            server.url("/")
        )),
        "{message}"
    );
    assert_eq!(server.requests(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_updating_waits_then_passes() {
    let server = TestServer::always(Reply::calculator());
    let updating = Round {
        status: "UPDATE_IN_PROGRESS",
        ..HEALTHY
    };
    let stage = stage(
        &server,
        vec![updating.clone(), updating.clone(), updating, HEALTHY],
    );
    let report = stage.invoke(&event(plan(30.0).to_string()), None).await;
    let (summary, _) = success(&report);
    assert!(
        summary.contains(&format!("\nstack {STACK} is UPDATE_COMPLETE\n")),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_registering_waits_then_passes() {
    let server = TestServer::always(Reply::calculator());
    let registering = Round {
        target: ("initial", Some("Elb.RegistrationInProgress")),
        ..HEALTHY
    };
    let stage = stage(
        &server,
        vec![
            registering.clone(),
            registering.clone(),
            registering.clone(),
            registering,
            HEALTHY,
        ],
    );
    let report = stage.invoke(&event(plan(30.0).to_string()), None).await;
    let (summary, vars) = success(&report);
    assert!(
        summary
            .contains("target group targetgroup/CICD-TG/6d0ecf831eec9f09: 2 of 2 targets healthy"),
        "{summary}"
    );
    assert!(vars.contains(&("healthy_targets", "2")), "{vars:?}");
    // The URL's lookup read round 0; attempts 1 to 3 saw the target
    // registering, attempt 4 saw it healthy, the run already 4 long.
    assert!(vars.contains(&("attempts", "4")), "{vars:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn targets_unhealthy_or_draining_fail_at_the_deadline_naming_state_and_reason_code() {
    let server = TestServer::always(Reply::calculator());
    for (state, reason) in [
        ("unhealthy", "Target.ResponseCodeMismatch"),
        ("draining", "Target.DeregistrationInProgress"),
        ("initial", "Elb.RegistrationInProgress"),
    ] {
        let stage = stage(
            &server,
            vec![Round {
                target: (state, Some(reason)),
                ..HEALTHY
            }],
        );
        let report = stage.invoke(&event(plan(0.5).to_string()), None).await;
        let (kind, message) = failure(&report);
        assert_eq!(kind, "JobFailed", "{state}");
        assert!(
            message.contains(&format!(
                "\nnot passed: target group targetgroup/CICD-TG/6d0ecf831eec9f09: 1 of 2 targets healthy: i-0bbb:8080 {state} ({reason})\n"
            )),
            "{message}"
        );
        assert!(
            message.contains(&format!("\nalarms: {STACK}-target-5xx OK")),
            "{message}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn alarms_that_cannot_be_read_fail_closed_unless_the_plan_passes_them_over() {
    let server = TestServer::always(Reply::calculator());
    let denied = Round {
        alarms: Err(SignalError::permission(
            "not allowed to read alarms (cloudwatch:DescribeAlarms): User is not authorized",
        )),
        ..HEALTHY
    };
    let report = stage(&server, vec![denied.clone()])
        .invoke(&event(plan(600.0).to_string()), None)
        .await;
    assert_eq!(
        failure(&report),
        (
            "PermissionError",
            "not allowed to read alarms (cloudwatch:DescribeAlarms): User is not authorized"
        )
    );

    let mut lenient = plan(600.0);
    lenient["ignore_alarm_read_failure"] = json!(true);
    let report = stage(&server, vec![denied])
        .invoke(&event(lenient.to_string()), None)
        .await;
    let (summary, _) = success(&report);
    assert!(
        summary.ends_with("\nalarms not read, passed over (ignore_alarm_read_failure): not allowed to read alarms (cloudwatch:DescribeAlarms): User is not authorized"),
        "{summary}"
    );
}
