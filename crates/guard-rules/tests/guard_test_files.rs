//! Guard's own test format, run through this crate.
//!
//! Published Guard rules ship test files next to them: `DIR/NAME.guard` is
//! tested by `DIR/tests/NAME*_tests.yaml` (or `.yml`, `.json`), a list of
//! cases, each an `input` (a template) and the expected status of each rule
//! (`expectations: {rules: {RULE: PASS|FAIL|SKIP}}`), the layout
//! `cfn-guard test --dir` reads. The runner below evaluates every case with
//! this crate, with and without its shortcuts, and reports every verdict
//! that differs from the expectation.
//!
//! - `own_rules_match_their_test_files` runs it on `tests/rules`.
//! - `published_rules_match_their_test_files` runs it on a directory of
//!   published rules (the AWS Guard Rules Registry's `rules/` directory, say),
//!   never copied into this repository:
//!   `GUARD_RULES_TESTS=/path/to/rules cargo test -p guard-rules --test guard_test_files -- --ignored --nocapture`

#[path = "support/guard_test_format.rs"]
mod guard_test_format;

use std::fmt;
use std::path::{Path, PathBuf};

use guard_test_format::rules_with_tests;

use guard_rules::{FailureKind, GuardData, GuardRules, Options, evaluate_with};
use serde_json::Value;

/// A verdict that is not the one a test file expects, or a file or case
/// that could not be run.
#[derive(Debug)]
struct Mismatch {
    rules: PathBuf,
    case: String,
    what: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]: {}", self.rules.display(), self.case, self.what)
    }
}

#[derive(Debug, Default)]
struct Summary {
    rules_files: usize,
    untested: Vec<PathBuf>,
    cases: usize,
    checks: usize,
    /// Cases where Guard skipped a rule on a comparison it could not decide:
    /// SKIP for Guard, a failure kind of its own here.
    undecided: usize,
    mismatches: Vec<Mismatch>,
}

fn run_directory(dir: &Path) -> Summary {
    let mut summary = Summary::default();
    for (rules_path, tests) in rules_with_tests(dir) {
        summary.rules_files += 1;
        if tests.is_empty() {
            summary.untested.push(rules_path);
            continue;
        }
        let mismatch = |case: &str, what: String| Mismatch {
            rules: rules_path.clone(),
            case: case.to_string(),
            what,
        };
        let rules = match std::fs::read_to_string(&rules_path)
            .map_err(|e| e.to_string())
            .and_then(|text| GuardRules::parse(&text).map_err(|e| e.to_string()))
        {
            Ok(rules) => rules,
            Err(e) => {
                summary.mismatches.push(mismatch("-", e));
                continue;
            }
        };
        for test_path in tests {
            let cases = match std::fs::read(&test_path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| cfn_template::parse_document(&bytes).map_err(|e| e.to_string()))
            {
                Ok(Value::Array(cases)) => cases,
                Ok(_) => {
                    let what = format!("{}: not a list of test cases", test_path.display());
                    summary.mismatches.push(mismatch("-", what));
                    continue;
                }
                Err(e) => {
                    let what = format!("{}: {e}", test_path.display());
                    summary.mismatches.push(mismatch("-", what));
                    continue;
                }
            };
            for (n, case) in cases.iter().enumerate() {
                summary.cases += 1;
                let name = case
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("case {}", n + 1), str::to_string);
                for what in run_case(&rules, case, &mut summary) {
                    summary.mismatches.push(mismatch(&name, what));
                }
            }
        }
    }
    summary
}

/// Runs one case; what differs from its expectations.
fn run_case(rules: &GuardRules, case: &Value, summary: &mut Summary) -> Vec<String> {
    let input = case.get("input").cloned().unwrap_or(Value::Null);
    let Some(expected) = case
        .get("expectations")
        .and_then(|e| e.get("rules"))
        .and_then(Value::as_object)
    else {
        return vec!["no expectations.rules".to_string()];
    };
    let data = match GuardData::from_json(&input) {
        Ok(data) => data,
        Err(e) => return vec![e.to_string()],
    };
    let evaluation = match evaluate_with(rules, &data, Options::DEFAULT) {
        Ok(evaluation) => evaluation,
        Err(e) => return vec![e.to_string()],
    };
    let mut differences = Vec::new();
    // The shortcuts must never change a verdict.
    match evaluate_with(rules, &data, Options::REFERENCE) {
        Ok(reference) if reference.verdicts != evaluation.verdicts => differences.push(format!(
            "the shortcuts changed the verdicts: {:?} without, {:?} with",
            reference.verdicts, evaluation.verdicts
        )),
        Ok(_) => {}
        Err(e) => differences.push(format!("without shortcuts: {e}")),
    }
    if evaluation
        .failures
        .iter()
        .any(|f| f.kind == FailureKind::Undecided)
    {
        summary.undecided += 1;
    }
    for (rule, status) in expected {
        summary.checks += 1;
        let want = status.as_str().unwrap_or("?");
        match evaluation.status(rule) {
            Some(got) if got.as_str() == want => {}
            Some(got) => differences.push(format!("{rule}: expected {want}, got {}", got.as_str())),
            None => differences.push(format!(
                "{rule}: expected {want}, but there is no such rule"
            )),
        }
    }
    differences
}

