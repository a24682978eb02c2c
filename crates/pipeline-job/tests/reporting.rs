//! Every invocation ends in exactly one report, checked against the fake
//! CodePipeline with the real `aws-sdk-codepipeline` client.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use harness::codepipeline::{FakeCodePipeline, Fault, JobReport};
use harness::events::JobEvent;
use harness::stage::lambda_event;
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use pipeline_job::reporter::{MAX_MESSAGE, MAX_SUMMARY, Reported};
use pipeline_job::{JobError, JobReporter, NotReported, Outcome, Runner, Setup};
use serde_json::json;

/// The fake's SDK configuration with the SDK's retries turned off: what
/// the reporter is built from in these tests, so that every retry seen is
/// one our configuration asked for (`pipeline_job::aws::retries`).
fn without_retries(fake: &FakeCodePipeline) -> aws_config::SdkConfig {
    fake.sdk_config()
        .into_builder()
        .retry_config(RetryConfig::disabled())
        .build()
}

fn runner(fake: &FakeCodePipeline) -> Runner {
    Runner::from_sdk(&without_retries(fake))
}

fn failure(report: &JobReport) -> (&str, &str) {
    match report {
        JobReport::Failure { kind, message, .. } => (kind.as_str(), message.as_str()),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_success_is_reported_once_with_its_summary_variables_and_request_id() {
    let fake = FakeCodePipeline::start();
    let event = JobEvent::new();
    let invoked = lambda_event(event.build(), Some(Duration::from_secs(30)));
    let request_id = invoked.context.request_id.clone();
    let seen = request_id.clone();
    let answer = runner(&fake)
        .run(invoked, |job, inv| async move {
            assert_eq!(inv.request_id, seen);
            assert!(inv.remaining().unwrap() > Duration::from_secs(20));
            let mut output_variables = BTreeMap::new();
            output_variables.insert("verdict".to_string(), "pass".to_string());
            output_variables.insert("not a valid name".to_string(), "dropped".to_string());
            Ok(Outcome::Success {
                summary: format!("checked job {}", job.id),
                output_variables,
            })
        })
        .await
        .unwrap();
    assert_eq!(
        answer,
        json!({"jobId": event.job_id, "status": "Succeeded", "reported": true})
    );
    let reports = fake.reports();
    assert_eq!(reports.len(), 1);
    let JobReport::Success {
        job_id,
        summary,
        external_execution_id,
        output_variables,
        continuation_token,
        ..
    } = &reports[0]
    else {
        panic!("expected success: {reports:?}");
    };
    assert_eq!(job_id, &event.job_id);
    assert_eq!(
        summary.as_deref(),
        Some(format!("checked job {}", event.job_id).as_str())
    );
    assert_eq!(external_execution_id.as_deref(), Some(request_id.as_str()));
    assert_eq!(
        output_variables.get("verdict").map(String::as_str),
        Some("pass")
    );
    assert_eq!(output_variables.len(), 1);
    assert!(continuation_token.is_none());
}

#[tokio::test]
async fn an_error_is_reported_as_a_failure_of_its_kind() {
    let fake = FakeCodePipeline::start();
    runner(&fake)
        .run(lambda_event(JobEvent::new().build(), None), |_, _| async {
            Err(JobError::configuration(
                "UserParameters: missing field `file`",
            ))
        })
        .await
        .unwrap();
    let reports = fake.reports();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        failure(&reports[0]),
        ("ConfigurationError", "UserParameters: missing field `file`")
    );
}

#[tokio::test]
async fn a_setup_error_fails_every_job_as_a_configuration_error_once_each() {
    let fake = FakeCodePipeline::start();
    let runner = runner(&fake);
    let setup: Setup<String> = Setup::new(Err(
        "the function's RULES_TABLE environment variable is not set",
    ));
    let jobs = [JobEvent::new(), JobEvent::new()];
    for job in &jobs {
        let answer = runner
            .run_with(&setup, lambda_event(job.build(), None), |_, _, _| async {
                Ok(Outcome::success("the handler never runs without its state"))
            })
            .await
            .unwrap();
        assert_eq!(
            answer,
            json!({"jobId": job.job_id, "status": "Failed", "reported": true})
        );
    }
    let reports = fake.reports();
    assert_eq!(reports.len(), 2, "one report per job: {reports:?}");
    assert_eq!(fake.calls().len(), 2);
    for (report, job) in reports.iter().zip(&jobs) {
        assert_eq!(report.job_id(), job.job_id);
        assert_eq!(
            failure(report),
            (
                "ConfigurationError",
                "the function's RULES_TABLE environment variable is not set"
            )
        );
    }
}

#[tokio::test]
async fn a_built_state_is_shared_by_every_job() {
    let fake = FakeCodePipeline::start();
    let runner = runner(&fake);
    let setup = Setup::new(Ok::<_, String>("rules-table-name".to_string()));
    for _ in 0..2 {
        runner
            .run_with(
                &setup,
                lambda_event(JobEvent::new().build(), None),
                |state, job, _| async move { Ok(Outcome::success(format!("{state} {}", job.id))) },
            )
            .await
            .unwrap();
    }
    let Setup::Ready(state) = &setup else {
        panic!("the state was built");
    };
    assert_eq!(std::sync::Arc::strong_count(state), 1, "no job kept it");
    let reported: Vec<String> = fake
        .reports()
        .iter()
        .map(|r| match r {
            JobReport::Success {
                summary, job_id, ..
            } => {
                assert_eq!(
                    summary.as_deref(),
                    Some(format!("rules-table-name {job_id}").as_str())
                );
                job_id.clone()
            }
            other => panic!("expected a success, got {other:?}"),
        })
        .collect();
    assert_eq!(reported.len(), 2);
}

#[tokio::test]
async fn a_panic_is_reported_as_a_failure_and_the_runner_still_returns_ok() {
    let fake = FakeCodePipeline::start();
    let answer = runner(&fake)
        .run(lambda_event(JobEvent::new().build(), None), |_, _| async {
            let parts: Vec<&str> = Vec::new();
            if parts.is_empty() {
                panic!("index out of bounds in the template walker");
            }
            Ok(Outcome::success("unreachable"))
        })
        .await;
    assert_eq!(answer.unwrap()["status"], "Failed");
    let reports = fake.reports();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        failure(&reports[0]),
        (
            "JobFailed",
            "internal error in the function (index out of bounds in the template walker); the function's logs have the details"
        )
    );
}

