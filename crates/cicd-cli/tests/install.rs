//! What a user installing `cicd` sees: the version with its commit, and
//! shell completions that the shells load.

use std::process::Command;

fn cicd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cicd"))
        .args(args)
        .output()
        .expect("cicd runs")
}

#[test]
fn the_version_names_the_commit_it_was_built_from() {
    let out = cicd(&["--version"]);
    assert!(out.status.success());
    let version = String::from_utf8(out.stdout).unwrap();
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        // Built from this checkout (the test binary and cicd were built together).
        Some(commit) => assert_eq!(
            version,
            format!("cicd {} (commit {commit})\n", env!("CARGO_PKG_VERSION"))
        ),
        None => assert_eq!(version, format!("cicd {}\n", env!("CARGO_PKG_VERSION"))),
    }
}

#[test]
fn completions_are_scripts_the_shells_accept() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = cicd(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains("validate"), "{shell}: {script}");
    }
    // bash loads it and registers the completion for `cicd`.
    let script = String::from_utf8(cicd(&["completions", "bash"]).stdout).unwrap();
    let loaded = Command::new("bash")
        .args(["-c", &format!("{script}\ncomplete -p cicd")])
        .output()
        .expect("bash runs");
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    assert!(String::from_utf8_lossy(&loaded.stdout).contains("cicd"));
    let bad = cicd(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}
