//! `cicd --version` names the git commit it was built from, when it was
//! built from a checkout: `cicd 0.1.0 (commit 0123456789ab)`. Outside git
//! (a copy of the sources, no git installed) it is just the version.

use std::path::Path;
use std::process::Command;

fn main() {
    let version = match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) => format!("{} (commit {commit})", env!("CARGO_PKG_VERSION")),
        None => env!("CARGO_PKG_VERSION").to_string(),
    };
    println!("cargo:rustc-env=CICD_VERSION={version}");
    println!("cargo:rerun-if-changed=build.rs");
    // Run again when HEAD moves: a checkout changes HEAD, a commit changes
    // the branch's ref (worktrees keep them in different places; git knows).
    let mut watched = vec!["HEAD".to_string()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--path-format=absolute", "--git-path", &name])
            && Path::new(&path).is_file()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

/// `git ARGS` in the package's directory; None when git is missing, this is
/// not a checkout, or git fails.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}