#[tokio::test]
async fn a_handler_still_running_near_the_deadline_is_stopped_and_reported() {
    let fake = FakeCodePipeline::start();
    let started = std::time::Instant::now();
    runner(&fake)
        .with_reserve(Duration::from_secs(2))
        .run(
            lambda_event(JobEvent::new().build(), Some(Duration::from_secs(3))),
            |_, _| async {
                tokio::time::sleep(Duration::from_secs(600)).await;
                Ok(Outcome::success("too late"))
            },
        )
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopped before the deadline"
    );
    let reports = fake.reports();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        failure(&reports[0]),
        (
            "JobFailed",
            "the check did not finish in time: it was stopped 2 s before the function's Lambda timeout"
        )
    );
}

#[tokio::test]
async fn a_deadline_already_too_close_fails_at_once() {
    let fake = FakeCodePipeline::start();
    runner(&fake)
        .run(
            lambda_event(JobEvent::new().build(), Some(Duration::from_secs(1))),
            |_, _| async { Ok(Outcome::success("never runs to completion")) },
        )
        .await
        .unwrap();
    let reports = fake.reports();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        failure(&reports[0]),
        (
            "JobFailed",
            "the function was invoked with less than 3 s left before its Lambda timeout, too little to do the check; raise the function's timeout"
        )
    );
}

#[tokio::test]
async fn an_implausible_deadline_is_ignored_not_taken_as_past() {
    // What `cargo lambda watch` sends: 600000 ms after the epoch.
    let fake = FakeCodePipeline::start();
    let mut context = Context::default();
    context.deadline = 600_000;
    runner(&fake)
        .run(
            LambdaEvent::new(JobEvent::new().build(), context),
            |_, inv| async move {
                assert_eq!(inv.remaining(), None);
                Ok(Outcome::success("ran"))
            },
        )
        .await
        .unwrap();
    assert!(fake.reports()[0].is_success());
}

#[tokio::test]
async fn an_event_without_a_job_id_is_ignored_and_nothing_is_reported() {
    let fake = FakeCodePipeline::start();
    let answer = runner(&fake)
        .run(lambda_event(json!({"Records": []}), None), |_, _| async {
            panic!("the handler must not run without a job");
        })
        .await
        .unwrap();
    assert_eq!(answer["status"], "Ignored");
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn a_malformed_job_is_a_configuration_error() {
    let fake = FakeCodePipeline::start();
    let job_id = "6f4d7a52-1111-4b57-9b2d-0f6e3b1c2d3e";
    runner(&fake)
        .run(
            lambda_event(json!({"CodePipeline.job": {"id": job_id}}), None),
            |_, _| async {
                panic!("the handler must not run on a malformed job");
            },
        )
        .await
        .unwrap();
    let reports = fake.reports();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].job_id(), job_id);
    assert_eq!(
        failure(&reports[0]),
        (
            "ConfigurationError",
            "the job event is malformed: CodePipeline.job.data is missing"
        )
    );
}

#[tokio::test]
async fn the_same_event_twice_gives_one_report_and_an_already_reported_answer() {
    let fake = FakeCodePipeline::start();
    let event = JobEvent::new().build();
    let runner = runner(&fake);
    for _ in 0..2 {
        let answer = runner
            .run(lambda_event(event.clone(), None), |_, _| async {
                Ok(Outcome::success("ok"))
            })
            .await
            .unwrap();
        assert_eq!(answer["status"], "Succeeded");
    }
    assert_eq!(fake.reports().len(), 1);
    assert_eq!(
        fake.calls().len(),
        2,
        "the second call was refused as already reported"
    );
}

