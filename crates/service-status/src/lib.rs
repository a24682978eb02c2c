//! The Service_Status stage: after the test stack is deployed, proves the
//! release healthy before a person is asked to approve production.
//!
//! 1. Read `UserParameters` ([`params`]): the gate's plan (`health-gate`):
//!    a URL, or a stack to read it from, what a healthy answer looks like,
//!    and which other signals to judge (the stack's state, its target
//!    health, its alarms, a run of successes and its latency).
//! 2. Pick up where the last invocation of this job stopped ([`token`]).
//! 3. Run the gate while this invocation has time: each round reads the
//!    signals through the ports (`release-signals` in Lambda), then probes
//!    (`health-check`).
//! 4. Decide ([`decision`]): healthy, not yet (a continuation token, so
//!    CodePipeline invokes the function again), or not healthy.
//!
//! The runner in `pipeline-job` sends the report, exactly once. The health
//! checker is set up once, from the environment (`Checker::from_env`); when
//! that fails, the runner reports every job as a `ConfigurationError`.
//!
//! Start with [`ServiceStatus::check`], then [`decision`].

#![warn(missing_docs)]

pub mod decision;
pub mod params;
pub mod token;

use std::time::{Duration, SystemTime};

use health_check::{Checker, Schedule, SystemClock};
use health_gate::gate::{self, OBSERVE_TIME};
use health_gate::{Alarms, Observer, Plan, Source, Stacks, TargetGroups};
use pipeline_job::{Invocation, Job, JobError, Outcome};
use release_signals::AwsSignals;
use tracing::info;

/// Time kept back from the runner's cutoff, besides the round in progress:
/// the check ends the invocation itself (with a continuation or a
/// failure) well before the runner would have to stop it.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(2);

/// The Service_Status handler, with what it reads through: the AWS SDK
/// ([`AwsSignals`]) in Lambda, in-process ports in tests.
#[derive(Debug, Clone)]
pub struct ServiceStatus<S = AwsSignals> {
    signals: S,
    checker: Checker,
    margin: Duration,
}

impl<S: Stacks + TargetGroups + Alarms> ServiceStatus<S> {
    /// The handler, reading the release's signals through `signals` and
    /// checking with `checker`.
    pub fn new(signals: S, checker: Checker) -> Self {
        ServiceStatus {
            signals,
            checker,
            margin: DEFAULT_MARGIN,
        }
    }

    /// Replaces [`DEFAULT_MARGIN`].
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Checks the release for `job` within `invocation`'s time.
    pub async fn check(&self, job: Job, invocation: Invocation) -> Result<Outcome, JobError> {
        let checker = &self.checker;
        let plan = params::read(&job)?;
        let progress = token::read(job.data.continuation_token.as_deref(), SystemTime::now());
        let (url, from) = self.url(&plan).await?;
        let checks = plan
            .checks(&url, &from, checker.policy())
            .map_err(|e| JobError::configuration(e.0))?;
        let shown_url = checks[0].target.to_string();
        let reading = if plan.reads_aws() {
            OBSERVE_TIME
        } else {
            Duration::ZERO
        };
        let schedule = Schedule {
            deadline: plan.deadline,
            backoff: plan.backoff,
            attempt_time: plan.timeout.saturating_mul(checks.len() as u32) + reading,
            run_until: invocation
                .remaining()
                .map(|left| SystemTime::now() + left.saturating_sub(self.margin)),
        };
        info!(
            url = %shown_url,
            extra_checks = checks.len() - 1,
            attempts_so_far = progress.attempts,
            successes_so_far = progress.streak.count,
            deadline_s = plan.deadline.as_secs_f64(),
            stack = plan.stack.as_deref(),
            targets = plan.targets.is_some(),
            alarms = plan.alarms.is_some(),
            "checking"
        );
        let observer = Observer::new(&plan, &self.signals);
        let run = gate::run(
            &plan,
            &schedule,
            progress,
            &SystemClock,
            || async {
                let observation = observer.observe().await;
                if let Ok(observed) = &observation
                    && plan.reads_aws()
                {
                    info!(signals = %observed.lines().join("; "), "signals");
                }
                observation
            },
            |number, allowance| {
                let checks = &checks;
                async move {
                    let attempt = checker
                        .attempt(checks, number, plan.timeout, allowance)
                        .await;
                    let main = attempt.primary();
                    info!(
                        attempt = number,
                        healthy = attempt.healthy(),
                        status = main.and_then(|p| p.status),
                        latency_ms = main.map(|p| p.latency.as_millis() as u64),
                        result = %attempt,
                        "attempt"
                    );
                    attempt
                }
            },
        )
        .await;
        decision::decide(&plan, &run, &shown_url, SystemTime::now())
    }

    /// The URL to check and where it came from (for messages): given, or
    /// the stack's output. A stack whose state is already against the
    /// release fails here, before its output is looked for.
    async fn url(&self, plan: &Plan) -> Result<(String, String), JobError> {
        match &plan.source {
            Source::Url(url) => Ok((url.clone(), "UserParameters".to_string())),
            Source::StackOutput { stack, output } => {
                let state = self
                    .signals
                    .stack(stack)
                    .await
                    .map_err(|e| decision::unreadable(&e))?;
                if let health_gate::Judgement::Fail(why) = state.judge() {
                    return Err(JobError::failed(format!(
                        "the release is not healthy: {why}"
                    )));
                }
                let url = state.output(output).map_err(|e| decision::unreadable(&e))?;
                Ok((url, format!("the output {output} of stack {stack}")))
            }
        }
    }
}
