//! Guard items in the rules table, through the handler in process (rules in
//! a `MemoryRules`, artifacts in memory): a finding fails the job naming
//! the item, the resource and its line; an item Guard cannot read stops the
//! check when active and is only a warning when not; a Guard evaluation
//! still running at the deadline is reported once, naming the item.

mod support;

use std::time::{Duration, Instant};

use harness::codepipeline::JobReport;
use harness::workspace_root;
use serde_json::json;
use support::APP_TEMPLATE;
use support::in_memory::*;
use template_rules::{RuleItem, RuleSet};

fn guard_item(id: &str, text: &str, risk: u32, active: &str) -> RuleItem {
    serde_json::from_value(json!({
        "rule": id, "category": "S3", "ruletype": "guard",
        "ruledata": text, "riskvalue": risk, "active": active
    }))
    .unwrap()
}

/// guard-rules' own rules file `name`.
fn rules_file(name: &str) -> String {
    std::fs::read_to_string(
        workspace_root()
            .join("crates/guard-rules/tests/rules")
            .join(format!("{name}.guard")),
    )
    .unwrap()
}

/// The default rules, and these guard items.
fn with_defaults(items: Vec<RuleItem>) -> rules_table::MemoryRules {
    let mut all = RuleSet::default_items();
    all.extend(items);
    rules(all)
}

/// Two buckets in YAML with short forms: `Logs` unencrypted (line 9),
/// `Data` encrypted with a key given by `!Ref`.
const BUCKETS: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Key:
    Type: String
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${AWS::StackName}-data'
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: aws:kms
              KMSMasterKeyID: !Ref Key
  Logs:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${AWS::StackName}-logs'
";

#[tokio::test]
async fn a_guard_finding_fails_the_job_naming_the_item_the_resource_and_its_line() {
    let stage = InMemory::with_app_template(BUCKETS.as_bytes());
    let rules = with_defaults(vec![guard_item(
        "S3Encrypted",
        &rules_file("s3_bucket_encrypted"),
        60,
        "Y",
    )]);
    let (kind, message) = failed(stage.validate_app_with(rules).await);
    assert_eq!(kind, "JobFailed");
    assert!(
        message.starts_with(&format!(
            "{APP_TEMPLATE} has risk 60 (fails from 50):\nS3Encrypted on Logs (line 15"
        )),
        "{message}"
    );
    assert!(message.contains("S3_BUCKET_SSE_ENABLED"), "{message}");
    assert!(!message.contains("on Data"), "{message}");
    assert!(
        stage.output().is_none(),
        "a failed template goes no further"
    );
}

#[tokio::test]
async fn an_active_guard_item_guard_cannot_read_is_a_configuration_error_naming_it() {
    let stage = InMemory::with_app_template(BUCKETS.as_bytes());
    let rules = with_defaults(vec![guard_item(
        "Unreadable",
        "rule BROKEN {\n    Resources.*.Type == \n",
        10,
        "Y",
    )]);
    let (kind, message) = failed(stage.validate_app_with(rules).await);
    assert_eq!(kind, "ConfigurationError");
    assert!(
        message.starts_with(&format!(
            "the rules table {TABLE} has active rules that cannot be applied:\nrule Unreadable: "
        )),
        "{message}"
    );
    // Guard's own message, with where in the item it stopped reading.
    assert!(
        message.contains("the Guard rules do not parse: line 2, column"),
        "{message}"
    );
    assert!(stage.output().is_none());
}

#[tokio::test]
async fn an_inactive_guard_item_guard_cannot_read_is_only_a_warning() {
    let stage = InMemory::with_app_template(BUCKETS.as_bytes());
    let rules = with_defaults(vec![
        guard_item(
            "Unreadable",
            "rule BROKEN {\n    Resources.*.Type == \n",
            10,
            "N",
        ),
        guard_item("S3Encrypted", &rules_file("s3_bucket_encrypted"), 10, "Y"),
    ]);
    let (summary, variables) = passed(stage.validate_app_with(rules).await);
    // The working item was applied: risk 10 flags the template.
    assert_eq!(variables["verdict"], "flagged", "{summary}");
    assert!(summary.contains("S3Encrypted on Logs"), "{summary}");
}

