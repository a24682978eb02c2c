//! `cargo xtask demo` (`make demo`) keeps telling the story it should.
//!
//! `cargo test --workspace` has built the two functions; `--no-build` keeps
//! the demo from running cargo inside cargo.

use std::process::Command;

#[test]
fn the_demo_plays_the_six_actions_with_their_verdicts() {
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
        .take(6)
        .collect();
    assert_eq!(summary.len(), 6, "{text}");
    assert!(
        summary[0].contains("Succeeded  no risk found in cloudformation/application.json"),
        "{text}"
    );
    assert!(
        summary[1].contains("Failed     cloudformation/bastion.yaml has risk 200"),
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
    assert!(
        summary[3].contains("Succeeded  http://127.0.0.1:"),
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
    assert!(
        text.contains("SSHOpenToWorld on BastionSg (line 15)"),
        "{text}"
    );
    assert!(text.contains("Connection refused"), "{text}");
}
