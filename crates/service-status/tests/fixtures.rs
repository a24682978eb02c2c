//! The fixture events in tests/fixtures/events/service-status-*.json (for
//! `cargo lambda invoke --data-file`) stay valid jobs with the parameters
//! they claim to have.

mod support;

use std::time::{Duration, UNIX_EPOCH};

use harness::calculator::Calculator;
use harness::{is_uuid, workspace_root};
use health_gate::{Plan, Progress, Selection, Source};
use pipeline_job::Job;
use serde_json::Value;
use service_status::{params, token};
use support::{Stage, success, timeless};

fn fixture(name: &str) -> Value {
    let path = workspace_root().join(format!("tests/fixtures/events/service-status-{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn job(name: &str) -> Job {
    let job = Job::decode(&fixture(name)).unwrap();
    assert!(is_uuid(&job.id), "{name}: job id {}", job.id);
    let credentials = job.data.artifact_credentials.as_ref().unwrap();
    assert!(
        credentials.access_key_id.contains("FAKE"),
        "{name}: obviously fake credentials"
    );
    job
}

#[test]
fn the_url_fixture_is_the_old_plain_url() {
    let plan = params::read(&job("url")).unwrap();
    assert_eq!(plan, Plan::for_url("http://127.0.0.1:8080"));
}

#[test]
fn the_json_fixture_has_a_url_and_an_extra_check() {
    let plan = params::read(&job("json")).unwrap();
    assert_eq!(
        plan.source,
        Source::Url("http://127.0.0.1:8080".to_string())
    );
    assert_eq!(plan.deadline, Duration::from_secs(60));
    assert_eq!(plan.checks.len(), 1);
    assert_eq!(plan.checks[0].path, "/add?a=2&b=3");
    assert_eq!(plan.checks[0].expect.text.as_deref(), Some("5"));
}

#[test]
fn the_stack_fixture_is_the_pipelines_gate_on_the_test_stack() {
    let plan = params::read(&job("stack")).unwrap();
    assert_eq!(
        plan.source,
        Source::StackOutput {
            stack: "CICD-test-stack".to_string(),
            output: "Url".to_string()
        }
    );
    assert_eq!(plan.stack.as_deref(), Some("CICD-test-stack"));
    assert_eq!(plan.targets, Some(Selection::Stack));
    assert_eq!(plan.alarms, Some(Selection::Stack));
    assert_eq!(plan.consecutive_successes, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_continuation_fixture_goes_on_counting_and_passes_a_healthy_calculator() {
    let job = job("continuation");
    let progress = token::read(
        job.data.continuation_token.as_deref(),
        std::time::SystemTime::now(),
    );
    assert_eq!(
        progress,
        Progress {
            first_attempt_at: Some(UNIX_EPOCH + Duration::from_millis(1_767_225_600_000)),
            attempts: 6,
            failures: 6,
            streak: Default::default(),
        }
    );

    // Its deadline passed long ago: one last attempt decides.
    let calculator = Calculator::start();
    let mut payload = fixture("continuation");
    payload["CodePipeline.job"]["data"]["actionConfiguration"]["configuration"]["UserParameters"] =
        Value::String(calculator.url());
    let report = Stage::plain().invoke_payload(payload, &job.id, None).await;
    let (summary, vars) = success(&report);
    assert_eq!(
        timeless(summary),
        format!(
            "{}/ is healthy: 200 OK in T, at attempt 7 (T after the first)",
            calculator.url()
        )
    );
    assert!(vars.contains(&("attempts", "7")));
}
