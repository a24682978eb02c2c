//! The plan: what the gate looks at and what it takes to pass, with every
//! default filled in. The Service_Status action gives it as its
//! `UserParameters`, `cicd health` builds it from its options; both go
//! through [`Plan::from_spec`] (the fields and their checks are in
//! `plan/spec.rs`), so both judge a release the same way.
//!
//! A plain URL ([`Plan::for_url`]) keeps the old function's behaviour: one
//! healthy answer passes, no other signal is read. The JSON form:
//!
//! ```json
//! {"stack": "CICD-test-stack", "output": "Url", "targets": "stack", "alarms": "stack",
//!  "consecutive_successes": 3, "probe_interval_seconds": 5, "latency_p95_ms": 1000,
//!  "min_healthy_targets": 1, "insufficient_data": "wait", "ignore_alarm_read_failure": false,
//!  "path": "/", "expect_status": 200, "expect_text": "Simple Calculator Service",
//!  "case_sensitive": false, "deadline_seconds": 600, "timeout_seconds": 10,
//!  "backoff_seconds": 1, "max_backoff_seconds": 15,
//!  "checks": [{"path": "/add?a=2&b=3", "expect_text": "5"}]}
//! ```
//!
//! Every field has a default but the URL's source (`url`, or `stack` to
//! read it from the stack's output); unknown fields are refused, so a typo
//! is not silently ignored.

mod checks;
mod spec;

use std::time::Duration;

use health_check::{Backoff, Expectation};

pub use spec::{CheckSpec, PlanSpec, SelectionSpec};

/// The default overall deadline: long enough for CodeDeploy to finish on a
/// fresh stack.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(600);
/// The default total timeout of one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a single request may be given.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest overall deadline (a day: CodePipeline gives up sooner).
pub const MAX_DEADLINE: Duration = Duration::from_secs(86_400);
/// The most extra checks.
pub const MAX_CHECKS: usize = 10;
/// The output the URL is read from when only `stack` is given.
pub const DEFAULT_OUTPUT: &str = "Url";
/// The text a healthy page contains unless `expect_text` says otherwise:
/// the calculator's page title, what the old function required.
pub const DEFAULT_EXPECT_TEXT: &str = "Simple Calculator Service";
/// Successful probes in a row that pass the JSON form (a plain URL: 1).
pub const DEFAULT_CONSECUTIVE_SUCCESSES: u32 = 3;
/// The most successes in a row a plan may ask for; they travel in the
/// continuation token, which CodePipeline caps at 2048 characters.
pub const MAX_CONSECUTIVE_SUCCESSES: u32 = 20;
/// The time between probes while a run of successes builds up.
pub const DEFAULT_PROBE_INTERVAL: Duration = Duration::from_secs(5);
/// The longest time between probes.
pub const MAX_PROBE_INTERVAL: Duration = Duration::from_secs(300);
/// The longest latency bound, in milliseconds (a probe times out sooner).
pub const MAX_LATENCY_P95_MS: u64 = 60_000;
/// Healthy targets each target group needs unless `min_healthy_targets`
/// says otherwise.
pub const DEFAULT_MIN_HEALTHY_TARGETS: u32 = 1;
/// The most `min_healthy_targets` (ELBv2 allows 1000 targets per group).
pub const MAX_MIN_HEALTHY_TARGETS: u32 = 1000;
/// The most target groups a plan may name (each is one
/// `DescribeTargetHealth` call per round).
pub const MAX_TARGET_GROUPS: usize = 10;
/// The most alarms a plan may name (one `DescribeAlarms` call reads 100).
pub const MAX_ALARMS: usize = 100;

/// Where the URL comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A URL given as it is.
    Url(String),
    /// An output of a CloudFormation stack.
    StackOutput {
        /// The stack's name.
        stack: String,
        /// The output holding the URL.
        output: String,
    },
}

/// An extra check: a path (resolved against the URL) and its expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraCheck {
    /// The path, relative to the URL.
    pub path: String,
    /// What it should answer.
    pub expect: Expectation,
}

/// Which target groups, or which alarms: the stack's own, or these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every one the stack has (CloudFormation `DescribeStackResources`).
    Stack,
    /// These, by ARN (target groups) or name (alarms).
    Named(Vec<String>),
}

