//! The Hook's verdicts, in process (rules in memory, payloads given): each
//! target type and invocation point, both key spellings, stringified
//! values, and the exact answer each gets (status, error code, message,
//! annotations).

mod support;

use cfn_hook::HookStatus;
use cfn_hook::answer::{Annotation, AnnotationStatus, ErrorCode, HookAnswer, Severity};
use serde_json::{Value, json};
use support::*;
use template_rules::RuleSet;

const BASTION: &str = "tests/fixtures/templates/bastion-ssh-open.yaml";
const APP: &str = "calculator/cloudformation/application.json";

fn annotation(
    name: &str,
    status: AnnotationStatus,
    message: &str,
    severity: Severity,
) -> Annotation {
    Annotation {
        annotation_name: name.to_string(),
        status,
        status_message: message.to_string(),
        remediation_message: None,
        remediation_link: None,
        severity_level: severity,
    }
}

/// BastionSg's two findings, as an annotation says them.
const BASTION_FINDINGS: &str = "1 finding: BastionSg (line 15): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 (default of parameter SshLocation); SecurityGroupIngress[1] admits tcp 22 from ::/0";

#[tokio::test]
async fn a_stack_that_passes_succeeds() {
    let hook = hook(RuleSet::default_items(), Ok(stack_payload(&text(APP))), &[]);
    let answer = answer(&hook, event("stack-create")).await;
    // The template suppresses two of the standard pack's rules, which the
    // default rules alone lack: said, as cfn-validate says it.
    assert_eq!(
        answer,
        HookAnswer {
            hook_status: HookStatus::Success,
            error_code: None,
            message: "no risk found in stack web\n\
                      warnings:\n\
                      LoadBalancer (line 66): suppresses ElbDeletionProtection, which is not a rule in this rule set\n\
                      Listener (line 293): suppresses ElbListenerHttpsRedirect, which is not a rule in this rule set"
                .into(),
            client_request_token: Some("2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e01".into()),
            annotations: Vec::new(),
        }
    );
}

#[tokio::test]
async fn a_stack_that_fails_is_non_compliant_naming_every_rule_with_an_annotation_each() {
    let hook = hook(
        RuleSet::default_items(),
        Ok(stack_payload(&text(BASTION))),
        &[],
    );
    // The update's event spells its keys clientRequesttoken and stackID.
    let answer = answer(&hook, event("stack-update")).await;
    let reason = "SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 (default of parameter SshLocation); SecurityGroupIngress[1] admits tcp 22 from ::/0";
    assert_eq!(
        answer,
        HookAnswer {
            hook_status: HookStatus::Failed,
            error_code: Some(ErrorCode::NonCompliant),
            message: format!(
                "stack web has risk 200 (fails from 50):\nIngressOpenToWorld on BastionSg (line 15): {reason} [risk 100]\nSSHOpenToWorld on BastionSg (line 15): {reason} [risk 100]"
            ),
            client_request_token: Some("2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e02".into()),
            annotations: vec![
                annotation(
                    "IngressOpenToWorld",
                    AnnotationStatus::Failed,
                    BASTION_FINDINGS,
                    Severity::Critical
                ),
                annotation(
                    "SSHOpenToWorld",
                    AnnotationStatus::Failed,
                    BASTION_FINDINGS,
                    Severity::Critical
                ),
            ],
        }
    );
}

#[tokio::test]
async fn a_flagged_stack_goes_on_with_failed_annotations_unless_hook_flagged_is_fail() {
    let old_ami = text("tests/fixtures/templates/old-ami.yaml");
    let annotations = vec![annotation(
        "ForbiddenAMIs",
        AnnotationStatus::Failed,
        "1 finding: Legacy (line 3): ImageId ami-7a11e211 is a forbidden AMI",
        Severity::Medium,
    )];
    let listed =
        "\nForbiddenAMIs on Legacy (line 3): ImageId ami-7a11e211 is a forbidden AMI [risk 10]";

    let warn = hook(all_active(), Ok(stack_payload(&old_ami)), &[]);
    let answer = answer(&warn, event("stack-create")).await;
    assert_eq!(answer.hook_status, HookStatus::Success);
    assert_eq!(answer.error_code, None);
    assert_eq!(
        answer.message,
        format!(
            "stack web has risk 10 (flagged from 5, fails from 50); the operation goes on (HOOK_FLAGGED=warn){listed}"
        )
    );
    assert_eq!(answer.annotations, annotations);

    let fail = hook(
        all_active(),
        Ok(stack_payload(&old_ami)),
        &[("HOOK_FLAGGED", "fail")],
    );
    let answer = support::answer(&fail, event("stack-create")).await;
    assert_eq!(
        (answer.hook_status, answer.error_code),
        (HookStatus::Failed, Some(ErrorCode::NonCompliant))
    );
    assert_eq!(
        answer.message,
        format!(
            "stack web has risk 10 (flagged from 5, fails from 50); HOOK_FLAGGED=fail stops the operation{listed}"
        )
    );
    assert_eq!(answer.annotations, annotations);
}

