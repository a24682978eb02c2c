//! The URL from a CloudFormation stack's output: moto for the real
//! protocol, an in-process mock for answers moto does not give (access
//! denied, a service failure).

mod support;

use aws_sdk_cloudformation::error::ErrorMetadata;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use harness::moto::MotoServer;
use harness::server::{Reply, TestServer};
use harness::unique_name;
use pipeline_job::FailureKind;
use serde_json::json;
use service_status::stack;
use support::{Stage, event, failure, success, timeless};

fn stage(moto: &MotoServer) -> Stage {
    Stage::new(&moto.endpoint(), support::loopback_checker())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_url_comes_from_the_stack_output() {
    let moto = MotoServer::shared();
    let server = TestServer::always(Reply::calculator());
    let name = unique_name("CICD-test-stack");
    moto.create_stack_with_output(&name, "Url", &server.url(""))
        .await;
    let stage = stage(moto);
    let report = stage
        .invoke(
            &event(json!({"stack": name, "output": "Url"}).to_string()),
            None,
        )
        .await;
    let (summary, vars) = success(&report);
    assert_eq!(
        timeless(summary),
        format!(
            "{} is healthy: 200 OK in T, at the first attempt",
            server.url("/")
        )
    );
    assert!(vars.contains(&("url", server.url("/").as_str())));
    assert_eq!(server.requests(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_stack_is_a_configuration_error_naming_it() {
    let moto = MotoServer::shared();
    let name = unique_name("no-such-stack");
    let stage = stage(moto);
    let report = stage
        .invoke(&event(json!({"stack": name}).to_string()), None)
        .await;
    assert_eq!(
        failure(&report),
        (
            "ConfigurationError",
            format!("stack {name} does not exist (Stack with id {name} does not exist)").as_str()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_output_is_a_configuration_error_listing_the_outputs() {
    let moto = MotoServer::shared();
    let name = unique_name("CICD-test-stack");
    moto.create_stack_with_output(&name, "LoadBalancerDnsName", "calc.example.com")
        .await;
    let stage = stage(moto);
    let report = stage
        .invoke(
            &event(json!({"stack": name, "output": "Url"}).to_string()),
            None,
        )
        .await;
    assert_eq!(
        failure(&report),
        (
            "ConfigurationError",
            format!("stack {name} (CREATE_COMPLETE) has no output Url; its outputs are LoadBalancerDnsName").as_str()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_output_that_is_no_url_is_a_configuration_error_saying_where_it_came_from() {
    let moto = MotoServer::shared();
    let name = unique_name("CICD-test-stack");
    moto.create_stack_with_output(&name, "Url", "calc.example.com")
        .await;
    let stage = stage(moto);
    let report = stage
        .invoke(&event(json!({"stack": name}).to_string()), None)
        .await;
    assert_eq!(
        failure(&report),
        (
            "ConfigurationError",
            format!("the output Url of stack {name}: \"calc.example.com\" is not a URL: it must start with http:// or https://").as_str()
        )
    );
}

#[tokio::test]
async fn access_denied_is_a_permission_error() {
    let denied = mock!(aws_sdk_cloudformation::Client::describe_stacks).then_error(|| {
        DescribeStacksError::generic(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("User: arn:aws:sts::111111111111:assumed-role/service-status/fn is not authorized to perform: cloudformation:DescribeStacks")
                .build(),
        )
    });
    let cfn = mock_client!(aws_sdk_cloudformation, [&denied]);
    let error = stack::output_value(&cfn, "CICD-test-stack", "Url")
        .await
        .unwrap_err();
    assert_eq!(error.kind, FailureKind::PermissionError);
    assert_eq!(
        error.message,
        "not allowed to describe stack CICD-test-stack (cloudformation:DescribeStacks): User: arn:aws:sts::111111111111:assumed-role/service-status/fn is not authorized to perform: cloudformation:DescribeStacks"
    );
}

#[tokio::test]
async fn other_failures_fail_the_job() {
    let broken = mock!(aws_sdk_cloudformation::Client::describe_stacks).then_error(|| {
        DescribeStacksError::generic(
            ErrorMetadata::builder()
                .code("SomethingUnexpected")
                .message("it broke")
                .build(),
        )
    });
    let cfn = mock_client!(aws_sdk_cloudformation, [&broken]);
    let error = stack::output_value(&cfn, "CICD-test-stack", "Url")
        .await
        .unwrap_err();
    assert_eq!(error.kind, FailureKind::JobFailed);
    assert!(
        error
            .message
            .starts_with("could not describe stack CICD-test-stack: "),
        "{}",
        error.message
    );
    assert!(error.message.contains("it broke"), "{}", error.message);
}

#[tokio::test]
async fn a_malformed_stack_name_is_a_configuration_error() {
    let invalid = mock!(aws_sdk_cloudformation::Client::describe_stacks).then_error(|| {
        DescribeStacksError::generic(
            ErrorMetadata::builder()
                .code("ValidationError")
                .message("1 validation error detected: Value 'bad name!' at 'stackName' failed to satisfy constraint")
                .build(),
        )
    });
    let cfn = mock_client!(aws_sdk_cloudformation, [&invalid]);
    let error = stack::output_value(&cfn, "bad name!", "Url")
        .await
        .unwrap_err();
    assert_eq!(error.kind, FailureKind::ConfigurationError);
    assert_eq!(
        error.message,
        "cannot describe stack bad name!: 1 validation error detected: Value 'bad name!' at 'stackName' failed to satisfy constraint"
    );
}

#[tokio::test]
async fn throttling_past_the_retries_fails_the_job_saying_so() {
    let throttled = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .sequence()
        .error(|| {
            DescribeStacksError::generic(
                ErrorMetadata::builder()
                    .code("Throttling")
                    .message("Rate exceeded")
                    .build(),
            )
        })
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
    let error = stack::output_value(&cfn, "CICD-test-stack", "Url")
        .await
        .unwrap_err();
    assert_eq!(error.kind, FailureKind::JobFailed);
    assert_eq!(
        error.message,
        "CloudFormation kept throttling DescribeStacks for stack CICD-test-stack after retries: Rate exceeded"
    );
    assert_eq!(throttled.num_calls(), 3);
}
