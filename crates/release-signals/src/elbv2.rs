//! A target group's target health (`DescribeTargetHealth`).
//!
//! | what happened | error |
//! |---|---|
//! | the target group does not exist (`TargetGroupNotFound`), or its ARN is malformed (`ValidationError`) | configuration, naming it |
//! | access denied | permission, naming the action |
//! | throttling past the SDK's retries | failed, saying so |
//! | ELB could not tell (`HealthUnavailable`), or anything else after the SDK's retries | failed |

use aws_errors::ErrorKind;
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_elasticloadbalancingv2::operation::describe_target_health::DescribeTargetHealthError;
use health_gate::{SignalError, TargetHealth};

/// The health of every target registered in the target group `arn`.
pub async fn target_health(elbv2: &Client, arn: &str) -> Result<Vec<TargetHealth>, SignalError> {
    let described = elbv2
        .describe_target_health()
        .target_group_arn(arn)
        .send()
        .await
        .map_err(|e| describe_error(arn, &e))?;
    Ok(described
        .target_health_descriptions()
        .iter()
        .map(|d| {
            let target = d.target();
            let health = d.target_health();
            TargetHealth {
                id: target.and_then(|t| t.id()).unwrap_or_default().to_string(),
                port: target.and_then(|t| t.port()),
                state: health
                    .and_then(|h| h.state())
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "unknown".to_string()),
                reason: health
                    .and_then(|h| h.reason())
                    .map(|r| r.as_str().to_string()),
                description: health.and_then(|h| h.description()).map(str::to_string),
            }
        })
        .collect())
}

/// Sorts a `DescribeTargetHealth` error (see the module documentation).
pub fn describe_error<R>(arn: &str, error: &SdkError<DescribeTargetHealthError, R>) -> SignalError
where
    R: std::fmt::Debug,
{
    let message = aws_errors::message(error);
    let not_found = error
        .as_service_error()
        .is_some_and(DescribeTargetHealthError::is_target_group_not_found_exception);
    if not_found || error.code() == Some("TargetGroupNotFound") {
        return SignalError::configuration(format!(
            "target group {arn} does not exist ({message})"
        ));
    }
    if error.code() == Some("ValidationError") {
        return SignalError::configuration(format!(
            "cannot describe the targets of {arn}: {message}"
        ));
    }
    match aws_errors::classify(error) {
        ErrorKind::AccessDenied => SignalError::permission(format!(
            "not allowed to read the target health of {arn} (elasticloadbalancing:DescribeTargetHealth): {message}"
        )),
        ErrorKind::Throttled => SignalError::failed(format!(
            "ELB kept throttling DescribeTargetHealth for {arn} after retries: {message}"
        )),
        ErrorKind::NotFound | ErrorKind::Other => SignalError::failed(format!(
            "could not read the target health of {arn}: {}",
            DisplayErrorContext(error)
        )),
    }
}