#[tokio::test]
async fn annotations_carry_the_rule_items_remediation_and_link() {
    let rules = RuleSet::items_from_str(
        r#"
- rule: Versioned
  category: S3
  ruletype: property
  ruledata: {types: [AWS::S3::Bucket], require: {path: VersioningConfiguration.Status, equals: Enabled, missing: fails}}
  riskvalue: 60
  active: "Y"
  remediation: Set VersioningConfiguration.Status to Enabled.
  link: https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
  frameworks: [AWS FSBP S3.14]
"#,
    )
    .unwrap();
    let template = "Resources:\n  A: {Type: AWS::S3::Bucket}\n  B: {Type: AWS::S3::Bucket}\n";
    let hook = hook(rules, Ok(stack_payload(template)), &[]);
    let answer = answer(&hook, event("stack-create")).await;
    assert_eq!(
        answer,
        HookAnswer {
            hook_status: HookStatus::Failed,
            error_code: Some(ErrorCode::NonCompliant),
            message: "stack web has risk 120 (fails from 50):\n\
                      Versioned on A (line 2): VersioningConfiguration is not set [risk 60]\n  \
                      fix: Set VersioningConfiguration.Status to Enabled. [AWS FSBP S3.14] https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html\n\
                      Versioned on B (line 3): VersioningConfiguration is not set [risk 60]"
                .into(),
            client_request_token: Some("2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e01".into()),
            annotations: vec![Annotation {
                remediation_message: Some("Set VersioningConfiguration.Status to Enabled.".into()),
                remediation_link: Some(
                    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html".into()
                ),
                ..annotation(
                    "Versioned",
                    AnnotationStatus::Failed,
                    "2 findings: A (line 2): VersioningConfiguration is not set; B (line 3): VersioningConfiguration is not set",
                    Severity::High,
                )
            }],
        }
    );
}

#[tokio::test]
async fn a_rule_whose_findings_are_suppressed_is_skipped_with_the_reason() {
    let template = text("tests/fixtures/templates/bastion-suppressed.yaml");
    let hook = hook(RuleSet::default_items(), Ok(stack_payload(&template)), &[]);
    let answer = answer(&hook, event("stack-create")).await;
    // IngressOpenToWorld's suppression has no reason, so it is not applied.
    assert_eq!(
        (answer.hook_status, answer.error_code),
        (HookStatus::Failed, Some(ErrorCode::NonCompliant))
    );
    assert_eq!(
        answer.annotations,
        [
            annotation(
                "IngressOpenToWorld",
                AnnotationStatus::Failed,
                "1 finding: BastionSg (line 3): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0",
                Severity::Critical
            ),
            annotation(
                "SSHOpenToWorld",
                AnnotationStatus::Skipped,
                "suppressed in the template: BastionSg (line 3): Bastion behind the corporate VPN's NAT; reviewed 2026-11.",
                Severity::Critical
            ),
        ]
    );
    assert!(answer.message.starts_with("stack web has risk 100 (fails from 50); 1 suppressed finding:\nIngressOpenToWorld on BastionSg (line 3)"), "{}", answer.message);
    assert!(
        answer
            .message
            .contains("\nsuppressed in the template:\nSSHOpenToWorld on BastionSg"),
        "{}",
        answer.message
    );
    assert!(answer.message.ends_with("\nwarnings:\nBastionSg (line 3): the suppression of IngressOpenToWorld gives no reason, so it is not applied"), "{}", answer.message);
}

/// The bastion template, with the change set touching `changes`.
async fn change_set(changes: &[(&str, &str, &str)]) -> HookAnswer {
    let hook = hook(
        RuleSet::default_items(),
        Ok(change_set_payload(&text(BASTION), changes)),
        &[],
    );
    answer(&hook, event("change-set-create")).await
}

const CHANGE_SET: &str = "change set arn:aws:cloudformation:us-east-1:111111111111:changeSet/web-release-42/7c6b5a49-3e2d-41f0-9e8d-1a2b3c4d5e6f";

