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

/// A CodePipeline client from `sdk`, with [`timeouts`] and [`retries`]
/// whatever `sdk` says: the report is the one call a stage cannot do
/// without, so it must neither hang nor give up at the first error.
pub fn codepipeline_client(sdk: &SdkConfig) -> aws_sdk_codepipeline::Client {
    let config = aws_sdk_codepipeline::config::Builder::from(sdk)
        .timeout_config(timeouts())
        .retry_config(retries())
        .build();
    aws_sdk_codepipeline::Client::from_conf(config)
}
