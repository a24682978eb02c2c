//! What the pipeline hears about findings the check could not resolve and
//! findings a template suppressed: the approval summary, the failure
//! message, the output variables and `validation-report.json`, under each
//! `UNRESOLVED` policy. In process, with the rules and artifacts in memory.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use cfn_validate::{FLAGGED_COPY, REPORT_FILE, Settings, VALID_COPY};
use harness::codepipeline::JobReport;
use pipeline_job::{JobError, Outcome, Runner, Setup};
use rules_table::MemoryRules;
use serde_json::{Value, json};
use support::in_memory::*;
use template_rules::{RuleItem, Thresholds, UnresolvedPolicy};

/// SSH open to a CIDR parameter that has no Default: nothing to resolve it with.
const SSH_TO_A_PARAMETER: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  AdminCidr:
    Type: String
    Description: who may reach the bastion
Resources:
  BastionSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: bastion
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: !Ref AdminCidr
";

/// Every other way a value cannot be known, in JSON: an SSM parameter, an
/// import from another stack, an allowed value that is open.
fn unknowable_json() -> String {
    json!({
        "Parameters": {
            "SsmCidr": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/net/admin-cidr"},
            "Narrow": {"Type": "String", "Default": "10.0.0.0/8", "AllowedValues": ["10.0.0.0/8", "0.0.0.0/0"]}
        },
        "Resources": {
            "FromSsm": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "a",
                "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Ref": "SsmCidr"}}]}},
            "Imported": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "b",
                "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Fn::ImportValue": "shared-admin-cidr"}}]}},
            "Allowed": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "c",
                "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Ref": "Narrow"}}]}}
        }
    })
    .to_string()
}

fn ssh_rule(suppressible: &str) -> RuleItem {
    serde_json::from_value(json!({
        "rule": "SSHOpenToWorld", "category": "SecurityGroup", "ruletype": "open-ingress",
        "ruledata": "tcp:22", "riskvalue": 100, "active": "Y", "suppressible": suppressible
    }))
    .unwrap()
}

/// Runs the handler on `file` holding `template`, with `rules` and `policy`.
async fn check(
    file: &str,
    template: &[u8],
    rules: MemoryRules,
    policy: UnresolvedPolicy,
) -> (InMemory, Result<Outcome, JobError>) {
    let stage = InMemory::new();
    stage.source(&[(file, template)]);
    let event = stage.event(&InMemory::parameters(file));
    let result = stage
        .validator_with(rules, Thresholds::default().with_unresolved(policy))
        .validate(job(&event), invocation())
        .await;
    (stage, result)
}

fn report_json(stage: &InMemory) -> Value {
    let output = stage.output().expect("the output artifact is written");
    serde_json::from_slice(&output[REPORT_FILE]).unwrap()
}

