//! Runs a handler on a job and reports the result: exactly one report per
//! invocation, whatever the handler does.
//!
//! - it returns `Ok(outcome)` → that success or continuation is reported;
//! - it returns `Err(error)` → a failure with the error's type and message;
//! - it panics → a `JobFailed` naming the panic (details in the logs);
//! - it is still running close to the Lambda deadline → it is stopped, and a
//!   `JobFailed` says so, while there is still time to report.
//!
//! # Stopping a handler
//!
//! The handler may run until the *cutoff*: the Lambda deadline less a
//! reserve ([`Runner::DEFAULT_RESERVE`]) for reporting. Then the runner
//!
//! 1. stops it: it raises the invocation's stop flag and aborts the
//!    handler's task. Async work ends at its next `.await`; CPU-bound work,
//!    which runs on blocking threads through [`Invocation::spawn_blocking`],
//!    checks the flag between steps (cfn-validate's rule engine does, per
//!    rule and resource, through `template_rules::Budget`) and returns;
//! 2. waits a short grace ([`Runner::DEFAULT_GRACE`], at most a third of
//!    the reserve) for everything the handler started to end;
//! 3. reports the `JobFailed`, once, saying what the work was doing when
//!    it was stopped, if it said ([`Invocation::activity`]: e.g. the Guard
//!    items cfn-validate was evaluating);
//! 4. if anything the handler started is still running after the grace,
//!    marks the process for ending ([`Runner::must_exit`]): under
//!    [`Runner::serve`], the process exits once this invocation's answer is
//!    posted to the Runtime API, after the report. Lambda then starts a
//!    fresh process for the next invocation, and does not retry this one,
//!    which is answered. Nothing of a stopped handler runs into the next
//!    invocation either way.
//!
//! The same check ends every invocation, not only stopped ones: a handler
//! that returns (or panics) while work it started is still running gets
//! the flag raised and the grace, too.
//!
//! What the runner answers Lambda depends on the report, not on the job:
//!
//! - the report was accepted, or CodePipeline already had one for this job
//!   (`InvalidJobStateException`: an earlier attempt got through) → a
//!   response, `{"jobId", "status", "reported"}`, whether the job passed or
//!   failed. CodePipeline invokes the function asynchronously, and an error
//!   would make Lambda retry a job that is answered;
//! - the report could not be delivered (CodePipeline's API still failing
//!   after the SDK's retries, or no answer before the Lambda deadline) →
//!   an error, [`NotReported`], naming the job, and logged with its id.
//!   Lambda's asynchronous retry then runs the job again, up to twice, and
//!   after that hands the event to the function's on-failure destination.
//!
//! Setting the handler up (its settings, its clients) can fail too. Then
//! the function still starts, and [`Runner::serve`] reports every job as a
//! `ConfigurationError` with the setup error's message, once per job: a
//! function that failed to start would leave every job unanswered until
//! CodePipeline's timeout, with the reason only in the logs.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use tracing::{Instrument, debug, error, info, info_span, warn};

use crate::exit::ExitAfterAnswerLayer;
pub use crate::invocation::Invocation;
use crate::reporter::{JobReporter, Reported};
use crate::supervise::{Supervised, lambda_deadline, supervise};
use codepipeline_types::outcome::{self, JobError, Outcome};
use codepipeline_types::{DecodeError, Job};

/// A job whose result could not be delivered to CodePipeline: the
/// invocation ends in this error so that Lambda retries it (see the module
/// documentation).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the result of job {job_id} ({status}) could not be reported to CodePipeline: {reason}; failing the invocation so that Lambda retries it"
)]
pub struct NotReported {
    /// The job whose result was not delivered.
    pub job_id: String,
    /// The status the report would have given the action.
    pub status: &'static str,
    /// Why CodePipeline did not take it.
    pub reason: String,
}

impl From<NotReported> for Diagnostic {
    fn from(error: NotReported) -> Diagnostic {
        Diagnostic {
            error_type: "JobNotReported".to_string(),
            error_message: error.to_string(),
        }
    }
}

/// Wraps job handlers; see the module documentation.
#[derive(Debug, Clone)]
pub struct Runner {
    reporter: JobReporter,
    reserve: Duration,
    grace: Duration,
    /// Set when work a stopped handler started outlived the grace; shared
    /// by the runner's clones.
    must_exit: Arc<AtomicBool>,
}

impl Runner {
    /// Time kept back from the Lambda deadline for sending the report.
    pub const DEFAULT_RESERVE: Duration = Duration::from_secs(3);
    /// How long a stopped handler's work is given to end.
    pub const DEFAULT_GRACE: Duration = Duration::from_millis(500);

    /// A runner reporting through `reporter`, with the default reserve and
    /// grace.
    pub fn new(reporter: JobReporter) -> Self {
        Runner {
            reporter,
            reserve: Runner::DEFAULT_RESERVE,
            grace: Runner::DEFAULT_GRACE,
            must_exit: Arc::default(),
        }
    }

