//! The stack (`DescribeStacks`) and its resources of a type
//! (`DescribeStackResources`).
//!
//! | what happened | error |
//! |---|---|
//! | the stack does not exist (or its name is malformed) | configuration, naming the stack |
//! | `DescribeStackResources` lists 100 resources, its most (more may be left out) | configuration: name the target groups or alarms instead |
//! | access denied | permission, naming the action |
//! | throttling past the SDK's retries | failed, saying so |
//! | anything else (network, server errors) after the SDK's retries | failed |

use aws_errors::ErrorKind;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use health_gate::{SignalError, StackState};

/// The most resources `DescribeStackResources` lists; a stack with more
/// is cut to these, without saying so.
pub const DESCRIBE_STACK_RESOURCES_MAX: usize = 100;

/// The stack `name`: its status, reason and outputs.
pub async fn stack(cfn: &Client, name: &str) -> Result<StackState, SignalError> {
    let described = cfn
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .map_err(|e| describe_error("DescribeStacks", name, &e))?;
    let Some(found) = described.stacks().first() else {
        return Err(SignalError::configuration(format!(
            "stack {name} does not exist"
        )));
    };
    Ok(StackState {
        name: found.stack_name().unwrap_or(name).to_string(),
        status: found
            .stack_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        reason: found.stack_status_reason().map(str::to_string),
        outputs: found
            .outputs()
            .iter()
            .filter_map(|o| {
                o.output_key().map(|k| {
                    (
                        k.to_string(),
                        o.output_value().unwrap_or_default().to_string(),
                    )
                })
            })
            .collect(),
    })
}

/// The physical ids of `stack`'s resources of `resource_type`, in the
/// stack's order (a resource not created yet, without an id, is left out).
pub async fn resources(
    cfn: &Client,
    stack: &str,
    resource_type: &str,
) -> Result<Vec<String>, SignalError> {
    let described = cfn
        .describe_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| describe_error("DescribeStackResources", stack, &e))?;
    let all = described.stack_resources();
    if all.len() >= DESCRIBE_STACK_RESOURCES_MAX {
        return Err(SignalError::configuration(format!(
            "stack {stack} has {DESCRIBE_STACK_RESOURCES_MAX} resources or more, and DescribeStackResources lists only the first {DESCRIBE_STACK_RESOURCES_MAX}: name the target groups and alarms to check instead of \"stack\""
        )));
    }
    Ok(all
        .iter()
        .filter(|r| r.resource_type() == Some(resource_type))
        .filter_map(|r| r.physical_resource_id())
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect())
}

/// Sorts an error of `action` on `stack` (see the module documentation).
/// CloudFormation answers a missing or malformed stack name with a
/// `ValidationError`, so that code is read here; the rest is sorted by
/// [`aws_errors::classify`], like every other AWS error.
pub fn describe_error<E, R>(action: &str, stack: &str, error: &SdkError<E, R>) -> SignalError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = aws_errors::message(error);
    if error.code() == Some("ValidationError") {
        return if message.contains("does not exist") {
            SignalError::configuration(format!("stack {stack} does not exist ({message})"))
        } else {
            // CloudFormation's answer to a malformed stack name, for one.
            SignalError::configuration(format!("cannot describe stack {stack}: {message}"))
        };
    }
    match aws_errors::classify(error) {
        ErrorKind::AccessDenied => SignalError::permission(format!(
            "not allowed to describe stack {stack} (cloudformation:{action}): {message}"
        )),
        ErrorKind::Throttled => SignalError::failed(format!(
            "CloudFormation kept throttling {action} for stack {stack} after retries: {message}"
        )),
        ErrorKind::NotFound | ErrorKind::Other => SignalError::failed(format!(
            "could not describe stack {stack} ({action}): {}",
            DisplayErrorContext(error)
        )),
    }
}
