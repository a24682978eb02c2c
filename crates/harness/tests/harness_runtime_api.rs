//! The local Lambda Runtime API: driven by hand over HTTP, then by a real
//! `lambda_runtime` binary.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use harness::http_client;
use harness::lambda_process::LambdaProcess;
use harness::runtime_api::{Invocation, RuntimeApi};
use serde_json::json;

const POLL: Duration = Duration::from_secs(10);

fn api_url(api: &RuntimeApi) -> String {
    format!("http://{}/2018-06-01/runtime", api.address())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64
}

#[test]
fn an_event_is_served_by_next_with_lambdas_headers_and_answered_by_response() {
    let api = RuntimeApi::start();
    assert_eq!(api.first_poll(), None);
    let base = api_url(&api);

    let function = std::thread::spawn(move || {
        let next = http_client::get(&format!("{base}/invocation/next"), POLL).expect("next");
        assert_eq!(next.status, 200);
        let id = next
            .header("lambda-runtime-aws-request-id")
            .expect("request id header")
            .to_string();
        let deadline: u64 = next
            .header("lambda-runtime-deadline-ms")
            .expect("deadline header")
            .parse()
            .expect("deadline is epoch ms");
        let arn = next
            .header("lambda-runtime-invoked-function-arn")
            .expect("arn header")
            .to_string();
        let trace = next
            .header("lambda-runtime-trace-id")
            .expect("trace header")
            .to_string();
        let event = next.json();
        let posted = http_client::post_json(
            &format!("{base}/invocation/{id}/response"),
            &json!({"got": event}),
            POLL,
        )
        .expect("post response");
        assert_eq!(posted.status, 202);
        (id, deadline, arn, trace)
    });

    let before = now_ms();
    let outcome = api.invoke(json!({"hello": "world"}), Duration::from_secs(30));
    let (id, deadline, arn, trace) = function.join().expect("function thread");
    assert_eq!(
        outcome,
        Invocation::Response {
            request_id: id.clone(),
            body: json!({"got": {"hello": "world"}}),
        }
    );
    assert!(harness::is_uuid(&id), "{id}");
    assert!(
        deadline >= before + 29_000 && deadline <= now_ms() + 30_000,
        "deadline {deadline} is about 30 s after {before}"
    );
    assert!(
        arn.starts_with("arn:aws:lambda:us-east-1:111111111111:function:"),
        "{arn}"
    );
    assert!(trace.starts_with("Root=1-"), "{trace}");
    assert!(api.first_poll().is_some());
    assert_eq!(api.polls(), 1);

    // A second answer for the same request is refused.
    let again = http_client::post_json(
        &format!("{}/invocation/{id}/response", api_url(&api)),
        &json!(null),
        POLL,
    )
    .expect("post");
    assert_eq!(again.status, 400);
}

#[tokio::test]
async fn an_error_posted_for_an_async_invocation_is_its_outcome() {
    let api = RuntimeApi::start();
    let base = api_url(&api);
    let function = std::thread::spawn(move || {
        let next = http_client::get(&format!("{base}/invocation/next"), POLL).expect("next");
        let id = next
            .header("lambda-runtime-aws-request-id")
            .expect("request id")
            .to_string();
        http_client::post_json(
            &format!("{base}/invocation/{id}/error"),
            &json!({"errorType": "Boom", "errorMessage": "it broke"}),
            POLL,
        )
        .expect("post error");
    });
    let outcome = api.invoke_async(json!({}), Duration::from_secs(10)).await;
    function.join().expect("function thread");
    let request_id = outcome.request_id().expect("answered").to_string();
    assert_eq!(
        outcome,
        Invocation::Error {
            request_id,
            body: json!({"errorType": "Boom", "errorMessage": "it broke"}),
        }
    );
}

