//! The seed's story, replayed on one machine: the calculator started on the
//! wrong port fails, naming the URL and the connection error; and a test
//! stack still coming up (its load balancer answering 502 until CodeDeploy
//! is done) passes once it is healthy, with no false failure on the way.
//! The healthy calculator passing, the story's first step, is
//! `the_healthy_calculator_passes_with_a_plain_url` in `handler.rs`.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use harness::calculator::Calculator;
use harness::moto::MotoServer;
use harness::process::ManagedChild;
use harness::server::{Reply, TestServer};
use harness::{unique_name, workspace_root};
use serde_json::json;
use support::{Stage, closed_port, continuation, event, failure, success, timeless};

#[tokio::test(flavor = "multi_thread")]
async fn the_calculator_on_the_wrong_port_fails_naming_the_url_and_the_connection_error() {
    let calculator = Calculator::start();
    let wrong = format!("http://127.0.0.1:{}/", closed_port());
    assert_ne!(calculator.url() + "/", wrong);
    let stage = Stage::plain();
    let params = json!({"url": wrong, "deadline_seconds": 1, "backoff_seconds": 0.2, "max_backoff_seconds": 0.5});
    let report = stage
        .invoke(&event(params.to_string()), Some(Duration::from_secs(120)))
        .await;
    let (kind, message) = failure(&report);
    assert_eq!(kind, "JobFailed");
    let refused = format!(
        "GET {wrong} → cannot connect (after T): tcp connect error: Connection refused (os error 111)"
    );
    let message = timeless(message);
    assert!(
        message.starts_with(&format!("{wrong} did not become healthy within T: ")),
        "{message}"
    );
    assert!(message.ends_with(&refused), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_still_coming_up_passes_once_healthy_without_a_false_failure() {
    let moto = MotoServer::shared();
    // The load balancer answers 502 while CodeDeploy installs the app.
    let load_balancer = TestServer::always(Reply::bad_gateway());
    let port = load_balancer.port();
    let stack = unique_name("CICD-test-stack");
    moto.create_stack_with_output(&stack, "Url", &format!("http://127.0.0.1:{port}"))
        .await;
    let stage = Stage::new(&moto.endpoint(), support::loopback_checker());
    let params = json!({"stack": stack, "output": "Url", "timeout_seconds": 1, "backoff_seconds": 0.1, "max_backoff_seconds": 0.3});
    let job = event(params.to_string());

    // The first invocation sees only 502s and hands over to the next one.
    let first = stage.invoke(&job, Some(Duration::from_secs(2))).await;
    let (token, summary) = continuation(&first);
    assert!(summary.contains("→ 502 Bad Gateway in "), "{summary}");

    // During the next invocation, CodeDeploy finishes: the 502s stop, the
    // port is closed a moment, then the calculator serves on it.
    let swap = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        drop(load_balancer);
        std::thread::sleep(Duration::from_millis(300));
        start_calculator_on(port)
    });
    let second = stage
        .invoke(
            &job.clone().continuation_token(token),
            Some(Duration::from_secs(30)),
        )
        .await;
    let calculator = swap.join().unwrap();
    let (summary, vars) = success(&second);
    assert!(
        timeless(summary).starts_with(&format!(
            "http://127.0.0.1:{port}/ is healthy: 200 OK in T, at attempt "
        )),
        "{summary}"
    );
    let attempts: u32 = vars
        .iter()
        .find(|(k, _)| *k == "attempts")
        .unwrap()
        .1
        .parse()
        .unwrap();
    assert!(attempts > 3, "{attempts}");
    assert_eq!(stage.rig.pipeline.statuses(), ["InProgress", "Succeeded"]);
    drop(calculator);
}

/// `node calculator/service.js` on `port`, once it answers.
fn start_calculator_on(port: u16) -> ManagedChild {
    let dir = workspace_root().join("calculator");
    let mut command = Command::new("node");
    command
        .arg(dir.join("service.js"))
        .env("PORT", port.to_string())
        .current_dir(&dir);
    let child = ManagedChild::spawn("calculator", command, Some(200)).expect("start node");
    let deadline = Instant::now() + Duration::from_secs(20);
    let url = format!("http://127.0.0.1:{port}/");
    while harness::http_client::get(&url, Duration::from_secs(1)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the calculator did not start: {}",
            child.tail(20)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}