#[tokio::test]
async fn a_change_set_counts_only_what_it_creates_or_changes() {
    // It changes the instance and the internal group; BastionSg, open to
    // the world, stays as it is: its findings are listed, not counted.
    let answer = change_set(&[
        ("Modify", "AppSg", "AWS::EC2::SecurityGroup"),
        ("CREATE", "Bastion", "AWS::EC2::Instance"),
    ])
    .await;
    let reason = "SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 (default of parameter SshLocation); SecurityGroupIngress[1] admits tcp 22 from ::/0";
    let context = "nothing on what the change set creates or changes; 1 finding on other resources, not counted: BastionSg (line 15): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 (default of parameter SshLocation); SecurityGroupIngress[1] admits tcp 22 from ::/0";
    assert_eq!(
        answer,
        HookAnswer {
            hook_status: HookStatus::Success,
            error_code: None,
            message: format!(
                "no risk found in {CHANGE_SET}\non resources the change set does not create or change (not counted):\nIngressOpenToWorld on BastionSg (line 15): {reason} [risk 100]\nSSHOpenToWorld on BastionSg (line 15): {reason} [risk 100]"
            ),
            client_request_token: Some("2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e04".into()),
            annotations: vec![
                annotation(
                    "IngressOpenToWorld",
                    AnnotationStatus::Passed,
                    context,
                    Severity::Critical
                ),
                annotation(
                    "SSHOpenToWorld",
                    AnnotationStatus::Passed,
                    context,
                    Severity::Critical
                ),
            ],
        }
    );

    // Changing BastionSg (either spelling of the action) counts it.
    for action in ["UPDATE", "Modify", "Add", "Import", "Dynamic"] {
        let answer = change_set(&[(action, "BastionSg", "AWS::EC2::SecurityGroup")]).await;
        assert_eq!(answer.status(), "FAILED/NonCompliant", "{action}");
        assert!(answer.message.starts_with(&format!("{CHANGE_SET} has risk 200 (fails from 50):\nIngressOpenToWorld on BastionSg (line 15)")), "{action}: {}", answer.message);
        assert!(
            !answer.message.contains("not counted"),
            "{}",
            answer.message
        );
    }
    // Deleting it does not.
    for action in ["DELETE", "Remove"] {
        let answer = change_set(&[(action, "BastionSg", "AWS::EC2::SecurityGroup")]).await;
        assert_eq!(answer.status(), "SUCCESS", "{action}");
    }
}

#[tokio::test]
async fn what_a_change_set_provisions_that_its_template_does_not_show_is_never_a_pass() {
    let answer = change_set(&[("CREATE", "MacroMade", "AWS::EC2::SecurityGroup")]).await;
    assert_eq!(answer.status(), "SUCCESS", "flagged, and HOOK_FLAGGED=warn");
    assert!(
        answer.message.starts_with(&format!("{CHANGE_SET} is flagged for 1 unresolved finding: a rule that may fire on values the check could not resolve (risk 100 if it does; the resolved risk 0 is below 5); the operation goes on (HOOK_FLAGGED=warn)\nunresolved (could not be resolved; check by hand):\n(unseen) on MacroMade (line 1): the change set provisions MacroMade (AWS::EC2::SecurityGroup), which its template does not show: it is not checked [risk 100, unresolved: MacroMade is not in the template]")),
        "{}",
        answer.message
    );
    assert_eq!(
        answer.annotations.first(),
        Some(&annotation(
            "(unseen)",
            AnnotationStatus::Failed,
            "1 finding: MacroMade (line 1): the change set provisions MacroMade (AWS::EC2::SecurityGroup), which its template does not show: it is not checked (unresolved)",
            Severity::Critical
        ))
    );
}

/// A resource event, with these ingress rules (values as CloudFormation
/// sends them: strings).
fn resource(name: &str, ingress: Value) -> Value {
    let mut event = event(name);
    event["requestData"]["targetModel"]["resourceProperties"]["SecurityGroupIngress"] = ingress;
    event
}

