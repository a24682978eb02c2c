//! A stopped handler stops: when the runner stops a handler at the cutoff,
//! its blocking work sees the stop flag and ends within the grace, or the
//! process ends once the invocation is reported and answered. Exactly one
//! report either way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use harness::codepipeline::{FakeCodePipeline, JobReport};
use harness::events::JobEvent;
use harness::runtime_api::{LambdaProcess, RuntimeApi};
use lambda_runtime::{Context, LambdaEvent};
use pipeline_job::{JobReporter, Outcome, Runner, STILL_RUNNING_EXIT_CODE, aws};
use serde_json::{Value, json};

const STOPPED: &str =
    "the check did not finish in time: it was stopped 1 s before the function's Lambda timeout";

/// A runner with a 1 s reserve, reporting to `fake`.
fn runner(fake: &FakeCodePipeline) -> Runner {
    let config = fake
        .sdk_config()
        .into_builder()
        .timeout_config(aws::timeouts())
        .build();
    Runner::new(JobReporter::new(aws::codepipeline_client(&config)))
        .with_reserve(Duration::from_secs(1))
}

fn invocation(payload: Value, deadline: Duration) -> LambdaEvent<Value> {
    let mut context = Context::default();
    context.request_id = "request-stopping".to_string();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    context.deadline = (now + deadline).as_millis() as u64;
    LambdaEvent::new(payload, context)
}

/// The one report `fake` received; panics unless there is exactly one.
fn one_failure(fake: &FakeCodePipeline) -> (String, String) {
    let reports = fake.reports();
    assert_eq!(fake.calls().len(), 1, "one call: {:#?}", fake.calls());
    match reports.as_slice() {
        [JobReport::Failure { kind, message, .. }] => (kind.clone(), message.clone()),
        other => panic!("expected one failure report, got {other:#?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn blocking_work_that_checks_the_flag_ends_within_the_grace() {
    let fake = FakeCodePipeline::start();
    let runner = runner(&fake);
    let steps = Arc::new(AtomicUsize::new(0));
    let ended = Arc::new(AtomicBool::new(false));
    let (counted, done) = (Arc::clone(&steps), Arc::clone(&ended));
    let started = Instant::now();
    let answer = runner
        .run(
            invocation(JobEvent::new().build(), Duration::from_millis(1500)),
            |_, inv| async move {
                let stop = inv.stop_flag();
                inv.spawn_blocking(move || {
                    // CPU-bound steps, each checking the flag.
                    while !stop.load(Ordering::Relaxed) {
                        counted.fetch_add(1, Ordering::Relaxed);
                        std::hint::black_box((0..10_000u64).sum::<u64>());
                    }
                    done.store(true, Ordering::SeqCst);
                })
                .await;
                Ok(Outcome::success("too late"))
            },
        )
        .await
        .unwrap();
    assert!(
        ended.load(Ordering::SeqCst),
        "the work saw the flag and ended"
    );
    assert!(steps.load(Ordering::Relaxed) > 0);
    assert!(!runner.must_exit(), "nothing is left running");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "before the deadline"
    );
    assert_eq!(answer["status"], "Failed");
    assert_eq!(
        one_failure(&fake),
        ("JobFailed".to_string(), STOPPED.to_string())
    );
    // Nothing runs on: the step count does not move any more.
    let now = steps.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(steps.load(Ordering::Relaxed), now);
}

#[tokio::test(flavor = "multi_thread")]
async fn work_that_ignores_the_flag_marks_the_process_for_ending_after_one_report() {
    let fake = FakeCodePipeline::start();
    let runner = runner(&fake).with_grace(Duration::from_millis(200));
    let started = Instant::now();
    let answer = runner
        .run(
            invocation(JobEvent::new().build(), Duration::from_millis(1500)),
            |_, inv| async move {
                inv.spawn_blocking(|| std::thread::sleep(Duration::from_secs(3)))
                    .await;
                Ok(Outcome::success("too late"))
            },
        )
        .await
        .unwrap();
    assert!(runner.must_exit());
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "before the deadline"
    );
    assert_eq!(answer["reported"], true);
    assert_eq!(
        one_failure(&fake),
        ("JobFailed".to_string(), STOPPED.to_string())
    );
}

