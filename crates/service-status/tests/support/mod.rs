//! What the service-status tests share: the stage rig (`harness::stage`)
//! with the runner in front of the real handler, and what reading its
//! reports takes. The scripted test servers are `harness::server`.

#![allow(dead_code)]

use std::time::Duration;

use harness::codepipeline::JobReport;
use harness::events::JobEvent;
use health_check::{Checker, Settings, TargetPolicy};
use health_gate::{Alarms, Stacks, TargetGroups};
use pipeline_job::Runner;
use release_signals::AwsSignals;
use service_status::ServiceStatus;

/// The stage rig, a runner reporting to its fake CodePipeline, and the
/// handler, reading the release's signals through `S`.
pub struct Stage<S = AwsSignals> {
    pub rig: harness::stage::Stage,
    pub runner: Runner,
    pub service: ServiceStatus<S>,
}

impl Stage {
    /// A stage whose AWS clients (CloudFormation, ELBv2, CloudWatch) point
    /// at `aws_endpoint` (an unused port when the test reads none).
    pub fn new(aws_endpoint: &str, checker: Checker) -> Stage {
        Stage::with_signals(
            AwsSignals::from_sdk(&harness::sdk_config(aws_endpoint)),
            checker,
        )
    }

    /// A stage with no CloudFormation whose checker may reach loopback,
    /// where the tests' servers are (as `HEALTH_CHECK_ALLOW_LOOPBACK=true`
    /// allows); nothing else is allowed.
    pub fn plain() -> Stage {
        Stage::new("http://127.0.0.1:9", loopback_checker())
    }
}

impl<S: Stacks + TargetGroups + Alarms + Clone + 'static> Stage<S> {
    /// A stage reading the release's signals through `signals` (in-process
    /// ports, for states AWS's emulators cannot produce).
    pub fn with_signals(signals: S, checker: Checker) -> Stage<S> {
        let rig = harness::stage::Stage::new();
        let runner =
            Runner::from_sdk(&rig.pipeline.sdk_config()).with_reserve(Duration::from_millis(300));
        Stage {
            rig,
            runner,
            service: ServiceStatus::new(signals, checker).with_margin(Duration::from_millis(100)),
        }
    }

    /// Invokes the handler on `event` with a Lambda deadline `timeout` from
    /// now (none if `None`), and returns the one report it made; panics
    /// unless exactly one report (and one call) came of it.
    pub async fn invoke(&self, event: &JobEvent, timeout: Option<Duration>) -> JobReport {
        self.invoke_payload(event.build(), &event.job_id, timeout)
            .await
    }

    /// Like [`Stage::invoke`], for an event given as JSON (a fixture).
    pub async fn invoke_payload(
        &self,
        payload: serde_json::Value,
        job_id: &str,
        timeout: Option<Duration>,
    ) -> JobReport {
        let service = self.service.clone();
        self.rig
            .run_payload(payload, job_id, timeout, |lambda_event| {
                self.runner
                    .run(lambda_event, move |job, invocation| async move {
                        service.check(job, invocation).await
                    })
            })
            .await
    }
}

/// Settings that allow loopback targets, and nothing else beyond the
/// defaults.
pub fn loopback_settings() -> Settings {
    Settings {
        policy: TargetPolicy::LOOPBACK,
        ..Settings::default()
    }
}

/// A checker with [`loopback_settings`].
pub fn loopback_checker() -> Checker {
    Checker::new(loopback_settings()).unwrap()
}

/// Runs `test`'s body on a multi-thread runtime, in a network namespace
/// where only loopback exists (see `harness::netns`): for tests of
/// refusal, which must not depend on the refusal to stay safe.
pub fn isolated<F: std::future::Future<Output = ()>>(test: &str, body: impl FnOnce() -> F) {
    if !harness::netns::isolated(test) {
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(body());
}

/// A job event for the Service_Status action with these `UserParameters`.
pub fn event(user_parameters: impl Into<String>) -> JobEvent {
    JobEvent::new()
        .function_name("CICD-service-status")
        .user_parameters(user_parameters)
}

/// The failure's type and message; panics on a success.
pub fn failure(report: &JobReport) -> (&str, &str) {
    match report {
        JobReport::Failure { kind, message, .. } => (kind.as_str(), message.as_str()),
        other => panic!("expected a failure, got {other:#?}"),
    }
}

/// The success's summary and output variables; panics otherwise.
pub fn success(report: &JobReport) -> (&str, Vec<(&str, &str)>) {
    match report {
        JobReport::Success {
            summary: Some(summary),
            output_variables,
            continuation_token: None,
            ..
        } => (
            summary.as_str(),
            output_variables
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        ),
        other => panic!("expected a success, got {other:#?}"),
    }
}

/// The continuation's token and summary; panics otherwise.
pub fn continuation(report: &JobReport) -> (&str, &str) {
    match report {
        JobReport::Success {
            summary: Some(summary),
            continuation_token: Some(token),
            output_variables,
            ..
        } if output_variables.is_empty() => (token.as_str(), summary.as_str()),
        other => panic!("expected a continuation, got {other:#?}"),
    }
}

/// `text` with every timing ("12 ms", "3.5 s", "0 s") replaced by "T", so
/// messages can be compared exactly.
pub fn timeless(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts_number = chars[i].is_ascii_digit()
            && (i == 0
                || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == ':' || chars[i - 1] == '.'));
        if starts_number {
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                j += 1;
            }
            let rest: String = chars[j..chars.len().min(j + 4)].iter().collect();
            let unit = if rest.starts_with(" ms") {
                Some(3)
            } else if rest.starts_with(" s")
                && !rest[2..].starts_with(|c: char| c.is_alphanumeric())
            {
                Some(2)
            } else {
                None
            };
            if let Some(unit) = unit {
                out.push('T');
                i = j + unit;
                continue;
            }
            out.extend(&chars[i..j]);
            i = j;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// A loopback port nothing listens on (bound a moment ago, then released).
pub fn closed_port() -> u16 {
    harness::free_port()
}

#[test]
fn timeless_replaces_only_timings() {
    assert_eq!(
        timeless(
            "GET http://127.0.0.1:8080/ → 200 OK in 12 ms, at attempt 3 (7.5 s after the first); 600 s allowed; 5 attempts; cannot connect (after 0 ms)"
        ),
        "GET http://127.0.0.1:8080/ → 200 OK in T, at attempt 3 (T after the first); T allowed; 5 attempts; cannot connect (after T)"
    );
}