fn vars(variables: &BTreeMap<String, String>) -> Vec<(&str, &str)> {
    variables
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn ssh_to_a_parameter_without_default_is_flagged_naming_it_for_the_approver() {
    let (stage, result) = check(
        "bastion.yaml",
        SSH_TO_A_PARAMETER.as_bytes(),
        default_rules(),
        UnresolvedPolicy::Flag,
    )
    .await;
    let (summary, variables) = passed(result);
    assert_eq!(
        summary,
        "manual approval needed: bastion.yaml is flagged for 2 unresolved findings: rules that may fire on values the check could not resolve (risk 200 if they do; the resolved risk 0 is below 5)\n\
         unresolved (could not be resolved; check by hand):\n\
         IngressOpenToWorld on BastionSg (line 7): SecurityGroupIngress[0] may admit tcp 22 from a CidrIp not resolved (parameter AdminCidr has no Default) [risk 100, unresolved]\n\
         SSHOpenToWorld on BastionSg (line 7): SecurityGroupIngress[0] may admit tcp 22 from a CidrIp not resolved (parameter AdminCidr has no Default) [risk 100, unresolved]"
    );
    assert_eq!(
        vars(&variables),
        [
            ("existing", "0"),
            ("findings", "2"),
            ("new", "2"),
            ("risk", "0"),
            ("suppressed", "0"),
            ("unresolved", "2"),
            ("verdict", "flagged")
        ]
    );
    // It goes on, as a flagged template does, with the report saying the same.
    let report = &report_json(&stage)["templates"][0];
    assert_eq!(report["verdict"], "flagged");
    assert_eq!(report["unresolved_risk"], 200);
    assert_eq!(
        report["findings"][1]["unresolved"],
        json!(["parameter AdminCidr has no Default"])
    );
    assert!(stage.copy(FLAGGED_COPY).is_some());

    // With only the SSH rule in the table: one unresolved finding.
    let (_, result) = check(
        "bastion.yaml",
        SSH_TO_A_PARAMETER.as_bytes(),
        rules(vec![ssh_rule("Y")]),
        UnresolvedPolicy::Flag,
    )
    .await;
    let (summary, variables) = passed(result);
    assert!(
        summary.starts_with(
            "manual approval needed: bastion.yaml is flagged for 1 unresolved finding: a rule that may fire on values the check could not resolve (risk 100 if it does; the resolved risk 0 is below 5)\n"
        ),
        "{summary}"
    );
    assert_eq!(variables["unresolved"], "1");
}

#[tokio::test]
async fn ssm_parameters_imports_and_open_allowed_values_are_each_named() {
    let (stage, result) = check(
        "t.json",
        unknowable_json().as_bytes(),
        rules(vec![ssh_rule("Y")]),
        UnresolvedPolicy::Flag,
    )
    .await;
    let (summary, variables) = passed(result);
    let lines: Vec<&str> = summary.lines().collect();
    assert!(
        lines[0].starts_with("manual approval needed: t.json is flagged for 3 unresolved findings"),
        "{summary}"
    );
    assert_eq!(
        lines[1],
        "unresolved (could not be resolved; check by hand):"
    );
    for (resource, named) in [
        (
            "FromSsm",
            "parameter SsmCidr (an SSM parameter: its Default names the parameter, not the value)",
        ),
        ("Imported", "Fn::ImportValue shared-admin-cidr"),
        (
            "Allowed",
            "parameter Narrow may be set to 0.0.0.0/0, one of its AllowedValues",
        ),
    ] {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("SSHOpenToWorld on {resource} ")))
            .unwrap_or_else(|| panic!("{resource} is listed: {summary}"));
        assert!(line.contains(named), "{line}");
        assert!(line.ends_with("[risk 100, unresolved]"), "{line}");
    }
    assert_eq!(variables["unresolved"], "3");
    assert_eq!(variables["risk"], "0");
    let report = &report_json(&stage)["templates"][0];
    let unresolved: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["unresolved"])
        .collect();
    assert_eq!(unresolved.len(), 3);
    assert!(
        unresolved
            .iter()
            .all(|u| u.as_array().is_some_and(|a| !a.is_empty()))
    );
}

#[tokio::test]
async fn the_policy_decides_between_pass_flag_and_fail() {
    // fail: counted like any finding; the job fails, nothing goes on.
    let (stage, result) = check(
        "bastion.yaml",
        SSH_TO_A_PARAMETER.as_bytes(),
        default_rules(),
        UnresolvedPolicy::Fail,
    )
    .await;
    let (kind, message) = failed(result);
    assert_eq!(kind, "JobFailed");
    assert_eq!(
        message,
        "bastion.yaml has risk 200 (fails from 50); 2 unresolved findings, counted (UNRESOLVED=fail):\n\
         unresolved (could not be resolved; check by hand):\n\
         IngressOpenToWorld on BastionSg (line 7): SecurityGroupIngress[0] may admit tcp 22 from a CidrIp not resolved (parameter AdminCidr has no Default) [risk 100, unresolved]\n\
         SSHOpenToWorld on BastionSg (line 7): SecurityGroupIngress[0] may admit tcp 22 from a CidrIp not resolved (parameter AdminCidr has no Default) [risk 100, unresolved]"
    );
    assert!(stage.output().is_none());

    // pass: shown, not counted; the variables still say there are some.
    let (stage, result) = check(
        "bastion.yaml",
        SSH_TO_A_PARAMETER.as_bytes(),
        default_rules(),
        UnresolvedPolicy::Pass,
    )
    .await;
    let (summary, variables) = passed(result);
    assert!(
        summary.starts_with(
            "no risk found in bastion.yaml: risk 0 is below 5; 2 unresolved findings, not counted (UNRESOLVED=pass)\n\
             unresolved (could not be resolved; check by hand):\n\
             IngressOpenToWorld on BastionSg (line 7): "
        ),
        "{summary}"
    );
    assert_eq!(variables["verdict"], "pass");
    assert_eq!(variables["unresolved"], "2");
    let report = &report_json(&stage)["templates"][0];
    assert_eq!(report["unresolved_policy"], "pass");
    assert!(stage.copy(VALID_COPY).is_some());
}

