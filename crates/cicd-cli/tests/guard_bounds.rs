//! Guard's memory and time are bounds in `cicd` (issue 19 item 2): `cicd
//! validate` runs Guard in worker processes of the binary within
//! `--guard-memory` and `--guard-timeout`, and `cicd rules` refuses rules
//! that cannot be parsed within 2 s. The inputs are the issue's
//! reproductions, built here: on each, Guard alone needs hundreds of MB to
//! GB.

mod common;

#[path = "../../guard-worker/tests/support/hungry.rs"]
mod hungry;

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{cicd_moto, write};
use harness::moto::MotoServer;
use harness::unique_name;

/// What a measured run of `cicd` gave.
struct Measured {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    /// The largest resident set of cicd and of the workers it waited for
    /// (`ru_maxrss` of `wait4`: the largest process of the tree).
    peak_mib: u64,
    elapsed: Duration,
}

/// Runs `cicd ARGS` in `dir` and measures it.
// The child is reaped by `wait4` (for its usage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn measured(dir: &Path, args: &[&str]) -> Measured {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cicd"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cicd runs");
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child, writing the status and usage given.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    Measured {
        status: ExitStatus::from_raw(status),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
        peak_mib: u64::try_from(usage.ru_maxrss).unwrap() / 1024,
        elapsed: started.elapsed(),
    }
}

/// Each reproduction with `--guard-memory 64`: the item is an unresolved
/// finding saying Guard needed more than 64 MiB, the template is flagged
/// (exit 0, never a pass), and no process of the run grew past a few
/// dozen MiB beyond that: where Guard in process took 180 MB to 6 GB.
#[test]
fn the_issues_reproductions_stop_at_guard_memory_as_unresolved_findings() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "S3_BUCKET_SSE_ENABLED",
            hungry::S3_ENCRYPTION.to_string(),
            hungry::buckets(900_000),
        ),
        (
            "GROUPS",
            hungry::LET_IN_TYPE_BLOCK.to_string(),
            hungry::groups(1_000),
        ),
        (
            "R0",
            hungry::many_clauses(400 * 1000),
            hungry::buckets(20_000),
        ),
    ];
    for (item, rules, template) in cases {
        write(dir.path(), "rules.guard", &rules);
        write(dir.path(), "template.json", &template);
        let run = measured(
            dir.path(),
            &[
                "validate",
                "--guard-memory",
                "64",
                "--rules",
                "rules.guard",
                "template.json",
            ],
        );
        eprintln!("{item}: peak {} MiB in {:.1?}", run.peak_mib, run.elapsed);
        assert_eq!(run.status.code(), Some(0), "{item}: {}", run.stderr);
        assert!(
            run.stdout.contains(&format!(
                "template.json:1  {item}  (template)  the Guard rules could not be checked on this template: Guard needed more than 64 MiB of memory to evaluate these rules on this template  (unresolved)"
            )),
            "{item}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("template.json: FLAGGED"),
            "{}",
            run.stdout
        );
        assert!(run.peak_mib < 160, "{item}: {} MiB", run.peak_mib);
    }
}

/// Past `--guard-timeout`, the worker is killed and the item is an
/// unresolved finding naming it; the run ends soon after.
#[test]
fn an_item_past_guard_timeout_is_an_unresolved_finding() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules.guard", hungry::many_clauses(400 * 1000));
    write(dir.path(), "template.json", hungry::buckets(20_000));
    let run = measured(
        dir.path(),
        &[
            "validate",
            "--guard-memory",
            "8192",
            "--guard-timeout",
            "1",
            "--rules",
            "rules.guard",
            "template.json",
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("template.json:1  R0  (template)  the Guard rules could not be checked on this template: Guard took longer than 1 s to evaluate these rules on this template  (unresolved)"),
        "{}",
        run.stdout
    );
    // Parsing 400 KB of rules in a debug build, then 1 s of Guard.
    assert!(run.elapsed < Duration::from_secs(20), "{:?}", run.elapsed);
}

/// `import-guard`, `put` and `sync` refuse rules nested past the caps (the
/// issue's 18 nested filters: 21 s to parse, deeper never finishing) and
/// rules Guard's parser cannot get through within 2 s (400 KB of filters
/// nested 3 deep, in this debug build), saying so, and write nothing.
#[tokio::test(flavor = "multi_thread")]
async fn rules_that_cannot_be_parsed_in_time_are_refused_and_nothing_is_written() {
    let moto = MotoServer::shared();
    let table = unique_name("rules");
    moto.create_rules_table(&table).await;
    let dir = tempfile::tempdir().unwrap();
    let nested = |depth: usize, i: usize| {
        let mut inner = format!("Type{i} exists");
        for _ in 1..depth {
            inner = format!("Properties.*[ {inner} ] exists");
        }
        format!("rule NESTED{i} {{ Resources.*[ {inner} ] exists }}\n")
    };
    let deep = write(dir.path(), "deep.guard", nested(18, 0));
    let mut slow = String::new();
    for i in 0.. {
        let rule = nested(3, i);
        if slow.len() + rule.len() > 400 * 1000 {
            break;
        }
        slow.push_str(&rule);
    }
    let slow = write(dir.path(), "slow.guard", &slow);

    let started = Instant::now();
    let refused = cicd_moto(
        moto,
        &table,
        &[
            "rules",
            "import-guard",
            &deep.to_string_lossy(),
            &slow.to_string_lossy(),
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("deep.guard: the Guard rules do not parse: line 1, column 237: nested more than 16 levels deep"),
        "{message}"
    );
    assert!(
        message.contains("slow.guard: the Guard rules cannot be parsed within 2 s, and cfn-validate parses them for every job"),
        "{message}"
    );
    assert!(message.contains("nothing was written"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );

    // The same items in a rules file, through put and sync.
    let items = serde_json::json!([{"rule": "Slow", "ruletype": "guard", "riskvalue": 1,
        "active": "Y", "ruledata": std::fs::read_to_string(&slow).unwrap()}]);
    let file = write(dir.path(), "slow.json", items.to_string());
    for action in ["put", "sync"] {
        let refused = cicd_moto(
            moto,
            &table,
            &["rules", action, "--file", &file.to_string_lossy()],
        );
        assert_eq!(refused.status.code(), Some(2), "{action}");
        let message = String::from_utf8_lossy(&refused.stderr);
        assert!(
            message.contains("rule Slow: the Guard rules cannot be parsed within 2 s"),
            "{action}: {message}"
        );
    }
    assert!(
        rules_table::RulesTable::new(moto.dynamodb(), &table)
            .scan()
            .await
            .unwrap()
            .is_empty()
    );
}
