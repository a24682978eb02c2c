//! Running a test where only loopback exists.
//!
//! A test of address refusal (the instance metadata service, link-local,
//! loopback, their IPv6 spellings) must not depend on the refusal to stay
//! safe: if the code under test let a request through, it must reach
//! nothing. [`isolated`] runs the calling test again, alone, in a new
//! network namespace (`unshare --net --map-root-user`) whose only interface
//! is `lo`, brought up with the loopback addresses and [`EXTRA_V4`] on it.
//! There, 169.254.169.254 has no route, and loopback is the namespace's
//! own.
//!
//! Where the sandbox refuses `unshare` (or `ip` is missing), the test is
//! skipped with a message saying so on stderr — unless [`REQUIRE_VAR`] is
//! set (CI sets it, in `.ci/run`): then it fails, saying why, so that a
//! refusal test cannot pass without having run.

use std::net::Ipv4Addr;
use std::process::Command;

/// Set in the re-executed test's environment.
const INSIDE_VAR: &str = "HARNESS_NETNS_INSIDE";

/// `CICD_REQUIRE_NETNS=1`: a namespace that cannot be made fails the test
/// instead of skipping it.
pub const REQUIRE_VAR: &str = "CICD_REQUIRE_NETNS";

/// An ordinary (not refused) address put on `lo` in the namespace, so a
/// test has somewhere allowed to start from: TEST-NET-1, never routed.
pub const EXTRA_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);

/// Whether the caller runs in the isolated namespace: `true` there (go on
/// with the test's body), `false` in the outer process, after the test ran
/// inside and passed (its output is copied to stderr; a failure inside
/// panics here), or when no namespace can be made (skipped, saying so;
/// under [`REQUIRE_VAR`] it panics instead).
///
/// `test` is the test's path as the test binary names it (`module::name`,
/// or just `name` at the top level of an integration test).
pub fn isolated(test: &str) -> bool {
    if std::env::var_os(INSIDE_VAR).is_some() {
        return true;
    }
    if let Err(why) = available() {
        assert!(
            !required(),
            "{test} must run in a network namespace with nothing but loopback ({REQUIRE_VAR}=1 is set), and {why}"
        );
        eprintln!(
            "SKIPPED {test}: it runs only in a network namespace with nothing but loopback, and {why}"
        );
        return false;
    }
    let exe = std::env::current_exe().expect("the test executable's path");
    let script = format!("ip link set lo up && ip addr add {EXTRA_V4}/32 dev lo && exec \"$@\"");
    let output = Command::new("unshare")
        .args(["--net", "--map-root-user", "--", "sh", "-c", &script, "sh"])
        .arg(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE_VAR, "1")
        .output()
        .expect("run the test in a network namespace");
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{test} failed in its network namespace ({}):\n{shown}",
        output.status
    );
    assert!(
        shown.contains("1 passed"),
        "{test} did not run in its network namespace (is the name right?):\n{shown}"
    );
    eprint!("{shown}");
    false
}

/// Whether [`REQUIRE_VAR`] asks for the namespace.
fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

/// Whether a namespace with a configurable `lo` can be made here.
fn available() -> Result<(), String> {
    let probe = Command::new("unshare")
        .args([
            "--net",
            "--map-root-user",
            "--",
            "sh",
            "-c",
            "ip link set lo up",
        ])
        .output();
    match probe {
        Err(e) => Err(format!("unshare cannot be run ({e})")),
        Ok(o) if !o.status.success() => Err(format!(
            "this sandbox refuses it: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Ok(_) => Ok(()),
    }
}
