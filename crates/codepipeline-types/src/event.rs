//! The job in a CodePipeline invocation event.
//!
//! ```json
//! {"CodePipeline.job": {"id": "…", "accountId": "…", "data": {
//!   "actionConfiguration": {"configuration": {"FunctionName": "…", "UserParameters": "…"}},
//!   "inputArtifacts": [{"name": "…", "revision": "…", "location": {"type": "S3", "s3Location": {"bucketName": "…", "objectKey": "…"}}}],
//!   "outputArtifacts": […],
//!   "artifactCredentials": {"accessKeyId": "…", "secretAccessKey": "…", "sessionToken": "…", "expirationTime": 1700000000000},
//!   "continuationToken": "…",
//!   "encryptionKey": {"id": "…", "type": "KMS"}}}}
//! ```
//!
//! The artifact credentials are secrets: [`Secret`] keeps them out of
//! `Debug` output, so neither a log line nor a panic message can show them.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::outcome::JobError;

/// A string that must not be shown: `Debug` prints `***`, and there is no
/// `Display`. Read it with [`Secret::expose`] where it is really needed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A job to do, as read from the event.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub account_id: Option<String>,
    pub data: JobData,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobData {
    #[serde(default)]
    pub action_configuration: ActionConfiguration,
    #[serde(default)]
    pub input_artifacts: Vec<Artifact>,
    #[serde(default)]
    pub output_artifacts: Vec<Artifact>,
    pub artifact_credentials: Option<ArtifactCredentials>,
    pub continuation_token: Option<String>,
    pub encryption_key: Option<EncryptionKey>,
}

impl JobData {
    /// The input artifact called `name`, or a configuration error listing
    /// the ones there are.
    pub fn input_artifact(&self, name: &str) -> Result<&Artifact, JobError> {
        find(&self.input_artifacts, name, "input")
    }

    /// The output artifact called `name`, or a configuration error listing
    /// the ones there are.
    pub fn output_artifact(&self, name: &str) -> Result<&Artifact, JobError> {
        find(&self.output_artifacts, name, "output")
    }
}

fn find<'a>(
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

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActionConfiguration {
    #[serde(default)]
    pub configuration: Configuration,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Configuration {
    #[serde(rename = "FunctionName")]
    pub function_name: Option<String>,
    #[serde(rename = "UserParameters")]
    pub user_parameters: Option<String>,
}

/// An input or output artifact: a zip in the pipeline's artifact bucket.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    pub name: String,
    pub revision: Option<String>,
    pub location: ArtifactLocation,
}

impl Artifact {
    /// Where the artifact is stored, or a configuration error for one that
    /// is not in S3.
    pub fn s3_location(&self) -> Result<&S3Location, JobError> {
        match (&self.location.kind, &self.location.s3_location) {
            (kind, Some(location)) if kind == "S3" => Ok(location),
            (kind, _) => Err(JobError::configuration(format!(
                "artifact \"{}\" is stored in {kind}, not S3",
                self.name
            ))),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    #[serde(rename = "type")]
    pub kind: String,
    pub s3_location: Option<S3Location>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Location {
    pub bucket_name: String,
    pub object_key: String,
}

impl S3Location {
    pub fn new(bucket_name: impl Into<String>, object_key: impl Into<String>) -> Self {
        S3Location {
            bucket_name: bucket_name.into(),
            object_key: object_key.into(),
        }
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket_name, self.object_key)
    }
}

/// Temporary credentials CodePipeline gives the function for its artifacts.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// Epoch milliseconds.
    #[serde(default, deserialize_with = "epoch_millis")]
    pub expiration_time: Option<i64>,
}

impl fmt::Debug for ArtifactCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key id is not secret (it is in every request's signature
        // scope) but only its prefix is worth seeing.
        let prefix: String = self.access_key_id.chars().take(4).collect();
        f.debug_struct("ArtifactCredentials")
            .field("access_key_id", &format_args!("{prefix}…"))
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("expiration_time", &self.expiration_time)
            .finish()
    }
}

/// A number or a numeric string (events seen in the wild use both).
fn epoch_millis<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!("expirationTime \"{s}\" is not a number"))
        }),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expirationTime must be epoch milliseconds, not {other}"
        ))),
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct EncryptionKey {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// Why an event could not be read as a job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Without a job id there is nobody to report to.
    #[error("the event has no CodePipeline.job.id, so there is no job to report to")]
    NoJobId,
    /// The job id is known, so this can be reported as a failure.
    #[error("the job event is malformed: {message}")]
    Malformed { job_id: String, message: String },
}

impl Job {
    /// Reads the job out of an invocation event.
    pub fn decode(event: &Value) -> Result<Job, DecodeError> {
        let job = event.get("CodePipeline.job").ok_or(DecodeError::NoJobId)?;
        let id = match job.get("id") {
            Some(Value::String(id)) if !id.trim().is_empty() => id.clone(),
            _ => return Err(DecodeError::NoJobId),
        };
        let malformed = |message: String| DecodeError::Malformed {
            job_id: id.clone(),
            message,
        };
        let data = job
            .get("data")
            .filter(|d| d.is_object())
            .ok_or_else(|| malformed("CodePipeline.job.data is missing".to_string()))?;
        let data: JobData = serde_path_to_error::deserialize(data)
            .map_err(|e| malformed(format!("CodePipeline.job.data.{}: {}", e.path(), e.inner())))?;
        Ok(Job {
            id,
            account_id: job
                .get("accountId")
                .and_then(Value::as_str)
                .map(str::to_string),
            data,
        })
    }

    pub fn user_parameters(&self) -> Option<&str> {
        self.data
            .action_configuration
            .configuration
            .user_parameters
            .as_deref()
    }
}
