//! `cicd hook EVENT.json`: the answer cfn-hook would give, printed, with
//! the exit status saying which (0 SUCCESS, 1 NonCompliant, 2 no verdict):
//! the payload given or fetched (from moto's S3, through a presigned URL),
//! the rules the default ones, a file's or the table's.

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use common::*;
use harness::moto::MotoServer;
use harness::unique_name;
use serde_json::{Value, json};

fn event(name: &str) -> String {
    workspace()
        .join(format!("tests/fixtures/events/cfn-hook-{name}.json"))
        .display()
        .to_string()
}

fn template(name: &str) -> String {
    workspace()
        .join(format!("tests/fixtures/templates/{name}"))
        .display()
        .to_string()
}

/// `cicd hook ARGS` with a clean environment plus `env`.
fn hook(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cicd"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .arg("hook")
        .args(args);
    command.envs(env.iter().copied());
    command.output().expect("cicd runs")
}

fn answer(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not an answer ({e}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn a_stack_event_with_its_template_is_answered_as_the_function_would() {
    let failing = hook(
        &[
            &event("stack-update"),
            "--template",
            &template("bastion-ssh-open.yaml"),
        ],
        &[],
    );
    assert_eq!(failing.status.code(), Some(1));
    let failed = answer(&failing);
    assert_eq!(failed["hookStatus"], "FAILED");
    assert_eq!(failed["errorCode"], "NonCompliant");
    assert_eq!(
        failed["clientRequestToken"],
        "2d0a8e3f-6b1c-4f7a-9d2e-5c8b7a6f1e02"
    );
    assert!(failed["message"].as_str().unwrap().starts_with(
        "stack web has risk 210 (fails from 50):\nIngressOpenToWorld on BastionSg (line 15)"
    ));
    let mut failing_rules: Vec<&str> = failed["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "FAILED")
        .map(|a| a["annotationName"].as_str().unwrap())
        .collect();
    failing_rules.sort_unstable();
    assert_eq!(
        failing_rules,
        ["Ec2InstanceImdsv2", "IngressOpenToWorld", "SSHOpenToWorld"]
    );

    let passing = hook(
        &[
            &event("stack-create"),
            "--template",
            &template("egress-only.yaml"),
        ],
        &[],
    );
    assert_eq!(
        passing.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&passing.stderr)
    );
    assert_eq!(answer(&passing)["hookStatus"], "SUCCESS");
}

#[test]
fn the_functions_settings_and_rules_files_apply() {
    let old_ami = template("old-ami.yaml");
    let all_active = workspace()
        .join("tests/fixtures/rules/all-active.yaml")
        .display()
        .to_string();
    // Flagged: a success that warns by default, a failure under HOOK_FLAGGED=fail.
    let warned = hook(
        &[
            &event("stack-create"),
            "--template",
            &old_ami,
            "--rules",
            &all_active,
        ],
        &[],
    );
    assert_eq!(warned.status.code(), Some(0));
    assert!(
        answer(&warned)["message"]
            .as_str()
            .unwrap()
            .starts_with("stack web has risk 10 (flagged from 5")
    );
    let stopped = hook(
        &[
            &event("stack-create"),
            "--template",
            &old_ami,
            "--rules",
            &all_active,
        ],
        &[("HOOK_FLAGGED", "fail")],
    );
    assert_eq!(stopped.status.code(), Some(1));
    // The default rules leave ForbiddenAMIs off: without --rules, what an
    // empty table stands for (the defaults and the standard pack) flags the
    // instance for the pack's IMDSv2 rule alone.
    let defaults = answer(&hook(
        &[&event("stack-create"), "--template", &old_ami],
        &[],
    ));
    assert_eq!(
        defaults["message"],
        "stack web has risk 10 (flagged from 5, fails from 50); the operation goes on (HOOK_FLAGGED=warn)\n\
         Ec2InstanceImdsv2 on Legacy (line 3): MetadataOptions is not set [risk 10]\n  \
         fix: Set MetadataOptions.HttpTokens to required, so that the instance serves its role credentials only through IMDSv2 sessions (a defence against server-side request forgery); not set, the AMI and the account's defaults decide, often optional. [AWS FSBP EC2.8] https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html"
    );
    let failed: Vec<&Value> = defaults["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "FAILED")
        .map(|a| &a["annotationName"])
        .collect();
    assert_eq!(failed, [&json!("Ec2InstanceImdsv2")]);
    // HOOK_BASELINE=previous: the fixture update fails on the port it adds only.
    let payload = workspace()
        .join("tests/fixtures/events/cfn-hook-stack-update-payload.json")
        .display()
        .to_string();
    let update = [event("stack-update"), "--payload".into(), payload];
    let update: Vec<&str> = update.iter().map(String::as_str).collect();
    let new_only = hook(&update, &[("HOOK_BASELINE", "previous")]);
    assert_eq!(new_only.status.code(), Some(1));
    assert!(
        answer(&new_only)["message"].as_str().unwrap().starts_with(
            "stack web has risk 100 (fails from 50); 1 new, 1 existing in the previous template (not counted):\n\
             IngressOpenToWorld on AdminSg (line 9): "
        ),
        "{}",
        answer(&new_only)["message"]
    );
    let whole = answer(&hook(&update, &[]));
    assert!(
        whole["message"]
            .as_str()
            .unwrap()
            .starts_with("stack web has risk 200 (fails from 50):\n"),
        "{}",
        whole["message"]
    );
    // A setting the function would refuse is refused here too.
    let refused = hook(&[&event("resource-create")], &[("HOOK_FLAGGED", "maybe")]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("HOOK_FLAGGED"));
}

#[test]
fn a_resource_needs_no_payload_and_a_payload_url_off_s3_is_no_verdict() {
    let resource = hook(&[&event("resource-update")], &[]);
    assert_eq!(resource.status.code(), Some(1));
    assert_eq!(answer(&resource)["errorCode"], "NonCompliant");

    // A payload URL to the instance metadata address: refused unfetched.
    let mut metadata: Value =
        serde_json::from_str(&std::fs::read_to_string(event("stack-create")).unwrap()).unwrap();
    metadata["requestData"]["payload"] =
        json!("http://169.254.169.254/latest/meta-data/?X-Amz-Signature=s3cr3t");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("event.json");
    std::fs::write(&path, metadata.to_string()).unwrap();
    let refused = hook(&[path.to_str().unwrap()], &[]);
    assert_eq!(refused.status.code(), Some(2));
    let answer = answer(&refused);
    assert_eq!(answer["errorCode"], "InternalFailure");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("?*** is not https"),
        "{answer}"
    );
    assert!(!String::from_utf8_lossy(&refused.stdout).contains("s3cr3t"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_payload_is_fetched_from_moto_and_the_rules_read_from_its_table() {
    let moto = MotoServer::shared();
    let (bucket, table) = (unique_name("hook-cli"), unique_name("hook-cli-rules"));
    moto.create_bucket(&bucket).await;
    moto.create_rules_table(&table).await;
    let bastion = std::fs::read_to_string(template("bastion-ssh-open.yaml")).unwrap();
    let payload = json!({"template": bastion, "changedResources": [
        {"action": "Modify", "logicalResourceId": "BastionSg", "resourceType": "AWS::EC2::SecurityGroup"}]});
    moto.put_object(&bucket, "change-set.json", payload.to_string())
        .await;
    let url = moto
        .s3()
        .get_object()
        .bucket(&bucket)
        .key("change-set.json")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap()
        .uri()
        .to_string();
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(self::event("change-set-create")).unwrap())
            .unwrap();
    event["requestData"]["payload"] = json!(url);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("event.json");
    std::fs::write(&path, event.to_string()).unwrap();

    let mut command = Command::new(env!("CARGO_BIN_EXE_cicd"));
    moto_env(&mut command, moto)
        .env("HOOK_PAYLOAD_ALLOW_LOOPBACK", "true")
        .args([
            "hook",
            path.to_str().unwrap(),
            "--table",
            &table,
            "--endpoint-url",
            &moto.endpoint(),
        ]);
    let output = command.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer = answer(&output);
    assert!(
        answer["message"].as_str().unwrap().starts_with(
            "change set arn:aws:cloudformation:us-east-1:111111111111:changeSet/web-release-42/"
        ),
        "{answer}"
    );
    assert_eq!(answer["errorCode"], "NonCompliant");
    // Without the flag, the loopback URL is refused, as in the function.
    let mut strict = Command::new(env!("CARGO_BIN_EXE_cicd"));
    moto_env(&mut strict, moto).args([
        "hook",
        path.to_str().unwrap(),
        "--table",
        &table,
        "--endpoint-url",
        &moto.endpoint(),
    ]);
    let refused = strict.output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&refused.stdout).contains("X-Amz-Signature"));
}