fn report(summary: &Summary) -> String {
    let mut text = format!(
        "{} rules files ({} without tests), {} cases, {} verdicts checked, {} cases with undecided rules, {} mismatches",
        summary.rules_files,
        summary.untested.len(),
        summary.cases,
        summary.checks,
        summary.undecided,
        summary.mismatches.len()
    );
    for mismatch in &summary.mismatches {
        text.push_str(&format!("\n  {mismatch}"));
    }
    text
}

#[test]
fn own_rules_match_their_test_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules");
    let summary = run_directory(&dir);
    assert!(summary.mismatches.is_empty(), "{}", report(&summary));
    assert!(
        summary.untested.is_empty(),
        "untested: {:?}",
        summary.untested
    );
    assert_eq!(summary.rules_files, 6, "{}", report(&summary));
    assert!(summary.cases >= 30, "{}", report(&summary));
    assert!(summary.checks >= 40, "{}", report(&summary));
}

#[test]
#[ignore = "set GUARD_RULES_TESTS to a directory of published Guard rules with their tests"]
fn published_rules_match_their_test_files() {
    let dir = std::env::var("GUARD_RULES_TESTS")
        .expect("GUARD_RULES_TESTS names a directory of Guard rules and their tests/");
    let summary = run_directory(Path::new(&dir));
    println!("{}", report(&summary));
    assert!(summary.rules_files > 0, "no .guard file under {dir}");
    assert!(summary.mismatches.is_empty(), "{}", report(&summary));
}

/// The runner itself: a wrong expectation is reported, with the case and
/// the rule, and a rules file that does not parse is too.
#[test]
fn the_runner_reports_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tests")).unwrap();
    std::fs::write(
        dir.path().join("tagged.guard"),
        "rule TAGGED { Resources.*[ Type == 'AWS::SQS::Queue' ] { Properties.Tags exists } }",
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.guard"), "rule BROKEN {").unwrap();
    std::fs::write(
        dir.path().join("untested.guard"),
        "rule UNTESTED { Resources exists }",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tests/tagged_tests.yaml"),
        r#"
- name: right
  input: {Resources: {Q: {Type: AWS::SQS::Queue, Properties: {Tags: []}}}}
  expectations: {rules: {TAGGED: PASS}}
- name: wrong
  input: {Resources: {Q: {Type: AWS::SQS::Queue}}}
  expectations: {rules: {TAGGED: PASS, NOT_A_RULE: SKIP}}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tests/broken_tests.yaml"),
        "- {input: {}, expectations: {rules: {BROKEN: SKIP}}}",
    )
    .unwrap();

    let summary = run_directory(dir.path());
    assert_eq!(summary.rules_files, 3);
    assert_eq!(summary.untested, vec![dir.path().join("untested.guard")]);
    assert_eq!(summary.cases, 2);
    let mismatches: Vec<String> = summary.mismatches.iter().map(|m| m.to_string()).collect();
    assert_eq!(mismatches.len(), 3, "{mismatches:#?}");
    assert!(mismatches[0].contains("broken.guard [-]: the Guard rules do not parse"));
    assert!(mismatches[1].ends_with("tagged.guard [wrong]: TAGGED: expected PASS, got FAIL"));
    assert!(mismatches[2].ends_with("NOT_A_RULE: expected SKIP, but there is no such rule"));
}

/// Guard's own CLI passes the same test files: the expectations are Guard's
/// verdicts, not only this crate's.
#[test]
#[ignore = "needs the cfn-guard CLI: cargo install cfn-guard --version =3.2.1 --locked"]
fn guards_cli_agrees_with_our_test_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules");
    let output = std::process::Command::new("cfn-guard")
        .arg("test")
        .arg("--dir")
        .arg(&dir)
        .output()
        .expect("cfn-guard on PATH");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(!stdout.contains("FAIL Rules"), "{stdout}");
    assert_eq!(stdout.matches("Testing Guard File").count(), 6, "{stdout}");
}
