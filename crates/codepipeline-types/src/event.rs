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
    /// Wraps `value`, which no `Debug` output will show.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for where it is really needed (signing requests).
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
    /// The job id: what the report names.
    pub id: String,
    /// The account the pipeline is in, when the event says.
    pub account_id: Option<String>,
    /// What the job is about: configuration, artifacts, credentials.
    pub data: JobData,
}

/// `CodePipeline.job.data`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobData {
    /// The action's configuration (its `UserParameters`).
    #[serde(default)]
    pub action_configuration: ActionConfiguration,
    /// The artifacts the action reads.
    #[serde(default)]
    pub input_artifacts: Vec<Artifact>,
    /// The artifacts the action writes.
    #[serde(default)]
    pub output_artifacts: Vec<Artifact>,
    /// Temporary credentials for the artifacts, and for nothing else.
    pub artifact_credentials: Option<ArtifactCredentials>,
    /// Set when the function is invoked again on a job it asked to
    /// continue: the token it reported.
    pub continuation_token: Option<String>,
    /// The key the pipeline's artifacts are encrypted with, if any.
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

/// `actionConfiguration`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActionConfiguration {
    /// The action's `Configuration` in the pipeline.
    #[serde(default)]
    pub configuration: Configuration,
}

/// The Lambda action's `Configuration`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Configuration {
    /// The function the action invokes.
    #[serde(rename = "FunctionName")]
    pub function_name: Option<String>,
    /// The action's parameters, as written in the pipeline (see [`crate::params`]).
    #[serde(rename = "UserParameters")]
    pub user_parameters: Option<String>,
}

/// An input or output artifact: a zip in the pipeline's artifact bucket.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// The artifact's name in the pipeline (`SourceArtifact`).
    pub name: String,
    /// The source revision it was built from, when there is one.
    pub revision: Option<String>,
    /// Where it is stored.
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

/// Where an artifact is stored: `S3` is the only kind CodePipeline uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    /// The store's kind (`S3`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The object, for an artifact in S3.
    pub s3_location: Option<S3Location>,
}

/// An object in S3; shown as `s3://bucket/key`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Location {
    /// The bucket.
    pub bucket_name: String,
    /// The object's key in it.
    pub object_key: String,
}

impl S3Location {
    /// The object `object_key` in `bucket_name`.
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
    /// The access key id (not secret; `Debug` shows its prefix only).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret,
    /// The session token that goes with them.
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

/// The key the pipeline's artifacts are encrypted with.
#[derive(Debug, Clone, Deserialize)]
pub struct EncryptionKey {
    /// The key's id or ARN: what an output artifact is written with.
    pub id: String,
    /// Its kind (`KMS`).
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
    Malformed {
        /// The job to report the failure to.
        job_id: String,
        /// What is wrong, naming the field.
        message: String,
    },
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

    /// The action's `UserParameters`, as written (see [`crate::params`]).
    pub fn user_parameters(&self) -> Option<&str> {
        self.data
            .action_configuration
            .configuration
            .user_parameters
            .as_deref()
    }
}
