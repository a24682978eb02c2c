//! `cargo xtask demo` (`make demo`) keeps telling the story it should.
//!
//! `cargo test --workspace` has built the two functions; `--no-build` keeps
//! the demo from running cargo inside cargo.

use std::process::Command;

#[test]
fn the_demo_plays_the_five_actions_with_their_verdicts() {
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
        .take(5)
        .collect();
    assert_eq!(summary.len(), 5, "{text}");
    assert!(
        summary[0].contains("Succeeded  no risk found in cloudformation/application.json"),
        "{text}"
    );
    assert!(
        summary[1].contains("Failed     cloudformation/bastion.yaml has risk 200"),
        "{text}"
    );
    assert!(
        summary[2].contains("Succeeded  http://127.0.0.1:"),
        "{text}"
    );
    // The fresh stack's 502s are waited out, not reported as a failure.
    assert!(
        summary[3].contains("Succeeded  http://127.0.0.1:") && summary[3].contains(", at attempt "),
        "{text}"
    );
    assert!(
        summary[4].contains("did not become healthy within 6 s"),
        "{text}"
    );
    assert!(
        text.contains("SSHOpenToWorld on BastionSg (line 15)"),
        "{text}"
    );
    assert!(text.contains("Connection refused"), "{text}");
}
