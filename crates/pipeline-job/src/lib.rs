//! What every CodePipeline Lambda stage needs: the runner that answers each
//! job exactly once, the reporter, logging and AWS configuration.
//!
//! CodePipeline invokes a Lambda action asynchronously with a job, then
//! waits for the function to report on it (`PutJobSuccessResult` or
//! `PutJobFailureResult`); a job never reported hangs the pipeline until the
//! action times out. The job itself ([`event`], [`params`], [`outcome`]) is
//! plain data from the `codepipeline-types` crate, re-exported here; this
//! crate's [`runner::Runner`] makes
//! sure every invocation ends in exactly one report, whatever the handler
//! does — returns, fails, panics or runs out of time — and that a report
//! CodePipeline could not be given ends the invocation in an error, so
//! that Lambda tries again.
//!
//! Configuration comes from the standard AWS environment only ([`aws`]):
//! region, credentials, and endpoints (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_<SERVICE>`).
//!
//! # How a handler answers
//!
//! A handler returns `Result<Outcome, JobError>`, and failures travel one
//! way only: as `Err(JobError)`.
//!
//! - `Ok(Outcome::Success { .. })`: the job succeeded (a summary, output
//!   variables). A check that passed, or passed with findings for an
//!   approver, is a success.
//! - `Ok(Outcome::Continue { .. })`: not done yet; CodePipeline invokes the
//!   function again with the continuation token.
//! - `Err(JobError)`: the job failed, with its [`FailureKind`]: `JobFailed`
//!   when the check ran and failed (or could not finish), `ConfigurationError`
//!   when the stage is set up wrong, `PermissionError` when the function
//!   was not allowed to do what it needed. A check that *finds* a problem
//!   (a template over the risk threshold, a service that is down) is an
//!   `Err` too, so `?` ends a job the same way whatever stopped it.
//!
//! The runner turns the `Err` into the failure report; a stage's pure
//! `decision` module turns its result into this `Result`, and the handler
//! around it decides what to write and where.
//!
//! CPU-bound work (parsing, evaluating rules) goes through
//! [`Invocation::spawn_blocking`] and checks [`Invocation::stop_flag`]
//! between steps: the runner can then stop it at the deadline, and nothing
//! of a stopped handler runs into the next invocation (see [`runner`]).
//! That part of the runner, [`supervise`], answers to nobody in
//! particular: a function that is not a CodePipeline stage (`cfn-hook`,
//! whose answer is its Lambda response) supervises its handler with it,
//! and ends the process after a stop that left work running with
//! [`ExitAfterAnswerLayer`], as [`Runner::serve`] does.
//!
//! [`logging::init`] sets up the logs: JSON lines in Lambda, and never the
//! event or a credential, whatever level is asked for.
//!
//! # Where to start
//!
//! A stage's `main` is four lines (see `crates/cfn-validate/src/main.rs`):
//!
//! ```no_run
//! # use pipeline_job::{Outcome, Runner, aws, logging};
//! # #[tokio::main] async fn main() -> Result<(), lambda_runtime::Error> {
//! logging::init(env!("CARGO_CRATE_NAME"));
//! let sdk = aws::load_from_env().await;
//! let state: Result<(), String> = Ok(()); // the handler's clients and settings
//! Runner::from_sdk(&sdk)
//!     .serve(state, |_state, job, _invocation| async move {
//!         Ok(Outcome::success(format!("checked job {}", job.id)))
//!     })
//!     .await
//! # }
//! ```

#![warn(missing_docs)]

pub mod aws;
mod exit;
mod invocation;
pub mod logging;
pub mod reporter;
pub mod runner;
pub mod supervise;

// The job as data lives in `codepipeline-types` (no runtime, no SDK); a
// handler finds it here too, under the same paths as before.
pub use codepipeline_types::{event, limits, outcome, params};

pub use codepipeline_types::{
    Artifact, ArtifactCredentials, FailureKind, Job, JobData, JobError, Outcome, S3Location, Secret,
};
pub use exit::{ExitAfterAnswerLayer, STILL_RUNNING_EXIT_CODE};
pub use invocation::{Activity, Invocation};
pub use reporter::JobReporter;
pub use runner::{NotReported, Runner, Setup};
pub use supervise::{Supervised, lambda_deadline, supervise};
