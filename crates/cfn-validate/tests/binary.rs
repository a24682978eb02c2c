//! The real `cfn-validate` binary under a local Lambda Runtime API, set up
//! through the standard AWS environment only (no test-only code path):
//! moto behind `AWS_ENDPOINT_URL`, the fake CodePipeline behind
//! `AWS_ENDPOINT_URL_CODEPIPELINE` (`harness::stage`).

use std::time::Duration;

use harness::codepipeline::{Fault, JobReport};
use harness::events::JobEvent;
use harness::logs::assert_no_secret;
use harness::stage::Stage;
use harness::zip::make_zip;
use harness::{unique_name, workspace_root};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_cfn-validate");
const APP: &str = "calculator/cloudformation/application.json";
const BASTION: &str = "tests/fixtures/templates/bastion-ssh-open.yaml";

/// A template from the workspace.
fn template(path: &str) -> Vec<u8> {
    std::fs::read(workspace_root().join(path)).unwrap()
}

/// A stage with moto, a new bucket holding `files` as `src.zip`, and an
/// empty rules table in `RULES_TABLE`: the stage, the bucket's name and the
/// table's.
async fn stage_with_source(files: &[(&str, &[u8])]) -> (Stage, String, String) {
    let (bucket, table) = (unique_name("artifacts"), unique_name("rules"));
    let stage = Stage::with_moto().env("RULES_TABLE", &table);
    stage.moto().create_bucket(&bucket).await;
    stage.moto().create_rules_table(&table).await;
    stage
        .moto()
        .put_object(&bucket, "src.zip", make_zip(files))
        .await;
    (stage, bucket, table)
}

