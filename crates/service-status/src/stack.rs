//! The URL from a CloudFormation stack's output (`DescribeStacks`).
//!
//! | what happened | failure type |
//! |---|---|
//! | the stack does not exist (or its name is malformed) | `ConfigurationError`, naming the stack |
//! | it has no such output (or an empty one) | `ConfigurationError`, naming the output and listing those there are |
//! | access denied | `PermissionError` |
//! | throttling past the SDK's retries | `JobFailed`, saying so |
//! | anything else (network, server errors) after the SDK's retries | `JobFailed` |

use aws_errors::ErrorKind;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use pipeline_job::JobError;

/// The value of `output` in `stack`'s outputs.
pub async fn output_value(cfn: &Client, stack: &str, output: &str) -> Result<String, JobError> {
    let described = cfn
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| describe_error(stack, &e))?;
    let Some(found) = described.stacks().first() else {
        return Err(JobError::configuration(format!(
            "stack {stack} does not exist"
        )));
    };
    let status = found
        .stack_status()
        .map(|s| format!(" ({})", s.as_str()))
        .unwrap_or_default();
    let value = found
        .outputs()
        .iter()
        .find(|o| o.output_key() == Some(output))
        .map(|o| o.output_value().unwrap_or_default().trim());
    match value {
        Some(value) if !value.is_empty() => Ok(value.to_string()),
        Some(_) => Err(JobError::configuration(format!(
            "stack {stack}{status}: its output {output} is empty"
        ))),
        None => {
            let names: Vec<&str> = found
                .outputs()
                .iter()
                .filter_map(|o| o.output_key())
                .collect();
            let there = if names.is_empty() {
                "it has no outputs".to_string()
            } else {
                format!("its outputs are {}", names.join(", "))
            };
            Err(JobError::configuration(format!(
                "stack {stack}{status} has no output {output}; {there}"
            )))
        }
    }
}

/// Sorts a `DescribeStacks` error (see the module documentation).
/// CloudFormation answers a missing or malformed stack name with a
/// `ValidationError`, so that code is read here; the rest is sorted by
/// [`aws_errors::classify`], like every other AWS error.
pub fn describe_error<E, R>(stack: &str, error: &SdkError<E, R>) -> JobError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = aws_errors::message(error);
    if error.code() == Some("ValidationError") {
        return if message.contains("does not exist") {
            JobError::configuration(format!("stack {stack} does not exist ({message})"))
        } else {
            // CloudFormation's answer to a malformed stack name, for one.
            JobError::configuration(format!("cannot describe stack {stack}: {message}"))
        };
    }
    match aws_errors::classify(error) {
        ErrorKind::AccessDenied => JobError::permission(format!(
            "not allowed to describe stack {stack} (cloudformation:DescribeStacks): {message}"
        )),
        ErrorKind::Throttled => JobError::failed(format!(
            "CloudFormation kept throttling DescribeStacks for stack {stack} after retries: {message}"
        )),
        ErrorKind::NotFound | ErrorKind::Other => JobError::failed(format!(
            "could not describe stack {stack}: {}",
            DisplayErrorContext(error)
        )),
    }
}