#[tokio::test]
async fn a_resource_is_judged_as_a_template_of_it_alone_with_its_values_as_strings() {
    let hook = hook(
        RuleSet::default_items(),
        Err(cfn_hook::FetchError("never fetched".into())),
        &[],
    );
    // Its create (clientRequestToken, stackId): SSH from 10.0.0.0/8 only.
    let answer = answer(&hook, event("resource-create")).await;
    assert_eq!(
        answer,
        HookAnswer {
            hook_status: HookStatus::Success,
            error_code: None,
            message: "no risk found in resource BastionSg (AWS::EC2::SecurityGroup)".into(),
            client_request_token: Some("2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e05".into()),
            annotations: vec![
                annotation(
                    "IngressOpenToWorld",
                    AnnotationStatus::Passed,
                    "no finding",
                    Severity::Critical
                ),
                annotation(
                    "SSHOpenToWorld",
                    AnnotationStatus::Passed,
                    "no finding",
                    Severity::Critical
                ),
            ],
        }
    );
    // Its update (clientRequesttoken, stackID) opens "22" to the world.
    let answer = support::answer(&hook, event("resource-update")).await;
    let findings =
        "1 finding: BastionSg (line 1): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0";
    assert_eq!(
        answer,
        HookAnswer {
            hook_status: HookStatus::Failed,
            error_code: Some(ErrorCode::NonCompliant),
            message: "resource BastionSg (AWS::EC2::SecurityGroup) has risk 200 (fails from 50):\nIngressOpenToWorld on BastionSg (line 1): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 [risk 100]\nSSHOpenToWorld on BastionSg (line 1): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 [risk 100]".into(),
            client_request_token: Some("2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e06".into()),
            annotations: vec![
                annotation("IngressOpenToWorld", AnnotationStatus::Failed, findings, Severity::Critical),
                annotation("SSHOpenToWorld", AnnotationStatus::Failed, findings, Severity::Critical),
            ],
        }
    );
    // Ports written as a range of strings, the protocol as "-1", IPv6.
    for ingress in [
        json!([{"IpProtocol": "tcp", "FromPort": "0", "ToPort": "65535", "CidrIpv6": "::/0"}]),
        json!([{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]),
        json!([{"IpProtocol": "6", "FromPort": "20", "ToPort": "30", "CidrIp": "0.0.0.0/0"}]),
    ] {
        let answer = support::answer(&hook, resource("resource-update", ingress.clone())).await;
        assert_eq!(
            answer.status(),
            "FAILED/NonCompliant",
            "{ingress}: {}",
            answer.message
        );
    }
}

#[tokio::test]
async fn every_delete_succeeds_without_fetching_or_reading_the_rules() {
    let hook = hook(
        Vec::new(),
        Err(cfn_hook::FetchError("must not be fetched".into())),
        &[],
    );
    let failing = cfn_hook::Hook::new(
        rules_table::MemoryRules::failing(
            TABLE,
            rules_table::TableError::Missing {
                table: TABLE.into(),
            },
        ),
        cfn_hook::GivenPayload(Err(cfn_hook::FetchError("must not be fetched".into()))),
        settings(&[]),
    );
    for (name, what, token) in [
        (
            "stack-delete",
            "stack web",
            "2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e03",
        ),
        (
            "resource-delete",
            "resource BastionSg (AWS::EC2::SecurityGroup)",
            "2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e07",
        ),
    ] {
        let expected = HookAnswer::success(
            Some(token.into()),
            format!("nothing to check: {what} is being deleted, which provisions nothing"),
        );
        assert_eq!(answer(&hook, event(name)).await, expected);
        assert_eq!(answer(&failing, event(name)).await, expected);
    }
    let mut change_set = event("change-set-create");
    change_set["actionInvocationPoint"] = json!("DELETE_PRE_PROVISION");
    assert_eq!(answer(&hook, change_set).await.status(), "SUCCESS");
}

#[tokio::test]
async fn change_sets_and_resources_at_every_invocation_point() {
    let open = change_set_payload(
        &text(BASTION),
        &[("UPDATE", "BastionSg", "AWS::EC2::SecurityGroup")],
    );
    let hook = hook(RuleSet::default_items(), Ok(open), &[]);
    for (point, status) in [
        ("CREATE_PRE_PROVISION", "FAILED/NonCompliant"),
        ("UPDATE_PRE_PROVISION", "FAILED/NonCompliant"),
        ("DELETE_PRE_PROVISION", "SUCCESS"),
    ] {
        let mut change_set = event("change-set-create");
        change_set["actionInvocationPoint"] = json!(point);
        assert_eq!(
            answer(&hook, change_set).await.status(),
            status,
            "change set {point}"
        );
        let mut resource = event("resource-update");
        resource["actionInvocationPoint"] = json!(point);
        assert_eq!(
            answer(&hook, resource).await.status(),
            status,
            "resource {point}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn guard_items_are_judged_in_the_binarys_bounded_workers_like_any_rule() {
    let mut rules = RuleSet::default_items();
    rules.push(
        serde_json::from_value(json!({
            "rule": "S3Encrypted", "category": "S3", "ruletype": "guard", "riskvalue": 60, "active": "Y",
            "ruledata": text("crates/guard-rules/tests/rules/s3_bucket_encrypted.guard"),
        }))
        .unwrap(),
    );
    let template = text("tests/fixtures/templates/unencrypted-bucket.yaml");
    let hook = hook(rules, Ok(stack_payload(&template)), &[]);
    let answer = answer(&hook, event("stack-create")).await;
    assert_eq!(answer.status(), "FAILED/NonCompliant", "{}", answer.message);
    assert!(
        answer
            .message
            .starts_with("stack web has risk 60 (fails from 50):\nS3Encrypted on Logs (line 13): "),
        "{}",
        answer.message
    );
    let guard = answer
        .annotations
        .iter()
        .find(|a| a.annotation_name == "S3Encrypted")
        .expect("an annotation for the guard item");
    assert_eq!(guard.status, AnnotationStatus::Failed);
    assert_eq!(guard.severity_level, Severity::High);
    assert!(
        guard.status_message.contains("S3_BUCKET_SSE_ENABLED"),
        "{}",
        guard.status_message
    );
}
