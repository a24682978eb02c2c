//! The fake CodePipeline, driven by the real `aws-sdk-codepipeline` client.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_codepipeline::Client;
use aws_sdk_codepipeline::types::{ExecutionDetails, FailureDetails, FailureType};
use harness::codepipeline::{FakeCodePipeline, Fault, JobReport};
use harness::http_client;
use serde_json::json;

fn client(fake: &FakeCodePipeline) -> Client {
    Client::new(&fake.sdk_config())
}

fn failure(kind: FailureType, message: &str) -> FailureDetails {
    FailureDetails::builder()
        .r#type(kind)
        .message(message)
        .build()
        .expect("failure details")
}

#[tokio::test]
async fn success_report_is_recorded_with_its_details() {
    let fake = FakeCodePipeline::start();
    let job_id = harness::uuid_v4();
    client(&fake)
        .put_job_success_result()
        .job_id(&job_id)
        .execution_details(
            ExecutionDetails::builder()
                .summary("3 rules checked, 0 violations")
                .external_execution_id("run-42")
                .percent_complete(100)
                .build(),
        )
        .output_variables("Violations", "0")
        .output_variables("Score", "100")
        .send()
        .await
        .expect("the fake accepts a valid success report");

    let reports = fake.reports();
    assert_eq!(
        reports,
        vec![JobReport::Success {
            job_id: job_id.clone(),
            summary: Some("3 rules checked, 0 violations".into()),
            external_execution_id: Some("run-42".into()),
            percent_complete: Some(100),
            output_variables: BTreeMap::from([
                ("Score".to_string(), "100".to_string()),
                ("Violations".to_string(), "0".to_string()),
            ]),
            continuation_token: None,
        }]
    );
    assert_eq!(reports[0].status(), "Succeeded");
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].operation, "PutJobSuccessResult");
    assert_eq!(calls[0].response_status, 200);
    assert_eq!(calls[0].body["jobId"], json!(job_id));
}

#[tokio::test]
async fn failure_report_is_recorded() {
    let fake = FakeCodePipeline::start();
    let job_id = harness::uuid_v4();
    client(&fake)
        .put_job_failure_result()
        .job_id(&job_id)
        .failure_details(failure(
            FailureType::ConfigurationError,
            "rules table not found",
        ))
        .send()
        .await
        .expect("the fake accepts a valid failure report");

    let reports = fake.wait_for_reports(1, Duration::from_secs(1));
    assert_eq!(
        reports,
        vec![JobReport::Failure {
            job_id: job_id.clone(),
            kind: "ConfigurationError".into(),
            message: "rules table not found".into(),
            external_execution_id: None,
        }]
    );
    assert!(reports[0].is_failure());
    assert_eq!(reports[0].job_id(), job_id);
    assert_eq!(reports[0].status(), "Failed");
}

#[tokio::test]
async fn a_completed_job_rejects_further_reports_like_the_real_service() {
    let fake = FakeCodePipeline::start();
    let cp = client(&fake);
    let job_id = harness::uuid_v4();
    cp.put_job_success_result()
        .job_id(&job_id)
        .send()
        .await
        .expect("first report");

    let again = cp
        .put_job_failure_result()
        .job_id(&job_id)
        .failure_details(failure(FailureType::JobFailed, "late"))
        .send()
        .await
        .expect_err("a second report on a completed job must fail");
    let service_error = again.into_service_error();
    assert!(
        service_error.is_invalid_job_state_exception(),
        "expected the modeled InvalidJobStateException, got {service_error:?}"
    );

    let success_again = cp
        .put_job_success_result()
        .job_id(&job_id)
        .send()
        .await
        .expect_err("also for a second success");
    assert!(
        success_again
            .into_service_error()
            .is_invalid_job_state_exception()
    );
    assert_eq!(fake.reports().len(), 1, "only the first report counts");
    assert_eq!(fake.calls().len(), 3, "but every call is recorded");
}

#[tokio::test]
async fn a_continuation_token_keeps_the_job_open() {
    let fake = FakeCodePipeline::start();
    let cp = client(&fake);
    let job_id = harness::uuid_v4();
    cp.put_job_success_result()
        .job_id(&job_id)
        .continuation_token("poll-2")
        .execution_details(ExecutionDetails::builder().percent_complete(50).build())
        .send()
        .await
        .expect("in-progress report");
    cp.put_job_success_result()
        .job_id(&job_id)
        .output_variables("Status", "healthy")
        .send()
        .await
        .expect("final report after an in-progress one");

    let reports = fake.reports_for(&job_id);
    let statuses: Vec<&str> = reports.iter().map(JobReport::status).collect();
    assert_eq!(statuses, ["InProgress", "Succeeded"]);
    assert_eq!(reports[0].to_json()["continuation_token"], json!("poll-2"));
    assert_eq!(reports[0].to_json()["percent_complete"], json!(50));
}

