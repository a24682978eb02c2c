//! A pipeline job's artifacts: zips in the pipeline's artifact bucket.
//!
//! A stage reads its input artifact and writes its output artifacts through
//! an [`ArtifactStore`]: [`S3Store`] in Lambda, [`MemoryStore`] in tests.
//! CodePipeline gives each job temporary credentials for its artifacts, so
//! the store for a job's artifacts is made per job, by a [`JobStores`]
//! ([`S3Stores`] makes S3 stores with the job's credentials); anything else
//! (a copy in a bucket of the stage's own) goes through a store with the
//! function's own credentials.
//!
//! Everything read is capped: the object as downloaded, and each file as
//! it is decompressed from the zip ([`archive`]; a small zip can expand to
//! gigabytes).
//!
//! Start with [`ArtifactStore`] and [`JobStores`]; [`S3Stores`] is what a
//! stage uses in Lambda, [`MemoryStore`] what its tests use.

#![warn(missing_docs)]

pub mod archive;
mod error;
mod in_memory;
pub mod s3;

use std::future::Future;

use codepipeline_types::{ArtifactCredentials, S3Location};

pub use error::ArtifactError;
pub use in_memory::{MemoryStore, Stored};
pub use s3::{S3Store, S3Stores};

/// Largest input artifact downloaded, in bytes.
pub const MAX_ARTIFACT_BYTES: u64 = 64 * 1024 * 1024;

/// Where artifacts are read and written.
pub trait ArtifactStore: Send + Sync {
    /// The object at `location`, refused past `limit` bytes.
    fn get(
        &self,
        location: &S3Location,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<u8>, ArtifactError>> + Send;

    /// Writes a zip to `location`, encrypted with the KMS key `kms_key_id`
    /// when there is one (the pipeline's artifact key).
    fn put(
        &self,
        location: &S3Location,
        zip: Vec<u8>,
        kms_key_id: Option<&str>,
    ) -> impl Future<Output = Result<(), ArtifactError>> + Send;
}

/// Makes the store for one job's artifacts, with the temporary credentials
/// CodePipeline gave that job.
pub trait JobStores: Send + Sync {
    /// The store a job gets.
    type Store: ArtifactStore;

    /// The store for the job these artifact credentials were given for.
    fn for_job(&self, credentials: &ArtifactCredentials) -> Self::Store;
}
