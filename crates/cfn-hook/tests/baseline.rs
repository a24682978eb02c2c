//! `HOOK_BASELINE=previous`: a stack's update judged only on the findings
//! its previous template did not have (the payload's `previousTemplate`,
//! matched by fingerprint), those it had listed as context; everything
//! else judged whole. The exact answer of each (in process: rules in
//! memory, payloads given).

mod support;

use cfn_hook::HookStatus;
use cfn_hook::answer::{Annotation, AnnotationStatus, ErrorCode, HookAnswer, Severity};
use serde_json::{Value, json};
use support::*;
use template_rules::RuleSet;

/// The update's payload: WebSg open on port 80 before (JSON) and after
/// (YAML), and AdminSg open on 8443, which the update adds.
const PAYLOAD: &str = "tests/fixtures/events/cfn-hook-stack-update-payload.json";
/// The update event's token (spelled `clientRequesttoken` in it).
const UPDATE_TOKEN: &str = "2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e02";
const WEB: &str = "WebSg (line 3): SecurityGroupIngress[0] admits tcp 80 from 0.0.0.0/0";
const ADMIN: &str = "AdminSg (line 9): SecurityGroupIngress[0] admits tcp 8443 from 0.0.0.0/0";

fn payload() -> Value {
    serde_json::from_str(&text(PAYLOAD)).unwrap()
}

/// The fixture payload with `previousTemplate` set to `previous`.
fn with_previous(previous: &str) -> Vec<u8> {
    let mut payload = payload();
    payload["previousTemplate"] = json!(previous);
    payload.to_string().into_bytes()
}

/// The answer of a Hook with the default rules and `HOOK_BASELINE` as
/// given (unset for `None`) to `event` with `payload`.
async fn answer_with(baseline: Option<&str>, event_name: &str, payload: Vec<u8>) -> HookAnswer {
    let vars: Vec<(&str, &str)> = baseline.map(|b| ("HOOK_BASELINE", b)).into_iter().collect();
    let hook = hook(RuleSet::default_items(), Ok(payload), &vars);
    answer(&hook, event(event_name)).await
}

fn ssh_passed() -> Annotation {
    Annotation {
        annotation_name: "SSHOpenToWorld".into(),
        status: AnnotationStatus::Passed,
        status_message: "no finding".into(),
        remediation_message: None,
        remediation_link: None,
        severity_level: Severity::Critical,
    }
}

fn ingress(status: AnnotationStatus, message: &str) -> Annotation {
    Annotation {
        annotation_name: "IngressOpenToWorld".into(),
        status,
        status_message: message.into(),
        ..ssh_passed()
    }
}

/// Unset or `off`: the update is judged whole, both open ports counted.
fn judged_whole(token: &str) -> HookAnswer {
    HookAnswer {
        hook_status: HookStatus::Failed,
        error_code: Some(ErrorCode::NonCompliant),
        message: format!(
            "stack web has risk 200 (fails from 50):\n\
             IngressOpenToWorld on {WEB} [risk 100]\n\
             IngressOpenToWorld on {ADMIN} [risk 100]"
        ),
        client_request_token: Some(token.into()),
        annotations: vec![
            ingress(
                AnnotationStatus::Failed,
                &format!("2 findings: {WEB}; {ADMIN}"),
            ),
            ssh_passed(),
        ],
    }
}

