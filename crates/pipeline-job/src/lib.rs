//! What every CodePipeline Lambda stage needs.
//!
//! CodePipeline invokes a Lambda action asynchronously with a job, then
//! waits for the function to report on it (`PutJobSuccessResult` or
//! `PutJobFailureResult`); a job never reported hangs the pipeline until the
//! action times out. This crate reads the job ([`event`]) and its
//! parameters ([`params`]), and [`runner::Runner`] makes
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
//!
//! [`logging::init`] sets up the logs: JSON lines in Lambda, and never the
//! event or a credential, whatever level is asked for.

pub mod aws;
pub mod event;
mod exit;
mod invocation;
pub mod logging;
pub mod outcome;
pub mod params;
pub mod reporter;
pub mod runner;

pub use event::{Artifact, ArtifactCredentials, Job, JobData, Secret};
pub use exit::STILL_RUNNING_EXIT_CODE;
pub use invocation::{Activity, Invocation};
pub use outcome::{FailureKind, JobError, Outcome};
pub use reporter::JobReporter;
pub use runner::{NotReported, Runner, Setup};
