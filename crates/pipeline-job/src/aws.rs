//! AWS configuration from the standard environment, and the clients built
//! from it.
//!
//! Region, credentials and endpoints come from where every AWS SDK looks:
//! `AWS_REGION`, the role's credentials in Lambda, and `AWS_ENDPOINT_URL` or
//! `AWS_ENDPOINT_URL_<SERVICE>` (`_S3`, `_DYNAMODB`, `_CODEPIPELINE`,
//! `_CLOUDFORMATION`). Tests and the demo point the functions at local
//! services through these variables alone. Every client gets timeouts: the
//! SDK's defaults have none for a whole operation, and a stage that hangs is
//! worse than one that fails.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_types::service_config::ServiceConfigKey;

use crate::event::ArtifactCredentials;

/// Timeouts for every call to AWS: a connection in 3 s, an attempt in 10 s,
/// a whole operation (retries included) in 25 s.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(10))
        .operation_timeout(Duration::from_secs(25))
        .build()
}

/// The SDK's standard retries (exponential backoff with jitter, throttling
/// and 5xx answers retried), three attempts in all.
pub fn retries() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(3)
}

/// Loads the configuration from the environment, with our timeouts and retries.
pub async fn load_from_env() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .retry_config(retries())
        .load()
        .await
}

/// Whether calls to `service_id` (as the SDK names it: "S3", "DynamoDB", ...)
/// go to an overridden endpoint rather than AWS.
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

/// An S3 client with the function's own credentials. Path-style addressing
/// whenever the endpoint is overridden: a local S3 has no per-bucket DNS names.
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(endpoint_overridden(sdk, "S3"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// An S3 client with the temporary credentials CodePipeline gave the job for
/// its artifacts; region and endpoint as for every other client.
pub fn artifact_s3_client(
    sdk: &SdkConfig,
    credentials: &ArtifactCredentials,
) -> aws_sdk_s3::Client {
    // An expiry already past would make the SDK refuse to sign at all; S3's
    // own "expired token" answer says more, so only a future expiry is passed.
    let expiry = credentials
        .expiration_time
        .and_then(|ms| u64::try_from(ms).ok())
        .map(|ms| std::time::UNIX_EPOCH + Duration::from_millis(ms))
        .filter(|at| *at > std::time::SystemTime::now());
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

pub fn codepipeline_client(sdk: &SdkConfig) -> aws_sdk_codepipeline::Client {
    aws_sdk_codepipeline::Client::new(sdk)
}
