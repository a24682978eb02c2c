//! What every CodePipeline Lambda stage needs.
//!
//! CodePipeline invokes a Lambda action asynchronously with a job, then
//! waits for the function to report on it (`PutJobSuccessResult` or
//! `PutJobFailureResult`); a job never reported hangs the pipeline until the
//! action times out. This crate reads the job ([`event`]) and its
//! parameters ([`params`]), and [`runner::Runner`] makes
//! sure every invocation ends in exactly one report, whatever the handler
//! does — returns, fails, panics or runs out of time.
//!
//! Configuration comes from the standard AWS environment only ([`aws`]):
//! region, credentials, and endpoints (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_<SERVICE>`).

pub mod aws;
pub mod event;
pub mod logging;
pub mod outcome;
pub mod params;
pub mod reporter;
pub mod runner;

pub use event::{Artifact, ArtifactCredentials, Job, JobData, Secret};
pub use outcome::{FailureKind, JobError, Outcome};
pub use reporter::JobReporter;
pub use runner::{Invocation, Runner};