#[tokio::test]
async fn a_failure_names_resolved_findings_before_unresolved_and_suppressed_ones() {
    // One group open to the world, one to a parameter, one suppressed.
    let template = "\
Parameters:
  Cidr: {Type: String}
Resources:
  Unknown:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: u
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Cidr}]
  Waived:
    Type: AWS::EC2::SecurityGroup
    Metadata:
      cicd:
        suppress: [{rule: SSHOpenToWorld, reason: reviewed with the network team}]
    Properties:
      GroupDescription: w
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}]
  Open:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: o
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}]
";
    let (_, result) = check(
        "t.yaml",
        template.as_bytes(),
        rules(vec![ssh_rule("Y")]),
        UnresolvedPolicy::Flag,
    )
    .await;
    let (kind, message) = failed(result);
    assert_eq!(kind, "JobFailed");
    assert_eq!(
        message,
        "t.yaml has risk 100 (fails from 50); 1 unresolved finding, to check; 1 suppressed finding:\n\
         SSHOpenToWorld on Open (line 17): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 [risk 100]\n\
         unresolved (could not be resolved; check by hand):\n\
         SSHOpenToWorld on Unknown (line 4): SecurityGroupIngress[0] may admit tcp 22 from a CidrIp not resolved (parameter Cidr has no Default) [risk 100, unresolved]\n\
         suppressed in the template:\n\
         SSHOpenToWorld on Waived (line 9): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 [risk 100, suppressed: reviewed with the network team]"
    );
}