    /// A runner reporting to CodePipeline through a client made from
    /// `sdk` (see [`JobReporter::from_sdk`]): what a stage's `main` starts.
    pub fn from_sdk(sdk: &aws_config::SdkConfig) -> Self {
        Runner::new(JobReporter::from_sdk(sdk))
    }

    /// Keeps `reserve` back from the Lambda deadline for reporting.
    pub fn with_reserve(mut self, reserve: Duration) -> Self {
        self.reserve = reserve;
        self
    }

    /// Gives a stopped handler's work `grace` to end (at most a third of
    /// the reserve).
    pub fn with_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Whether work a stopped handler started was still running after the
    /// grace: the process must end once the invocation is answered, which
    /// [`Runner::serve`] does (see the module documentation).
    pub fn must_exit(&self) -> bool {
        self.must_exit.load(Ordering::SeqCst)
    }

    /// Serves invocations from the Lambda Runtime API until it stops.
    /// `state` is the result of setting the handler's state up (clients,
    /// settings): when it is built, each invocation runs `handler` with it;
    /// when it is not, the error is logged once, here, and every job is
    /// reported as a `ConfigurationError` with its message (see
    /// [`Runner::run_with`]).
    pub async fn serve<S, E, H, Fut>(
        self,
        state: Result<S, E>,
        handler: H,
    ) -> Result<(), lambda_runtime::Error>
    where
        S: Send + Sync + 'static,
        E: fmt::Display,
        H: Fn(Arc<S>, Job, Invocation) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<Outcome, JobError>> + Send + 'static,
    {
        let exit = ExitAfterAnswerLayer::new(Arc::clone(&self.must_exit));
        let runner = Arc::new(self);
        let setup = Arc::new(Setup::new(state));
        // What `lambda_runtime::run` builds, with the exit layer outermost:
        // it sees the invocation once its answer is posted.
        lambda_runtime::Runtime::new(lambda_runtime::service_fn(
            move |event: LambdaEvent<Value>| {
                let runner = Arc::clone(&runner);
                let setup = Arc::clone(&setup);
                let handler = handler.clone();
                // Boxed so that the type of `main`'s future stays shallow:
                // unboxed, the handler's SDK futures nest deep enough to
                // overflow the compiler's query depth.
                Box::pin(async move { runner.run_with(&setup, event, handler).await })
            },
        ))
        .layer(lambda_runtime::layers::TracingLayer::new())
        .layer(exit)
        .run()
        .await
    }

    /// One invocation as [`Runner::serve`] runs it: `handler` with the
    /// state, or, when the state could not be set up, a `ConfigurationError`
    /// with the setup error's message (the handler is not called).
    pub async fn run_with<S, H, Fut>(
        &self,
        setup: &Setup<S>,
        event: LambdaEvent<Value>,
        handler: H,
    ) -> Result<Value, NotReported>
    where
        H: FnOnce(Arc<S>, Job, Invocation) -> Fut,
        Fut: Future<Output = Result<Outcome, JobError>> + Send + 'static,
    {
        match setup {
            Setup::Ready(state) => {
                let state = Arc::clone(state);
                self.run(event, move |job, invocation| {
                    handler(state, job, invocation)
                })
                .await
            }
            Setup::Failed(message) => {
                let error = JobError::configuration(message.clone());
                self.run(event, move |_, _| std::future::ready(Err(error)))
                    .await
            }
        }
    }

    /// Runs `handler` on the job in `event` and reports its result. Returns
    /// a short account of what was reported (what `cargo lambda invoke`
    /// shows), or, when the report could not be delivered, the error to
    /// answer Lambda with.
    pub async fn run<H, Fut>(
        &self,
        event: LambdaEvent<Value>,
        handler: H,
    ) -> Result<Value, NotReported>
    where
        H: FnOnce(Job, Invocation) -> Fut,
        Fut: Future<Output = Result<Outcome, JobError>> + Send + 'static,
    {
        let (payload, context) = event.into_parts();
        let deadline = lambda_deadline(context.deadline);
        let invocation = Invocation::new(
            context.request_id.clone(),
            deadline.map(|d| d.checked_sub(self.reserve).unwrap_or_else(Instant::now)),
        );
        let span =
            info_span!("job", request_id = %context.request_id, job_id = tracing::field::Empty);
        async move {
            let job = match Job::decode(&payload) {
                Ok(job) => job,
                Err(DecodeError::NoJobId) => {
                    error!(
                        "the event has no CodePipeline.job.id: nothing to report to; ignoring it"
                    );
                    return Ok(
                        json!({"status": "Ignored", "reason": DecodeError::NoJobId.to_string()}),
                    );
                }
                Err(DecodeError::Malformed { job_id, message }) => {
                    tracing::Span::current().record("job_id", job_id.as_str());
                    let result = Err(JobError::configuration(format!(
                        "the job event is malformed: {message}"
                    )));
                    return self
                        .send(&job_id, &invocation.request_id, &result, deadline)
                        .await;
                }
            };
            tracing::Span::current().record("job_id", job.id.as_str());
            debug!(
                until_cutoff_ms = invocation.remaining().map(|d| d.as_millis() as u64),
                "the handler may run until the cutoff"
            );
            info!(
                continuation = job.data.continuation_token.is_some(),
                input_artifacts = job.data.input_artifacts.len(),
                output_artifacts = job.data.output_artifacts.len(),
                "job received"
            );
            let job_id = job.id.clone();
            let result = self.execute(job, invocation.clone(), handler).await;
            self.send(&job_id, &invocation.request_id, &result, deadline)
                .await
        }
        .instrument(span)
        .await
    }

