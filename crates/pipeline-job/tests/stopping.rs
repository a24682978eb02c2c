//! A stopped handler stops: when the runner stops a handler at the cutoff,
//! its blocking work sees the stop flag and ends within the grace, or the
//! process ends once the invocation is reported and answered. Exactly one
//! report either way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use harness::codepipeline::JobReport;
use harness::events::JobEvent;
use harness::stage::Stage;
use pipeline_job::{Outcome, Runner, STILL_RUNNING_EXIT_CODE};

const STOPPED: &str =
    "the check did not finish in time: it was stopped 1 s before the function's Lambda timeout";

/// A runner with a 1 s reserve, reporting to `rig`'s fake CodePipeline.
fn runner(rig: &Stage) -> Runner {
    Runner::from_sdk(&rig.pipeline.sdk_config()).with_reserve(Duration::from_secs(1))
}

/// A failure's type and message; panics on a success.
fn failure(report: &JobReport) -> (&str, &str) {
    match report {
        JobReport::Failure { kind, message, .. } => (kind.as_str(), message.as_str()),
        other => panic!("expected a failure, got {other:#?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn blocking_work_that_checks_the_flag_ends_within_the_grace() {
    let rig = Stage::new();
    let runner = runner(&rig);
    let steps = Arc::new(AtomicUsize::new(0));
    let ended = Arc::new(AtomicBool::new(false));
    let (counted, done) = (Arc::clone(&steps), Arc::clone(&ended));
    let started = Instant::now();
    let report = rig
        .run(
            &JobEvent::new(),
            Some(Duration::from_millis(1500)),
            |event| {
                runner.run(event, |_, inv| async move {
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
                })
            },
        )
        .await;
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
    assert_eq!(failure(&report), ("JobFailed", STOPPED));
    // Nothing runs on: the step count does not move any more.
    let now = steps.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(steps.load(Ordering::Relaxed), now);
}

#[tokio::test(flavor = "multi_thread")]
async fn work_that_ignores_the_flag_marks_the_process_for_ending_after_one_report() {
    let rig = Stage::new();
    let runner = runner(&rig).with_grace(Duration::from_millis(200));
    let started = Instant::now();
    let report = rig
        .run(
            &JobEvent::new(),
            Some(Duration::from_millis(1500)),
            |event| {
                runner.run(event, |_, inv| async move {
                    inv.spawn_blocking(|| std::thread::sleep(Duration::from_secs(3)))
                        .await;
                    Ok(Outcome::success("too late"))
                })
            },
        )
        .await;
    assert!(runner.must_exit());
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "before the deadline"
    );
    assert_eq!(failure(&report), ("JobFailed", STOPPED));
}

/// Work in a step it cannot be interrupted in says what it is doing; the
/// report of the stop says it too. Between steps it says nothing more.
#[tokio::test(flavor = "multi_thread")]
async fn the_report_of_a_stop_says_what_the_work_was_doing() {
    let rig = Stage::new();
    let runner = runner(&rig);
    let report = rig
        .run(
            &JobEvent::new(),
            Some(Duration::from_millis(1500)),
            |event| {
                runner.run(event, |_, inv| async move {
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
                })
            },
        )
        .await;
    assert!(!runner.must_exit());
    assert_eq!(
        failure(&report),
        (
            "JobFailed",
            format!("{STOPPED}, while evaluating the item Slow").as_str()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn work_a_handler_left_behind_is_stopped_when_it_returns() {
    let rig = Stage::new();
    let runner = runner(&rig);
    let ended = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&ended);
    let report = rig
        .run(&JobEvent::new(), Some(Duration::from_secs(30)), |event| {
            runner.run(event, |_, inv| async move {
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
            })
        })
        .await;
    assert!(ended.load(Ordering::SeqCst));
    assert!(!runner.must_exit());
    assert!(report.is_success(), "{report:#?}");
}

/// The handler sets work off (a task that will call `spawn_blocking`) and
/// returns before it has started: the flag is already raised when it
/// does, so it ends at its first check instead of running on unseen.
#[tokio::test(flavor = "multi_thread")]
async fn work_set_off_but_not_started_when_the_handler_returns_sees_the_flag() {
    let rig = Stage::new();
    let runner = runner(&rig);
    let (ended_tx, ended_rx) = tokio::sync::oneshot::channel();
    let gate = Arc::new(tokio::sync::Notify::new());
    let open = Arc::clone(&gate);
    let report = rig
        .run(&JobEvent::new(), Some(Duration::from_secs(30)), |event| {
            runner.run(event, |_, inv| async move {
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
            })
        })
        .await;
    open.notify_one();
    let checks = ended_rx.await.expect("the work ran");
    assert_eq!(checks, 0, "the flag was up before the work's first check");
    assert!(report.is_success(), "{report:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panic_in_blocking_work_is_the_handlers_panic() {
    let rig = Stage::new();
    let runner = runner(&rig);
    let report = rig
        .run(&JobEvent::new(), Some(Duration::from_secs(30)), |event| {
            runner.run(event, |_, inv| async move {
                inv.spawn_blocking(|| -> () { panic!("the parser tripped") })
                    .await;
                Ok(Outcome::success("unreachable"))
            })
        })
        .await;
    assert_eq!(
        failure(&report),
        (
            "JobFailed",
            "internal error in the function (the parser tripped); the function's logs have the details"
        )
    );
}

/// The real thing: a function (`tests/bin/stuck_handler.rs`, served by
/// `Runner::serve`) whose work never stops. The invocation is reported
/// once and answered, then the process ends: nothing of it can run into
/// the next invocation, which a fresh process would serve.
#[test]
fn a_process_whose_stopped_work_runs_on_ends_once_the_invocation_is_answered() {
    let stage = Stage::new();
    let function = stage.spawn(env!("CARGO_BIN_EXE_stuck-handler"));
    // The runner's reserve is 3 s: stopped 1.5 s in.
    let report = function.job(&JobEvent::new(), Duration::from_millis(4500));
    assert_eq!(
        failure(&report),
        (
            "JobFailed",
            "the check did not finish in time: it was stopped 3 s before the function's Lambda timeout"
        )
    );
    let status = function
        .process()
        .wait_exit(Duration::from_secs(10))
        .expect("the process ended after answering");
    assert_eq!(status.code(), Some(STILL_RUNNING_EXIT_CODE));
    assert_eq!(
        function.api().polls(),
        1,
        "it asked for no further invocation"
    );
    assert!(
        function
            .logs()
            .iter()
            .any(|l| l.contains("still running") && l.contains("the process ends here")),
        "{:#?}",
        function.logs()
    );
}
