//! The health gate in the Service_Status function, against moto: a release
//! stack with a target group, EC2 instances registered in it and its
//! alarms (`harness::release`). Each signal alone makes the gate wait, fail
//! or pass, and the report names it. (States moto cannot produce are
//! `tests/ports.rs`.)

mod support;

use std::time::Duration;

use harness::moto::MotoServer;
use harness::release::ReleaseStack;
use harness::server::{Reply, TestServer};
use harness::unique_name;
use serde_json::{Value, json};
use support::{Stage, continuation, event, failure, success, timeless};

fn stage(moto: &MotoServer) -> Stage {
    Stage::new(&moto.endpoint(), support::loopback_checker())
}

/// A healthy release on moto, two instances behind its target group, its
/// `Url` output pointing at `server`.
async fn release(moto: &MotoServer, server: &TestServer) -> ReleaseStack {
    moto.create_release_stack(&unique_name("CICD-test-stack"), &server.url("/"), 2)
        .await
}

/// The pipeline's plan for `release` (alarms by name: moto's CloudFormation
/// does not list them), quick: probes 0.1 s apart, a `deadline` in seconds.
fn plan(release: &ReleaseStack, deadline: f64) -> Value {
    json!({
        "stack": release.name, "targets": "stack", "alarms": release.alarms(),
        "probe_interval_seconds": 0.1, "backoff_seconds": 0.1, "max_backoff_seconds": 0.2,
        "timeout_seconds": 1, "deadline_seconds": deadline,
    })
}