    async fn execute<H, Fut>(
        &self,
        job: Job,
        invocation: Invocation,
        handler: H,
    ) -> Result<Outcome, JobError>
    where
        H: FnOnce(Job, Invocation) -> Fut,
        Fut: Future<Output = Result<Outcome, JobError>> + Send + 'static,
    {
        if invocation.remaining().is_some_and(|l| l.is_zero()) {
            warn!("invoked with no time left before the Lambda deadline");
            return Err(JobError::failed(format!(
                "the function was invoked with less than {:.0} s left before its Lambda timeout, too little to do the check; raise the function's timeout",
                self.reserve.as_secs_f64()
            )));
        }
        let grace = self.grace.min(self.reserve / 3);
        let supervised = supervise(invocation, grace, &self.must_exit, |invocation| {
            handler(job, invocation)
        })
        .await;
        match supervised {
            Supervised::Finished(result) => result,
            Supervised::Stopped { activity } => Err(JobError::failed(format!(
                "the check did not finish in time: it was stopped {:.0} s before the function's Lambda timeout{}",
                self.reserve.as_secs_f64(),
                activity.map(|a| format!(", while {a}")).unwrap_or_default()
            ))),
            Supervised::Panicked(message) => Err(JobError::failed(format!(
                "internal error in the function ({message}); the function's logs have the details"
            ))),
            Supervised::Cancelled => {
                Err(JobError::failed("internal error: the check was cancelled"))
            }
        }
    }

    /// Reports, logs what happened, and returns the answer for Lambda.
    async fn send(
        &self,
        job_id: &str,
        request_id: &str,
        result: &Result<Outcome, JobError>,
        deadline: Option<Instant>,
    ) -> Result<Value, NotReported> {
        let status = outcome::status(result);
        match result {
            Ok(Outcome::Success { summary, .. }) => {
                info!(status, %summary, "reporting success")
            }
            Ok(Outcome::Continue { summary, .. }) => {
                info!(status, %summary, "reporting continuation")
            }
            Err(e) => {
                info!(status, failure_type = %e.kind, failure = %e.message, "reporting failure")
            }
        }
        let report = self.reporter.report(job_id, request_id, result);
        // Past the deadline Lambda stops the process; better to answer that
        // the report did not go out than to be cut off mid-call.
        let result = match deadline {
            Some(d) => {
                let left = d
                    .saturating_duration_since(Instant::now())
                    .saturating_sub(Duration::from_millis(200));
                tokio::time::timeout(left.max(Duration::from_millis(500)), report)
                    .await
                    .unwrap_or_else(|_| {
                        Err(crate::reporter::ReportError {
                            job_id: job_id.to_string(),
                            message: "no answer from CodePipeline before the Lambda deadline"
                                .to_string(),
                        })
                    })
            }
            None => report.await,
        };
        let reported = match result {
            Ok(Reported::Accepted) => {
                info!(status, "reported to CodePipeline");
                true
            }
            Ok(Reported::AlreadyReported) => {
                warn!(
                    "CodePipeline already has a result for this job (a repeated invocation); this one was not recorded"
                );
                false
            }
            Err(e) => {
                error!(
                    job_id,
                    status,
                    error = %e.message,
                    "COULD NOT REPORT the job's result to CodePipeline: answering Lambda with an error so that it retries the invocation"
                );
                return Err(NotReported {
                    job_id: job_id.to_string(),
                    status,
                    reason: e.message,
                });
            }
        };
        Ok(json!({"jobId": job_id, "status": status, "reported": reported}))
    }
}

/// The handler's state as [`Runner::serve`] holds it: built, or the
/// message of the error that stopped it being built.
#[derive(Debug)]
pub enum Setup<S> {
    /// Every job runs the handler with this state.
    Ready(Arc<S>),
    /// Every job is reported as a `ConfigurationError` with this message.
    Failed(String),
}

impl<S> Setup<S> {
    /// From the result of building the state; a failure is logged here,
    /// once, when the function starts.
    pub fn new<E: fmt::Display>(built: Result<S, E>) -> Self {
        match built {
            Ok(state) => Setup::Ready(Arc::new(state)),
            Err(e) => {
                let message = e.to_string();
                error!(error = %message, "the function cannot be set up: every job will be reported as a ConfigurationError saying so");
                Setup::Failed(message)
            }
        }
    }
}
