//! Whatever the Hook cannot use is answered FAILED/InternalFailure, saying
//! why, with the token echoed: never a pass. In process; the real binary's
//! answers to the same, and what it logs, are in `binary.rs`.

mod support;

use std::time::Duration;

use cfn_hook::answer::{ErrorCode, HookAnswer};
use cfn_hook::runner::HookRunner;
use cfn_hook::{FetchError, GivenPayload, Hook, HookStatus};
use harness::stage::lambda_event;
use rules_table::{MemoryRules, TableError};
use serde_json::{Value, json};
use support::*;
use template_rules::{RuleItem, RuleSet};

const TOKEN: &str = "2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e01";
const SIGNATURE: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

fn internal_failure(message: &str) -> HookAnswer {
    HookAnswer {
        hook_status: HookStatus::Failed,
        error_code: Some(ErrorCode::InternalFailure),
        message: message.to_string(),
        client_request_token: Some(TOKEN.to_string()),
        annotations: Vec::new(),
    }
}

fn defaults(payload: Result<Vec<u8>, FetchError>) -> Hook<MemoryRules, GivenPayload> {
    hook(RuleSet::default_items(), payload, &[])
}

#[tokio::test]
async fn a_malformed_event_is_named() {
    let hook = defaults(Ok(stack_payload("Resources: {}")));
    let mut no_target = event("stack-create");
    no_target["requestData"]
        .as_object_mut()
        .unwrap()
        .remove("targetType");
    assert_eq!(
        answer(&hook, no_target).await,
        internal_failure("the Hook's event cannot be read: it has no requestData.targetType")
    );
    let no_payload = with_request(event("stack-create"), "payload", Value::Null);
    assert_eq!(
        answer(&hook, no_payload).await,
        internal_failure("the Hook's event has no requestData.payload to fetch the template from")
    );
    let mut no_properties = event("resource-create");
    no_properties["requestData"]["targetModel"] = json!({});
    assert_eq!(
        answer(&hook, no_properties).await.message,
        "the Hook's event has no properties for resource BastionSg (AWS::EC2::SecurityGroup) (requestData.targetModel.resourceProperties)"
    );
    let answer = answer(&hook, json!([1, 2])).await;
    assert_eq!(
        (
            answer.status(),
            answer.message.as_str(),
            answer.client_request_token
        ),
        (
            "FAILED/InternalFailure",
            "the Hook's event cannot be read: it is a list, not a JSON object",
            None
        )
    );
}

#[tokio::test]
async fn a_payload_url_off_s3_is_refused_before_any_fetch_and_never_shown_whole() {
    // The payload would pass: it is never fetched.
    let hook = defaults(Ok(stack_payload("Resources: {}")));
    let cases = [
        (
            format!(
                "http://169.254.169.254/latest/meta-data/iam/security-credentials/role?X-Amz-Signature={SIGNATURE}"
            ),
            "the payload URL is refused: http://169.254.169.254/latest/meta-data/iam/security-credentials/role?*** is not https: the payload must come from S3 over https",
        ),
        (
            format!("https://169.254.169.254/latest/api/token?X-Amz-Signature={SIGNATURE}"),
            "the payload URL is refused: https://169.254.169.254/latest/api/token?*** is not on an S3 host (such as bucket.s3.us-east-1.amazonaws.com)",
        ),
        (
            format!(
                "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next?X-Amz-Signature={SIGNATURE}"
            ),
            "the payload URL is refused: http://127.0.0.1:9001/2018-06-01/runtime/invocation/next?*** is a loopback address, refused (HOOK_PAYLOAD_ALLOW_LOOPBACK=true allows it, for tests only)",
        ),
        (
            format!("https://s3.amazonaws.com.attacker.example/k?X-Amz-Signature={SIGNATURE}"),
            "the payload URL is refused: https://s3.amazonaws.com.attacker.example/k?*** is not on an S3 host (such as bucket.s3.us-east-1.amazonaws.com)",
        ),
    ];
    for (url, message) in cases {
        let answer = answer(
            &hook,
            with_request(event("stack-create"), "payload", json!(url)),
        )
        .await;
        assert_eq!(answer, internal_failure(message));
        assert!(!answer.message.contains(SIGNATURE));
    }
}

#[tokio::test]
async fn a_payload_that_cannot_be_fetched_or_read_is_no_verdict() {
    let fetch_failed = defaults(Err(FetchError(
        "the payload at https://hooks-payload.s3.us-east-1.amazonaws.com/stack/create.json?*** is larger than 16777216 bytes, the most it may be".into(),
    )));
    assert_eq!(
        answer(&fetch_failed, event("stack-create")).await,
        internal_failure(
            "the payload at https://hooks-payload.s3.us-east-1.amazonaws.com/stack/create.json?*** is larger than 16777216 bytes, the most it may be"
        )
    );
    for (payload, message) in [
        (
            b"{\"template\": \"Resources".to_vec(),
            "the payload cannot be read: it is not JSON (EOF while parsing a string at line 1 column 23)",
        ),
        (
            json!({"previousTemplate": "x"}).to_string().into_bytes(),
            "the payload cannot be read: it has no template",
        ),
    ] {
        let hook = defaults(Ok(payload));
        assert_eq!(
            answer(&hook, event("stack-create")).await,
            internal_failure(message)
        );
    }
}