/// A client that tries once: what a fault does is then the fake's answer,
/// not the SDK's retries.
fn client_trying_once(fake: &FakeCodePipeline) -> Client {
    let config = fake
        .sdk_config()
        .into_builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    Client::new(&config)
}

#[tokio::test]
async fn an_injected_500_is_answered_once_as_internal_failure_and_recorded_with_its_fault() {
    let fake = FakeCodePipeline::start();
    fake.inject(Fault::Status(500));
    let cp = client_trying_once(&fake);
    let job_id = harness::uuid_v4();
    let error = cp
        .put_job_success_result()
        .job_id(&job_id)
        .send()
        .await
        .expect_err("the injected 500");
    assert_eq!(error.raw_response().map(|r| r.status().as_u16()), Some(500));
    cp.put_job_success_result()
        .job_id(&job_id)
        .send()
        .await
        .expect("the fault was used up: the next call is answered normally");

    let calls = fake.calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_eq!(calls[0].response_status, 500);
    assert_eq!(calls[0].response_body["__type"], json!("InternalFailure"));
    assert_eq!(calls[0].fault, Some(Fault::Status(500)));
    assert_eq!(calls[1].response_status, 200);
    assert_eq!(calls[1].fault, None);
    assert_eq!(
        fake.reports().len(),
        1,
        "only the answered call is a report"
    );
}

#[tokio::test]
async fn injected_faults_are_answered_in_order_with_the_services_error_types() {
    let fake = FakeCodePipeline::start();
    let cp = client_trying_once(&fake);

    fake.inject(Fault::Throttling);
    fake.inject(Fault::Status(503));
    fake.inject(Fault::InvalidJobState);
    // For its operation only: the success reports above do not use it up.
    fake.inject_for("PutJobFailureResult", Fault::JobNotFound);
    let mut errors = Vec::new();
    for _ in 0..3 {
        let error = cp
            .put_job_success_result()
            .job_id(harness::uuid_v4())
            .send()
            .await
            .expect_err("an injected fault fails the call");
        errors.push(error.into_service_error());
    }
    assert_eq!(
        errors.iter().map(|e| e.meta().code()).collect::<Vec<_>>(),
        [
            Some("ThrottlingException"),
            Some("ServiceUnavailable"),
            Some("InvalidJobStateException")
        ]
    );
    assert!(errors[2].is_invalid_job_state_exception());
    let statuses: Vec<u16> = fake.calls().iter().map(|c| c.response_status).collect();
    assert_eq!(statuses, [400, 503, 400]);

    let err = cp
        .put_job_failure_result()
        .job_id(harness::uuid_v4())
        .failure_details(failure(FailureType::JobFailed, "x"))
        .send()
        .await
        .expect_err("an injected JobNotFound fails the call");
    assert!(err.into_service_error().is_job_not_found_exception());
    assert!(fake.reports().is_empty(), "no faulted call is a report");
}

#[tokio::test]
async fn over_long_fields_are_rejected_with_validation_exception() {
    let fake = FakeCodePipeline::start();
    let cp = client(&fake);

    let err = cp
        .put_job_failure_result()
        .job_id(harness::uuid_v4())
        .failure_details(failure(FailureType::JobFailed, &"x".repeat(5001)))
        .send()
        .await
        .expect_err("a 5001-character message is too long");
    let service_error = err.into_service_error();
    assert!(
        service_error.is_validation_exception(),
        "expected ValidationException, got {service_error:?}"
    );
    assert!(
        service_error
            .meta()
            .message()
            .unwrap_or_default()
            .contains("failureDetails.message"),
        "the message names the field: {service_error:?}"
    );

    // Exactly at the limit is fine.
    cp.put_job_failure_result()
        .job_id(harness::uuid_v4())
        .failure_details(failure(FailureType::JobFailed, &"x".repeat(5000)))
        .send()
        .await
        .expect("5000 characters are allowed");

    let err = cp
        .put_job_success_result()
        .job_id(harness::uuid_v4())
        .execution_details(
            ExecutionDetails::builder()
                .summary("s".repeat(2049))
                .build(),
        )
        .send()
        .await
        .expect_err("a 2049-character summary is too long");
    assert!(err.into_service_error().is_validation_exception());

    let err = cp
        .put_job_success_result()
        .job_id("not-a-uuid")
        .send()
        .await
        .expect_err("job ids are UUIDs");
    assert!(err.into_service_error().is_validation_exception());

    let err = cp
        .put_job_success_result()
        .job_id(harness::uuid_v4())
        .continuation_token("t")
        .output_variables("K", "v")
        .send()
        .await
        .expect_err("output variables only on a final success");
    assert!(err.into_service_error().is_validation_exception());

    let err = cp
        .put_job_success_result()
        .job_id(harness::uuid_v4())
        .output_variables("K", "v".repeat(1001))
        .send()
        .await
        .expect_err("output variable values are at most 1000 characters");
    assert!(err.into_service_error().is_validation_exception());

    let statuses: Vec<u16> = fake.calls().iter().map(|c| c.response_status).collect();
    assert_eq!(statuses, [400, 200, 400, 400, 400, 400]);
    assert_eq!(fake.reports().len(), 1);
}

