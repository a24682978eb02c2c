//! The worker through real child processes: this test binary is its own
//! worker (it calls `serve_if_worker` first; Cargo.toml sets `harness =
//! false` for that), so every run here forks, execs, bounds and reaps a
//! process as production does.
//!
//! `cargo test -p guard-worker --test worker [NAME]`.

#[path = "support/hungry.rs"]
mod hungry;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use guard_rules::{
    GuardData, GuardError, GuardRules, InProcess, Options, Runner, evaluate_all_with,
};
use guard_worker::Worker;

const MIB: usize = 1 << 20;

fn rules(text: &str) -> GuardRules {
    GuardRules::parse(text).unwrap()
}

fn data(json: &str) -> GuardData {
    GuardData::from_json(&serde_json::from_str(json).unwrap()).unwrap()
}

fn options(memory_limit: usize) -> Options {
    Options {
        memory_limit,
        ..Options::DEFAULT
    }
}

/// No child of this process is left, running or unreaped.
fn no_child_left() {
    let mut status = 0;
    // SAFETY: waitpid writes the status it is given; WNOHANG never blocks.
    let got = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    assert_eq!(got, -1, "a child is left (waitpid returned {got})");
}

/// The peak resident memory of this process so far (VmHWM), in MiB.
fn own_peak_mib() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .unwrap()
        / 1024
}

fn the_worker_gives_what_guard_gives_in_process() {
    let template = data(&hungry::buckets(20_000));
    let items = [
        rules(hungry::S3_ENCRYPTION),
        rules(
            "rule QUEUES { Resources.*[ Type == 'AWS::SQS::Queue' ] { Properties.KmsMasterKeyId exists } }",
        ),
        rules("rule TRAIL { Resources.*[ Type == 'AWS::CloudTrail::Trail' ] !empty }"),
    ];
    let refs: Vec<&GuardRules> = items.iter().collect();
    let bounded = Worker::new().evaluate_all(&refs, &template, options(256 * MIB), &|| false);
    let in_process = evaluate_all_with(&refs, &template, Options::DEFAULT);
    assert_eq!(bounded, in_process);
    let failures: Vec<usize> = bounded
        .iter()
        .map(|r| r.as_ref().unwrap().failures.len())
        .collect();
    assert!(failures[0] > 50, "{failures:?}");
    // No queue: skipped in the worker as in process; no trail: a failure.
    assert!(bounded[1].as_ref().unwrap().skipped);
    assert_eq!(failures[1..], [0, 1]);
    no_child_left();
}

/// The 141-byte rule that takes 2.4 GB on 1 000 groups stops at the limit,
/// as an error naming the limit; the other items of the run are evaluated
/// alone, and this process does not grow.
fn an_item_past_the_limit_is_out_of_memory_and_the_others_are_evaluated() {
    let template = data(&hungry::groups(1_000));
    let hungry = rules(hungry::LET_IN_TYPE_BLOCK);
    assert!(hungry.memory_estimate(&template) < 64 * MIB);
    let fine = rules(
        "rule DESCRIBED { Resources.*[ Type == 'AWS::EC2::SecurityGroup' ].Properties.GroupDescription exists }",
    );
    let started = Instant::now();
    let results = Worker::new().evaluate_all(
        &[&fine, &hungry, &fine],
        &template,
        options(96 * MIB),
        &|| false,
    );
    assert_eq!(results[1], Err(GuardError::OutOfMemory { limit: 96 * MIB }));
    assert_eq!(
        results[1].as_ref().unwrap_err().to_string(),
        "Guard needed more than 96 MiB of memory to evaluate these rules on this template"
    );
    for result in [&results[0], &results[2]] {
        assert!(result.as_ref().unwrap().failures.is_empty(), "{result:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(
        own_peak_mib() < 200,
        "this process grew to {} MiB",
        own_peak_mib()
    );
    no_child_left();
}

/// One worker serves a session's chunks; one that fails is replaced for
/// the next chunk, and none is left once the session ends.
fn a_session_goes_on_after_a_chunk_fails() {
    let template = data(&hungry::groups(1_000));
    let fine = rules(
        "rule DESCRIBED { Resources.*[ Type == 'AWS::EC2::SecurityGroup' ].Properties.GroupDescription exists }",
    );
    let hungry = rules(hungry::LET_IN_TYPE_BLOCK);
    let worker = Worker::new();
    let mut session = worker.session(&template, options(96 * MIB));
    let ok = |results: Vec<Result<guard_rules::Evaluation, GuardError>>| {
        assert!(
            results
                .iter()
                .all(|r| r.as_ref().is_ok_and(|e| e.failures.is_empty())),
            "{results:?}"
        );
    };
    ok(session.evaluate(&[&fine, &fine], &|| false));
    ok(session.evaluate(&[&fine], &|| false));
    assert_eq!(
        session.evaluate(&[&hungry], &|| false),
        vec![Err(GuardError::OutOfMemory { limit: 96 * MIB })]
    );
    ok(session.evaluate(&[&fine], &|| false));
    drop(session);
    no_child_left();
}

/// A stop while Guard runs kills the worker at once: every item is
/// `Stopped`, and nothing is left running.
fn a_stop_kills_the_worker_and_reaps_it() {
    let template = data(&hungry::buckets(20_000));
    let slow = rules(&hungry::many_clauses(400 * 1000));
    let stop = Arc::new(AtomicBool::new(false));
    let raise = Arc::clone(&stop);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        raise.store(true, Ordering::Relaxed);
    });
    let started = Instant::now();
    let results =
        Worker::new().evaluate_all(&[&slow, &slow], &template, options(4096 * MIB), &|| {
            stop.load(Ordering::Relaxed)
        });
    assert_eq!(
        results,
        vec![Err(GuardError::Stopped), Err(GuardError::Stopped)]
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    no_child_left();
}

