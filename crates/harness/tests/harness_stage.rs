//! The stage rig: its environment, and its check that an invocation ends in
//! exactly one report for its job, naming the invocation. The "runner" here
//! is a closure reporting with the real `aws-sdk-codepipeline` client, so
//! that the rig can be shown to refuse what a broken runner would do.

use std::time::Duration;

use aws_sdk_codepipeline::types::ExecutionDetails;
use harness::codepipeline::JobReport;
use harness::events::JobEvent;
use harness::stage::Stage;
use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};

/// Reports a success for the event's job `times` times, naming the
/// invocation `external_id` (its request id when `None`), and answers as
/// the runner does.
async fn report(
    stage: &Stage,
    event: LambdaEvent<Value>,
    times: usize,
    external_id: Option<&str>,
) -> Result<Value, String> {
    let job_id = event.payload["CodePipeline.job"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let external_id = external_id.unwrap_or(&event.context.request_id);
    let client = aws_sdk_codepipeline::Client::new(&stage.pipeline.sdk_config());
    for _ in 0..times {
        let _ = client
            .put_job_success_result()
            .job_id(&job_id)
            .execution_details(
                ExecutionDetails::builder()
                    .summary("checked")
                    .external_execution_id(external_id)
                    .build(),
            )
            .send()
            .await;
    }
    Ok(json!({"jobId": job_id, "status": "Succeeded", "reported": true}))
}

#[tokio::test]
async fn an_invocation_with_one_report_for_its_job_gives_that_report() {
    let stage = Stage::new();
    let event = JobEvent::new();
    let report = stage
        .run(&event, Some(Duration::from_secs(30)), |e| {
            report(&stage, e, 1, None)
        })
        .await;
    assert!(
        matches!(&report, JobReport::Success { job_id, summary: Some(s), .. }
            if *job_id == event.job_id && s == "checked"),
        "{report:#?}"
    );
}

#[tokio::test]
#[should_panic(expected = "exactly one call to CodePipeline per invocation")]
async fn an_invocation_that_reports_twice_fails_the_test() {
    let stage = Stage::new();
    stage
        .run(&JobEvent::new(), None, |e| report(&stage, e, 2, None))
        .await;
}

#[tokio::test]
#[should_panic(expected = "exactly one call to CodePipeline per invocation")]
async fn an_invocation_that_does_not_report_fails_the_test() {
    let stage = Stage::new();
    stage
        .run(&JobEvent::new(), None, |e| report(&stage, e, 0, None))
        .await;
}

#[tokio::test]
#[should_panic(expected = "the report names the invocation")]
async fn a_report_naming_another_invocation_fails_the_test() {
    let stage = Stage::new();
    stage
        .run(&JobEvent::new(), None, |e| {
            report(&stage, e, 1, Some("another-request"))
        })
        .await;
}

#[test]
fn the_environment_points_the_function_at_the_fake_and_takes_the_tests_own_variables() {
    let stage = Stage::new()
        .env("RULES_TABLE", "rules")
        .env("RUST_LOG", "debug")
        .without("AWS_REGION");
    let vars = stage.vars();
    let value = |name: &str| {
        vars.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        value("AWS_ENDPOINT_URL_CODEPIPELINE"),
        Some(stage.pipeline.endpoint().as_str())
    );
    assert_eq!(value("RULES_TABLE"), Some("rules"));
    assert_eq!(value("RUST_LOG"), Some("debug"), "replaced, not repeated");
    assert_eq!(vars.iter().filter(|(n, _)| n == "RUST_LOG").count(), 1);
    assert_eq!(value("AWS_REGION"), None);
    assert_eq!(value("AWS_ENDPOINT_URL"), None, "no moto asked for");
}

/// The echo function (`src/bin/harness-echo-lambda.rs`) sees the stage's
/// environment and the extra variables of `spawn_with`, and nothing of the
/// parent's AWS settings.
#[test]
fn a_spawned_function_gets_the_stages_environment() {
    let stage = Stage::new().env("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9");
    let function = stage.spawn_with(
        env!("CARGO_BIN_EXE_harness-echo-lambda"),
        &[("AWS_LAMBDA_LOG_LEVEL", "DEBUG")],
    );
    let answer = function
        .invoke(json!({"hello": "stage"}), Duration::from_secs(10))
        .expect_response();
    let seen: Vec<&str> = answer["aws_env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for name in [
        "AWS_ENDPOINT_URL_CODEPIPELINE",
        "AWS_ENDPOINT_URL_S3",
        "AWS_LAMBDA_LOG_LEVEL",
        "AWS_ACCESS_KEY_ID",
    ] {
        assert!(seen.contains(&name), "{name} in {seen:?}");
    }
}
