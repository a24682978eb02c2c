//! The real `service-status` binary under a local Lambda Runtime API, set up
//! through the environment only, as in Lambda: the fake CodePipeline behind
//! `AWS_ENDPOINT_URL_CODEPIPELINE`, moto behind `AWS_ENDPOINT_URL`
//! (`harness::stage`), a test CA in `HEALTH_CHECK_CA_FILE`,
//! loopback (where the test servers are) allowed by
//! `HEALTH_CHECK_ALLOW_LOOPBACK`.

mod support;

use std::time::Duration;

use harness::calculator::Calculator;
use harness::codepipeline::{Fault, JobReport};
use harness::events::JobEvent;
use harness::logs::{assert_no_secret, json_lines};
use harness::server::{Reply, TestCertificate, TestServer};
use harness::stage::Stage;
use harness::unique_name;
use serde_json::json;
use support::{closed_port, timeless};

/// The function's own credentials, recognisable, with a session token as
/// in Lambda (moto accepts any).
const OWN_KEY_ID: &str = "ASIAOWNSERVICESTATUS7";
const OWN_SECRET: &str = "OwnServiceStatusSecretDoNotLogThis0123456";
const OWN_TOKEN: &str = "OwnServiceStatusSessionTokenDoNotLogThisIQoJb3JpZ2lu";

