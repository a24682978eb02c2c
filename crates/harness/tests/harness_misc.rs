//! Zip, job events, log checks and the calculator runner.

use std::time::Duration;

use aws_lambda_events::event::codepipeline_job::CodePipelineJobEvent;
use harness::calculator::Calculator;
use harness::events::JobEvent;
use harness::logs;
use serde_json::json;

#[test]
fn a_zip_made_in_memory_reads_back_the_same_files() {
    let big = vec![b'a'; 100_000];
    let zip = harness::zip::make_zip(&[
        ("template.yaml", b"AWSTemplateFormatVersion: 2010-09-09\n"),
        ("nested/params.json", b"{}"),
        ("big.txt", &big),
    ]);
    assert!(zip.starts_with(b"PK\x03\x04"));
    assert!(zip.len() < 10_000, "deflated: {} bytes", zip.len());
    let entries = harness::zip::read_zip(&zip);
    assert_eq!(
        entries.keys().collect::<Vec<_>>(),
        ["big.txt", "nested/params.json", "template.yaml"]
    );
    assert_eq!(entries["big.txt"], big);
    assert_eq!(entries["nested/params.json"], b"{}");
}

#[test]
fn job_event_has_the_documented_shape() {
    let event = JobEvent::new()
        .user_parameters(r#"{"table":"rules"}"#)
        .function_name("cfn-validate")
        .input_artifact(
            "SourceArtifact",
            "artifact-bucket",
            "pipe/SourceArti/abc.zip",
        )
        .output_artifact(
            "ValidatedArtifact",
            "artifact-bucket",
            "pipe/Validated/def.zip",
        )
        .continuation_token("token-1")
        .encryption_key(
            "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        );
    let value = event.build();

    let job = &value["CodePipeline.job"];
    assert_eq!(job["id"], json!(event.job_id));
    assert!(harness::is_uuid(&event.job_id));
    assert_eq!(job["accountId"], json!("111111111111"));
    let data = &job["data"];
    assert_eq!(
        data["actionConfiguration"]["configuration"],
        json!({"FunctionName": "cfn-validate", "UserParameters": "{\"table\":\"rules\"}"})
    );
    assert_eq!(data["inputArtifacts"][0]["name"], json!("SourceArtifact"));
    assert_eq!(
        data["inputArtifacts"][0]["location"],
        json!({"type": "S3", "s3Location": {"bucketName": "artifact-bucket", "objectKey": "pipe/SourceArti/abc.zip"}})
    );
    assert_eq!(
        data["inputArtifacts"][0]["revision"].as_str().map(str::len),
        Some(40)
    );
    assert_eq!(data["outputArtifacts"][0]["revision"], json!(null));
    assert_eq!(data["continuationToken"], json!("token-1"));
    assert_eq!(data["encryptionKey"]["type"], json!("KMS"));

    let creds = event.artifact_credentials();
    assert!(creds.access_key_id.starts_with("ASIA"));
    assert_eq!(creds.access_key_id.len(), 20);
    assert_eq!(creds.secret_access_key.len(), 40);
    assert!(creds.session_token.len() > 200);
    assert_eq!(
        data["artifactCredentials"]["accessKeyId"],
        json!(creds.access_key_id)
    );
    assert_eq!(
        data["artifactCredentials"]["secretAccessKey"],
        json!(creds.secret_access_key)
    );
    assert_eq!(
        data["artifactCredentials"]["sessionToken"],
        json!(creds.session_token)
    );
    assert!(data["artifactCredentials"]["expirationTime"].is_i64());

    // The well-known Rust event type parses it.
    let parsed: CodePipelineJobEvent =
        serde_json::from_value(value.clone()).expect("aws_lambda_events parses the event");
    let job = parsed.code_pipeline_job;
    assert_eq!(job.id.as_deref(), Some(event.job_id.as_str()));
    assert_eq!(
        job.data.input_artifacts[0]
            .location
            .s3_location
            .object_key
            .as_deref(),
        Some("pipe/SourceArti/abc.zip")
    );
    assert_eq!(job.data.continuation_token.as_deref(), Some("token-1"));
}

#[test]
fn job_event_defaults_and_overrides() {
    let a = JobEvent::new();
    let b = JobEvent::new();
    assert_ne!(a.job_id, b.job_id);
    assert_ne!(a.credentials, b.credentials, "fresh credentials per event");
    let data = &a.build()["CodePipeline.job"]["data"];
    assert_eq!(data["inputArtifacts"], json!([]));
    assert!(data.get("continuationToken").is_none());
    assert!(data.get("encryptionKey").is_none());
    assert!(
        data["actionConfiguration"]["configuration"]
            .get("UserParameters")
            .is_none()
    );

    let fixed = JobEvent::new()
        .job_id("11111111-2222-4333-8444-555555555555")
        .credentials("ASIAFIXED", "secret", "token")
        .build();
    assert_eq!(
        fixed["CodePipeline.job"]["id"],
        json!("11111111-2222-4333-8444-555555555555")
    );
    assert_eq!(
        fixed["CodePipeline.job"]["data"]["artifactCredentials"]["secretAccessKey"],
        json!("secret")
    );
}

#[test]
fn assert_no_secret_passes_on_clean_logs() {
    let event = JobEvent::new();
    let lines = vec![
        r#"{"level":"INFO","message":"validating","job_id":"x"}"#.to_string(),
        "plain line".to_string(),
    ];
    logs::assert_no_secret(&lines, &event.credentials.secrets());
    assert_eq!(logs::json_lines(&lines).len(), 1);
    assert!(logs::contains(&lines, "validating"));
}

#[test]
#[should_panic(expected = "log line 2 of 2 contains the secret")]
fn assert_no_secret_names_the_leaking_line() {
    let event = JobEvent::new();
    let lines = vec![
        "fine".to_string(),
        format!("creds: {}", event.credentials.session_token),
    ];
    logs::assert_no_secret(&lines, &event.credentials.secrets());
}

#[test]
fn a_stand_in_calculator_is_served_logged_and_killed_on_drop() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("service.js");
    std::fs::write(
        &script,
        r#"
const http = require("http");
http.createServer((req, res) => {
  res.setHeader("Content-Type", "application/json");
  res.end(JSON.stringify({ path: req.url, ok: true }));
}).listen(Number(process.env.PORT), "127.0.0.1", () => console.log("ready on " + process.env.PORT));
"#,
    )
    .expect("write the stand-in script");

    let calculator = Calculator::start_script(&script);
    assert!(calculator.url().starts_with("http://127.0.0.1:"));
    let answer = harness::http_client::get(
        &format!("{}/health", calculator.url()),
        Duration::from_secs(5),
    )
    .expect("the app answers");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), json!({"path": "/health", "ok": true}));
    // The app answered, but its stdout is read by another thread: give
    // the line a moment to arrive (this failed under load).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !logs::contains(&calculator.logs(), "ready on") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        logs::contains(&calculator.logs(), "ready on"),
        "{:?}",
        calculator.logs()
    );

    let pid = calculator.pid();
    drop(calculator);
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}

/// Needs the calculator's packages (`make calculator-deps`), as every test
/// that starts the calculator does: it fails, saying so, without them.
#[test]
fn the_real_calculator_answers_get() {
    let root = harness::workspace_root();
    assert!(
        root.join("calculator/node_modules").is_dir(),
        "calculator/ is not installed: make calculator-deps (npm ci in calculator/)"
    );
    let calculator = Calculator::start();
    let answer = harness::http_client::get(&calculator.url(), Duration::from_secs(5))
        .expect("the calculator answers GET /");
    assert!(answer.status < 500, "GET / answered {}", answer.status);
}