#[tokio::test]
async fn an_update_fails_only_on_the_open_port_it_adds_over_its_previous_template() {
    let bytes = text(PAYLOAD).into_bytes();
    assert_eq!(
        answer_with(Some("previous"), "stack-update", bytes.clone()).await,
        HookAnswer {
            hook_status: HookStatus::Failed,
            error_code: Some(ErrorCode::NonCompliant),
            message: format!(
                "stack web has risk 100 (fails from 50); 1 new, 1 existing in the previous template (not counted):\n\
                 IngressOpenToWorld on {ADMIN} [risk 100]\n\
                 existing (in the baseline already; not counted):\n\
                 IngressOpenToWorld on {WEB} [risk 100, existing]"
            ),
            client_request_token: Some(UPDATE_TOKEN.into()),
            annotations: vec![
                ingress(
                    AnnotationStatus::Failed,
                    &format!(
                        "1 finding: {ADMIN}; 1 finding already in the previous template, not counted: {WEB}"
                    )
                ),
                ssh_passed(),
            ],
        }
    );
    // Unset or off: everything counts, as before.
    assert_eq!(
        answer_with(None, "stack-update", bytes.clone()).await,
        judged_whole(UPDATE_TOKEN)
    );
    assert_eq!(
        answer_with(Some("off"), "stack-update", bytes).await,
        judged_whole(UPDATE_TOKEN)
    );
}

#[tokio::test]
async fn an_open_port_already_there_succeeds_with_it_as_context() {
    // The template as it was (JSON then), written in YAML now.
    let same = "Resources:\n  WebSg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}\n";
    let mut payload = payload();
    payload["template"] = json!(same);
    let answer = answer_with(
        Some("previous"),
        "stack-update",
        payload.to_string().into_bytes(),
    )
    .await;
    let web = "WebSg (line 2): SecurityGroupIngress[0] admits tcp 80 from 0.0.0.0/0";
    assert_eq!(
        answer,
        HookAnswer {
            hook_status: HookStatus::Success,
            error_code: None,
            message: format!(
                "no new risk found in stack web; 0 new, 1 existing in the previous template (not counted)\n\
                 existing (in the baseline already; not counted):\n\
                 IngressOpenToWorld on {web} [risk 100, existing]"
            ),
            client_request_token: Some(UPDATE_TOKEN.into()),
            annotations: vec![
                ingress(
                    AnnotationStatus::Passed,
                    &format!(
                        "nothing new; 1 finding already in the previous template, not counted: {web}"
                    )
                ),
                ssh_passed(),
            ],
        }
    );
}

#[tokio::test]
async fn a_previous_template_that_cannot_be_read_is_no_verdict() {
    let unreadable = with_previous("Resources: {}\nOutputs: [1");
    assert_eq!(
        answer_with(Some("previous"), "stack-update", unreadable.clone()).await,
        HookAnswer {
            hook_status: HookStatus::Failed,
            error_code: Some(ErrorCode::InternalFailure),
            message: "the previous template of stack web cannot be read as a CloudFormation template: line 3, column 1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence that starts on line 2)".into(),
            client_request_token: Some(UPDATE_TOKEN.into()),
            annotations: Vec::new(),
        }
    );
    // Not asked to compare, the Hook never reads it.
    assert_eq!(
        answer_with(None, "stack-update", unreadable).await,
        judged_whole(UPDATE_TOKEN)
    );
}

#[tokio::test]
async fn a_create_a_change_set_a_resource_or_an_update_without_a_previous_template_is_judged_whole()
{
    // A create: whatever the payload holds as previousTemplate.
    let create_token = "2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e01";
    let previous = payload()["previousTemplate"].as_str().unwrap().to_string();
    for payload in [with_previous(&previous), with_previous("")] {
        assert_eq!(
            answer_with(Some("previous"), "stack-create", payload).await,
            judged_whole(create_token)
        );
    }
    // An update whose payload has no previous template: nothing to compare.
    assert_eq!(
        answer_with(Some("previous"), "stack-update", with_previous("")).await,
        judged_whole(UPDATE_TOKEN)
    );
    // A change set and a resource: the same answer as without HOOK_BASELINE.
    let template = payload()["template"].as_str().unwrap().to_string();
    let changes = change_set_payload(&template, &[("Add", "AdminSg", "AWS::EC2::SecurityGroup")]);
    for event_name in ["change-set-create", "resource-update"] {
        let off = answer_with(None, event_name, changes.clone()).await;
        assert_eq!(off.hook_status, HookStatus::Failed, "{event_name}: {off:?}");
        assert_eq!(
            answer_with(Some("previous"), event_name, changes.clone()).await,
            off,
            "{event_name}"
        );
    }
}
