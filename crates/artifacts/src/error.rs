//! What can go wrong with an artifact, and what that means for the job.

use codepipeline_types::JobError;

/// An artifact that could not be read or written, or a file in it that
/// could not be read. `location` is `s3://bucket/key`; `artifact` names the
/// artifact a file was to be read from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs)] // the fields are named for what they hold, and the messages say the rest
pub enum ArtifactError {
    /// There is no object at the location.
    #[error("the artifact {location} does not exist")]
    NotFound { location: String },
    /// The credentials may not read (or write) it.
    #[error("access to the artifact {location} was denied: {message}")]
    AccessDenied { location: String, message: String },
    /// S3 kept refusing for load, past the SDK's retries.
    #[error("S3 kept throttling requests for the artifact {location} after retries: {message}")]
    Throttled { location: String, message: String },
    /// The object is bigger than the caller's cap.
    #[error("the artifact {location} is {size} bytes; the limit is {limit}")]
    TooLarge {
        location: String,
        size: u64,
        limit: u64,
    },
    /// Reading failed otherwise (network, timeout, a server error).
    #[error("could not read the artifact {location}: {message}")]
    Unavailable { location: String, message: String },
    /// Writing failed.
    #[error("could not write the artifact {location}: {message}")]
    WriteFailed { location: String, message: String },
    /// The object is not a zip archive.
    #[error("the artifact {location} is not a zip archive: {message}")]
    NotZip { location: String, message: String },
    /// The zip has no such file.
    #[error("{file} is not in the artifact {artifact}")]
    FileMissing { file: String, artifact: String },
    /// The file decompresses past the cap (a zip bomb, or just too big).
    #[error("{file} in the artifact {artifact} expands past {limit} bytes")]
    FileTooLarge {
        file: String,
        artifact: String,
        limit: u64,
    },
    /// The file could not be decompressed.
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
