//! `harness::netns::isolated` where no namespace can be made: a refusal
//! test is skipped, saying so, unless `CICD_REQUIRE_NETNS=1` (as in CI)
//! makes it fail. `unshare` is made unavailable by running the probe below
//! again with an empty `PATH`.

use std::process::Command;

use harness::netns::{self, REQUIRE_VAR};

/// Not a test of its own (ignored): what the test below runs, in a child
/// process, with `PATH` emptied.
#[test]
#[ignore = "run by where_unshare_cannot_run_a_namespace_test_is_skipped_or_under_ci_fails"]
fn probe_isolated() {
    if netns::isolated("probe_isolated") {
        println!("PROBE RAN INSIDE");
    }
}

/// The probe, run again with no `unshare` to be found, and `REQUIRE_VAR`
/// set to `require` (unset when `None`): its exit status and output.
fn probe(require: Option<&str>) -> (bool, String) {
    let mut command = Command::new(std::env::current_exe().expect("the test executable"));
    command
        .args(["probe_isolated", "--exact", "--ignored", "--nocapture"])
        .env("PATH", "/nonexistent")
        .env_remove(REQUIRE_VAR)
        .env_remove("HARNESS_NETNS_INSIDE");
    if let Some(value) = require {
        command.env(REQUIRE_VAR, value);
    }
    let output = command.output().expect("the probe runs");
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), shown)
}

#[test]
fn where_unshare_cannot_run_a_namespace_test_is_skipped_or_under_ci_fails() {
    let (passed, shown) = probe(None);
    assert!(passed, "skipped, not failed: {shown}");
    assert!(
        shown.contains("SKIPPED probe_isolated") && shown.contains("unshare cannot be run"),
        "{shown}"
    );
    assert!(!shown.contains("PROBE RAN INSIDE"), "{shown}");

    let (passed, shown) = probe(Some("1"));
    assert!(!passed, "under {REQUIRE_VAR}=1 it fails: {shown}");
    assert!(
        shown.contains(
            "probe_isolated must run in a network namespace with nothing but loopback (CICD_REQUIRE_NETNS=1 is set), and unshare cannot be run"
        ),
        "{shown}"
    );
}
