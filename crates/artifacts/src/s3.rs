//! Artifacts in S3, through `aws-sdk-s3`.
//!
//! Region, endpoint, timeouts and retries come from the function's
//! [`SdkConfig`] (see `pipeline_job::aws`); path-style addressing whenever
//! the endpoint is overridden, since a local S3 has no per-bucket DNS names.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_errors::ErrorKind;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::service_config::ServiceConfigKey;
use codepipeline_types::{ArtifactCredentials, S3Location};

use crate::{ArtifactError, ArtifactStore, JobStores};

/// Whether calls to `service_id` (as the SDK names it: "S3", "DynamoDB", ...)
/// go to an overridden endpoint rather than AWS: `AWS_ENDPOINT_URL`, or
/// the service's own `AWS_ENDPOINT_URL_<SERVICE>`.
pub fn endpoint_overridden(sdk: &SdkConfig, service_id: &str) -> bool {
    if sdk.endpoint_url().is_some() {
        return true;
    }
    let Ok(key) = ServiceConfigKey::builder()
        .service_id(service_id)
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
    else {
        return false;
    };
    sdk.service_config()
        .and_then(|c| c.load_config(key))
        .is_some()
}

/// An S3 client with the function's own credentials.
pub fn own_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(endpoint_overridden(sdk, "S3"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// An S3 client with the temporary credentials CodePipeline gave a job for
/// its artifacts; region and endpoint as for every other client.
pub fn job_client(sdk: &SdkConfig, credentials: &ArtifactCredentials) -> aws_sdk_s3::Client {
    // An expiry already past would make the SDK refuse to sign at all; S3's
    // own "expired token" answer says more, so only a future expiry is passed.
    let expiry = credentials
        .expiration_time
        .and_then(|ms| u64::try_from(ms).ok())
        .map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
        .filter(|at| *at > SystemTime::now());
    let credentials = Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.expose(),
        Some(credentials.session_token.expose().to_string()),
        expiry,
        "codepipeline-artifact-credentials",
    );
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .credentials_provider(credentials)
        .force_path_style(endpoint_overridden(sdk, "S3"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Artifacts in S3, through one client (one set of credentials).
#[derive(Debug, Clone)]
pub struct S3Store {
    s3: aws_sdk_s3::Client,
}

impl S3Store {
    /// A store through `s3` (its credentials are the store's).
    pub fn new(s3: aws_sdk_s3::Client) -> Self {
        S3Store { s3 }
    }
}

/// Makes [`S3Store`]s with each job's artifact credentials.
#[derive(Debug, Clone)]
pub struct S3Stores {
    sdk: SdkConfig,
}

impl S3Stores {
    /// Stores with the region, endpoint, timeouts and retries of `sdk`.
    pub fn new(sdk: &SdkConfig) -> Self {
        S3Stores { sdk: sdk.clone() }
    }
}

impl JobStores for S3Stores {
    type Store = S3Store;

    fn for_job(&self, credentials: &ArtifactCredentials) -> S3Store {
        S3Store::new(job_client(&self.sdk, credentials))
    }
}

impl ArtifactStore for S3Store {
    /// Refuses the object past `limit` bytes, whether S3 says so up front
    /// or the body turns out longer.
    async fn get(&self, location: &S3Location, limit: u64) -> Result<Vec<u8>, ArtifactError> {
        let shown = location.to_string();
        let response = self
            .s3
            .get_object()
            .bucket(&location.bucket_name)
            .key(&location.object_key)
            .send()
            .await
            .map_err(|e| s3_error(Direction::Read, &shown, e))?;
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

    async fn put(
        &self,
        location: &S3Location,
        zip: Vec<u8>,
        kms_key_id: Option<&str>,
    ) -> Result<(), ArtifactError> {
        let mut request = self
            .s3
            .put_object()
            .bucket(&location.bucket_name)
            .key(&location.object_key)
            .content_type("application/zip")
            .body(ByteStream::from(zip));
        if let Some(key) = kms_key_id {
            request = request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(key);
        }
        request
            .send()
            .await
            .map(drop)
            .map_err(|e| s3_error(Direction::Write, &location.to_string(), e))
    }
}

/// Which way a failed call went: a missing object means one thing for a
/// read (the artifact is not there) and another for a write (the bucket is
/// not: the write failed).
#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

fn s3_error<E, R>(direction: Direction, location: &str, e: SdkError<E, R>) -> ArtifactError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    let location = location.to_string();
    match (aws_errors::classify(&e), direction) {
        (ErrorKind::NotFound, Direction::Read) => ArtifactError::NotFound { location },
        (ErrorKind::AccessDenied, _) => ArtifactError::AccessDenied {
            location,
            message: aws_errors::message(&e),
        },
        (ErrorKind::Throttled, _) => ArtifactError::Throttled {
            location,
            message: aws_errors::message(&e),
        },
        (_, Direction::Read) => ArtifactError::Unavailable {
            location,
            message: DisplayErrorContext(&e).to_string(),
        },
        (_, Direction::Write) => ArtifactError::WriteFailed {
            location,
            message: DisplayErrorContext(&e).to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_override_is_seen_in_the_config() {
        let overridden = SdkConfig::builder()
            .endpoint_url("http://127.0.0.1:5000")
            .build();
        assert!(endpoint_overridden(&overridden, "S3"));
        assert!(!endpoint_overridden(&SdkConfig::builder().build(), "S3"));
    }
}