#[tokio::test]
async fn the_approver_sees_suppressed_findings_and_refused_suppressions() {
    // Flagged by a forbidden AMI; an open group suppressed with a reason;
    // a rule that may not be suppressed, suppressed on an unknown source.
    let template = json!({
        "Parameters": {"Cidr": {"Type": "String"}},
        "Resources": {
            "Old": {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-7a11e211"}},
            "Public": {"Type": "AWS::EC2::SecurityGroup",
                "Metadata": {"cicd": {"suppress": [{"rule": "AllowHttp", "reason": "the public web tier"}]}},
                "Properties": {"GroupDescription": "p", "SecurityGroupIngress": [
                    {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"}]}},
            "Admin": {"Type": "AWS::EC2::SecurityGroup",
                "Metadata": {"cicd": {"suppress": [{"rule": "SSHOpenToWorld", "reason": "trust me"}]}},
                "Properties": {"GroupDescription": "a", "SecurityGroupIngress": [
                    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Ref": "Cidr"}}]}}
        }
    });
    let items: Vec<RuleItem> = serde_json::from_value(json!([
        {"rule": "SSHOpenToWorld", "category": "SecurityGroup", "ruletype": "open-ingress",
         "ruledata": "tcp:22", "riskvalue": 100, "active": "Y", "suppressible": "N"},
        {"rule": "AllowHttp", "category": "SecurityGroup", "ruletype": "open-ingress",
         "ruledata": "tcp:80", "riskvalue": 3, "active": "Y"},
        {"rule": "ForbiddenAMIs", "category": "EC2Instance", "ruletype": "forbidden-ami",
         "ruledata": "ami-7a11e211", "riskvalue": 10, "active": "Y"}
    ]))
    .unwrap();
    let (_, result) = check(
        "t.json",
        template.to_string().as_bytes(),
        rules(items),
        UnresolvedPolicy::Flag,
    )
    .await;
    let (summary, variables) = passed(result);
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(
        lines,
        [
            "manual approval needed: t.json has risk 10 (flagged from 5, fails from 50); 1 unresolved finding, to check; 1 suppressed finding",
            "ForbiddenAMIs on Old (line 1): ImageId ami-7a11e211 is a forbidden AMI [risk 10]",
            "unresolved (could not be resolved; check by hand):",
            "SSHOpenToWorld on Admin (line 1): SecurityGroupIngress[0] may admit tcp 22 from a CidrIp not resolved (parameter Cidr has no Default) [risk 100, unresolved]",
            "suppressed in the template:",
            "AllowHttp on Public (line 1): SecurityGroupIngress[0] admits tcp 80 from 0.0.0.0/0 [risk 3, suppressed: the public web tier]",
            "warnings:",
            "Admin (line 1): suppresses SSHOpenToWorld, which may not be suppressed (suppressible: N), so it is not applied",
        ],
        "{summary}"
    );
    assert_eq!(
        vars(&variables),
        [
            ("existing", "0"),
            ("findings", "2"),
            ("new", "2"),
            ("risk", "10"),
            ("suppressed", "1"),
            ("unresolved", "1"),
            ("verdict", "flagged")
        ]
    );
}

/// `n` security groups, each open for SSH to its own parameter without a Default.
fn many_unknown_groups(n: usize) -> String {
    let mut text = String::from("Parameters:\n");
    for i in 0..n {
        text.push_str(&format!("  Cidr{i}: {{Type: String}}\n"));
    }
    text.push_str("Resources:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  Group{i:03}:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g\n      SecurityGroupIngress: [{{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Cidr{i}}}]\n"
        ));
    }
    text
}

#[tokio::test]
async fn a_long_summary_keeps_whole_lines_within_codepipelines_limits() {
    let (_, result) = check(
        "many.yaml",
        many_unknown_groups(80).as_bytes(),
        default_rules(),
        UnresolvedPolicy::Flag,
    )
    .await;
    let (summary, variables) = passed(result);
    assert_eq!(variables["unresolved"], "160");
    assert!(
        summary.chars().count() <= 2048,
        "{}",
        summary.chars().count()
    );
    let lines: Vec<&str> = summary.lines().collect();
    assert!(
        lines[0].starts_with(
            "manual approval needed: many.yaml is flagged for 160 unresolved findings"
        )
    );
    let shown = lines
        .iter()
        .filter(|l| l.ends_with("[risk 100, unresolved]"))
        .count();
    assert!(shown >= 5, "{summary}");
    assert_eq!(
        *lines.last().unwrap(),
        format!(
            "… and {} more findings: validation-report.json in the output artifact lists them all",
            160 - shown
        )
    );
    assert_eq!(
        lines.len(),
        shown + 3,
        "headline, heading, findings, the count"
    );

    // A failure keeps to the message's 5000, resolved findings first.
    let mut template = many_unknown_groups(80);
    template.push_str("  Open:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: o\n      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}]\n");
    let (_, result) = check(
        "many.yaml",
        template.as_bytes(),
        default_rules(),
        UnresolvedPolicy::Flag,
    )
    .await;
    let (_, message) = failed(result);
    assert!(
        message.chars().count() <= 5000,
        "{}",
        message.chars().count()
    );
    let lines: Vec<&str> = message.lines().collect();
    assert!(
        lines[1].starts_with("IngressOpenToWorld on Open "),
        "{message}"
    );
    assert!(lines[2].starts_with("SSHOpenToWorld on Open "), "{message}");
    assert!(
        lines
            .last()
            .unwrap()
            .ends_with("more findings: `cicd validate` on the template lists them all")
    );
}

#[tokio::test]
async fn an_unresolved_setting_that_cannot_be_used_fails_every_job_as_a_configuration_error() {
    let settings = Settings::from_lookup(|name| match name {
        "RULES_TABLE" => Some("cicd-rules".to_string()),
        "UNRESOLVED" => Some("warn".to_string()),
        _ => None,
    });
    let setup: Setup<()> = Setup::new(settings.map(drop));
    let rig = harness::stage::Stage::new();
    let runner = Runner::from_sdk(&rig.pipeline.sdk_config());
    let stage = InMemory::new();
    let report = rig
        .run(
            &stage.event(&InMemory::app_parameters()),
            None,
            |lambda_event| {
                runner.run_with(&setup, lambda_event, |_: Arc<()>, _, _| async {
                    Err(JobError::failed("the handler ran"))
                })
            },
        )
        .await;
    match &report {
        JobReport::Failure { kind, message, .. } => {
            assert_eq!(kind, "ConfigurationError");
            assert_eq!(
                message,
                "the function's UNRESOLVED environment variable is \"warn\"; it must be pass, flag or fail (what findings on values the check cannot resolve do to the verdict)"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}
