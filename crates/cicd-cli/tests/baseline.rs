//! `cicd validate --baseline REPORT.json`, `--baseline-ref GIT_REV` and
//! `--baseline-policy`: only what a change adds counts; existing findings
//! are shown, marked and counted apart in every format; what cannot be a
//! baseline is refused.

mod common;

use std::io::BufReader;
use std::path::Path;
use std::process::Command;

use common::{assert_valid_sarif, cicd, stderr, stdout, write};
use junit_parser::TestStatus;
use serde_json::Value;

/// The web tier open on port 80 to the world; the admin group to the
/// office only.
const BEFORE: &str = "Resources:
  WebSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}
  AdminSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: admin
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 3389, ToPort: 3389, CidrIp: 10.0.0.0/8}
";

/// The same groups as JSON, in another order, with one more port (8443,
/// which only the rule about all traffic is about) open to the world on
/// the admin group.
const AFTER: &str = r#"{
  "Resources": {
    "AdminSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
      "SecurityGroupIngress": [
        {"IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "CidrIp": "10.0.0.0/8"}
      ],
      "GroupDescription": "admin"}},
    "WebSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "web",
      "SecurityGroupIngress": [{"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": "80", "ToPort": "80"}]}}
  }
}"#;

/// `cicd validate --format json PATH` in `dir`, written to `report.json`.
fn report_of(dir: &Path, path: &str) {
    let out = cicd(dir, &["validate", "--format", "json", path]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    write(dir, "report.json", out.stdout);
}

/// `cicd validate --baseline report.json ARGS` in `dir`.
fn against_report(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["validate", "--baseline", "report.json"];
    all.extend_from_slice(args);
    cicd(dir, &all)
}

#[test]
fn an_earlier_report_makes_its_findings_existing_and_only_new_ones_count() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.yaml", BEFORE);
    report_of(dir.path(), "t.yaml");

    // Rewritten as JSON and reordered, nothing added: it passes.
    write(
        dir.path(),
        "t.yaml",
        BEFORE.replace(
            "Resources:\n",
            "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n",
        ),
    );
    let same = against_report(dir.path(), &["t.yaml"]);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    assert_eq!(
        stdout(&same),
        "t.yaml:3  IngressOpenToWorld  WebSg  SecurityGroupIngress[0] admits tcp 80 from 0.0.0.0/0  (existing)\n\
         t.yaml: PASS  risk 0 (1 finding, 1 existing); compared with report.json: 0 new, 1 existing (not counted)\n"
    );

    // One more port open: it fails on that finding alone.
    write(dir.path(), "t.yaml", AFTER);
    let added = against_report(dir.path(), &["t.yaml"]);
    assert_eq!(added.status.code(), Some(1), "{}", stderr(&added));
    assert_eq!(
        stdout(&added),
        "t.yaml:3  IngressOpenToWorld  AdminSg  SecurityGroupIngress[0] admits tcp 8443 from 0.0.0.0/0\n\
         t.yaml:9  IngressOpenToWorld  WebSg    SecurityGroupIngress[0] admits tcp 80 from 0.0.0.0/0  (existing)\n\
         t.yaml: FAIL  risk 100 (2 findings, 1 existing); compared with report.json: 1 new, 1 existing (not counted)\n"
    );

    // --baseline-policy count: the existing one counts too, still marked.
    let counted = against_report(dir.path(), &["--baseline-policy", "count", "t.yaml"]);
    assert_eq!(counted.status.code(), Some(1));
    assert!(
        stdout(&counted).ends_with(
            "t.yaml: FAIL  risk 200 (2 findings, 1 existing); compared with report.json: 1 new, 1 existing (counted)\n"
        ),
        "{}",
        stdout(&counted)
    );

    // In JSON: each finding's state and fingerprint, and the comparison.
    let json = against_report(dir.path(), &["--format", "json", "t.yaml"]);
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    let template = &doc["templates"][0];
    assert_eq!(template["baseline"]["against"], "report.json");
    assert_eq!(template["baseline"]["policy"], "new-only");
    assert_eq!(
        (
            template["baseline"]["new"].as_u64(),
            template["baseline"]["existing"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(template["findings"][0]["baseline"], "new");
    assert_eq!(template["findings"][1]["baseline"], "existing");
    let earlier: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(
        template["findings"][1]["fingerprint"],
        earlier["templates"][0]["findings"][0]["fingerprint"]
    );
}

#[test]
fn a_finding_in_another_file_is_never_existing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.yaml", BEFORE);
    report_of(dir.path(), "t.yaml");
    write(dir.path(), "copy.yaml", BEFORE);
    let out = against_report(dir.path(), &["t.yaml", "copy.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("copy.yaml: FAIL  risk 100 (1 finding); compared with report.json, which does not list it: 1 new, 0 existing (not counted)\n"),
        "{text}"
    );
    assert!(
        text.contains("t.yaml: PASS  risk 0 (1 finding, 1 existing)"),
        "{text}"
    );
}

#[test]
fn what_cannot_be_a_baseline_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.yaml", BEFORE);
    report_of(dir.path(), "t.yaml");
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();

    // A report made before fingerprints.
    let mut old = report.clone();
    old["templates"][0]["findings"][0]
        .as_object_mut()
        .unwrap()
        .remove("fingerprint");
    write(dir.path(), "old.json", old.to_string());
    // One of another version of them.
    let mut other = report.clone();
    other["templates"][0]["findings"][0]["fingerprint"] = "v9:0123".into();
    write(dir.path(), "other.json", other.to_string());
    write(dir.path(), "not-a-report.json", "{\"Resources\": {}}");
    for (file, message) in [
        (
            "old.json",
            "cicd validate: --baseline old.json: t.yaml: the finding of IngressOpenToWorld on WebSg has no fingerprint (a report made before fingerprints: make it again with this version)\n",
        ),
        (
            "other.json",
            "cicd validate: --baseline other.json: t.yaml: the finding of IngressOpenToWorld on WebSg has fingerprint \"v9:0123\", not of this version (v1): make the report again with this version\n",
        ),
        (
            "not-a-report.json",
            "cicd validate: --baseline not-a-report.json: not a report of `cicd validate --format json` (no \"templates\" list)\n",
        ),
        (
            "missing.json",
            "cicd validate: --baseline missing.json: cannot read it: No such file or directory (os error 2)\n",
        ),
    ] {
        let out = cicd(dir.path(), &["validate", "--baseline", file, "t.yaml"]);
        assert_eq!(out.status.code(), Some(2), "{file}");
        assert_eq!(stderr(&out), message);
        assert_eq!(stdout(&out), "", "no verdict: {file}");
    }
    let out = cicd(
        dir.path(),
        &["validate", "--baseline-policy", "count", "t.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "cicd validate: --baseline-policy only applies to --baseline or --baseline-ref\n"
    );
    let out = against_report(dir.path(), &["--baseline-ref", "HEAD", "t.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}

/// `git ARGS` in `dir`; panics when it fails.
fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository whose first commit holds `files`.
fn repository(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "--quiet", "--initial-branch", "main"]);
    for (name, text) in files {
        write(dir.path(), name, text);
    }
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "--quiet", "-m", "first"]);
    dir
}

#[test]
fn the_same_paths_at_a_git_revision_are_the_baseline() {
    let repo = repository(&[
        ("stacks/app.yaml", BEFORE),
        ("broken.yaml", "Resources: [oops"),
    ]);
    write(repo.path(), "stacks/app.yaml", AFTER);
    // Added since: it has no baseline, every finding is new.
    write(repo.path(), "stacks/new.yaml", BEFORE);
    // Not a template at the revision: nothing to compare with either.
    write(repo.path(), "broken.yaml", BEFORE);

    let out = cicd(repo.path(), &["validate", "--baseline-ref", "HEAD", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("stacks/app.yaml: FAIL  risk 100 (2 findings, 1 existing); compared with git HEAD: 1 new, 1 existing (not counted)\n"),
        "{text}"
    );
    assert!(
        text.contains("stacks/new.yaml: FAIL  risk 100 (1 finding); compared with git HEAD, where it does not exist: 1 new, 0 existing (not counted)\n"),
        "{text}"
    );
    assert!(
        text.contains("broken.yaml: FAIL  risk 100 (1 finding); compared with git HEAD, where it is no template that can be read ("),
        "{text}"
    );
    // From inside a directory, a path named relative to it.
    let inside = cicd(
        &repo.path().join("stacks"),
        &["validate", "--baseline-ref", "HEAD", "app.yaml"],
    );
    assert_eq!(inside.status.code(), Some(1));
    assert!(
        stdout(&inside).ends_with("app.yaml: FAIL  risk 100 (2 findings, 1 existing); compared with git HEAD: 1 new, 1 existing (not counted)\n"),
        "{}",
        stdout(&inside)
    );
    // Committed: nothing is new.
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "--quiet", "-m", "second"]);
    let out = cicd(
        repo.path(),
        &["validate", "--baseline-ref", "HEAD", "stacks"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // The revision before: the port added since is new again.
    let out = cicd(
        repo.path(),
        &["validate", "--baseline-ref", "HEAD~1", "stacks/app.yaml"],
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_revision_that_does_not_exist_or_no_repository_is_an_error() {
    let repo = repository(&[("t.yaml", BEFORE)]);
    for rev in ["no-such-branch", "-rf", ""] {
        let out = cicd(
            repo.path(),
            &["validate", &format!("--baseline-ref={rev}"), "t.yaml"],
        );
        assert_eq!(out.status.code(), Some(2), "{rev}");
        assert!(
            stderr(&out).starts_with("cicd validate: --baseline-ref "),
            "{}",
            stderr(&out)
        );
        assert_eq!(stdout(&out), "");
    }
    let out = cicd(
        repo.path(),
        &["validate", "--baseline-ref", "no-such-branch", "t.yaml"],
    );
    assert_eq!(
        stderr(&out),
        "cicd validate: --baseline-ref no-such-branch: no such commit in this git repository\n"
    );
    // Standard input has no path to look up.
    let out = common::cicd_in(
        repo.path(),
        &["validate", "--baseline-ref", "HEAD", "-"],
        BEFORE.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "<stdin>: --baseline-ref HEAD: standard input has no path to look up at that revision"
        ),
        "{}",
        stderr(&out)
    );
    // Outside a repository.
    let plain = tempfile::tempdir().unwrap();
    write(plain.path(), "t.yaml", BEFORE);
    let out = cicd(
        plain.path(),
        &["validate", "--baseline-ref", "HEAD", "t.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sarif_carries_fingerprints_and_baseline_states_junit_and_text_mark_existing_findings() {
    let dir = tempfile::tempdir().unwrap();
    // Before: SSH open on the web group too.
    write(
        dir.path(),
        "t.yaml",
        BEFORE.replace("FromPort: 80, ToPort: 80", "FromPort: 22, ToPort: 80"),
    );
    report_of(dir.path(), "t.yaml");
    write(dir.path(), "t.yaml", AFTER);

    let sarif = against_report(dir.path(), &["--format", "sarif", "t.yaml"]);
    assert_eq!(sarif.status.code(), Some(1));
    let log = assert_valid_sarif(&stdout(&sarif));
    let results = log["runs"][0]["results"].as_array().unwrap();
    let states: Vec<(&str, &str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap(),
                r["baselineState"].as_str().unwrap(),
                r["level"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            // AdminSg's open RDP: new.
            ("IngressOpenToWorld", "new", "error"),
            // WebSg's port 80 only, now: its evidence changed, so new...
            ("IngressOpenToWorld", "new", "error"),
            // ... and what it was (22 to 80), with SSH on it, gone.
            ("IngressOpenToWorld", "absent", "none"),
            ("SSHOpenToWorld", "absent", "none"),
        ]
    );
    for result in results {
        let fingerprint = result["partialFingerprints"]["cicdFindingFingerprint"]
            .as_str()
            .unwrap();
        assert!(fingerprint.starts_with("v1:"), "{fingerprint}");
    }
    assert!(
        results[3]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("gone since the baseline: WebSg (AWS::EC2::SecurityGroup): SecurityGroupIngress[0] admits tcp 22-80")
    );

    // The same template again: unchanged, a note (it does not count).
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.yaml", BEFORE);
    report_of(dir.path(), "t.yaml");
    write(dir.path(), "t.yaml", AFTER);
    let sarif = against_report(dir.path(), &["--format", "sarif", "t.yaml"]);
    let log = assert_valid_sarif(&stdout(&sarif));
    let web = &log["runs"][0]["results"][1];
    assert_eq!(
        (web["baselineState"].as_str(), web["level"].as_str()),
        (Some("unchanged"), Some("note"))
    );
    assert!(
        web["message"]["text"]
            .as_str()
            .unwrap()
            .ends_with(" (existing)")
    );

    // JUnit: the existing finding is no failure; the new one is.
    let junit = against_report(dir.path(), &["--format", "junit", "t.yaml"]);
    let xml = stdout(&junit);
    let report =
        junit_parser::from_reader(BufReader::new(xml.as_bytes())).expect("JUnit XML parses");
    let ingress = &report.suites[0].cases[0];
    assert_eq!(ingress.original_name, "IngressOpenToWorld");
    let TestStatus::Failure(failure) = &ingress.status else {
        panic!("{:?}", ingress.status)
    };
    assert!(
        failure
            .message
            .starts_with("t.yaml:3: IngressOpenToWorld on AdminSg"),
        "{xml}"
    );
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    // Nothing new: the case passes, its output naming the existing finding.
    write(dir.path(), "t.yaml", BEFORE);
    let junit = against_report(dir.path(), &["--format", "junit", "t.yaml"]);
    assert_eq!(junit.status.code(), Some(0));
    let xml = stdout(&junit);
    let report =
        junit_parser::from_reader(BufReader::new(xml.as_bytes())).expect("JUnit XML parses");
    let ingress = &report.suites[0].cases[0];
    assert!(ingress.status.is_success(), "{xml}");
    assert_eq!(
        ingress.system_out.as_deref(),
        Some(
            "t.yaml:2: IngressOpenToWorld on WebSg (AWS::EC2::SecurityGroup), risk 100: SecurityGroupIngress[0] admits tcp 80 from 0.0.0.0/0 (existing)"
        )
    );
}