#[test]
fn first_poll_marks_the_end_of_init_and_init_errors_are_kept() {
    let api = RuntimeApi::start();
    assert_eq!(api.wait_first_poll(Duration::from_millis(50)), None);
    let base = api_url(&api);
    let before = Instant::now();
    let poller = std::thread::spawn(move || {
        // Nothing is queued: this long-polls until the server is dropped.
        let _ = http_client::get(&format!("{base}/invocation/next"), Duration::from_secs(30));
    });
    let first = api
        .wait_first_poll(Duration::from_secs(5))
        .expect("the poll arrived");
    assert!(first >= before);

    let init = http_client::post_json(
        &format!("{}/init/error", api_url(&api)),
        &json!({"errorType": "Runtime.ExitError", "errorMessage": "no table"}),
        POLL,
    )
    .expect("post init error");
    assert_eq!(init.status, 202);
    assert_eq!(
        api.init_error().expect("kept")["errorMessage"],
        json!("no table")
    );

    drop(api);
    poller
        .join()
        .expect("the long poll ends when the server stops");
}

#[test]
fn an_invocation_not_answered_within_its_timeout_and_the_grace_has_no_answer() {
    let api = RuntimeApi::start();
    let started = Instant::now();
    let outcome = api.invoke(json!({}), Duration::from_millis(100));
    assert_eq!(outcome, Invocation::NoAnswer);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(100) + harness::runtime_api::ANSWER_GRACE,
        "{waited:?}"
    );
}

fn echo_lambda() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_harness-echo-lambda"))
}

#[test]
fn a_real_lambda_runtime_binary_runs_against_it() {
    let api = RuntimeApi::start();
    let function = LambdaProcess::spawn(
        echo_lambda(),
        &api,
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")],
    );
    let first_poll = api
        .wait_first_poll(Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no poll; logs: {:#?}", function.logs()));
    let init = first_poll - function.spawned_at;
    eprintln!("echo lambda init: {init:?}");

    let body = api
        .invoke(json!({"n": 1}), Duration::from_secs(10))
        .expect_response();
    assert_eq!(body["echo"], json!({"n": 1}));
    assert_eq!(
        body["function_arn"],
        json!("arn:aws:lambda:us-east-1:111111111111:function:harness-echo-lambda")
    );
    let request_id = body["request_id"].as_str().expect("request id").to_string();
    assert!(
        function
            .wait_for_log(
                &format!("handling request {request_id}"),
                Duration::from_secs(5)
            )
            .is_some(),
        "stdout is captured: {:#?}",
        function.logs()
    );
    // Only the variables the harness sets (the parent's AWS_* are cleared).
    assert_eq!(
        body["aws_env"],
        json!([
            "AWS_DEFAULT_REGION",
            "AWS_EC2_METADATA_DISABLED",
            "AWS_ENDPOINT_URL",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            "AWS_LAMBDA_FUNCTION_NAME",
            "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_LOG_FORMAT",
            "AWS_LAMBDA_LOG_GROUP_NAME",
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "AWS_LAMBDA_RUNTIME_API",
            "AWS_REGION",
        ])
    );

    let error = api
        .invoke(json!({"fail": "bad template"}), Duration::from_secs(10))
        .expect_error();
    assert_eq!(error["errorMessage"], json!("bad template"));

    let rss = function.peak_rss_kib().expect("running process has VmHWM");
    assert!(rss > 100, "peak RSS {rss} KiB");
    assert_eq!(function.exit_status(), None, "still serving");

    let pid = function.pid();
    drop(function);
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the function process is gone after drop"
    );
}

#[test]
fn a_slow_function_past_its_deadline_gets_no_answer() {
    let api = RuntimeApi::start();
    let _function = LambdaProcess::spawn(echo_lambda(), &api, &[]);
    let outcome = api.invoke(json!({"sleep_ms": 60_000}), Duration::from_millis(200));
    assert_eq!(outcome, Invocation::NoAnswer);
}

#[test]
#[should_panic(expected = "build it first: cargo build -p no-such-binary")]
fn missing_binaries_say_how_to_build_them() {
    harness::binary("no-such-binary");
}

#[test]
fn workspace_root_is_the_workspace() {
    let root = harness::workspace_root();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("root manifest");
    assert!(manifest.contains("[workspace]"));
    assert!(root.join("crates/harness/Cargo.toml").is_file());
    // The echo binary was built into the same target dir `binary` searches.
    assert_eq!(harness::binary("harness-echo-lambda"), echo_lambda());
}
