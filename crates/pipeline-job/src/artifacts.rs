//! Artifacts: zips in the pipeline's artifact bucket.
//!
//! Everything read is capped: the zip as downloaded, and each file as it is
//! decompressed (a small zip can expand to gigabytes).

use std::io::{Cursor, Read, Write};

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::event::{Artifact, S3Location};
use crate::outcome::JobError;

/// Largest input artifact downloaded, in bytes.
pub const MAX_ARTIFACT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactError {
    #[error("the artifact {location} does not exist")]
    NotFound { location: String },
    #[error("access to the artifact {location} was denied: {message}")]
    AccessDenied { location: String, message: String },
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
    /// a zip, corrupt) fails the check.
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

/// The artifact called `name`, or a configuration error listing the ones there are.
pub fn find<'a>(
    artifacts: &'a [Artifact],
    name: &str,
    direction: &str,
) -> Result<&'a Artifact, JobError> {
    artifacts.iter().find(|a| a.name == name).ok_or_else(|| {
        let names: Vec<&str> = artifacts.iter().map(|a| a.name.as_str()).collect();
        let available = if names.is_empty() {
            format!("the action has no {direction} artifacts")
        } else {
            format!(
                "the action's {direction} artifacts are {}",
                names.join(", ")
            )
        };
        JobError::configuration(format!(
            "{direction} artifact \"{name}\" not found; {available}"
        ))
    })
}

/// Where an artifact is stored, or a configuration error for a non-S3 one.
pub fn s3_location(artifact: &Artifact) -> Result<&S3Location, JobError> {
    match (&artifact.location.kind, &artifact.location.s3_location) {
        (kind, Some(location)) if kind == "S3" => Ok(location),
        (kind, _) => Err(JobError::configuration(format!(
            "artifact \"{}\" is stored in {kind}, not S3",
            artifact.name
        ))),
    }
}

/// Reads and writes artifacts in S3, with the job's artifact credentials.
#[derive(Debug, Clone)]
pub struct ArtifactStore {
    s3: aws_sdk_s3::Client,
}

impl ArtifactStore {
    pub fn new(s3: aws_sdk_s3::Client) -> Self {
        ArtifactStore { s3 }
    }

    /// Downloads an object, refusing it past `limit` bytes (whether S3 says
    /// so up front or the body turns out longer).
    pub async fn download(
        &self,
        location: &S3Location,
        limit: u64,
    ) -> Result<Vec<u8>, ArtifactError> {
        let shown = location.to_string();
        let response = self
            .s3
            .get_object()
            .bucket(&location.bucket_name)
            .key(&location.object_key)
            .send()
            .await
            .map_err(|e| read_error(&shown, e))?;
        if let Some(size) = response
            .content_length()
            .and_then(|n| u64::try_from(n).ok())
            && size > limit
        {
            return Err(ArtifactError::TooLarge {
                location: shown,
                size,
                limit,
            });
        }
        let mut body = response.body;
        let mut bytes = Vec::new();
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| ArtifactError::Unavailable {
                location: shown.clone(),
                message: e.to_string(),
            })?
        {
            bytes.extend_from_slice(&chunk);
            if bytes.len() as u64 > limit {
                return Err(ArtifactError::TooLarge {
                    location: shown,
                    size: bytes.len() as u64,
                    limit,
                });
            }
        }
        Ok(bytes)
    }

    /// Uploads an object, encrypted with the pipeline's KMS key when it has one.
    pub async fn upload(
        &self,
        location: &S3Location,
        bytes: Vec<u8>,
        kms_key_id: Option<&str>,
    ) -> Result<(), ArtifactError> {
        let mut request = self
            .s3
            .put_object()
            .bucket(&location.bucket_name)
            .key(&location.object_key)
            .content_type("application/zip")
            .body(ByteStream::from(bytes));
        if let Some(key) = kms_key_id {
            request = request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(key);
        }
        request.send().await.map(drop).map_err(|e| {
            let shown = location.to_string();
            if e.code() == Some("AccessDenied") {
                ArtifactError::AccessDenied {
                    location: shown,
                    message: DisplayErrorContext(&e).to_string(),
                }
            } else {
                ArtifactError::WriteFailed {
                    location: shown,
                    message: DisplayErrorContext(&e).to_string(),
                }
            }
        })
    }
}

fn read_error<E, R>(location: &str, e: SdkError<E, R>) -> ArtifactError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    match e.code() {
        Some("NoSuchKey" | "NoSuchBucket" | "NotFound") => ArtifactError::NotFound {
            location: location.to_string(),
        },
        Some("AccessDenied" | "InvalidAccessKeyId" | "ExpiredToken" | "SignatureDoesNotMatch") => {
            ArtifactError::AccessDenied {
                location: location.to_string(),
                message: e.message().unwrap_or("no details").to_string(),
            }
        }
        _ => ArtifactError::Unavailable {
            location: location.to_string(),
            message: DisplayErrorContext(&e).to_string(),
        },
    }
}

/// Reads one file out of a zip, refusing to inflate it past `limit` bytes.
/// `artifact` names the zip in messages.
pub fn read_file(
    zip_bytes: &[u8],
    path: &str,
    limit: u64,
    artifact: &str,
) -> Result<Vec<u8>, ArtifactError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(zip_bytes)).map_err(|e| ArtifactError::NotZip {
            location: artifact.to_string(),
            message: e.to_string(),
        })?;
    let wanted = path.trim_start_matches("./").trim_start_matches('/');
    let missing = || ArtifactError::FileMissing {
        file: wanted.to_string(),
        artifact: artifact.to_string(),
    };
    let index = archive.index_for_name(wanted).ok_or_else(missing)?;
    let mut file = archive
        .by_index(index)
        .map_err(|e| ArtifactError::Corrupt {
            file: wanted.to_string(),
            artifact: artifact.to_string(),
            message: e.to_string(),
        })?;
    if file.is_dir() {
        return Err(missing());
    }
    let too_large = || ArtifactError::FileTooLarge {
        file: wanted.to_string(),
        artifact: artifact.to_string(),
        limit,
    };
    // The declared size can lie; the read below is capped regardless.
    if file.size() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    (&mut file)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ArtifactError::Corrupt {
            file: wanted.to_string(),
            artifact: artifact.to_string(),
            message: e.to_string(),
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// A zip holding `files` (name, content), deflated.
pub fn write_zip(files: &[(&str, &[u8])]) -> Result<Vec<u8>, ArtifactError> {
    let fail = |e: &dyn std::fmt::Display| ArtifactError::WriteFailed {
        location: "(zip in memory)".to_string(),
        message: e.to_string(),
    };
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in files {
        writer.start_file(*name, options).map_err(|e| fail(&e))?;
        writer.write_all(content).map_err(|e| fail(&e))?;
    }
    let cursor = writer.finish().map_err(|e| fail(&e))?;
    Ok(cursor.into_inner())
}
