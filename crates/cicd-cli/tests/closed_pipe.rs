//! `cicd … | head`: a reader that goes away before the output is written
//! ends the run with exit 2, never a panic (exit 101).

use std::io::Read;
use std::process::{Command, Stdio};

/// Runs `cicd args` with standard output and error on pipes that are
/// closed before it writes, and returns its exit code.
fn with_readers_gone(args: &[&str]) -> Option<i32> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cicd"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cicd starts");
    drop(child.stdout.take());
    drop(child.stderr.take());
    child.wait().expect("cicd ends").code()
}

#[test]
fn standard_output_closed_ends_the_run_without_a_panic() {
    // `rules kinds` and `rules list --pack` print lines; `validate` a report.
    for args in [
        &["rules", "kinds"][..],
        &["rules", "list", "--pack", "standard"],
        &[
            "validate",
            "../../calculator/cloudformation/application.json",
        ],
        &[
            "validate",
            "--format",
            "json",
            "../../tests/fixtures/templates",
        ],
    ] {
        assert_eq!(with_readers_gone(args), Some(2), "cicd {args:?}");
    }
}

#[test]
fn standard_error_closed_alone_ends_the_run_without_a_panic() {
    // Notes go to standard error (templates skipped, unreadable ones): one
    // that cannot be written ends the run (exit 2, as the unreadable
    // templates among the fixtures would give anyway), without a panic.
    let mut child = Command::new(env!("CARGO_BIN_EXE_cicd"))
        .args(["validate", "../../tests/fixtures/templates"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cicd starts");
    drop(child.stderr.take());
    let mut report = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut report).expect("the report reads");
    }
    let code = child.wait().expect("cicd ends").code();
    assert_eq!(code, Some(2), "{report}");
}
