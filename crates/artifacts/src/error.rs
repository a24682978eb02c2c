//! What can go wrong with an artifact, and what that means for the job.

use codepipeline_types::JobError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactError {
    #[error("the artifact {location} does not exist")]
    NotFound { location: String },
    #[error("access to the artifact {location} was denied: {message}")]
    AccessDenied { location: String, message: String },
    #[error("S3 kept throttling requests for the artifact {location} after retries: {message}")]
    Throttled { location: String, message: String },
    #[error("the artifact {location} is {size} bytes; the limit is {limit}")]
    TooLarge {
        location: String,
        size: u64,
        limit: u64,
    },
    #[error("could not read the artifact {location}: {message}")]
    Unavailable { location: String, message: String },
    #[error("could not write the artifact {location}: {message}")]
    WriteFailed { location: String, message: String },
    #[error("the artifact {location} is not a zip archive: {message}")]
    NotZip { location: String, message: String },
    #[error("{file} is not in the artifact {artifact}")]
    FileMissing { file: String, artifact: String },
    #[error("{file} in the artifact {artifact} expands past {limit} bytes")]
    FileTooLarge {
        file: String,
        artifact: String,
        limit: u64,
    },
    #[error("could not unpack {file} from the artifact {artifact}: {message}")]
    Corrupt {
        file: String,
        artifact: String,
        message: String,
    },
}

impl From<ArtifactError> for JobError {
    /// A missing artifact or file means the stage is set up wrong; denied
    /// access is a permission problem; what is in the artifact (too big, not
    /// a zip, corrupt), or S3 failing, fails the check.
    fn from(e: ArtifactError) -> Self {
        let message = e.to_string();
        match e {
            ArtifactError::NotFound { .. } | ArtifactError::FileMissing { .. } => {
                JobError::configuration(message)
            }
            ArtifactError::AccessDenied { .. } => JobError::permission(message),
            _ => JobError::failed(message),
        }
    }
}