#[tokio::test]
async fn limits_are_kept_by_truncation_not_by_an_api_error() {
    let fake = FakeCodePipeline::start();
    let reporter = JobReporter::from_sdk(&without_retries(&fake));
    let long = "x".repeat(10_000);
    let ok = reporter
        .report(
            &harness::uuid_v4(),
            &long,
            &Ok(Outcome::success(long.clone())),
        )
        .await
        .unwrap();
    assert_eq!(ok, Reported::Accepted);
    let failed = reporter
        .report(
            &harness::uuid_v4(),
            "req",
            &Err(JobError::failed(long.clone())),
        )
        .await
        .unwrap();
    assert_eq!(failed, Reported::Accepted);
    let continued = reporter
        .report(
            &harness::uuid_v4(),
            "req",
            &Ok(Outcome::Continue {
                token: long.clone(),
                summary: "waiting".into(),
            }),
        )
        .await
        .unwrap();
    assert_eq!(continued, Reported::Accepted);
    let reports = fake.reports();
    let JobReport::Success {
        summary,
        external_execution_id,
        ..
    } = &reports[0]
    else {
        panic!()
    };
    assert_eq!(summary.as_ref().unwrap().chars().count(), MAX_SUMMARY);
    assert_eq!(
        external_execution_id.as_ref().unwrap().chars().count(),
        1500
    );
    assert_eq!(failure(&reports[1]).1.chars().count(), MAX_MESSAGE);
    let JobReport::Success {
        continuation_token, ..
    } = &reports[2]
    else {
        panic!()
    };
    assert_eq!(continuation_token.as_ref().unwrap().chars().count(), 2048);
}

/// Our retries, not the SDK's (they are off in the configuration the
/// runner is given, see [`without_retries`]): a server error is tried again
/// and the report lands once.
#[tokio::test]
async fn a_server_error_is_retried_by_our_settings_and_the_report_lands_once() {
    let fake = FakeCodePipeline::start();
    fake.inject(Fault::Status(500));
    runner(&fake)
        .run(lambda_event(JobEvent::new().build(), None), |_, _| async {
            Ok(Outcome::success("ok"))
        })
        .await
        .unwrap();
    assert_eq!(fake.reports().len(), 1);
    assert_eq!(fake.calls().len(), 2);
}

#[tokio::test]
async fn errors_past_the_retry_budget_fail_the_invocation_so_that_lambda_retries_it() {
    let fake = FakeCodePipeline::start();
    fake.fail_every_call(Fault::Status(503));
    let event = JobEvent::new();
    let error = runner(&fake)
        .run(lambda_event(event.build(), None), |_, _| async {
            Ok(Outcome::success("ok"))
        })
        .await
        .unwrap_err();
    assert_eq!(error.job_id, event.job_id);
    assert_eq!(error.status, "Succeeded");
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "JobNotReported");
    assert!(
        diagnostic.error_message.starts_with(&format!(
            "the result of job {} (Succeeded) could not be reported to CodePipeline: ",
            event.job_id
        )),
        "{}",
        diagnostic.error_message
    );
    assert!(
        diagnostic
            .error_message
            .ends_with("; failing the invocation so that Lambda retries it"),
        "{}",
        diagnostic.error_message
    );
    assert!(fake.reports().is_empty());
    assert_eq!(fake.calls().len(), 3, "our retries: three attempts");

    // Lambda's retry, once CodePipeline answers again: the job is reported.
    fake.stop_failing();
    let answer = runner(&fake)
        .run(lambda_event(event.build(), None), |_, _| async {
            Ok(Outcome::success("ok"))
        })
        .await
        .unwrap();
    assert_eq!(answer["reported"], true);
    assert_eq!(fake.reports().len(), 1);
}

#[tokio::test]
async fn a_report_without_an_answer_before_the_deadline_fails_the_lambda_event() {
    let fake = FakeCodePipeline::start();
    fake.inject(Fault::Hang);
    let event = JobEvent::new();
    let started = std::time::Instant::now();
    let error = runner(&fake)
        .with_reserve(Duration::from_secs(1))
        .run(
            lambda_event(event.build(), Some(Duration::from_secs(2))),
            |_, _| async { Err(JobError::failed("risk 200")) },
        )
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "before the deadline"
    );
    assert_eq!(
        error,
        NotReported {
            job_id: event.job_id.clone(),
            status: "Failed",
            reason: "no answer from CodePipeline before the Lambda deadline".to_string(),
        }
    );
}

#[tokio::test]
async fn an_invalid_job_state_answer_means_already_reported() {
    let fake = FakeCodePipeline::start();
    fake.inject(Fault::InvalidJobState);
    let answer = runner(&fake)
        .run(lambda_event(JobEvent::new().build(), None), |_, _| async {
            Err(JobError::failed("risk 200"))
        })
        .await
        .unwrap();
    assert_eq!(
        answer,
        json!({"jobId": answer["jobId"], "status": "Failed", "reported": false})
    );
    assert_eq!(fake.calls().len(), 1, "not retried");
}
