//! Bad input and faults, each ending in a failure of the right type with a
//! message a pipeline user can act on (docs/failure-modes.md lists them all,
//! with the tests elsewhere that cover the rest). In process: the handler
//! with its ports in memory, or, for DynamoDB's own answers, the real rules
//! table over a mocked client.

mod support;

use std::time::{Duration, Instant};

use harness::codepipeline::JobReport;
use harness::events::JobEvent;
use serde_json::json;
use support::APP_TEMPLATE;
use support::in_memory::*;
use template_rules::RuleItem;

/// Runs the stage on a source artifact holding `template` as the app template.
async fn with_template(template: &[u8]) -> (String, String) {
    let stage = InMemory::with_app_template(template);
    failed(stage.validate_app().await)
}

#[tokio::test]
async fn an_action_without_input_artifacts_is_a_configuration_error() {
    let stage = InMemory::new();
    let event = JobEvent::new().user_parameters(InMemory::app_parameters());
    let (kind, message) = failed(stage.validate(&event).await);
    assert_eq!(kind, "ConfigurationError");
    assert_eq!(
        message,
        "input artifact \"SourceArtifact\" not found; the action has no input artifacts"
    );
}

#[tokio::test]
async fn a_job_without_artifact_credentials_is_a_configuration_error() {
    let stage = InMemory::with_app_template(NO_RESOURCES);
    let mut event = stage.event(&InMemory::app_parameters()).build();
    event["CodePipeline.job"]["data"]
        .as_object_mut()
        .unwrap()
        .remove("artifactCredentials");
    let (kind, message) = failed(stage.validate_raw(&event).await);
    assert_eq!(kind, "ConfigurationError");
    assert_eq!(
        message,
        "the job has no artifact credentials to read its input artifact with"
    );
}

#[tokio::test]
async fn an_artifact_that_is_not_a_zip_fails_the_check() {
    let stage = InMemory::new();
    stage.artifacts.insert(
        &pipeline_job::event::S3Location::new(BUCKET, support::SOURCE_KEY),
        NO_RESOURCES.to_vec(),
    );
    let (kind, message) = failed(stage.validate_app().await);
    assert_eq!(kind, "JobFailed");
    assert!(
        message.starts_with("the artifact SourceArtifact is not a zip archive:"),
        "{message}"
    );
}

#[tokio::test]
async fn a_zip_bomb_is_stopped_at_the_template_cap() {
    // 50 MB of spaces compress to about 50 KB.
    let (kind, message) = with_template(&vec![b' '; 50 * 1024 * 1024]).await;
    assert_eq!(kind, "JobFailed");
    assert_eq!(
        message,
        "cloudformation/application.json in the artifact SourceArtifact expands past 1048576 bytes"
    );
}

#[tokio::test]
async fn a_10_mb_template_is_refused() {
    let big = format!(
        "{{\"Resources\": {{}}, \"Description\": \"{}\"}}",
        "y".repeat(10 * 1024 * 1024)
    );
    let (kind, message) = with_template(big.as_bytes()).await;
    assert_eq!(kind, "JobFailed");
    assert_eq!(
        message,
        "cloudformation/application.json in the artifact SourceArtifact expands past 1048576 bytes"
    );
}

#[tokio::test]
async fn a_file_that_is_neither_json_nor_yaml_fails_the_check() {
    let (kind, message) = with_template(b"#!/bin/sh\necho this is a shell script: [\n").await;
    assert_eq!(kind, "JobFailed");
    assert!(
        message.starts_with("cloudformation/application.json cannot be read as a CloudFormation template: line 3, column 1: invalid YAML"),
        "{message}"
    );
    let (_, message) = with_template(b"just some words\n").await;
    assert_eq!(
        message,
        "cloudformation/application.json cannot be read as a CloudFormation template: line 1: the template must be a mapping at the top level"
    );
}

#[tokio::test]
async fn a_yaml_alias_bomb_fails_the_check() {
    let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        doc.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    doc.push_str("Resources: {}\n");
    let (kind, message) = with_template(doc.as_bytes()).await;
    assert_eq!(kind, "JobFailed");
    assert!(message.contains("\"billion laughs\""), "{message}");
}