/// The Static_Check job for `file` in `bucket`'s `src.zip`.
fn static_check(bucket: &str, file: &str) -> JobEvent {
    JobEvent::new()
        .user_parameters(
            json!({"input": "SourceArtifact", "file": file, "output": bucket}).to_string(),
        )
        .input_artifact("SourceArtifact", bucket, "src.zip")
        .output_artifact("ValidatedTemplate", bucket, "out.zip")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_reports_each_job_once_and_logs_json_without_credentials() {
    let (app, bastion) = (template(APP), template(BASTION));
    let (stage, bucket, _) = stage_with_source(&[
        ("cloudformation/application.json", &app),
        ("bastion.yaml", &bastion),
    ])
    .await;
    let function = stage.spawn(BINARY);

    let pass = static_check(&bucket, "cloudformation/application.json");
    let fail = static_check(&bucket, "bastion.yaml");
    let broken = JobEvent::new().user_parameters("not json");
    let mut secrets: Vec<String> = Vec::new();
    let mut reports = Vec::new();
    for job in [&pass, &fail, &broken] {
        secrets.extend(job.credentials.secrets().iter().map(|s| s.to_string()));
        reports.push(function.job(job, Duration::from_secs(30)));
    }
    // Not even a job: logged, nothing reported, and the function keeps serving.
    let ignored = function
        .invoke(json!({"hello": "world"}), Duration::from_secs(30))
        .expect_response();
    assert_eq!(ignored["status"], "Ignored");
    assert_eq!(stage.pipeline.calls().len(), 3, "nothing reported for it");

    assert!(
        matches!(&reports[0], JobReport::Success { summary: Some(s), .. } if s.starts_with("no risk found in cloudformation/application.json; 2 suppressed findings\n")),
        "{reports:#?}"
    );
    assert!(
        matches!(&reports[1], JobReport::Failure { kind, message, .. } if kind == "JobFailed" && message.starts_with("bastion.yaml has risk 210 (fails from 50):\nIngressOpenToWorld on BastionSg")),
        "{reports:#?}"
    );
    assert!(
        matches!(&reports[2], JobReport::Failure { kind, message, .. }
        if kind == "ConfigurationError" && message.starts_with("UserParameters are not valid JSON"))
    );

    let logs = function.logs();
    assert!(!logs.is_empty());
    for line in &logs {
        let parsed: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        assert!(parsed.get("level").is_some(), "{line}");
    }
    assert!(
        logs.iter().any(|l| l.contains("no CodePipeline.job.id")),
        "the ignored event is logged"
    );
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_secret(&logs, &secrets);
}

#[test]
fn an_event_that_is_not_json_is_refused_by_the_runtime_and_nothing_is_reported() {
    let stage = Stage::new().env("RULES_TABLE", "rules");
    let function = stage.spawn(BINARY);
    let answer = function.invoke_raw(
        b"CodePipeline.job=not json".to_vec(),
        Duration::from_secs(10),
    );
    let error = answer.expect_error();
    assert!(
        error["errorMessage"]
            .as_str()
            .unwrap_or("")
            .starts_with("failed to deserialize the incoming data"),
        "{error}"
    );
    assert!(
        stage.pipeline.calls().is_empty(),
        "without a job id there is nobody to report to"
    );
    assert!(
        function
            .process()
            .wait_for_log("payload deserialization", Duration::from_secs(5))
            .is_some(),
        "the runtime logs the refusal: {:?}",
        function.logs()
    );
    // The function is still serving.
    let ignored = function
        .invoke(json!({}), Duration::from_secs(10))
        .expect_response();
    assert_eq!(ignored["status"], "Ignored");
}

#[test]
fn settings_that_cannot_be_used_fail_every_job_once_and_are_logged_once() {
    // No RULES_TABLE: the function starts anyway.
    let stage = Stage::new();
    let function = stage.spawn(BINARY);
    let jobs = [
        JobEvent::new().user_parameters(r#"{"input": "SourceArtifact", "file": "t.json"}"#),
        JobEvent::new().user_parameters("not even json"),
    ];
    for job in &jobs {
        let report = function.job(job, Duration::from_secs(30));
        assert!(
            matches!(&report, JobReport::Failure { kind, message, .. }
                if kind == "ConfigurationError"
                    && message == "the function's RULES_TABLE environment variable is not set"),
            "{report:?}"
        );
    }
    let logged = function
        .logs()
        .iter()
        .filter(|line| line.contains("the function cannot be set up"))
        .count();
    assert_eq!(logged, 1, "the setup error is logged once, at start");
}

/// CodePipeline's API failing past the SDK's retries: each invocation ends
/// in an error to the Runtime API (once), naming the job, so that Lambda's
/// asynchronous retry runs it again; the job id is in the logs.
#[test]
fn a_report_codepipeline_keeps_refusing_fails_the_invocation_naming_the_job() {
    // No RULES_TABLE: every job fails as a ConfigurationError, without
    // reading anything first.
    let stage = Stage::new();
    stage.pipeline.fail_every_call(Fault::Status(500));
    let function = stage.spawn(BINARY);
    let jobs = [JobEvent::new(), JobEvent::new()];
    for (n, job) in jobs.iter().enumerate() {
        let error = function
            .invoke(job.build(), Duration::from_secs(60))
            .expect_error();
        assert_eq!(error["errorType"], "JobNotReported", "{error}");
        let message = error["errorMessage"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(&format!(
                "the result of job {} (Failed) could not be reported to CodePipeline: ",
                job.job_id
            )),
            "{message}"
        );
        // Three attempts per invocation (the runner's retries), none accepted.
        assert_eq!(stage.pipeline.calls().len(), 3 * (n + 1));
        let logged = function
            .logs()
            .into_iter()
            .find(|l| l.contains("COULD NOT REPORT") && l.contains(&job.job_id));
        assert!(
            logged.is_some(),
            "the job id is logged: {:#?}",
            function.logs()
        );
    }
    assert!(stage.pipeline.reports().is_empty());
}

/// A check that would take seconds more than the invocation has: the real
/// binary stops it at the cutoff (the runner keeps 3 s for reporting),
/// reports it once, and answers; the evaluation on its blocking thread
/// sees the stop flag and ends, so the same process goes on, using no CPU
/// in between, and serves the next job.
#[tokio::test(flavor = "multi_thread")]
async fn a_check_stopped_at_the_deadline_leaves_nothing_running_into_the_next_invocation() {
    let (stage, bucket, table) = stage_with_source(&[
        ("slow.json", &harness::slow::template(800_000)),
        ("cloudformation/application.json", &template(APP)),
    ])
    .await;
    let rules = rules_table::RulesTable::new(stage.moto().dynamodb(), &table);
    for item in harness::slow::rule_items(300) {
        rules
            .put(&serde_json::from_value(item).unwrap())
            .await
            .unwrap();
    }
    let function = stage.spawn(BINARY);
    assert!(
        function
            .api()
            .wait_first_poll(Duration::from_secs(30))
            .is_some()
    );
    let event = |file: &str| {
        JobEvent::new()
            .user_parameters(json!({"input": "SourceArtifact", "file": file}).to_string())
            .input_artifact("SourceArtifact", &bucket, "src.zip")
    };

    // 5 s: stopped 2 s in, while the rules are being applied.
    let report = function
        .job_async(&event("slow.json"), Duration::from_secs(5))
        .await;
    assert!(
        matches!(&report, JobReport::Failure { kind, message, .. }
            if kind == "JobFailed"
                && message == "the check did not finish in time: it was stopped 3 s before the function's Lambda timeout"),
        "{report:#?}"
    );
    let process = function.process();
    assert!(
        process
            .wait_for_log("the stopped handler's work ended", Duration::from_secs(1))
            .is_some(),
        "{:#?}",
        function.logs()
    );

    // Nothing runs on: the process is there, and idle.
    let before = process.cpu_time().expect("the process is running");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let used = process.cpu_time().expect("the process is running") - before;
    assert!(used < Duration::from_millis(300), "{used:?} of CPU in 1 s");

    let next = function
        .job_async(
            &event("cloudformation/application.json"),
            Duration::from_secs(60),
        )
        .await;
    assert!(next.is_success(), "{next:#?}");
    assert!(
        process.exit_status().is_none(),
        "the same process served it"
    );
}

/// The function's own credentials, recognisable, with a session token as
/// in Lambda (moto accepts any).
const OWN_KEY_ID: &str = "ASIAOWNFUNCTIONKEY7Q";
const OWN_SECRET: &str = "OwnFunctionSecretKeyDoNotLogThis0123456789";
const OWN_TOKEN: &str = "OwnFunctionSessionTokenDoNotLogThisIQoJb3JpZ2luX2VjEJr";

/// Logging as verbose as any setting makes it (`RUST_LOG=trace`,
/// `AWS_LAMBDA_LOG_LEVEL=TRACE`), through every path: a pass (the job's
/// credentials reading the artifact from S3 and writing the output, the
/// function's own writing the copy and reading the table), a failure, a
/// configuration error, a failure with 400 findings, a report that
/// CodePipeline refuses. No line carries a credential; foreign crates log
/// no TRACE, the SDK no DEBUG (our DEBUG is there: more was asked for);
/// each event stays small.
#[tokio::test(flavor = "multi_thread")]
async fn with_trace_logging_no_line_carries_a_secret_and_events_stay_small() {
    let (app, bastion) = (template(APP), template(BASTION));
    let mut open = String::from("Resources:\n");
    for i in 0..400 {
        open.push_str(&format!(
            "  Open{i}:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: open\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}}\n"
        ));
    }
    let (stage, bucket, _) = stage_with_source(&[
        ("cloudformation/application.json", &app),
        ("bastion.yaml", &bastion),
        ("open.yaml", open.as_bytes()),
    ])
    .await;
    let stage = stage
        .env("AWS_ACCESS_KEY_ID", OWN_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", OWN_SECRET)
        .env("AWS_SESSION_TOKEN", OWN_TOKEN)
        .env("RUST_LOG", "trace")
        .env("AWS_LAMBDA_LOG_LEVEL", "TRACE");
    let function = stage.spawn(BINARY);

    let jobs = [
        (
            static_check(&bucket, "cloudformation/application.json"),
            "Succeeded",
        ),
        (static_check(&bucket, "bastion.yaml"), "Failed"),
        (JobEvent::new().user_parameters("not json"), "Failed"),
        (static_check(&bucket, "open.yaml"), "Failed"),
    ];
    let mut secrets: Vec<String> = [OWN_KEY_ID, OWN_SECRET, OWN_TOKEN]
        .map(str::to_string)
        .to_vec();
    for (job, status) in &jobs {
        secrets.extend(job.credentials.secrets().iter().map(|s| s.to_string()));
        let report = function.job_async(job, Duration::from_secs(60)).await;
        assert_eq!(report.status(), *status, "{report:#?}");
    }
    stage.pipeline.fail_every_call(Fault::Status(500));
    let refused = static_check(&bucket, "cloudformation/application.json");
    secrets.extend(refused.credentials.secrets().iter().map(|s| s.to_string()));
    let error = function
        .invoke_async(refused.build(), Duration::from_secs(60))
        .await
        .expect_error();
    assert_eq!(error["errorType"], "JobNotReported");
    stage.pipeline.stop_failing();

    let logs = function.logs();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_secret(&logs, &secrets);
    let lines: Vec<Value> = logs
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let ours = |target: &str| {
        target.starts_with("cfn_validate")
            || target.starts_with("pipeline_job")
            || target.starts_with("artifacts")
            || target.starts_with("rules_table")
    };
    let foreign_trace: Vec<&Value> = lines
        .iter()
        .filter(|l| l["level"] == "TRACE" && !ours(l["target"].as_str().unwrap_or("")))
        .collect();
    assert!(foreign_trace.is_empty(), "{foreign_trace:#?}");
    let sdk_debug: Vec<&Value> = lines
        .iter()
        .filter(|l| {
            matches!(l["level"].as_str(), Some("DEBUG" | "TRACE"))
                && l["target"].as_str().unwrap_or("").starts_with("aws_")
        })
        .collect();
    assert!(sdk_debug.is_empty(), "{sdk_debug:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l["level"] == "DEBUG" && l["target"] == "pipeline_job::runner"),
        "DEBUG is logged: more than INFO was asked for"
    );
    for line in &logs {
        assert!(line.len() < 64 * 1024, "a {} byte line", line.len());
    }
    let long = lines
        .iter()
        .find(|l| {
            l["fields"]["message"] == "reporting failure"
                && l["fields"]["failure"]
                    .as_str()
                    .is_some_and(|f| f.starts_with("open.yaml has risk"))
        })
        .expect("the long failure is logged");
    // The decision already keeps a failure within CodePipeline's 5000
    // characters (the rest counted), so it is logged whole; a longer field
    // would be cut to 8 KiB (logging's `a_long_field_is_cut_with_its_length_noted`).
    let failure = long["fields"]["failure"].as_str().unwrap();
    assert!(failure.len() < 9 * 1024, "{} bytes", failure.len());
    assert!(
        failure.ends_with("lists them all"),
        "{}",
        &failure[failure.len().saturating_sub(100)..]
    );
    assert_eq!(stage.pipeline.reports().len(), jobs.len());
}
