//! `cargo xtask demo` (`make demo`) keeps telling the story it should.
//!
//! `cargo test --workspace` has built the two functions; `--no-build` keeps
//! the demo from running cargo inside cargo.

use std::process::Command;

#[test]
fn the_demo_plays_the_eight_actions_with_their_verdicts() {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["demo", "--no-build"])
        .output()
        .expect("the demo runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("CodePipeline recorded"))
        .skip(1)
        .take(8)
        .collect();
    assert_eq!(summary.len(), 8, "{text}");
    assert!(
        summary[0].contains("Succeeded  no risk found in cloudformation/application.json"),
        "{text}"
    );
    assert!(
        summary[1].contains("Failed     cloudformation/bastion.yaml has risk 210"),
        "{text}"
    );
    // The standard policy pack, seeded with the defaults, fails the public
    // bucket and its policy; each finding says what to change.
    assert!(
        summary[2].contains("Failed     cloudformation/assets.yaml has risk "),
        "{text}"
    );
    for (finding, fix) in [
        (
            "S3BucketPublicReadAcl on Assets (line 8): AccessControl is PublicRead [risk 80]",
            "fix: Remove AccessControl (or set it to Private)",
        ),
        (
            "S3BucketPublicAccessBlock on Assets (line 8): PublicAccessBlockConfiguration.BlockPublicAcls is false",
            "fix: Set all four PublicAccessBlockConfiguration settings",
        ),
        (
            "S3BucketEncryption on Assets (line 8): BucketEncryption is not set",
            "fix: Declare BucketEncryption with an SSEAlgorithm",
        ),
        (
            "S3BucketPolicyPublic on AssetsPolicy (line 20): PolicyDocument.Statement[0] (Effect Allow, Principal *, no Condition) [risk 100]",
            "fix: Name the principals that need access",
        ),
    ] {
        let at = text
            .lines()
            .position(|l| l.contains(finding))
            .unwrap_or_else(|| panic!("no {finding:?} in\n{text}"));
        let next = text.lines().nth(at + 1).unwrap_or("");
        assert!(
            next.trim_start().starts_with(fix),
            "{finding}: {next}\n{text}"
        );
    }
    // The test stack passes the gate: its run, its targets, its alarms.
    assert!(
        summary[3].contains("Succeeded  http://127.0.0.1:")
            && summary[3].contains("; 3 successes in a row (p95 "),
        "{text}"
    );
    assert!(
        text.contains("target group targetgroup/") && text.contains(": 2 of 2 targets healthy"),
        "{text}"
    );
    // The fresh stack's 502s are waited out, not reported as a failure.
    assert!(
        summary[4].contains("Succeeded  http://127.0.0.1:") && summary[4].contains(", at attempt "),
        "{text}"
    );
    assert!(
        summary[5].contains("did not become healthy within 6 s"),
        "{text}"
    );
    // A release answering 200 with a stopped instance and a firing alarm
    // does not pass, and the report names both; healthy again, it passes.
    let stopped = text
        .lines()
        .skip_while(|l| !l.contains("is stopped and alarm CICD-test-stack-target-5xx is in ALARM"))
        .nth(1)
        .unwrap_or("");
    assert!(
        stopped.contains("through its load balancer, GET http://127.0.0.1:")
            && stopped.ends_with("/ → 200)"),
        "{text}"
    );
    assert!(
        summary[6].contains("Failed     http://127.0.0.1:")
            && summary[6].contains(
                " is not healthy: alarm CICD-test-stack-target-5xx is ALARM: Threshold Crossed"
            ),
        "{text}"
    );
    assert!(
        text.contains(": 1 of 2 targets healthy: i-")
            && text.contains(":8080 unused (Target.InvalidState"),
        "{text}"
    );
    assert!(
        summary[7].contains("Succeeded  http://127.0.0.1:")
            && summary[7].contains("; 3 successes in a row (p95 "),
        "{text}"
    );
    assert!(
        text.contains("SSHOpenToWorld on BastionSg (line 15)"),
        "{text}"
    );
    assert!(text.contains("Connection refused"), "{text}");
}