fn a_worker_past_its_time_limit_is_timed_out() {
    let template = data(&hungry::buckets(20_000));
    let slow = rules(&hungry::many_clauses(400 * 1000));
    let started = Instant::now();
    let worker = Worker::new().with_time_limit(Duration::from_millis(200));
    let results = worker.evaluate_all(&[&slow], &template, options(4096 * MIB), &|| false);
    assert_eq!(results, vec![Err(GuardError::TimedOut { millis: 200 })]);
    assert!(started.elapsed() < Duration::from_secs(3));
    no_child_left();
}

/// Rules parsed within a time limit, in a worker: what `cicd rules`
/// checks before writing an item.
fn rules_are_parsed_within_a_time_limit() {
    let worker = Worker::new();
    assert_eq!(
        worker.parse(hungry::S3_ENCRYPTION, 64 * MIB, Duration::from_secs(10)),
        Ok(vec!["S3_BUCKET_SSE_ENABLED".to_string()])
    );
    assert!(matches!(
        worker.parse("rule R { A == }", 64 * MIB, Duration::from_secs(10)),
        Err(GuardError::Parse { .. })
    ));
    // 400 KB of rules takes Guard's parser far more than a millisecond.
    assert_eq!(
        worker.parse(
            &hungry::many_clauses(400 * 1000),
            256 * MIB,
            Duration::from_millis(1)
        ),
        Err(GuardError::TimedOut { millis: 1 })
    );
    no_child_left();
}

/// A program that is not a worker never yields a result: a crash, named.
fn a_binary_that_is_not_a_worker_gives_no_result() {
    let template = data(r#"{"Resources": {}}"#);
    let item = rules(hungry::S3_ENCRYPTION);
    for program in ["/bin/false", "/bin/sh"] {
        let results = Worker::of_program(program).evaluate_all(
            &[&item],
            &template,
            options(64 * MIB),
            &|| false,
        );
        assert!(
            matches!(&results[0], Err(GuardError::Crashed(_))),
            "{program}: {results:?}"
        );
    }
    let missing = Worker::of_program("/nonexistent/cfn-validate").evaluate_all(
        &[&item],
        &template,
        options(64 * MIB),
        &|| false,
    );
    assert!(
        matches!(&missing[0], Err(GuardError::Worker(why)) if why.contains("/nonexistent/cfn-validate")),
        "{missing:?}"
    );
    // In process, nothing bounds it but the estimate: the seam's other side.
    assert!(InProcess.evaluate_all(&[&item], &template, options(64 * MIB), &|| false)[0].is_ok());
    no_child_left();
}

fn main() {
    guard_worker::serve_if_worker();
    let tests: [(&str, fn()); 7] = [
        (
            "the_worker_gives_what_guard_gives_in_process",
            the_worker_gives_what_guard_gives_in_process,
        ),
        (
            "an_item_past_the_limit_is_out_of_memory_and_the_others_are_evaluated",
            an_item_past_the_limit_is_out_of_memory_and_the_others_are_evaluated,
        ),
        (
            "a_session_goes_on_after_a_chunk_fails",
            a_session_goes_on_after_a_chunk_fails,
        ),
        (
            "a_stop_kills_the_worker_and_reaps_it",
            a_stop_kills_the_worker_and_reaps_it,
        ),
        (
            "a_worker_past_its_time_limit_is_timed_out",
            a_worker_past_its_time_limit_is_timed_out,
        ),
        (
            "rules_are_parsed_within_a_time_limit",
            rules_are_parsed_within_a_time_limit,
        ),
        (
            "a_binary_that_is_not_a_worker_gives_no_result",
            a_binary_that_is_not_a_worker_gives_no_result,
        ),
    ];
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut failed = Vec::new();
    for (name, test) in tests {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(test);
        println!(
            "test {name} ... {} ({:.1?})",
            if outcome.is_ok() { "ok" } else { "FAILED" },
            started.elapsed()
        );
        if outcome.is_err() {
            failed.push(name);
        }
    }
    if !failed.is_empty() {
        println!("failed: {}", failed.join(", "));
        std::process::exit(1);
    }
}
