//! The real handler with the real SDK clients, against moto (S3, DynamoDB)
//! and the fake CodePipeline: each case asserts the exact report, that there
//! was exactly one, and what was written.

mod support;

use cfn_validate::Settings;
use harness::codepipeline::FakeCodePipeline;
use harness::workspace_root;
use rules_table::{RulesTable, to_attributes};
use serde_json::{Value, json};
use support::*;
use template_rules::{RuleSet, Thresholds};

#[tokio::test]
async fn the_calculators_template_passes_and_the_outputs_hold_it_unchanged() {
    let stage = Stage::new().await;
    let template = std::fs::read(workspace_root().join("calculator").join(APP_TEMPLATE)).unwrap();
    stage
        .source(&[(APP_TEMPLATE, &template), ("service.js", b"// app")])
        .await;

    let (summary, variables) = success(stage.run(&stage.event(&stage.parameters())).await);
    assert_eq!(summary, "no risk found in cloudformation/application.json");
    assert_eq!(variables["verdict"], "pass");
    assert_eq!(variables["risk"], "0");
    assert_eq!(variables["findings"], "0");

    let output = stage
        .object(OUTPUT_KEY)
        .await
        .expect("the output artifact is written");
    assert_eq!(output[APP_TEMPLATE], template, "the template, unchanged");
    let report: Value = serde_json::from_slice(&output["validation-report.json"]).unwrap();
    assert_eq!(report["templates"][0]["path"], APP_TEMPLATE);
    assert_eq!(report["templates"][0]["verdict"], "pass");
    let copy = stage
        .object("valid.template.zip")
        .await
        .expect("the copy in the output bucket");
    assert_eq!(copy["application.json"], template);
    assert!(stage.object("flagged.template.zip").await.is_none());
}

#[tokio::test]
async fn an_empty_rules_table_is_seeded_with_the_defaults() {
    let stage = Stage::new().await;
    stage
        .source(&[(
            APP_TEMPLATE,
            br#"{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}"#,
        )])
        .await;
    stage.run(&stage.event(&stage.parameters())).await;
    let items = RulesTable::new(stage.moto.dynamodb(), &stage.table)
        .scan()
        .await
        .unwrap();
    assert_eq!(items.len(), 4);
}

