//! CodePipeline job events as a Lambda function receives them.
//!
//! The shape follows the event AWS documents for a Lambda invoke action
//! ("CodePipeline.job"), so the functions parse what they will really get.
//! The artifact credentials are fake but look real (`ASIA...`, 40-character
//! secret, long session token) and contain distinctive markers, so a test
//! can check they never show up in logs (see [`crate::logs::assert_no_secret`]).

use serde_json::{Value, json};

/// The account id in every event.
pub const ACCOUNT_ID: &str = "111111111111";

/// Temporary credentials CodePipeline hands the function for its artifact
/// bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactCredentials {
    /// The access key id (`ASIA…`).
    pub access_key_id: String,
    /// The secret key: distinctive, so a log that shows it is caught.
    pub secret_access_key: String,
    /// The session token: distinctive too.
    pub session_token: String,
    /// Epoch milliseconds.
    pub expiration_time: i64,
}

impl ArtifactCredentials {
    /// Fresh distinctive values: `ASIAHARNESS` + 9 random characters, a
    /// 40-character secret starting `hArNeSsSeCrEt`, and a ~300-character
    /// session token containing `HARNESSSESSIONTOKEN`.
    pub fn random() -> ArtifactCredentials {
        const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        const BASE64ISH: &[u8] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        ArtifactCredentials {
            access_key_id: format!("ASIAHARNESS{}", crate::random_from(UPPER_DIGITS, 9)),
            secret_access_key: format!("hArNeSsSeCrEt{}", crate::random_from(BASE64ISH, 27)),
            session_token: format!(
                "IQoJb3JpZ2luX2VjEHARNESSSESSIONTOKEN{}",
                crate::random_from(BASE64ISH, 264)
            ),
            expiration_time: crate::epoch_ms(
                std::time::SystemTime::now() + std::time::Duration::from_secs(3600),
            ) as i64,
        }
    }

    /// The three secret values, for [`crate::logs::assert_no_secret`].
    pub fn secrets(&self) -> [&str; 3] {
        [
            &self.access_key_id,
            &self.secret_access_key,
            &self.session_token,
        ]
    }
}

/// An input or output artifact in S3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Its name in the pipeline.
    pub name: String,
    /// The artifact bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// Source revision (a commit id) for inputs; `null` for outputs.
    pub revision: Option<String>,
}

impl Artifact {
    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "revision": self.revision,
            "location": {
                "type": "S3",
                "s3Location": { "bucketName": self.bucket, "objectKey": self.key }
            }
        })
    }
}

/// Builder for a job event. Fields are public so tests can read the job id
/// and credentials after building.
#[derive(Debug, Clone)]
pub struct JobEvent {
    /// The job id: a fresh UUID, unless set.
    pub job_id: String,
    /// The account (`111111111111`).
    pub account_id: String,
    /// The action's `FunctionName`.
    pub function_name: String,
    /// The action's `UserParameters`, when set.
    pub user_parameters: Option<String>,
    /// The input artifacts.
    pub input_artifacts: Vec<Artifact>,
    /// The output artifacts.
    pub output_artifacts: Vec<Artifact>,
    /// The artifact credentials (fresh random ones unless set).
    pub credentials: ArtifactCredentials,
    /// The continuation token, on a job invoked again.
    pub continuation_token: Option<String>,
    /// KMS key ARN; `encryptionKey` is present only when set.
    pub encryption_key: Option<String>,
}

impl Default for JobEvent {
    fn default() -> Self {
        Self::new()
    }
}

impl JobEvent {
    /// A job with a random UUID, fresh [`ArtifactCredentials::random`], no
    /// artifacts, no user parameters.
    pub fn new() -> JobEvent {
        JobEvent {
            job_id: crate::uuid_v4(),
            account_id: ACCOUNT_ID.to_string(),
            function_name: "harness-function".to_string(),
            user_parameters: None,
            input_artifacts: Vec::new(),
            output_artifacts: Vec::new(),
            credentials: ArtifactCredentials::random(),
            continuation_token: None,
            encryption_key: None,
        }
    }

    /// The job id `id` instead of a fresh one.
    pub fn job_id(mut self, id: impl Into<String>) -> Self {
        self.job_id = id.into();
        self
    }

    /// `actionConfiguration.configuration.FunctionName`.
    pub fn function_name(mut self, name: impl Into<String>) -> Self {
        self.function_name = name.into();
        self
    }

    /// `actionConfiguration.configuration.UserParameters` (a string; JSON
    /// text if the function expects JSON).
    pub fn user_parameters(mut self, parameters: impl Into<String>) -> Self {
        self.user_parameters = Some(parameters.into());
        self
    }

    /// Adds an input artifact with a random 40-hex revision.
    pub fn input_artifact(
        mut self,
        name: impl Into<String>,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        self.input_artifacts.push(Artifact {
            name: name.into(),
            bucket: bucket.into(),
            key: key.into(),
            revision: Some(crate::random_from(b"0123456789abcdef", 40)),
        });
        self
    }

    /// Adds an output artifact (revision `null`, as CodePipeline sends).
    pub fn output_artifact(
        mut self,
        name: impl Into<String>,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        self.output_artifacts.push(Artifact {
            name: name.into(),
            bucket: bucket.into(),
            key: key.into(),
            revision: None,
        });
        self
    }

    /// Marks this as a continuation of an in-progress job.
    pub fn continuation_token(mut self, token: impl Into<String>) -> Self {
        self.continuation_token = Some(token.into());
        self
    }

    /// Adds `encryptionKey` with this KMS key id/ARN.
    pub fn encryption_key(mut self, id: impl Into<String>) -> Self {
        self.encryption_key = Some(id.into());
        self
    }

    /// Replaces the artifact credentials. (Read them back through the
    /// `credentials` field; a same-named getter cannot coexist with this.)
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: impl Into<String>,
    ) -> Self {
        self.credentials.access_key_id = access_key_id.into();
        self.credentials.secret_access_key = secret_access_key.into();
        self.credentials.session_token = session_token.into();
        self
    }

    /// The credentials in this event.
    pub fn artifact_credentials(&self) -> &ArtifactCredentials {
        &self.credentials
    }

    /// The event JSON, as Lambda passes it to the handler.
    pub fn build(&self) -> Value {
        let mut configuration = json!({ "FunctionName": self.function_name });
        if let Some(parameters) = &self.user_parameters {
            configuration["UserParameters"] = json!(parameters);
        }
        let mut data = json!({
            "actionConfiguration": { "configuration": configuration },
            "inputArtifacts": self.input_artifacts.iter().map(Artifact::to_json).collect::<Vec<_>>(),
            "outputArtifacts": self.output_artifacts.iter().map(Artifact::to_json).collect::<Vec<_>>(),
            "artifactCredentials": {
                "accessKeyId": self.credentials.access_key_id,
                "secretAccessKey": self.credentials.secret_access_key,
                "sessionToken": self.credentials.session_token,
                "expirationTime": self.credentials.expiration_time,
            },
        });
        if let Some(token) = &self.continuation_token {
            data["continuationToken"] = json!(token);
        }
        if let Some(key) = &self.encryption_key {
            data["encryptionKey"] = json!({ "id": key, "type": "KMS" });
        }
        json!({
            "CodePipeline.job": {
                "id": self.job_id,
                "accountId": self.account_id,
                "data": data,
            }
        })
    }
}
