//! The real `cfn-hook` binary under a local Lambda Runtime API, set up
//! through its environment only: the rules table in moto's DynamoDB, each
//! payload in moto's S3 behind a presigned URL the AWS SDK makes (plain
//! http to loopback, which `HOOK_PAYLOAD_ALLOW_LOOPBACK=true` lets
//! through). Then tried as an attacker would: a payload URL to the
//! metadata address or to loopback without the flag, a 2 GB payload, one
//! that trickles, a YAML alias bomb, a truncated event. Each is answered
//! FAILED in time, and nothing of the presigned URL's query reaches the
//! logs.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_s3::presigning::PresigningConfig;
use harness::lambda_process::LambdaProcess;
use harness::logs::assert_no_secret;
use harness::moto::MotoServer;
use harness::runtime_api::RuntimeApi;
use harness::server::{Reply, TestServer};
use harness::unique_name;
use serde_json::{Value, json};
use support::{change_set_payload, event, stack_payload, text, with_request};

const BINARY: &str = env!("CARGO_BIN_EXE_cfn-hook");

/// The function under its own Runtime API, with moto and a rules table.
struct Function {
    api: RuntimeApi,
    process: LambdaProcess,
}

impl Function {
    fn spawn(moto: &MotoServer, table: &str, extra: &[(&str, &str)]) -> Function {
        let api = RuntimeApi::start();
        let mut env: Vec<(String, String)> = moto.env_vars();
        env.push(("RULES_TABLE".into(), table.into()));
        env.push(("RUST_LOG".into(), "debug".into()));
        env.push(("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "1024".into()));
        for (k, v) in extra {
            env.retain(|(name, _)| name != k);
            env.push((k.to_string(), v.to_string()));
        }
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let process = LambdaProcess::spawn(BINARY.as_ref(), &api, &env);
        Function { api, process }
    }

    /// Invokes with `event`; the answer, and how long it took.
    fn invoke(&self, event: Value) -> (Value, Duration) {
        let started = Instant::now();
        let answer = self
            .api
            .invoke(event, Duration::from_secs(30))
            .expect_response();
        (answer, started.elapsed())
    }
}

/// A fresh bucket and an empty rules table in the shared moto.
async fn moto() -> (&'static MotoServer, String, String) {
    let moto = MotoServer::shared();
    let (bucket, table) = (unique_name("hook-payloads"), unique_name("hook-rules"));
    moto.create_bucket(&bucket).await;
    moto.create_rules_table(&table).await;
    (moto, bucket, table)
}

/// Puts `payload` into S3 and returns a presigned GET URL for it, as
/// CloudFormation hands one to the Hook.
async fn presigned(moto: &MotoServer, bucket: &str, key: &str, payload: &[u8]) -> String {
    moto.put_object(bucket, key, payload).await;
    moto.s3()
        .get_object()
        .bucket(bucket)
        .key(key)
        .presigned(PresigningConfig::expires_in(Duration::from_secs(900)).unwrap())
        .await
        .unwrap()
        .uri()
        .to_string()
}

/// What of a presigned URL is a credential: its signature (and the
/// credential scope's key id).
fn signature(url: &str) -> String {
    url.split("X-Amz-Signature=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fixture_event_is_answered_with_its_payload_from_moto_through_a_presigned_url() {
    let (moto, bucket, table) = moto().await;
    let bastion = text("tests/fixtures/templates/bastion-ssh-open.yaml");
    let payloads: [(&str, Vec<u8>); 3] = [
        ("stack-create", stack_payload(&text("calculator/cloudformation/application.json"))),
        ("stack-update", json!({"template": bastion, "previousTemplate": text("calculator/cloudformation/application.json")}).to_string().into_bytes()),
        ("change-set-create", change_set_payload(&bastion, &[("Modify", "AppSg", "AWS::EC2::SecurityGroup"), ("Add", "Bastion", "AWS::EC2::Instance")])),
    ];
    let function = Function::spawn(moto, &table, &[("HOOK_PAYLOAD_ALLOW_LOOPBACK", "true")]);
    let mut secrets = Vec::new();
    let mut answers = Vec::new();
    for (name, payload) in &payloads {
        let url = presigned(moto, &bucket, &format!("{name}.json"), payload).await;
        assert!(
            url.starts_with("http://127.0.0.1:") && url.contains("X-Amz-Signature="),
            "{url}"
        );
        secrets.push(signature(&url));
        let (answer, took) = function.invoke(with_request(event(name), "payload", json!(url)));
        assert!(took < Duration::from_secs(5), "{name} took {took:?}");
        answers.push((name.to_string(), answer));
    }
    for name in [
        "stack-delete",
        "resource-create",
        "resource-update",
        "resource-delete",
    ] {
        answers.push((name.to_string(), function.invoke(event(name)).0));
    }
    let summary: Vec<(&str, &str, Option<&str>, &str)> = answers
        .iter()
        .map(|(name, a)| {
            (
                name.as_str(),
                a["hookStatus"].as_str().unwrap(),
                a["errorCode"].as_str(),
                a["clientRequestToken"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "stack-create",
                "SUCCESS",
                None,
                "2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e01"
            ),
            (
                "stack-update",
                "FAILED",
                Some("NonCompliant"),
                "2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e02"
            ),
            (
                "change-set-create",
                "SUCCESS",
                None,
                "2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e04"
            ),
            (
                "stack-delete",
                "SUCCESS",
                None,
                "2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e03"
            ),
            (
                "resource-create",
                "SUCCESS",
                None,
                "2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e05"
            ),
            (
                "resource-update",
                "FAILED",
                Some("NonCompliant"),
                "2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e06"
            ),
            (
                "resource-delete",
                "SUCCESS",
                None,
                "2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e07"
            ),
        ]
    );
    // The empty table stands for the defaults and the standard pack: the
    // calculator's template passes with the pack's findings it suppresses,
    // their reasons shown.
    assert_eq!(
        answers[0].1["message"],
        "no risk found in stack web; 2 suppressed findings\n\
         suppressed in the template:\n\
         ElbDeletionProtection on LoadBalancer (line 66): LoadBalancerAttributes[Key=deletion_protection.enabled] is not set (CloudFormation's default: false) [risk 5, suppressed: A stage's load balancer is created and deleted with its stage stack (make teardown, a stack replaced); deletion protection would make every teardown fail.]\n\
         ElbListenerHttpsRedirect on Listener (line 293): DefaultActions[*].RedirectConfig.Protocol does not include HTTPS [risk 20, suppressed: A demo service without a domain or a certificate: the stage's load balancer serves plain HTTP on port 80 by design (README, Deployment choices). Add an HTTPS listener with an ACM certificate for a real service.]"
    );
    // Each annotation carries its pack rule's remediation and link.
    let seeded = template_rules::RuleSet::from_items(rules_table::seed_items());
    let skipped = &answers[0].1["annotations"][1];
    assert_eq!(skipped["annotationName"], "ElbDeletionProtection");
    assert_eq!(skipped["status"], "SKIPPED");
    let rule = seeded.get("ElbDeletionProtection").unwrap();
    assert_eq!(
        skipped["remediationMessage"].as_str(),
        rule.guidance.remediation.as_deref()
    );
    assert_eq!(
        skipped["remediationLink"].as_str(),
        rule.guidance.link.as_deref()
    );
    assert!(
        skipped["remediationLink"]
            .as_str()
            .unwrap()
            .starts_with("https://docs.aws.amazon.com/")
    );
    assert!(answers[1].1["message"].as_str().unwrap().starts_with(
        "stack web has risk 210 (fails from 50):\nIngressOpenToWorld on BastionSg (line 15)"
    ));
    assert_eq!(
        answers[1].1["annotations"][1]["annotationName"],
        "SSHOpenToWorld"
    );
    assert_eq!(answers[1].1["annotations"][1]["severityLevel"], "CRITICAL");
    assert!(
        answers[2].1["message"]
            .as_str()
            .unwrap()
            .contains("\non resources the change set does not create or change (not counted):\n")
    );

    // The empty table stood for its seed, and was not written.
    let scanned = moto
        .dynamodb()
        .scan()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    assert_eq!(scanned.count(), 0, "the Hook never writes the rules table");

    let logs = function.process.logs();
    for line in &logs {
        let parsed: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        assert!(parsed.get("level").is_some(), "{line}");
    }
    assert!(
        harness::logs::contains(&logs, "fetched the payload"),
        "{logs:#?}"
    );
    assert!(
        harness::logs::contains(&logs, "?***"),
        "the payload URL is logged without its query"
    );
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_secret(&logs, &secrets);
    assert_no_secret(&logs, &["X-Amz-Signature", "X-Amz-Credential"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn tried_as_an_attacker_would_every_answer_is_failed_in_time_and_nothing_leaks() {
    let (moto, bucket, table) = moto().await;
    let app = stack_payload(&text("calculator/cloudformation/application.json"));
    let loopback = presigned(moto, &bucket, "loopback.json", &app).await;
    let mut secrets = vec![signature(&loopback)];

    // Without HOOK_PAYLOAD_ALLOW_LOOPBACK: loopback (moto's real presigned
    // URL) and the metadata address are refused unfetched.
    let strict = Function::spawn(moto, &table, &[]);
    let metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/?X-Amz-Signature=metadatasecret";
    secrets.push("metadatasecret".into());
    for (url, refused) in [
        (loopback.as_str(), "is a loopback address, refused"),
        (
            metadata,
            "is not https: the payload must come from S3 over https",
        ),
    ] {
        let (answer, took) =
            strict.invoke(with_request(event("stack-create"), "payload", json!(url)));
        assert!(took < Duration::from_secs(2), "{took:?}");
        assert_eq!(answer["hookStatus"], "FAILED");
        assert_eq!(answer["errorCode"], "InternalFailure");
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.starts_with("the payload URL is refused: ") && message.contains(refused),
            "{message}"
        );
        assert!(message.contains("?***"), "{message}");
    }

    // With it, for the servers below (all on loopback).
    let function = Function::spawn(moto, &table, &[("HOOK_PAYLOAD_ALLOW_LOOPBACK", "true")]);
    // 2 GB, streamed by the server as fast as it is read; never held.
    let huge = TestServer::always(Reply::Big {
        prefix: b"{\"template\": \"".to_vec(),
        total: 2 << 30,
    });
    let (answer, took) = function.invoke(with_request(
        event("stack-create"),
        "payload",
        json!(huge.url("/huge.json?X-Amz-Signature=hugesecret")),
    ));
    secrets.push("hugesecret".into());
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(answer["errorCode"], "InternalFailure");
    assert_eq!(
        answer["message"],
        format!(
            "the payload at {}/huge.json?*** is larger than 16777216 bytes, the most it may be",
            huge.url("")
        )
    );
    assert!(
        huge.body_bytes_sent() < 64 << 20,
        "sent {}",
        huge.body_bytes_sent()
    );

    // A payload that trickles: given up after 10 s, answered well before 30.
    let slow = TestServer::always(Reply::SlowBody {
        prefix: b"{".to_vec(),
        total: 1 << 20,
        every: Duration::from_millis(200),
    });
    let (answer, took) = function.invoke(with_request(
        event("stack-create"),
        "payload",
        json!(slow.url("/slow.json")),
    ));
    assert!(took < Duration::from_secs(13), "{took:?}");
    assert_eq!(answer["errorCode"], "InternalFailure");
    assert_eq!(
        answer["message"],
        format!(
            "the payload at {}/slow.json did not come within 10 s",
            slow.url("")
        )
    );

    // A YAML alias bomb in the template, from S3.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    bomb.push_str("Resources:\n  Bomb:\n    Type: AWS::SNS::Topic\n    Properties: {Tags: *a9}\n");
    let url = presigned(moto, &bucket, "bomb.json", &stack_payload(&bomb)).await;
    secrets.push(signature(&url));
    let (answer, took) =
        function.invoke(with_request(event("stack-create"), "payload", json!(url)));
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(answer["errorCode"], "InternalFailure");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("the template of stack web cannot be read as a CloudFormation template: "),
        "{answer}"
    );

    // A truncated event: not JSON, answered with the token it still shows.
    let whole =
        serde_json::to_vec(&with_request(event("stack-create"), "payload", json!(url))).unwrap();
    let cut = whole[..whole.len() / 2].to_vec();
    let started = Instant::now();
    let answer = function
        .api
        .invoke_raw(cut, Duration::from_secs(30))
        .expect_response();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(answer["hookStatus"], "FAILED");
    assert_eq!(answer["errorCode"], "InternalFailure");
    assert_eq!(
        answer["clientRequestToken"],
        "2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e01"
    );
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("the Hook's event cannot be read: it is not JSON (EOF while parsing"),
        "{answer}"
    );

    // Still serving.
    let (answer, _) = function.invoke(event("resource-create"));
    assert_eq!(answer["hookStatus"], "SUCCESS");

    let mut logs = strict.process.logs();
    logs.extend(function.process.logs());
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_secret(&logs, &secrets);
    assert_no_secret(&logs, &["X-Amz-Signature", "X-Amz-Credential"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_that_cannot_be_used_fail_every_invocation_saying_so() {
    let (moto, _, table) = moto().await;
    let function = Function::spawn(moto, &table, &[("HOOK_FLAGGED", "sometimes")]);
    for name in ["resource-create", "stack-delete"] {
        let (answer, _) = function.invoke(event(name));
        assert_eq!(answer["hookStatus"], "FAILED");
        assert_eq!(answer["errorCode"], "InternalFailure");
        assert_eq!(
            answer["message"],
            "the function cannot be set up: the function's HOOK_FLAGGED environment variable is \"sometimes\"; it must be warn or fail (what a template flagged for a person to look at does to the operation)"
        );
        assert!(answer["clientRequestToken"].is_string());
    }
    // HOOK_BASELINE neither off nor previous: refused alike, never read as off.
    let function = Function::spawn(moto, &table, &[("HOOK_BASELINE", "new")]);
    let (answer, _) = function.invoke(event("stack-update"));
    assert_eq!(
        (&answer["hookStatus"], &answer["errorCode"]),
        (&json!("FAILED"), &json!("InternalFailure"))
    );
    assert_eq!(
        answer["message"],
        "the function cannot be set up: the function's HOOK_BASELINE environment variable is \"new\"; it must be off or previous (whether a stack's update counts only the findings its previous template did not have)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_hook_baseline_previous_an_update_fails_only_on_what_it_adds() {
    let (moto, bucket, table) = moto().await;
    // The fixture payload: port 80 open before and after, 8443 added.
    let payload = text("tests/fixtures/events/cfn-hook-stack-update-payload.json");
    let url = presigned(moto, &bucket, "update.json", payload.as_bytes()).await;
    let function = Function::spawn(
        moto,
        &table,
        &[
            ("HOOK_PAYLOAD_ALLOW_LOOPBACK", "true"),
            ("HOOK_BASELINE", "previous"),
        ],
    );
    let (answer, _) = function.invoke(with_request(event("stack-update"), "payload", json!(url)));
    assert_eq!(
        (&answer["hookStatus"], &answer["errorCode"]),
        (&json!("FAILED"), &json!("NonCompliant"))
    );
    // Judged with the empty table's seed: only AdminSg's port counts.
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "stack web has risk 100 (fails from 50); 1 new, 1 existing in the previous template (not counted):\n\
             IngressOpenToWorld on AdminSg (line 9): SecurityGroupIngress[0] admits tcp 8443 from 0.0.0.0/0 [risk 100]\n"
        ),
        "{message}"
    );
    assert!(
        message.ends_with(
            "existing (in the baseline already; not counted):\n\
             IngressOpenToWorld on WebSg (line 3): SecurityGroupIngress[0] admits tcp 80 from 0.0.0.0/0 [risk 100, existing]"
        ),
        "{message}"
    );
    assert_no_secret(&function.process.logs(), &[&signature(&url)]);
}