#[tokio::test]
async fn deeply_nested_json_fails_the_check() {
    let deep = format!(
        "{{\"Resources\": {{\"A\": {{\"Type\": \"X\", \"Properties\": {}{}}}}}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let (kind, message) = with_template(deep.as_bytes()).await;
    assert_eq!(kind, "JobFailed");
    assert!(
        message.ends_with("the template nests more than 128 levels deep"),
        "{message}"
    );
}

#[tokio::test]
async fn invalid_utf8_fails_the_check_with_its_position() {
    let (kind, message) = with_template(b"Resources:\n  A:\n    Type: \xff\n").await;
    assert_eq!(kind, "JobFailed");
    assert_eq!(
        message,
        "cloudformation/application.json cannot be read as a CloudFormation template: line 3, column 11: the template is not valid UTF-8"
    );
}

fn rule(id: &str, ruletype: &str, ruledata: &str, risk: serde_json::Value) -> RuleItem {
    serde_json::from_value(json!({
        "rule": id, "category": "SecurityGroup", "ruletype": ruletype,
        "ruledata": ruledata, "riskvalue": risk, "active": "Y"
    }))
    .unwrap()
}

/// Runs the stage with one broken active rule in the table.
async fn with_rule(item: RuleItem) -> (String, String) {
    let stage = InMemory::with_app_template(NO_RESOURCES);
    let (kind, message) = failed(stage.validate_app_with(rules(vec![item])).await);
    let prefix = format!("the rules table {TABLE} has active rules that cannot be applied:\n");
    (
        kind,
        message
            .strip_prefix(&prefix)
            .unwrap_or(&message)
            .to_string(),
    )
}

#[tokio::test]
async fn broken_active_rules_are_configuration_errors_naming_rule_and_problem() {
    let mut missing = rule("NoCategory", "open-ingress", "all", json!(5));
    missing.category = None;
    assert_eq!(
        with_rule(missing).await,
        (
            "ConfigurationError".into(),
            "rule NoCategory: the item has no category".into()
        )
    );
    assert_eq!(
        with_rule(rule("Glob", "glob", "*", json!(5))).await,
        (
            "ConfigurationError".into(),
            "rule Glob: unknown ruletype \"glob\" (expected open-ingress, forbidden-ami, regex, property, policy, relation or guard)"
                .into()
        )
    );
    assert_eq!(
        with_rule(rule("Risky", "open-ingress", "all", json!("lots"))).await,
        (
            "ConfigurationError".into(),
            "rule Risky: riskvalue \"lots\" is not a whole number from 0 up".into()
        )
    );
}

/// A check that would take seconds more than the invocation has (a large
/// template against many rules, `harness::slow`): the runner stops it at
/// the cutoff and reports once; the evaluation, on its blocking thread,
/// sees the stop flag and ends within the grace, so nothing of it runs
/// into the next invocation.
#[tokio::test(flavor = "multi_thread")]
async fn a_check_longer_than_the_deadline_is_stopped_reported_once_and_ends() {
    let stage = InMemory::with_app_template(&harness::slow::template(800_000));
    let items: Vec<RuleItem> = harness::slow::rule_items(200)
        .into_iter()
        .map(|item| serde_json::from_value(item).unwrap())
        .collect();
    let validator = stage.validator(rules(items));
    let rig = harness::stage::Stage::new();
    // A grace of 1 s: ample for a check that looks at the stop flag
    // between steps, even in a debug build on a loaded machine; one that
    // did not would run on for many seconds.
    let runner = support::runner(&rig.pipeline)
        .with_reserve(Duration::from_secs(3))
        .with_grace(Duration::from_secs(1));
    let event = stage.event(&InMemory::app_parameters());
    let started = Instant::now();
    let report = rig
        .run(&event, Some(Duration::from_secs(4)), |lambda_event| {
            runner.run(lambda_event, |job, inv| async move {
                validator.validate(job, inv).await
            })
        })
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "before the deadline"
    );
    assert!(!runner.must_exit(), "the evaluation ended within the grace");
    assert!(
        matches!(&report, JobReport::Failure { kind, message, .. }
            if kind == "JobFailed"
                && message == "the check did not finish in time: it was stopped 3 s before the function's Lambda timeout"),
        "{report:#?}"
    );
    assert!(stage.output().is_none(), "nothing was written");
}