/// What an alarm in `INSUFFICIENT_DATA` does to the verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InsufficientData {
    /// Counts as `OK`.
    Ok,
    /// Keeps the gate from passing until the alarm has data (or the deadline).
    #[default]
    Wait,
    /// Fails the gate at once, like `ALARM`.
    Fail,
}

impl InsufficientData {
    /// Its name in the plan.
    pub fn as_str(self) -> &'static str {
        match self {
            InsufficientData::Ok => "ok",
            InsufficientData::Wait => "wait",
            InsufficientData::Fail => "fail",
        }
    }
}

/// The plan, with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Where the URL comes from.
    pub source: Source,
    /// The stack whose state is judged (and whose target groups and alarms
    /// `"stack"` means).
    pub stack: Option<String>,
    /// Checked instead of the URL itself, resolved against it.
    pub path: Option<String>,
    /// What a healthy answer looks like.
    pub expect: Expectation,
    /// More URLs that must be healthy too, in the same attempt.
    pub checks: Vec<ExtraCheck>,
    /// How long the release has to prove healthy, across invocations.
    pub deadline: Duration,
    /// How long one probe may take.
    pub timeout: Duration,
    /// How long to wait after a failed attempt.
    pub backoff: Backoff,
    /// Attempts in a row that must meet every expectation.
    pub consecutive_successes: u32,
    /// The time between attempts while the run of successes builds up.
    pub probe_interval: Duration,
    /// The bound on the 95th percentile of the run's latencies.
    pub latency_p95: Option<Duration>,
    /// The target groups whose targets must all be healthy.
    pub targets: Option<Selection>,
    /// Healthy targets each target group needs at least.
    pub min_healthy_targets: u32,
    /// The alarms that must not be in `ALARM`.
    pub alarms: Option<Selection>,
    /// What an alarm in `INSUFFICIENT_DATA` does.
    pub insufficient_data: InsufficientData,
    /// Alarms that cannot be read are noted and the gate goes on without
    /// them, instead of failing.
    pub ignore_alarm_read_failure: bool,
}

/// A plan that cannot be used; the message names the field (in the words
/// of `UserParameters`, which `cicd health`'s options mirror).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

impl Plan {
    /// A plain URL with every default, and no signal besides the URL: what
    /// the old function did (one healthy answer passes).
    pub fn for_url(url: &str) -> Plan {
        Plan {
            source: Source::Url(url.to_string()),
            stack: None,
            path: None,
            expect: Expectation {
                status: 200,
                text: Some(DEFAULT_EXPECT_TEXT.to_string()),
                case_sensitive: false,
            },
            checks: Vec::new(),
            deadline: DEFAULT_DEADLINE,
            timeout: DEFAULT_TIMEOUT,
            backoff: Backoff::default(),
            consecutive_successes: 1,
            probe_interval: DEFAULT_PROBE_INTERVAL,
            latency_p95: None,
            targets: None,
            min_healthy_targets: DEFAULT_MIN_HEALTHY_TARGETS,
            alarms: None,
            insufficient_data: InsufficientData::Wait,
            ignore_alarm_read_failure: false,
        }
    }

    /// Whether `UserParameters` text is the JSON form (it starts with `{`)
    /// rather than a plain URL. The caller decodes JSON into a [`PlanSpec`]
    /// (its decoder names the field of a malformed value), then calls
    /// [`Plan::from_spec`].
    pub fn is_json(text: &str) -> bool {
        text.trim_start().starts_with('{')
    }

    /// Whether the plan reads anything from AWS.
    pub fn reads_aws(&self) -> bool {
        self.stack.is_some() || self.targets.is_some() || self.alarms.is_some()
    }

    /// Whether the plan asks for more than one healthy answer: a run of
    /// successes, a latency bound or another signal. A plan that does not
    /// reads, and reports, as the old function did.
    pub fn is_plain(&self) -> bool {
        self.consecutive_successes <= 1 && self.latency_p95.is_none() && !self.reads_aws()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_url_gets_the_old_behaviour() {
        let plan = Plan::for_url("http://calc.example.com");
        assert_eq!(
            plan.expect.text.as_deref(),
            Some("Simple Calculator Service")
        );
        assert_eq!(plan.expect.status, 200);
        assert!(!plan.expect.case_sensitive);
        assert_eq!(plan.deadline, Duration::from_secs(600));
        assert_eq!(plan.consecutive_successes, 1);
        assert!(plan.is_plain());
        assert!(!plan.reads_aws());
    }
}