/// An item Guard reads but fails on with this template (a variable it
/// never defined): the check proves nothing, so no verdict; the table is
/// the thing to fix.
#[tokio::test]
async fn a_guard_item_guard_fails_on_is_a_configuration_error_with_guards_message() {
    let stage = InMemory::with_app_template(BUCKETS.as_bytes());
    let rules = with_defaults(vec![guard_item(
        "Undefined",
        "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]\nrule BROKEN when %buckets !empty { %undefined.Properties exists }\n",
        1,
        "Y",
    )]);
    let (kind, message) = failed(stage.validate_app_with(rules).await);
    assert_eq!(kind, "ConfigurationError");
    assert!(
        message.starts_with(&format!(
            "the rules table {TABLE} has rules that cannot be evaluated on {APP_TEMPLATE}:\nrule Undefined: Guard could not evaluate the rules: "
        )),
        "{message}"
    );
    assert!(message.contains("undefined"), "{message}");
    assert!(stage.output().is_none());
}

/// A function too small to give Guard room (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`
/// 128: `cfn_validate::memory`) gives its worker no memory, and says so:
/// each guard item is an unresolved finding, which the default policy
/// flags, never a pass.
#[tokio::test]
async fn without_memory_for_guard_guard_items_are_unresolved_not_passed() {
    let stage = InMemory::with_app_template(BUCKETS.as_bytes());
    let limit = cfn_validate::guard_memory::limit(Some(128));
    assert_eq!(limit, 0);
    let validator = stage
        .validator(with_defaults(vec![guard_item(
            "S3Encrypted",
            &rules_file("s3_bucket_encrypted"),
            60,
            "Y",
        )]))
        .with_guard_memory_limit(limit);
    let event = stage.event(&InMemory::app_parameters());
    let (summary, variables) = passed(validator.validate(job(&event), invocation()).await);
    assert_eq!(variables["verdict"], "flagged", "{summary}");
    assert!(summary.contains("S3Encrypted"), "{summary}");
    assert!(
        summary.contains("Guard needed more than 0 MiB of memory"),
        "{summary}"
    );
}

/// One guard item of many rules over 3 000 buckets: seconds of Guard in a
/// debug build, in one call Guard cannot be interrupted in. With 1 s before
/// the cutoff, the runner stops the handler while Guard runs that item and
/// reports once, naming it; the evaluation stops at its next check.
#[tokio::test(flavor = "multi_thread")]
async fn a_guard_evaluation_past_the_deadline_is_reported_once_naming_the_item() {
    let mut resources = serde_json::Map::new();
    for i in 0..3000 {
        resources.insert(
            format!("Bucket{i}"),
            json!({"Type": "AWS::S3::Bucket", "Properties": {"BucketName": format!("b{i}"),
                "Tags": [{"Key": "team", "Value": format!("t{i}")}]}}),
        );
    }
    let template = serde_json::to_vec(&json!({ "Resources": resources })).unwrap();
    let heavy: String = (0..40)
        .map(|i| {
            format!(
                "rule TAGGED_{i} {{ Resources.*[ Type == 'AWS::S3::Bucket' ].Properties.Tags[*].Key exists }}\n"
            )
        })
        .collect();
    let stage = InMemory::with_app_template(&template);
    let validator = stage.validator(with_defaults(vec![guard_item("Heavy", &heavy, 10, "Y")]));
    let rig = harness::stage::Stage::new();
    let runner = support::runner(&rig.pipeline).with_reserve(Duration::from_secs(1));
    let started = Instant::now();
    let report = rig
        .run(
            &stage.event(&InMemory::app_parameters()),
            Some(Duration::from_secs(2)),
            |lambda_event| {
                runner.run(lambda_event, |job, inv| async move {
                    validator.validate(job, inv).await
                })
            },
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered before the deadline"
    );
    assert!(
        matches!(&report, JobReport::Failure { kind, message, .. }
            if kind == "JobFailed"
                && message == "the check did not finish in time: it was stopped 1 s before the function's Lambda timeout, while evaluating the Guard rules of the item Heavy"),
        "{report:#?}"
    );
    assert!(stage.output().is_none(), "nothing was written");
}