/// Work in a step it cannot be interrupted in says what it is doing; the
/// report of the stop says it too. Between steps it says nothing more.
#[tokio::test(flavor = "multi_thread")]
async fn the_report_of_a_stop_says_what_the_work_was_doing() {
    let fake = FakeCodePipeline::start();
    let runner = runner(&fake);
    let answer = runner
        .run(
            invocation(JobEvent::new().build(), Duration::from_millis(1500)),
            |_, inv| async move {
                let (activity, stop) = (inv.activity(), inv.stop_flag());
                inv.spawn_blocking(move || {
                    activity.set("reading a step");
                    activity.clear();
                    activity.set("evaluating the item Slow");
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                })
                .await;
                Ok(Outcome::success("too late"))
            },
        )
        .await
        .unwrap();
    assert_eq!(answer["status"], "Failed");
    assert!(!runner.must_exit());
    assert_eq!(
        one_failure(&fake),
        (
            "JobFailed".to_string(),
            format!("{STOPPED}, while evaluating the item Slow")
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn work_a_handler_left_behind_is_stopped_when_it_returns() {
    let fake = FakeCodePipeline::start();
    let runner = runner(&fake);
    let ended = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&ended);
    runner
        .run(
            invocation(JobEvent::new().build(), Duration::from_secs(30)),
            |_, inv| async move {
                let stop = inv.stop_flag();
                let left = inv.clone();
                let (started, running) = tokio::sync::oneshot::channel();
                // Started and not awaited: the handler returns once the
                // work is running, leaving it behind.
                tokio::spawn(async move {
                    left.spawn_blocking(move || {
                        let _ = started.send(());
                        while !stop.load(Ordering::Relaxed) {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        done.store(true, Ordering::SeqCst);
                    })
                    .await
                });
                running.await.expect("the work started");
                Ok(Outcome::success("done, with work left behind"))
            },
        )
        .await
        .unwrap();
    assert!(ended.load(Ordering::SeqCst));
    assert!(!runner.must_exit());
    assert!(fake.reports()[0].is_success());
}

/// The handler sets work off (a task that will call `spawn_blocking`) and
/// returns before it has started: the flag is already raised when it
/// does, so it ends at its first check instead of running on unseen.
#[tokio::test(flavor = "multi_thread")]
async fn work_set_off_but_not_started_when_the_handler_returns_sees_the_flag() {
    let fake = FakeCodePipeline::start();
    let runner = runner(&fake);
    let (ended_tx, ended_rx) = tokio::sync::oneshot::channel();
    let gate = Arc::new(tokio::sync::Notify::new());
    let open = Arc::clone(&gate);
    runner
        .run(
            invocation(JobEvent::new().build(), Duration::from_secs(30)),
            |_, inv| async move {
                let stop = inv.stop_flag();
                let left = inv.clone();
                tokio::spawn(async move {
                    // Held back until the invocation is over.
                    gate.notified().await;
                    left.spawn_blocking(move || {
                        let mut checks = 0u32;
                        while !stop.load(Ordering::Relaxed) && checks < 2_000 {
                            checks += 1;
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        let _ = ended_tx.send(checks);
                    })
                    .await
                });
                Ok(Outcome::success("done, with work not yet started"))
            },
        )
        .await
        .unwrap();
    open.notify_one();
    let checks = ended_rx.await.expect("the work ran");
    assert_eq!(checks, 0, "the flag was up before the work's first check");
    assert!(fake.reports()[0].is_success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panic_in_blocking_work_is_the_handlers_panic() {
    let fake = FakeCodePipeline::start();
    runner(&fake)
        .run(
            invocation(JobEvent::new().build(), Duration::from_secs(30)),
            |_, inv| async move {
                inv.spawn_blocking(|| -> () { panic!("the parser tripped") })
                    .await;
                Ok(Outcome::success("unreachable"))
            },
        )
        .await
        .unwrap();
    assert_eq!(
        one_failure(&fake),
        (
            "JobFailed".to_string(),
            "internal error in the function (the parser tripped); the function's logs have the details"
                .to_string()
        )
    );
}

/// The real thing: a function (`tests/bin/stuck_handler.rs`, served by
/// `Runner::serve`) whose work never stops. The invocation is reported
/// once and answered, then the process ends: nothing of it can run into
/// the next invocation, which a fresh process would serve.
#[test]
fn a_process_whose_stopped_work_runs_on_ends_once_the_invocation_is_answered() {
    let fake = FakeCodePipeline::start();
    let api = RuntimeApi::start();
    let env = [
        ("AWS_ENDPOINT_URL_CODEPIPELINE", fake.endpoint()),
        (
            "AWS_ACCESS_KEY_ID",
            harness::moto::ACCESS_KEY_ID.to_string(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY",
            harness::moto::SECRET_ACCESS_KEY.to_string(),
        ),
        ("RUST_LOG", "info".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let function = LambdaProcess::spawn(
        std::path::Path::new(env!("CARGO_BIN_EXE_stuck-handler")),
        &api,
        &env,
    );
    let job = JobEvent::new();
    // The runner's reserve is 3 s: stopped 1.5 s in.
    let answer = api
        .invoke(job.build(), Duration::from_millis(4500))
        .expect_response();
    assert_eq!(
        answer,
        json!({"jobId": job.job_id, "status": "Failed", "reported": true})
    );
    let status = function
        .wait_exit(Duration::from_secs(10))
        .expect("the process ended after answering");
    assert_eq!(status.code(), Some(STILL_RUNNING_EXIT_CODE));
    assert_eq!(
        one_failure(&fake),
        (
            "JobFailed".to_string(),
            "the check did not finish in time: it was stopped 3 s before the function's Lambda timeout"
                .to_string()
        )
    );
    assert_eq!(api.polls(), 1, "it asked for no further invocation");
    assert!(
        function
            .logs()
            .iter()
            .any(|l| l.contains("still running") && l.contains("the process ends here")),
        "{:#?}",
        function.logs()
    );
}
