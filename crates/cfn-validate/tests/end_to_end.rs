//! End to end: the handler as the binary wires it (`Validator::from_sdk`),
//! with the real SDK clients against moto (S3, DynamoDB) and the fake
//! CodePipeline. Only what needs the real services is here: the artifacts
//! really read and written in S3, the rules table seeded and read in
//! DynamoDB. Every decision path is tested in process, in `handler.rs` and
//! `failure_modes.rs`.

mod support;

use harness::{unique_name, workspace_root};
use rules_table::{RulesTable, to_attributes};
use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn the_calculators_template_passes_the_seeded_rules_and_the_outputs_hold_it_unchanged() {
    let stage = Stage::new().await;
    let template = std::fs::read(workspace_root().join("calculator").join(APP_TEMPLATE)).unwrap();
    stage
        .source(&[(APP_TEMPLATE, &template), ("service.js", b"// app")])
        .await;

    let (summary, variables) = success(stage.run(&stage.event(&stage.parameters())).await);
    // The seeded rules are the defaults and the standard pack: two of the
    // pack's findings are suppressed in the template, with their reasons.
    assert_eq!(
        summary.lines().next(),
        Some("no risk found in cloudformation/application.json; 2 suppressed findings")
    );
    assert!(
        summary.contains("ElbListenerHttpsRedirect on Listener (line 293)"),
        "{summary}"
    );
    assert_eq!(variables["verdict"], "pass");
    assert_eq!(variables["risk"], "0");
    assert_eq!(variables["findings"], "0");
    assert_eq!(variables["suppressed"], "2");

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

    // The table was empty: the function seeded it with the default rules
    // and the standard pack, which the template passes too.
    let items = RulesTable::new(stage.moto.dynamodb(), &stage.table)
        .scan()
        .await
        .unwrap();
    let mut seed = policy_pack::seed_items();
    seed.sort_by(|a, b| a.id().cmp(&b.id()));
    assert_eq!(items, seed);
}

/// The four items exactly as the original Python function wrote them.
fn legacy_items() -> Vec<template_rules::RuleItem> {
    let item = |rule: &str, category: &str, data: &str, risk: u64, active: &str| {
        serde_json::from_value::<template_rules::RuleItem>(serde_json::json!({
            "rule": rule, "category": category, "ruletype": "regex",
            "ruledata": data, "riskvalue": risk, "active": active
        }))
        .unwrap()
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

/// Creates a stack in moto from `template`; panics if moto refuses it.
async fn deploy(stage: &Stage, template: &str) -> String {
    let stack = unique_name("calculator-prod");
    stage
        .moto
        .cloudformation()
        .create_stack()
        .stack_name(&stack)
        .template_body(template)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create stack {stack}: {e:?}"));
    stack
}

fn with_baseline(stack: &str) -> String {
    json!({"input": "SourceArtifact", "file": APP_TEMPLATE, "baseline": {"stack": stack}})
        .to_string()
}

/// Static_Check with `UserParameters.baseline` naming a stack in moto: the
/// deployed template read through the real SDK's GetTemplate.
#[tokio::test]
async fn a_template_fails_only_on_the_open_port_it_adds_over_the_deployed_stack() {
    let stage = Stage::new().await;
    stage
        .source(&[(APP_TEMPLATE, ONE_MORE_PORT.as_bytes())])
        .await;

    // Port 80 was deployed; 8443 is what the commit adds: it fails on that.
    let stack = deploy(&stage, DEPLOYED).await;
    let (kind, message) = failure(stage.run(&stage.event(&with_baseline(&stack))).await);
    assert_eq!(kind, "JobFailed");
    assert_eq!(
        message,
        format!(
            "{APP_TEMPLATE} has risk 100 (fails from 50); 1 new, 1 existing in stack {stack} (not counted):\n\
             IngressOpenToWorld on AdminSg (line 2): SecurityGroupIngress[1] admits tcp 8443 from 0.0.0.0/0 [risk 100]\n\
             existing (in the baseline already; not counted):\n\
             IngressOpenToWorld on WebSg (line 9): SecurityGroupIngress[0] admits tcp 80 from 0.0.0.0/0 [risk 100, existing]"
        )
    );

    // The same open port, already deployed: nothing new, the job passes.
    let stack = deploy(&stage, ONE_MORE_PORT).await;
    let (summary, variables) = success(stage.run(&stage.event(&with_baseline(&stack))).await);
    assert!(
        summary.starts_with(&format!(
            "no new risk found in {APP_TEMPLATE}; 0 new, 2 existing in stack {stack} (not counted)\n"
        )),
        "{summary}"
    );
    assert_eq!(variables["verdict"], "pass");
    assert_eq!(
        (variables["new"].as_str(), variables["existing"].as_str()),
        ("0", "2")
    );

    // A stack that does not exist yet: every finding is new.
    let missing = unique_name("not-deployed");
    let (kind, message) = failure(stage.run(&stage.event(&with_baseline(&missing))).await);
    assert_eq!(kind, "JobFailed");
    assert!(
        message.contains(&format!(
            "2 new, 0 existing in stack {missing}, which does not exist yet"
        )),
        "{message}"
    );
}