fn with(mut plan: Value, field: &str, value: Value) -> Value {
    plan[field] = value;
    plan
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_release_passes_with_three_successes_its_targets_and_its_alarms() {
    let moto = MotoServer::shared();
    let server = TestServer::always(Reply::calculator());
    let release = release(moto, &server).await;
    let report = stage(moto)
        .invoke(&event(plan(&release, 30.0).to_string()), None)
        .await;
    let (summary, vars) = success(&report);
    assert_eq!(
        timeless(summary),
        format!(
            "{url} is healthy: 200 OK in T, at attempt 3 (T after the first); 3 successes in a row (p95 T)\n\
             stack {stack} is CREATE_COMPLETE\n\
             target group {group}: 2 of 2 targets healthy\n\
             alarms: {a} OK, {b} OK",
            url = server.url("/"),
            stack = release.name,
            group = &release.target_group[release.target_group.find("targetgroup/").unwrap()..],
            a = release.target_5xx_alarm,
            b = release.unhealthy_hosts_alarm,
        )
    );
    for expected in [
        ("verdict", "pass"),
        ("successes", "3"),
        ("healthy_targets", "2"),
        ("attempts", "3"),
    ] {
        assert!(vars.contains(&expected), "{expected:?} in {vars:?}");
    }
    let p95: u64 = vars
        .iter()
        .find(|(k, _)| *k == "p95_ms")
        .unwrap()
        .1
        .parse()
        .unwrap();
    assert!(p95 < 1000, "{vars:?}");
    assert_eq!(server.requests(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_instance_keeps_a_release_that_answers_200_from_passing() {
    let moto = MotoServer::shared();
    let server = TestServer::always(Reply::calculator());
    let release = release(moto, &server).await;
    moto.stop_instances(&release.instances[1..]);
    let stage = stage(moto);
    let stopped = format!("{}:8080 unused (Target.InvalidState", release.instances[1]);

    // Its time is up long before the deadline: the job goes on, saying why.
    let job = event(plan(&release, 600.0).to_string());
    let first = stage.invoke(&job, Some(Duration::from_millis(1500))).await;
    let (token, summary) = continuation(&first);
    assert!(
        summary.contains("; not yet: 1 of 3 successes in a row; target group targetgroup/"),
        "{summary}"
    );
    assert!(summary.contains(": 1 of 2 targets healthy: "), "{summary}");
    assert!(summary.contains(&stopped), "{summary}");

    // The instance back: the next invocation builds the run and passes.
    moto.start_instances(&release.instances[1..]);
    let second = stage
        .invoke(&job.clone().continuation_token(token), None)
        .await;
    let (summary, vars) = success(&second);
    assert!(summary.contains("2 of 2 targets healthy"), "{summary}");
    assert!(vars.contains(&("healthy_targets", "2")), "{vars:?}");

    // Stopped until the deadline: the failure names the target.
    moto.stop_instances(&release.instances[1..]);
    let report = stage
        .invoke(&event(plan(&release, 1.0).to_string()), None)
        .await;
    let (kind, message) = failure(&report);
    assert_eq!(kind, "JobFailed");
    let message = timeless(message);
    assert!(
        message.starts_with(&format!(
            "{} did not become healthy within T: ",
            server.url("/")
        )),
        "{message}"
    );
    assert!(
        message.contains("\nnot passed: target group targetgroup/"),
        "{message}"
    );
    assert!(message.contains(&stopped), "{message}");
    assert!(
        message.contains(&format!("\nstack {} is CREATE_COMPLETE\n", release.name)),
        "{message}"
    );
    assert!(
        message.ends_with(&format!(
            "\nalarms: {} OK, {} OK",
            release.target_5xx_alarm, release.unhealthy_hosts_alarm
        )),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alarm_in_alarm_fails_the_release_at_once_naming_it() {
    let moto = MotoServer::shared();
    let server = TestServer::always(Reply::calculator());
    let release = release(moto, &server).await;
    moto.set_alarm_state(
        &release.target_5xx_alarm,
        "ALARM",
        "Threshold Crossed: 1 datapoint [12.0] was greater than or equal to the threshold (1.0).",
    )
    .await;
    let report = stage(moto)
        .invoke(&event(plan(&release, 600.0).to_string()), None)
        .await;
    let (kind, message) = failure(&report);
    assert_eq!(kind, "JobFailed");
    assert!(
        message.starts_with(&format!(
            "{} is not healthy: alarm {} is ALARM: Threshold Crossed: 1 datapoint [12.0] was greater than or equal to the threshold (1.0).\n",
            server.url("/"),
            release.target_5xx_alarm
        )),
        "{message}"
    );
    assert_eq!(server.requests(), 0, "failed before any probe");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alarm_without_data_waits_unless_the_plan_says_otherwise() {
    let moto = MotoServer::shared();
    let server = TestServer::always(Reply::calculator());
    let release = release(moto, &server).await;
    moto.set_alarm_state(
        &release.unhealthy_hosts_alarm,
        "INSUFFICIENT_DATA",
        "no datapoints",
    )
    .await;
    let stage = stage(moto);

    let waiting = plan(&release, 600.0);
    let report = stage
        .invoke(
            &event(waiting.to_string()),
            Some(Duration::from_millis(1500)),
        )
        .await;
    let (_, summary) = continuation(&report);
    assert!(
        summary.contains(&format!(
            "alarm {} is INSUFFICIENT_DATA: no datapoints",
            release.unhealthy_hosts_alarm
        )),
        "{summary}"
    );

    let lenient = with(waiting.clone(), "insufficient_data", json!("ok"));
    let report = stage.invoke(&event(lenient.to_string()), None).await;
    success(&report);

    let strict = with(waiting, "insufficient_data", json!("fail"));
    let report = stage.invoke(&event(strict.to_string()), None).await;
    let (kind, message) = failure(&report);
    assert_eq!(kind, "JobFailed");
    assert!(
        message.contains(&format!(
            " is not healthy: alarm {} is INSUFFICIENT_DATA: no datapoints",
            release.unhealthy_hosts_alarm
        )),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_still_being_created_waits_and_fails_at_the_deadline_naming_its_state() {
    let moto = MotoServer::shared();
    let server = TestServer::always(Reply::calculator());
    // moto leaves a stack whose creation failed in CREATE_IN_PROGRESS.
    let name = unique_name("CICD-test-stack");
    let broken = json!({"Resources": {"TargetGroup": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
        "Properties": {"Port": 8080, "Protocol": "HTTP", "VpcId": "vpc-00000000"}}}});
    let created = moto
        .cloudformation()
        .create_stack()
        .stack_name(&name)
        .template_body(broken.to_string())
        .send()
        .await;
    assert!(created.is_err(), "moto refuses the missing VPC");
    let plan = json!({"url": server.url("/"), "stack": name, "consecutive_successes": 1,
        "deadline_seconds": 0.5, "backoff_seconds": 0.1});
    let report = stage(moto).invoke(&event(plan.to_string()), None).await;
    let (kind, message) = failure(&report);
    assert_eq!(kind, "JobFailed");
    assert!(
        message.contains(&format!(
            "\nnot passed: stack {name} is CREATE_IN_PROGRESS\n"
        )),
        "{message}"
    );
    assert!(server.requests() >= 1, "the service was probed all along");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_resets_the_run_of_successes() {
    let moto = MotoServer::shared();
    let server = TestServer::script(vec![
        Reply::calculator(),
        Reply::calculator(),
        Reply::bad_gateway(),
        Reply::calculator(),
        Reply::calculator(),
        Reply::calculator(),
    ]);
    let release = release(moto, &server).await;
    let report = stage(moto)
        .invoke(&event(plan(&release, 30.0).to_string()), None)
        .await;
    let (summary, vars) = success(&report);
    assert!(
        timeless(summary).contains(", at attempt 6 (T after the first); 3 successes in a row"),
        "{summary}"
    );
    assert!(vars.contains(&("successes", "3")), "{vars:?}");
    assert_eq!(server.requests(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_slower_than_its_latency_bound_does_not_pass() {
    let moto = MotoServer::shared();
    let server = TestServer::always(Reply::SlowHeaders(
        Duration::from_millis(300),
        b"<title>Simple Calculator Service</title>".to_vec(),
    ));
    let release = release(moto, &server).await;
    let slow = with(plan(&release, 1.5), "latency_p95_ms", json!(100));
    let report = stage(moto).invoke(&event(slow.to_string()), None).await;
    let (kind, message) = failure(&report);
    assert_eq!(kind, "JobFailed");
    assert!(
        message.contains("\nnot passed: p95 latency ")
            && message.contains(" ms over the last 3 successes, above 100 ms\n"),
        "{message}"
    );
}