#[tokio::test]
async fn a_flagged_template_succeeds_and_asks_for_approval() {
    let stage = Stage::new().await;
    let rules = RuleSet::from_file_str(
        &String::from_utf8(
            std::fs::read(workspace_root().join("tests/fixtures/rules/all-active.yaml")).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    stage
        .rules(rules.rules().iter().map(Into::into).collect())
        .await;
    stage
        .source(&[("templates/old-ami.yaml", &fixture("old-ami.yaml"))])
        .await;

    let parameters = json!({"input": "SourceArtifact", "file": "templates/old-ami.yaml", "output": stage.bucket}).to_string();
    let (summary, variables) = success(stage.run(&stage.event(&parameters)).await);
    assert_eq!(
        summary,
        "manual approval needed: templates/old-ami.yaml has risk 10 (flagged from 5, fails from 50)\nForbiddenAMIs on Legacy (line 3): ImageId ami-7a11e211 is a forbidden AMI [risk 10]"
    );
    assert_eq!(variables["verdict"], "flagged");
    assert_eq!(variables["risk"], "10");
    assert_eq!(variables["findings"], "1");
    let copy = stage
        .object("flagged.template.zip")
        .await
        .expect("flagged copy");
    assert_eq!(copy["old-ami.yaml"], fixture("old-ami.yaml"));
    assert!(stage.object("valid.template.zip").await.is_none());
    assert!(stage.object(OUTPUT_KEY).await.is_some());
}

#[tokio::test]
async fn a_yaml_template_with_ssh_open_to_the_world_fails_naming_rules_and_resources() {
    let stage = Stage::new().await;
    stage
        .source(&[("bastion.yaml", &fixture("bastion-ssh-open.yaml"))])
        .await;
    let parameters =
        json!({"input": "SourceArtifact", "file": "bastion.yaml", "output": stage.bucket})
            .to_string();
    let (kind, message) = failure(stage.run(&stage.event(&parameters)).await);
    assert_eq!(kind, "JobFailed");
    assert_eq!(
        message,
        "bastion.yaml has risk 200 (fails from 50):\n\
         IngressOpenToWorld on BastionSg (line 15): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 (default of parameter SshLocation); SecurityGroupIngress[1] admits tcp 22 from ::/0 [risk 100]\n\
         SSHOpenToWorld on BastionSg (line 15): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 (default of parameter SshLocation); SecurityGroupIngress[1] admits tcp 22 from ::/0 [risk 100]"
    );
    assert!(
        stage.object(OUTPUT_KEY).await.is_none(),
        "nothing goes on from a failed check"
    );
    assert!(stage.object("valid.template.zip").await.is_none());
}

/// The four items exactly as the original Python function wrote them.
fn legacy_items() -> Vec<template_rules::RuleItem> {
    let item = |rule: &str, category: &str, data: &str, risk: u64, active: &str| {
        template_rules::RuleItem {
            rule: Some(rule.into()),
            category: Some(category.into()),
            ruletype: Some("regex".into()),
            ruledata: Some(data.into()),
            riskvalue: Some(risk.into()),
            active: Some(active.into()),
            suppressible: None,
        }
    };
    vec![
        item(
            "IngressOpenToWorld",
            "SecurityGroup",
            r"^.*Ingress.*((0\.){3}0\/0)",
            100,
            "Y",
        ),
        item(
            "SSHOpenToWorld",
            "SecurityGroup",
            r"^.*Ingress.*(([fF]rom[pP]ort|[tT]o[pP]ort).\s*:\s*u?.(22).*[cC]idr[iI]p.\s*:\s*u?.((0\.){3}0\/0)|[cC]idr[iI]p.\s*:\s*u?.((0\.){3}0\/0).*([fF]rom[pP]ort|[tT]o[pP]ort).\s*:\s*u?.(22))",
            100,
            "Y",
        ),
        item(
            "AllowHttp",
            "SecurityGroup",
            r"^.*Ingress.*[fF]rom[pP]ort.\s*:\s*u?.(80)",
            3,
            "N",
        ),
        item(
            "ForbiddenAMIs",
            "EC2Instance",
            r"^.*ImageId.\s*:\s*u?.(ami-7a11e211|ami-08111162|ami-f6035893)",
            10,
            "N",
        ),
    ]
}

#[tokio::test]
async fn a_table_written_by_the_original_function_keeps_working() {
    let stage = Stage::new().await;
    stage.rules(legacy_items()).await;
    // Stored exactly as boto3 wrote them: riskvalue as a DynamoDB number.
    let stored = stage
        .moto
        .dynamodb()
        .scan()
        .table_name(&stage.table)
        .send()
        .await
        .unwrap();
    assert!(stored.items().iter().all(|i| i["riskvalue"].as_n().is_ok()));
    assert_eq!(
        to_attributes(&legacy_items()[0])["riskvalue"]
            .as_n()
            .unwrap(),
        "100"
    );

    stage
        .source(&[("t.json", &fixture("bastion-ssh-open.json"))])
        .await;
    let (kind, message) = failure(
        stage
            .run(&stage.event(r#"{"input": "SourceArtifact", "file": "t.json"}"#))
            .await,
    );
    assert_eq!(kind, "JobFailed");
    assert!(
        message.starts_with(
            "t.json has risk 400 (fails from 50):\nIngressOpenToWorld on BastionSg (line 3)"
        ),
        "{message}"
    );

    // Where the old regexes were wrong, the structured rules they map to are not.
    let stage = Stage::new().await;
    stage.rules(legacy_items()).await;
    stage
        .source(&[("t.yaml", &fixture("egress-only.yaml"))])
        .await;
    let (summary, _) = success(
        stage
            .run(&stage.event(r#"{"input": "SourceArtifact", "file": "t.yaml"}"#))
            .await,
    );
    assert_eq!(summary, "no risk found in t.yaml");
}

#[tokio::test]
async fn a_file_missing_from_the_artifact_is_a_configuration_error() {
    let stage = Stage::new().await;
    stage.source(&[("README.md", b"# no template here")]).await;
    let (kind, message) = failure(stage.run(&stage.event(&stage.parameters())).await);
    assert_eq!(kind, "ConfigurationError");
    assert_eq!(
        message,
        "cloudformation/application.json is not in the artifact SourceArtifact"
    );
}

#[tokio::test]
async fn bad_user_parameters_are_configuration_errors_naming_the_field() {
    let stage = Stage::new().await;
    for (parameters, expected) in [
        (
            r#"{"input": "SourceArtifact"}"#,
            "UserParameters: missing field `file`",
        ),
        (
            r#"{"input": "SourceArtifact", "file": "t.json", "ouput": "b"}"#,
            "UserParameters.ouput: unknown field `ouput`, expected one of `input`, `file`, `output`",
        ),
        (
            "SourceArtifact",
            "UserParameters are not valid JSON: expected value at line 1 column 1",
        ),
        (
            r#"{"input": "Nope", "file": "t.json"}"#,
            "input artifact \"Nope\" not found; the action's input artifacts are SourceArtifact",
        ),
    ] {
        let stage_for_case = Stage {
            pipeline: FakeCodePipeline::start(),
            moto: stage.moto,
            bucket: stage.bucket.clone(),
            table: stage.table.clone(),
        };
        let (kind, message) = failure(stage_for_case.run(&stage_for_case.event(parameters)).await);
        assert_eq!(
            (kind.as_str(), message.as_str()),
            ("ConfigurationError", expected),
            "{parameters}"
        );
    }
}

#[tokio::test]
async fn a_missing_artifact_object_or_rules_table_is_a_configuration_error() {
    let stage = Stage::new().await;
    let (kind, message) = failure(stage.run(&stage.event(&stage.parameters())).await);
    assert_eq!(kind, "ConfigurationError");
    assert_eq!(
        message,
        format!(
            "the artifact s3://{}/{SOURCE_KEY} does not exist",
            stage.bucket
        )
    );

    let stage = Stage::new().await;
    stage
        .source(&[(APP_TEMPLATE, b"{\"Resources\": {}}")])
        .await;
    let settings = Ok(Settings {
        rules_table: "no-such-table".into(),
        thresholds: Thresholds::default(),
    });
    let (kind, message) = failure(
        stage
            .run_with(&stage.event(&stage.parameters()), settings)
            .await,
    );
    assert_eq!(
        (kind.as_str(), message.as_str()),
        (
            "ConfigurationError",
            "the rules table no-such-table does not exist"
        )
    );

    let stage = Stage::new().await;
    let (kind, message) = failure(
        stage
            .run_with(
                &stage.event(&stage.parameters()),
                Err("the function's RULES_TABLE environment variable is not set".into()),
            )
            .await,
    );
    assert_eq!(
        (kind.as_str(), message.as_str()),
        (
            "ConfigurationError",
            "the function's RULES_TABLE environment variable is not set"
        )
    );
}

#[tokio::test]
async fn an_active_rule_that_cannot_be_applied_stops_the_check() {
    let stage = Stage::new().await;
    let mut items = legacy_items();
    items[0].ruledata = Some("(unclosed".into());
    stage.rules(items).await;
    stage
        .source(&[(APP_TEMPLATE, b"{\"Resources\": {}}")])
        .await;
    let (kind, message) = failure(stage.run(&stage.event(&stage.parameters())).await);
    assert_eq!(kind, "ConfigurationError");
    assert!(
        message.starts_with(&format!(
            "the rules table {} has active rules that cannot be applied:\nrule IngressOpenToWorld: ruledata is not a valid regex",
            stage.table
        )),
        "{message}"
    );
}

#[tokio::test]
async fn an_unreadable_template_fails_the_check_with_its_line() {
    let stage = Stage::new().await;
    stage
        .source(&[(APP_TEMPLATE, &fixture("malformed.json"))])
        .await;
    let (kind, message) = failure(stage.run(&stage.event(&stage.parameters())).await);
    assert_eq!(kind, "JobFailed");
    assert_eq!(
        message,
        "cloudformation/application.json cannot be read as a CloudFormation template: line 4, column 3: invalid JSON: trailing comma"
    );
}

#[tokio::test]
async fn output_artifacts_are_encrypted_with_the_pipelines_key_when_it_has_one() {
    let stage = Stage::new().await;
    stage
        .source(&[(APP_TEMPLATE, b"{\"Resources\": {}}")])
        .await;
    let event = stage
        .event(r#"{"input": "SourceArtifact", "file": "cloudformation/application.json"}"#)
        .encryption_key(
            "arn:aws:kms:us-east-1:111111111111:key/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab",
        );
    success(stage.run(&event).await);
    let head = stage
        .moto
        .s3()
        .head_object()
        .bucket(&stage.bucket)
        .key(OUTPUT_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.server_side_encryption().map(|s| s.as_str()),
        Some("aws:kms")
    );
    assert_eq!(
        head.ssekms_key_id(),
        Some("arn:aws:kms:us-east-1:111111111111:key/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab")
    );
}

#[tokio::test]
async fn a_template_past_cloudformations_limit_fails_the_check() {
    let stage = Stage::new().await;
    let big = format!(
        "{{\"Resources\": {{}}, \"Description\": \"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    stage.source(&[(APP_TEMPLATE, big.as_bytes())]).await;
    let (kind, message) = failure(stage.run(&stage.event(&stage.parameters())).await);
    assert_eq!(kind, "JobFailed");
    assert_eq!(
        message,
        "cloudformation/application.json in the artifact SourceArtifact expands past 1048576 bytes"
    );
}