#[test]
fn requests_the_service_would_refuse_get_its_error_types() {
    let fake = FakeCodePipeline::start();
    let url = format!("{}/", fake.endpoint());
    let timeout = Duration::from_secs(5);
    let post = |target: &str, body: &str| {
        http_client::request(
            "POST",
            &url,
            &[
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", target),
            ],
            body.as_bytes(),
            timeout,
        )
        .expect("the fake answers")
    };

    let unknown = post("CodePipeline_20150709.PollForJobs", "{}");
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json()["__type"], json!("UnknownOperationException"));

    let missing_id = post("CodePipeline_20150709.PutJobSuccessResult", "{}");
    assert_eq!(missing_id.status, 400);
    assert_eq!(missing_id.json()["__type"], json!("ValidationException"));
    assert_eq!(
        missing_id.header("content-type"),
        Some("application/x-amz-json-1.1")
    );

    let bad_type = post(
        "CodePipeline_20150709.PutJobFailureResult",
        &json!({"jobId": harness::uuid_v4(), "failureDetails": {"type": "Oops", "message": "m"}})
            .to_string(),
    );
    assert_eq!(bad_type.status, 400);
    assert!(
        bad_type.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("JobFailed")
    );

    let no_message = post(
        "CodePipeline_20150709.PutJobFailureResult",
        &json!({"jobId": harness::uuid_v4(), "failureDetails": {"type": "JobFailed"}}).to_string(),
    );
    assert_eq!(no_message.status, 400);

    let not_json = post("CodePipeline_20150709.PutJobSuccessResult", "{nope");
    assert_eq!(not_json.json()["__type"], json!("SerializationException"));

    assert_eq!(fake.calls().len(), 5);
    assert!(fake.reports().is_empty());
}

#[tokio::test]
async fn delay_answers_late_and_hang_never_answers() {
    let fake = FakeCodePipeline::start();
    fake.inject(Fault::Delay(Duration::from_millis(300)));
    let started = Instant::now();
    client(&fake)
        .put_job_success_result()
        .job_id(harness::uuid_v4())
        .send()
        .await
        .expect("a delayed call still succeeds");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(fake.reports().len(), 1, "a delayed call is a report");

    fake.inject(Fault::Hang);
    // No retries: a retry after the attempt timeout would reach the fake
    // again (the fault is for one call) and could succeed in time.
    let config = aws_sdk_codepipeline::config::Builder::from(&fake.sdk_config())
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_millis(500))
                .operation_timeout(Duration::from_millis(800))
                .build(),
        )
        .build();
    let hung = Client::from_conf(config)
        .put_job_success_result()
        .job_id(harness::uuid_v4())
        .send()
        .await;
    assert!(hung.is_err(), "a hung call times out on the client side");
    let calls = fake.calls();
    assert_eq!(calls[1].fault, Some(Fault::Hang));
    assert_eq!(calls[1].response_status, 0, "never answered");
    assert_eq!(fake.reports().len(), 1);
}

#[test]
fn admin_routes_list_and_reset_reports() {
    let fake = FakeCodePipeline::start();
    let job_id = harness::uuid_v4();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        client(&fake)
            .put_job_success_result()
            .job_id(&job_id)
            .continuation_token("again")
            .send()
            .await
            .expect("report")
    });
    drop(runtime);

    let timeout = Duration::from_secs(5);
    let listed = http_client::get(&format!("{}/_reports", fake.endpoint()), timeout)
        .expect("GET /_reports")
        .json();
    assert_eq!(listed[0]["status"], json!("InProgress"));
    assert_eq!(listed[0]["job_id"], json!(job_id));

    let reset = http_client::request(
        "POST",
        &format!("{}/_reset", fake.endpoint()),
        &[],
        b"",
        timeout,
    )
    .expect("POST /_reset");
    assert_eq!(reset.status, 204);
    assert!(fake.reports().is_empty());
    assert!(fake.calls().is_empty());
}

#[test]
fn the_fake_codepipeline_binary_serves_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-codepipeline"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn fake-codepipeline");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first_line = String::new();
    stdout.read_line(&mut first_line).expect("first line");
    let endpoint = first_line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"))
        .to_string();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");

    let job_id = harness::uuid_v4();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        Client::new(&harness::sdk_config(&endpoint))
            .put_job_failure_result()
            .job_id(&job_id)
            .failure_details(failure(FailureType::JobFailed, "1 violation"))
            .send()
            .await
            .expect("the binary accepts a report")
    });
    let reports = http_client::get(&format!("{endpoint}/_reports"), Duration::from_secs(5))
        .expect("GET /_reports")
        .json();
    assert_eq!(
        reports,
        json!([{"status": "Failed", "job_id": job_id, "kind": "JobFailed",
                "message": "1 violation", "external_execution_id": null}])
    );

    // SAFETY: kill has no memory-safety preconditions; the pid is our child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "clean exit on SIGTERM, got {status}");
}