/// `(a+)+$` backtracks exponentially in engines that backtrack; the regex
/// crate runs it in linear time (measured in template-rules' benchmarks and
/// tested there). Here: a table holding it is applied like any other, and
/// does not keep the other rules from firing.

#[tokio::test]
async fn a_pathological_regex_rule_is_applied_like_any_other() {
    let stage = InMemory::new();
    let template = format!(
        "{{\"Resources\": {{\"Sg\": {{\"Type\": \"AWS::EC2::SecurityGroup\", \"Properties\": {{\"GroupDescription\": \"{}!\"}}}}}}}}",
        "a".repeat(200_000)
    );
    stage.source(&[(APP_TEMPLATE, template.as_bytes())]);
    let rules = rules(vec![
        rule("Evil", "regex", "(a+)+$", json!(5)),
        rule("Described", "regex", "aaaa!", json!(5)),
    ]);
    let (summary, variables) = passed(stage.validate_app_with(rules).await);
    // Only the rule that matches is found: the end of the rendered
    // resource is not a run of `a`s, so `(a+)+$` cannot match it.
    assert_eq!(variables["findings"], "1");
    assert!(
        summary.starts_with(
            "manual approval needed: cloudformation/application.json has risk 5 (flagged from 5, fails from 50)\nDescribed on Sg (line 1): matches the pattern aaaa!"
        ),
        "{summary}"
    );
}

/// The real rules table, in process, over a DynamoDB client whose answers
/// are mocked: what no emulator gives (throttling, denied access).
mod mocked_table {
    use aws_sdk_dynamodb::operation::scan::{ScanError, ScanOutput};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;
    use aws_smithy_types::retry::RetryConfig;
    use rules_table::{RulesTable, to_attributes};

    use super::*;

    fn throttled() -> ScanError {
        ScanError::generic(
            ErrorMetadata::builder()
                .code("ProvisionedThroughputExceededException")
                .message("Rate of requests exceeds the allowed throughput")
                .build(),
        )
    }

    async fn run(
        scan: &aws_smithy_mocks::Rule,
    ) -> Result<pipeline_job::Outcome, pipeline_job::JobError> {
        let stage = InMemory::with_app_template(NO_RESOURCES);
        let dynamodb = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [scan], |c| c
            .retry_config(RetryConfig::standard().with_max_attempts(3)));
        stage
            .validate_app_with(RulesTable::new(dynamodb, TABLE))
            .await
    }

    #[tokio::test]
    async fn throttling_then_success_passes() {
        let items: Vec<_> = template_rules::RuleSet::default_items()
            .iter()
            .map(to_attributes)
            .collect();
        let scan = mock!(aws_sdk_dynamodb::Client::scan)
            .sequence()
            .error(throttled)
            .output(move || ScanOutput::builder().set_items(Some(items.clone())).build())
            .build();
        let (summary, _) = passed(run(&scan).await);
        assert_eq!(summary, "no risk found in cloudformation/application.json");
        assert_eq!(scan.num_calls(), 2);
    }

    #[tokio::test]
    async fn denied_access_to_the_table_is_a_permission_error() {
        let scan = mock!(aws_sdk_dynamodb::Client::scan).then_error(|| {
            ScanError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("User is not authorized to perform: dynamodb:Scan")
                    .build(),
            )
        });
        let (kind, message) = failed(run(&scan).await);
        assert_eq!(kind, "PermissionError");
        assert_eq!(
            message,
            format!(
                "access to the rules table {TABLE} was denied: User is not authorized to perform: dynamodb:Scan"
            )
        );
    }

    #[tokio::test]
    async fn throttling_past_the_retry_budget_fails_the_job_saying_so() {
        let scan = mock!(aws_sdk_dynamodb::Client::scan)
            .sequence()
            .error(throttled)
            .times(3)
            .build();
        let (kind, message) = failed(run(&scan).await);
        assert_eq!(kind, "JobFailed");
        assert_eq!(
            message,
            format!(
                "the rules table {TABLE} kept throttling requests after retries: Rate of requests exceeds the allowed throughput"
            )
        );
        assert_eq!(scan.num_calls(), 3);
    }
}