#[tokio::test]
async fn a_template_that_cannot_be_read_is_no_verdict_and_a_yaml_alias_bomb_is_one() {
    let hook = defaults(Ok(stack_payload("Resources:\n  A: [unclosed\n")));
    let answer = answer(&hook, event("stack-create")).await;
    assert_eq!(answer.status(), "FAILED/InternalFailure");
    assert!(
        answer
            .message
            .starts_with("the template of stack web cannot be read as a CloudFormation template: "),
        "{}",
        answer.message
    );
    // Nine levels of nine aliases: 9^9 values once written out.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    bomb.push_str("Resources:\n  Bomb:\n    Type: AWS::SNS::Topic\n    Properties: {Tags: *a9}\n");
    let hook = defaults(Ok(stack_payload(&bomb)));
    let started = std::time::Instant::now();
    let answer = support::answer(&hook, event("stack-create")).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(answer.status(), "FAILED/InternalFailure");
    assert!(
        answer
            .message
            .starts_with("the template of stack web cannot be read as a CloudFormation template: "),
        "{}",
        answer.message
    );
    assert!(
        answer.message.contains("500000"),
        "the values cap: {}",
        answer.message
    );
}

#[tokio::test]
async fn rules_that_cannot_be_used_or_read_are_no_verdict() {
    let payload = Ok(stack_payload(&text(
        "tests/fixtures/templates/bastion-ssh-open.yaml",
    )));
    let mut broken: RuleItem = RuleSet::default_items().remove(0);
    broken.ruletype = Some(json!("no-such-kind"));
    let hook = hook(vec![broken], payload.clone(), &[]);
    let answer = answer(&hook, event("stack-create")).await;
    assert_eq!(answer.status(), "FAILED/InternalFailure");
    assert!(
        answer
            .message
            .starts_with("the rules table cicd-rules has active rules that cannot be applied:\n"),
        "{}",
        answer.message
    );

    let missing = Hook::new(
        MemoryRules::failing(
            TABLE,
            TableError::Missing {
                table: TABLE.into(),
            },
        ),
        GivenPayload(payload.clone()),
        settings(&[]),
    );
    assert_eq!(
        support::answer(&missing, event("stack-create")).await,
        internal_failure("the rules cannot be read: the rules table cicd-rules does not exist")
    );

    let guard: RuleItem = serde_json::from_value(json!({
        "rule": "Undefined", "category": "Guard", "ruletype": "guard", "riskvalue": 10, "active": "Y",
        "ruledata": "rule uses_undefined { %nowhere.Properties exists }"
    }))
    .unwrap();
    let hook = support::hook(vec![guard], payload, &[]);
    let answer = support::answer(&hook, event("stack-create")).await;
    assert_eq!(
        answer.status(),
        "FAILED/InternalFailure",
        "{}",
        answer.message
    );
}

#[tokio::test]
async fn a_resource_too_large_for_a_template_is_no_verdict() {
    let hook = defaults(Err(FetchError("never fetched".into())));
    let mut event = event("resource-update");
    event["requestData"]["targetModel"]["resourceProperties"]["GroupDescription"] =
        json!("d".repeat(1 << 20));
    let answer = answer(&hook, event).await;
    assert_eq!(answer.status(), "FAILED/InternalFailure");
    assert!(answer.message.chars().count() <= 1024);
    assert!(
        answer.message.starts_with("the template of resource BastionSg (AWS::EC2::SecurityGroup) cannot be read as a CloudFormation template: "),
        "{}",
        answer.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_evaluation_past_the_deadline_is_stopped_and_answered_in_time() {
    let items: Vec<RuleItem> = harness::slow::rule_items(200)
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    let template = String::from_utf8(harness::slow::template(900_000)).unwrap();
    let hook = std::sync::Arc::new(hook(items, Ok(stack_payload(&template)), &[]));
    let runner = HookRunner::new().with_deadline(Duration::from_millis(1500));
    let started = std::time::Instant::now();
    let answer = runner
        .run(
            lambda_event(event("stack-create"), None),
            |event, invocation| {
                let hook = std::sync::Arc::clone(&hook);
                async move { hook.answer(event, invocation).await }
            },
        )
        .await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "answered after {took:?}");
    assert_eq!(answer.status(), "FAILED/InternalFailure");
    assert!(
        answer.message.starts_with("the check did not finish in time: it was stopped after 2 s, before CloudFormation stops waiting (30 s)")
            || answer.message.starts_with("the check did not finish in time: it was stopped after 1 s, before CloudFormation stops waiting (30 s)"),
        "{}",
        answer.message
    );
    assert_eq!(answer.client_request_token.as_deref(), Some(TOKEN));
    assert!(!runner.must_exit(), "the evaluation saw the stop flag");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panic_is_answered_once_as_an_internal_failure() {
    let runner = HookRunner::new();
    let answer = runner
        .run(lambda_event(event("stack-create"), None), |_, _| async {
            panic!("the handler broke")
        })
        .await;
    assert_eq!(
        answer,
        internal_failure(
            "internal error in the function (the handler broke); the function's logs have the details"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lambda_timeout_cuts_the_deadline_short_when_it_comes_first() {
    let runner = HookRunner::new();
    let started = std::time::Instant::now();
    let answer = runner
        .run(
            lambda_event(event("stack-create"), Some(Duration::from_millis(1800))),
            |_, _| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                HookAnswer::success(None, "too late")
            },
        )
        .await;
    assert!(started.elapsed() < Duration::from_millis(1800));
    assert_eq!(answer.status(), "FAILED/InternalFailure");
    assert!(
        answer
            .message
            .starts_with("the check did not finish in time"),
        "{}",
        answer.message
    );
}
