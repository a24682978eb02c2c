//! CodePipeline's job as data.
//!
//! CodePipeline invokes a Lambda action with a job (`{"CodePipeline.job":
//! …}`) and waits for the function to report on it. This crate is that job
//! and that report's vocabulary, as plain types: reading the event
//! ([`Job::decode`]), its artifacts and their S3 locations, the temporary
//! artifact credentials (kept out of every `Debug` by [`Secret`]), the
//! action's `UserParameters` ([`params`]), how a job ends ([`Outcome`] or
//! [`JobError`] of a [`FailureKind`]), and the limits a report must keep
//! ([`limits`]).
//!
//! It links no Lambda runtime and no AWS SDK (serde only), so that what
//! needs only the job's data — the artifact store, a stage's pure decision,
//! the fuzz targets — does not pull them in. Running a handler on a job and
//! reporting its result is `pipeline-job`'s part.
//!
//! Start with [`Job::decode`] and [`Outcome`].

#![warn(missing_docs)]

pub mod event;
pub mod limits;
pub mod outcome;
pub mod params;

pub use event::{
    ActionConfiguration, Artifact, ArtifactCredentials, ArtifactLocation, Configuration,
    DecodeError, EncryptionKey, Job, JobData, S3Location, Secret,
};
pub use outcome::{FailureKind, JobError, Outcome};
