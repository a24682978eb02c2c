//! Answers moto does not give (access denied, throttling past the retries,
//! a service failure, a stack of 100 resources), through the SDK's mock
//! clients: each sorted into who can fix it, naming what was read.

use aws_sdk_cloudformation::error::ErrorMetadata;
use aws_sdk_cloudformation::operation::describe_stack_resources::DescribeStackResourcesOutput;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
use aws_sdk_cloudformation::types::StackResource;
use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsError;
use aws_sdk_elasticloadbalancingv2::operation::describe_target_health::DescribeTargetHealthError;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use health_gate::SignalErrorKind;
use release_signals::{cloudformation, cloudwatch, elbv2};

const DENIED: &str =
    "User: arn:aws:sts::111111111111:assumed-role/service-status/fn is not authorized";

fn coded(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

#[tokio::test]
async fn describe_stacks_denied_is_a_permission_error() {
    let denied = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .then_error(|| DescribeStacksError::generic(coded("AccessDenied", DENIED)));
    let cfn = mock_client!(aws_sdk_cloudformation, [&denied]);
    let error = cloudformation::stack(&cfn, "CICD-test-stack")
        .await
        .unwrap_err();
    assert_eq!(error.kind, SignalErrorKind::Permission);
    assert_eq!(
        error.message,
        format!(
            "not allowed to describe stack CICD-test-stack (cloudformation:DescribeStacks): {DENIED}"
        )
    );
}

#[tokio::test]
async fn other_failures_fail_naming_the_stack() {
    let broken = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .then_error(|| DescribeStacksError::generic(coded("SomethingUnexpected", "it broke")));
    let cfn = mock_client!(aws_sdk_cloudformation, [&broken]);
    let error = cloudformation::stack(&cfn, "CICD-test-stack")
        .await
        .unwrap_err();
    assert_eq!(error.kind, SignalErrorKind::Failed);
    assert!(
        error
            .message
            .starts_with("could not describe stack CICD-test-stack (DescribeStacks): "),
        "{error}"
    );
    assert!(error.message.contains("it broke"), "{error}");
}

#[tokio::test]
async fn a_malformed_stack_name_is_a_configuration_error() {
    let invalid = mock!(aws_sdk_cloudformation::Client::describe_stacks).then_error(|| {
        DescribeStacksError::generic(coded(
            "ValidationError",
            "1 validation error detected: Value 'bad name!' at 'stackName' failed to satisfy constraint",
        ))
    });
    let cfn = mock_client!(aws_sdk_cloudformation, [&invalid]);
    let error = cloudformation::stack(&cfn, "bad name!").await.unwrap_err();
    assert_eq!(error.kind, SignalErrorKind::Configuration);
    assert_eq!(
        error.message,
        "cannot describe stack bad name!: 1 validation error detected: Value 'bad name!' at 'stackName' failed to satisfy constraint"
    );
}

#[tokio::test]
async fn throttling_past_the_retries_fails_saying_so() {
    let throttled = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .sequence()
        .error(|| DescribeStacksError::generic(coded("Throttling", "Rate exceeded")))
        .times(3)
        .build();
    let cfn = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::Sequential,
        [&throttled],
        |c| c.retry_config(
            aws_sdk_cloudformation::config::retry::RetryConfig::standard().with_max_attempts(3)
        )
    );
    let error = cloudformation::stack(&cfn, "CICD-test-stack")
        .await
        .unwrap_err();
    assert_eq!(error.kind, SignalErrorKind::Failed);
    assert_eq!(
        error.message,
        "CloudFormation kept throttling DescribeStacks for stack CICD-test-stack after retries: Rate exceeded"
    );
    assert_eq!(throttled.num_calls(), 3);
}

#[tokio::test]
async fn a_stack_listing_100_resources_may_hide_some_so_stack_cannot_be_trusted() {
    let crowded =
        mock!(aws_sdk_cloudformation::Client::describe_stack_resources).then_output(|| {
            let resources: Vec<StackResource> = (0..100)
                .map(|i| {
                    StackResource::builder()
                        .logical_resource_id(format!("R{i}"))
                        .resource_type("AWS::CloudWatch::Alarm")
                        .physical_resource_id(format!("alarm-{i}"))
                        .resource_status(
                            aws_sdk_cloudformation::types::ResourceStatus::CreateComplete,
                        )
                        .timestamp(aws_sdk_cloudformation::primitives::DateTime::from_secs(0))
                        .build()
                })
                .collect();
            DescribeStackResourcesOutput::builder()
                .set_stack_resources(Some(resources))
                .build()
        });
    let cfn = mock_client!(aws_sdk_cloudformation, [&crowded]);
    let error = cloudformation::resources(&cfn, "big", "AWS::CloudWatch::Alarm")
        .await
        .unwrap_err();
    assert_eq!(error.kind, SignalErrorKind::Configuration);
    assert_eq!(
        error.message,
        "stack big has 100 resources or more, and DescribeStackResources lists only the first 100: name the target groups and alarms to check instead of \"stack\""
    );
}

#[tokio::test]
async fn target_health_denied_or_unavailable_is_named() {
    let denied = mock!(aws_sdk_elasticloadbalancingv2::Client::describe_target_health)
        .then_error(|| DescribeTargetHealthError::generic(coded("AccessDenied", DENIED)));
    let client = mock_client!(aws_sdk_elasticloadbalancingv2, [&denied]);
    let error = elbv2::target_health(&client, "arn:tg/1").await.unwrap_err();
    assert_eq!(error.kind, SignalErrorKind::Permission);
    assert_eq!(
        error.message,
        format!(
            "not allowed to read the target health of arn:tg/1 (elasticloadbalancing:DescribeTargetHealth): {DENIED}"
        )
    );

    let unavailable = mock!(aws_sdk_elasticloadbalancingv2::Client::describe_target_health)
        .then_error(|| {
            DescribeTargetHealthError::generic(coded("HealthUnavailable", "internal error"))
        });
    let client = mock_client!(aws_sdk_elasticloadbalancingv2, [&unavailable]);
    let error = elbv2::target_health(&client, "arn:tg/1").await.unwrap_err();
    assert_eq!(error.kind, SignalErrorKind::Failed);
    assert!(
        error
            .message
            .starts_with("could not read the target health of arn:tg/1: "),
        "{error}"
    );
}

#[tokio::test]
async fn alarms_denied_fail_closed_as_a_permission_error() {
    let denied = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
        .then_error(|| DescribeAlarmsError::generic(coded("AccessDenied", DENIED)));
    let client = mock_client!(aws_sdk_cloudwatch, [&denied]);
    let error = cloudwatch::alarms(&client, &["s-5xx".to_string()])
        .await
        .unwrap_err();
    assert_eq!(error.kind, SignalErrorKind::Permission);
    assert_eq!(
        error.message,
        format!("not allowed to read alarms (cloudwatch:DescribeAlarms): {DENIED}")
    );
}
