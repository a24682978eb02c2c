//! The Service_Status stage: after the test stack is deployed, proves the
//! calculator is up before a person is asked to approve production.
//!
//! 1. Read `UserParameters` ([`params`]): a URL, or a stack output to read
//!    it from ([`stack`]), and what a healthy answer looks like.
//! 2. Pick up where the last invocation of this job stopped ([`token`]).
//! 3. Check, retrying with backoff while this invocation has time
//!    (`health-check` does the checking and the waiting).
//! 4. Decide ([`decision`]): healthy, not yet (a continuation token, so
//!    CodePipeline invokes the function again), or not healthy by the
//!    deadline.
//!
//! The runner in `pipeline-job` sends the report, exactly once. The health
//! checker is set up once, from the environment (`Checker::from_env`); when
//! that fails, the runner reports every job as a `ConfigurationError`.
//!
//! Start with [`ServiceStatus::check`], then [`decision`].

#![warn(missing_docs)]

pub mod checks;
pub mod decision;
pub mod params;
pub mod stack;
pub mod token;

use std::time::{Duration, SystemTime};

use health_check::{Checker, Schedule, SystemClock, wait_until_healthy};
use pipeline_job::{Invocation, Job, JobError, Outcome};
use tracing::info;

pub use params::{Params, Source};

/// Time kept back from the runner's cutoff, besides the attempt in
/// progress: the check ends the invocation itself (with a continuation or
/// a failure) well before the runner would have to stop it.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(2);

/// The Service_Status handler, with the clients it uses.
#[derive(Debug, Clone)]
pub struct ServiceStatus {
    cfn: aws_sdk_cloudformation::Client,
    checker: Checker,
    margin: Duration,
}

impl ServiceStatus {
    /// The handler, reading stack outputs through `cfn` and checking with
    /// `checker`.
    pub fn new(cfn: aws_sdk_cloudformation::Client, checker: Checker) -> Self {
        ServiceStatus {
            cfn,
            checker,
            margin: DEFAULT_MARGIN,
        }
    }

    /// Replaces [`DEFAULT_MARGIN`].
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Checks the service for `job` within `invocation`'s time.
    pub async fn check(&self, job: Job, invocation: Invocation) -> Result<Outcome, JobError> {
        let checker = &self.checker;
        let params = Params::read(&job)?;
        let progress = token::read(job.data.continuation_token.as_deref(), SystemTime::now());
        let (url, from) = match &params.source {
            Source::Url(url) => (url.clone(), "UserParameters".to_string()),
            Source::Stack { stack, output } => {
                let url = stack::output_value(&self.cfn, stack, output).await?;
                (url, format!("the output {output} of stack {stack}"))
            }
        };
        let checks = params.checks(&url, &from, checker.policy())?;
        let shown_url = checks[0].target.to_string();
        let schedule = Schedule {
            deadline: params.deadline,
            backoff: params.backoff,
            attempt_time: params.timeout.saturating_mul(checks.len() as u32),
            run_until: invocation
                .remaining()
                .map(|left| SystemTime::now() + left.saturating_sub(self.margin)),
        };
        info!(
            url = %shown_url,
            extra_checks = checks.len() - 1,
            attempts_so_far = progress.attempts,
            deadline_s = params.deadline.as_secs_f64(),
            "checking"
        );
        let run = wait_until_healthy(&schedule, progress, &SystemClock, |number, allowance| {
            let checks = &checks;
            async move {
                let attempt = checker
                    .attempt(checks, number, params.timeout, allowance)
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
        })
        .await;
        decision::decide(&run, &shown_url, params.deadline, SystemTime::now())
    }
}
