//! Guard's own test format: which test files go with which rules file.
//!
//! Published Guard rules ship test files next to them: `DIR/NAME.guard` is
//! tested by `DIR/tests/NAME*_tests.yaml` (or `.yml`, `.json`), a list of
//! cases, each an `input` (a template) and the expected status of each rule
//! (`expectations: {rules: {RULE: PASS|FAIL|SKIP}}`), the layout
//! `cfn-guard test --dir` reads.
//!
//! Shared by guard-rules' runner (`tests/guard_test_files.rs`) and the one
//! that drives the real `cicd validate` binary (cicd-cli's `tests/guard.rs`,
//! which includes this file by path).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Every `.guard` (or `.ruleset`) file under `dir`, with the test files
/// Guard's `test --dir` would pair it with.
pub fn rules_with_tests(dir: &Path) -> Vec<(PathBuf, Vec<PathBuf>)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                pending.push(path);
            } else if let Some(prefix) = path.file_name().and_then(|n| n.to_str()).and_then(|n| {
                n.strip_suffix(".guard")
                    .or_else(|| n.strip_suffix(".ruleset"))
            }) {
                let tests = test_files(&dir.join("tests"), prefix);
                found.push((path.clone(), tests));
            }
        }
    }
    found.sort();
    found
}

/// Test files for the rules file `prefix`: those whose name starts with it
/// and continues with `_test`, `-test` or `.` (so `s3_bucket_tests.yaml`
/// does not also test `s3_bucket_encrypted.guard`).
pub fn test_files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|path| {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                return false;
            };
            let data_file = [".yaml", ".yml", ".json", ".jsn"]
                .iter()
                .any(|ext| name.ends_with(ext));
            let rest = name.strip_prefix(prefix).unwrap_or("");
            data_file
                && name.starts_with(prefix)
                && (rest.starts_with("_test") || rest.starts_with("-test") || rest.starts_with('.'))
        })
        .collect();
    files.sort();
    files
}