/// Every path (a healthy stack output read with the function's own
/// credentials, https with a password, a query string, unhealthy, not yet,
/// refused, a report CodePipeline refuses) with logging as verbose as any
/// setting makes it (`RUST_LOG=trace`, `AWS_LAMBDA_LOG_LEVEL=TRACE`): one
/// report per job, every line JSON, none with a secret.
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_reports_each_job_once_and_logs_json_without_secrets() {
    let calculator = Calculator::start();
    let certificate = TestCertificate::generate();
    let https = TestServer::start_tls(&certificate, |_, _| Reply::calculator());
    let coming_up = TestServer::always(Reply::bad_gateway());
    let dir = tempfile::tempdir().unwrap();
    let ca_file = certificate.write_pem(dir.path());

    let stage = Stage::with_moto()
        .env("AWS_ACCESS_KEY_ID", OWN_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", OWN_SECRET)
        .env("AWS_SESSION_TOKEN", OWN_TOKEN)
        .env("HEALTH_CHECK_CA_FILE", ca_file.display().to_string())
        .env("HEALTH_CHECK_ALLOW_LOOPBACK", "true")
        .env("RUST_LOG", "trace")
        .env("AWS_LAMBDA_LOG_LEVEL", "TRACE");
    let stack = unique_name("CICD-test-stack");
    stage
        .moto()
        .create_stack_with_output(&stack, "Url", &calculator.url())
        .await;
    let function = stage.spawn(harness::binary("service-status"));

    let job = |parameters: String| {
        JobEvent::new()
            .function_name("CICD-service-status")
            .user_parameters(parameters)
    };
    let https_with_password = https
        .url("/")
        .replace("https://", "https://ops:pa55-w0rd-secret@");
    let refused = format!("http://0.0.0.0:{}/", closed_port());
    let jobs = [
        (job(json!({"stack": stack, "output": "Url", "consecutive_successes": 1}).to_string()), 30, "Succeeded"),
        (job(https_with_password.clone()), 30, "Succeeded"),
        (job(calculator.url() + "/?token=qu3ry-secret"), 30, "Succeeded"),
        (job(json!({"url": format!("http://127.0.0.1:{}/", closed_port()), "deadline_seconds": 0}).to_string()), 30, "Failed"),
        // 7 s, less the runner's 3 s and the check's 2 s margin, then a
        // continuation: the deadline (600 s) is far away.
        (job(json!({"url": coming_up.url("/"), "timeout_seconds": 0.5, "backoff_seconds": 0.2}).to_string()), 7, "InProgress"),
        // Refused whatever is allowed (and were it not, a closed port).
        (job(refused.clone()), 30, "Failed"),
    ];
    let mut secrets: Vec<String> = [
        OWN_KEY_ID,
        OWN_SECRET,
        OWN_TOKEN,
        "pa55-w0rd-secret",
        "qu3ry-secret",
    ]
    .map(str::to_string)
    .to_vec();
    let mut reports = Vec::new();
    for (event, timeout, status) in &jobs {
        secrets.extend(event.credentials.secrets().iter().map(|s| s.to_string()));
        let report = function.job(event, Duration::from_secs(*timeout));
        assert_eq!(report.status(), *status, "{report:#?}");
        reports.push(report);
    }

    // A report CodePipeline refuses: an error to the Runtime API.
    stage.pipeline.fail_every_call(Fault::Status(500));
    let refused_report = job(calculator.url());
    secrets.extend(
        refused_report
            .credentials
            .secrets()
            .iter()
            .map(|s| s.to_string()),
    );
    let error = function
        .invoke(refused_report.build(), Duration::from_secs(30))
        .expect_error();
    assert_eq!(error["errorType"], "JobNotReported");
    stage.pipeline.stop_failing();
    assert_eq!(stage.pipeline.calls().len(), jobs.len() + 3);

    let summary = |r: &JobReport| timeless(r.message().unwrap_or_default());
    assert_eq!(
        summary(&reports[0]),
        format!(
            "{}/ is healthy: 200 OK in T, at the first attempt\nstack {stack} is CREATE_COMPLETE",
            calculator.url()
        )
    );
    assert_eq!(
        summary(&reports[1]),
        format!(
            "{} is healthy: 200 OK in T, at the first attempt",
            https.url("/").replace("https://", "https://ops:***@")
        )
    );
    assert_eq!(
        summary(&reports[2]),
        format!(
            "{}/?*** is healthy: 200 OK in T, at the first attempt",
            calculator.url()
        )
    );
    assert!(
        summary(&reports[3]).ends_with(
            "cannot connect (after T): tcp connect error: Connection refused (os error 111)"
        ),
        "{reports:#?}"
    );
    assert!(reports[4].is_in_progress());
    assert!(
        matches!(&reports[5], JobReport::Failure { kind, message, .. }
        if kind == "ConfigurationError" && message.starts_with(&format!("UserParameters: refused to check {refused}: ")))
    );

    let logs = function.logs();
    let parsed = json_lines(&logs);
    assert_eq!(
        parsed.len(),
        logs.len(),
        "every log line is JSON: {logs:#?}"
    );
    let attempt_lines: Vec<_> = parsed
        .iter()
        .filter(|l| l["fields"]["message"] == "attempt" || l["message"] == "attempt")
        .collect();
    assert!(
        attempt_lines.len() >= 5,
        "an attempt logs a line: {logs:#?}"
    );
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_secret(&logs, &secrets);
    // More than INFO was logged; nothing of another crate's TRACE, nor the
    // AWS SDK's DEBUG, was.
    assert!(parsed.iter().any(|l| l["level"] == "DEBUG"));
    let ours = ["service_status", "pipeline_job", "health_check"];
    assert!(
        parsed.iter().filter(|l| l["level"] == "TRACE").all(|l| ours
            .iter()
            .any(|t| l["target"].as_str().unwrap_or("").starts_with(t))),
        "{logs:#?}"
    );
    assert!(
        !parsed.iter().any(
            |l| l["level"] == "DEBUG" && l["target"].as_str().unwrap_or("").starts_with("aws_")
        ),
        "{logs:#?}"
    );
}

/// `main` sets the checker up from the environment: a CA file that cannot
/// be read reaches the runner, which fails the job saying so (that it does
/// so once per job, and logs once, is checked on cfn-validate's binary).
#[test]
fn a_ca_file_that_cannot_be_read_fails_the_job_as_configuration() {
    let stage = Stage::new().env("HEALTH_CHECK_CA_FILE", "/nonexistent/ca.pem");
    let function = stage.spawn(harness::binary("service-status"));
    let report = function.job(
        &JobEvent::new().user_parameters("http://127.0.0.1:9/"),
        Duration::from_secs(30),
    );
    let JobReport::Failure { kind, message, .. } = &report else {
        panic!("a failure report: {report:#?}");
    };
    assert_eq!(kind, "ConfigurationError");
    assert!(
        message.starts_with("HEALTH_CHECK_CA_FILE: cannot read the CA file /nonexistent/ca.pem"),
        "{message}"
    );
}
