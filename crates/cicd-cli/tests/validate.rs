//! `cicd validate` as a user runs it: golden outputs and every way to misuse it.
//!
//! Golden files live in `tests/fixtures/golden/`; after an intended change,
//! regenerate them with `UPDATE_GOLDEN=1 cargo test -p cicd-cli` and review the diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Runs `cicd` from the workspace root, so paths in the output are stable.
fn cicd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cicd"))
        .args(args)
        .current_dir(workspace())
        .env_remove("NO_COLOR")
        .output()
        .expect("cicd runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn golden(name: &str, actual: &str) {
    let path = workspace().join("tests/fixtures/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(actual, expected, "output differs from {}", path.display());
}

const T: &str = "tests/fixtures/templates";

fn templates(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("{T}/{n}")).collect()
}

const MIXED: &[&str] = &[
    "web-app.yaml",
    "web-app.json",
    "bastion-ssh-open.yaml",
    "bastion-ssh-open.json",
    "bastion-suppressed.yaml",
    "egress-only.yaml",
    "old-ami.yaml",
];

fn validate(extra: &[&str], names: &[&str]) -> Output {
    let files = templates(names);
    let mut args = vec!["validate"];
    args.extend_from_slice(extra);
    args.extend(files.iter().map(String::as_str));
    cicd(&args)
}

#[test]
fn text_report_of_good_and_bad_templates() {
    let out = validate(&[], MIXED);
    assert_eq!(out.status.code(), Some(1), "a failing template exits 1");
    assert!(
        !stdout(&out).contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    assert_eq!(stderr(&out), "");
    golden("validate-mixed.txt", &stdout(&out));
}

#[test]
fn json_report_has_the_documented_shape() {
    let out = validate(&["--format", "json"], MIXED);
    assert_eq!(out.status.code(), Some(1));
    golden("validate-mixed.json", &stdout(&out));

    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    // Templates come in sorted path order, whatever the order given.
    let bastion = &doc["templates"][1];
    assert_eq!(
        bastion["path"],
        "tests/fixtures/templates/bastion-ssh-open.yaml"
    );
    assert_eq!(bastion["verdict"], "fail");
    // SSH open to the world (two rules, 100 each) and, from the standard
    // pack, the instance not requiring IMDSv2 (10).
    assert_eq!(bastion["risk"], 210);
    let ssh = &bastion["findings"][1];
    assert_eq!(ssh["rule"], "SSHOpenToWorld");
    assert_eq!(ssh["resource"], "BastionSg");
    assert_eq!(ssh["line"], 15);
    assert_eq!(ssh["risk"], 100);
    assert_eq!(ssh["suppressed"], false);
    assert!(
        ssh["reason"]
            .as_str()
            .unwrap()
            .starts_with("SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0")
    );
    let verdicts: Vec<&str> = doc["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["verdict"].as_str().unwrap())
        .collect();
    // old-ami.yaml: its AMI is allowed, but the standard pack flags an
    // instance that does not require IMDSv2.
    assert_eq!(
        verdicts,
        ["fail", "fail", "fail", "pass", "flagged", "pass", "pass"]
    );
}

#[test]
fn a_rules_file_and_thresholds_change_the_verdicts() {
    let out = validate(
        &["--rules", "tests/fixtures/rules/all-active.yaml"],
        &["old-ami.yaml", "web-app.yaml"],
    );
    assert_eq!(out.status.code(), Some(0), "flagged is not failed");
    golden("validate-all-rules.txt", &stdout(&out));

    let out = validate(
        &[
            "--flag-at",
            "1",
            "--fail-at",
            "2",
            "--rules",
            "tests/fixtures/rules/all-active.yaml",
        ],
        &["web-app.yaml"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("web-app.yaml: FAIL  risk 3"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn sarif_is_a_valid_2_1_0_log() {
    // The default rules alone: the pack's descriptors are not this test's subject.
    let out = validate(
        &["--format", "sarif", "--pack", "none"],
        &["bastion-suppressed.yaml", "web-app.yaml"],
    );
    assert_eq!(out.status.code(), Some(1));
    let log: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "cicd");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["IngressOpenToWorld", "SSHOpenToWorld"]);
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert_eq!(result["level"], "error");
        let location = &result["locations"][0]["physicalLocation"];
        assert!(
            location["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with("tests/fixtures/templates/")
        );
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 2);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        suppressed[0]["suppressions"][0]["justification"],
        "Bastion behind the corporate VPN's NAT; reviewed 2026-11."
    );
}

const UNRESOLVED: &[&str] = &["ssh-cidr-parameter.yaml", "unresolved-sources.json"];

#[test]
fn unresolved_findings_are_marked_and_flag_the_template_by_default() {
    let out = validate(&[], UNRESOLVED);
    assert_eq!(out.status.code(), Some(0), "flagged is not failed");
    assert_eq!(stderr(&out), "");
    golden("validate-unresolved.txt", &stdout(&out));

    let out = validate(&["--format", "json"], UNRESOLVED);
    assert_eq!(out.status.code(), Some(0));
    golden("validate-unresolved.json", &stdout(&out));
}

/// The story: SSH open to a CIDR parameter without a Default. Flagged by
/// default, failed with `--unresolved fail`, shown but passed with `pass`.
#[test]
fn unresolved_decides_what_a_template_open_to_a_parameter_does() {
    let ssh = &["ssh-cidr-parameter.yaml"];
    let flagged = validate(&[], ssh);
    assert_eq!(flagged.status.code(), Some(0));
    let text = stdout(&flagged);
    assert!(
        text.contains("SSHOpenToWorld      BastionSg  SecurityGroupIngress[0] may admit tcp 22 from a CidrIp not resolved (parameter AdminCidr has no Default)  (unresolved)\n"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "ssh-cidr-parameter.yaml: FLAGGED  risk 0 (2 findings, 2 unresolved); needs manual approval: 2 unresolved findings, risk 200 if they fire\n"
        ),
        "{text}"
    );
    assert_eq!(
        stdout(&validate(&["--unresolved", "flag"], ssh)),
        text,
        "flag is the default"
    );

    let failed = validate(&["--unresolved", "fail"], ssh);
    assert_eq!(failed.status.code(), Some(1), "{}", stdout(&failed));
    assert!(
        stdout(&failed).ends_with(
            "ssh-cidr-parameter.yaml: FAIL  risk 200 (2 findings, 2 unresolved); unresolved counted (--unresolved fail)\n"
        ),
        "{}",
        stdout(&failed)
    );

    let passed = validate(&["--unresolved", "pass"], ssh);
    assert_eq!(passed.status.code(), Some(0));
    assert!(
        stdout(&passed).ends_with(
            "ssh-cidr-parameter.yaml: PASS  risk 0 (2 findings, 2 unresolved); unresolved not counted (--unresolved pass)\n"
        ),
        "{}",
        stdout(&passed)
    );
    assert_eq!(
        stdout(&passed).matches("(unresolved)").count(),
        2,
        "still shown"
    );

    // A resolved failure still fails under every policy.
    for policy in ["pass", "flag", "fail"] {
        let out = validate(
            &["--unresolved", policy],
            &["ssh-cidr-parameter.yaml", "bastion-ssh-open.yaml"],
        );
        assert_eq!(out.status.code(), Some(1), "{policy}");
    }
}

/// Runs `cicd validate` expecting exit 2 and a message on stderr.
fn unusable(args: &[&str]) -> String {
    let out = cicd(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit 2 for {args:?}; stderr: {}",
        stderr(&out)
    );
    stderr(&out)
}

#[test]
fn unparseable_templates_exit_2_naming_file_line_and_problem() {
    assert_eq!(
        unusable(&["validate", "tests/fixtures/templates/malformed.json"]),
        "tests/fixtures/templates/malformed.json:4:3: invalid JSON: trailing comma\n"
    );
    assert_eq!(
        unusable(&["validate", "tests/fixtures/templates/malformed.yaml"]),
        "tests/fixtures/templates/malformed.yaml:5:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence that starts on line 4)\n"
    );
    assert_eq!(
        unusable(&["validate", "tests/fixtures/templates/no-resources.yaml"]),
        "tests/fixtures/templates/no-resources.yaml: the template has no Resources section (CloudFormation requires one)\n"
    );
}

#[test]
fn a_bad_template_among_good_ones_still_reports_the_good_ones() {
    let out = validate(&[], &["web-app.yaml", "malformed.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("web-app.yaml: PASS"));
    assert!(stderr(&out).contains("malformed.yaml:5:1"));
}

#[test]
fn unreadable_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.yaml");
    let stderr = unusable(&["validate", missing.to_str().unwrap()]);
    assert!(
        stderr.contains("missing.yaml: cannot read: No such file or directory"),
        "{stderr}"
    );

    // A directory with no template in it is not a pass.
    let stderr = unusable(&["validate", dir.path().to_str().unwrap()]);
    assert!(
        stderr.contains("no CloudFormation templates found in"),
        "{stderr}"
    );

    let huge = dir.path().join("huge.json");
    std::fs::write(&huge, vec![b' '; 2 * 1024 * 1024]).unwrap();
    let stderr = unusable(&["validate", huge.to_str().unwrap()]);
    assert!(stderr.contains("larger than 1048576 bytes"), "{stderr}");

    let binary = dir.path().join("binary.yaml");
    std::fs::write(&binary, b"Resources:\n  \xc3\x28: x\n").unwrap();
    let stderr = unusable(&["validate", binary.to_str().unwrap()]);
    assert!(
        stderr.contains("binary.yaml:2:3: the template is not valid UTF-8"),
        "{stderr}"
    );

    let empty = dir.path().join("empty.yaml");
    std::fs::write(&empty, b"").unwrap();
    assert!(
        unusable(&["validate", empty.to_str().unwrap()])
            .contains("empty.yaml: the template is empty")
    );
}

#[test]
fn usage_errors_exit_2() {
    assert!(unusable(&["validate"]).contains("<PATH>"));
    assert!(unusable(&["validate", "--format", "xml", "x.yaml"]).contains("invalid value 'xml'"));
    assert!(
        unusable(&["validate", "--fail-at", "lots", "x.yaml"]).contains("invalid value 'lots'")
    );
    let bad_policy = unusable(&["validate", "--unresolved", "warn", "x.yaml"]);
    assert!(
        bad_policy.contains("invalid value 'warn' for '--unresolved <POLICY>'")
            && bad_policy.contains("[possible values: pass, flag, fail]"),
        "{bad_policy}"
    );
    assert_eq!(
        unusable(&["validate", "--flag-at", "60", "--fail-at", "50", "x.yaml"]),
        "cicd validate: the flag threshold (60) must not be above the fail threshold (50)\n"
    );
}

#[test]
fn a_rules_file_with_an_active_rule_that_cannot_be_applied_is_refused() {
    let stderr = unusable(&[
        "validate",
        "--rules",
        "tests/fixtures/rules/broken.yaml",
        "tests/fixtures/templates/web-app.yaml",
    ]);
    assert!(
        stderr.starts_with("cicd validate: rules file tests/fixtures/rules/broken.yaml has active rules that cannot be applied:\n  rule BadRegex: ruledata is not a valid regex"),
        "{stderr}"
    );
    let stderr = unusable(&[
        "validate",
        "--rules",
        "nope.yaml",
        "tests/fixtures/templates/web-app.yaml",
    ]);
    assert!(
        stderr.contains("rules file nope.yaml: cannot read"),
        "{stderr}"
    );
    let stderr = unusable(&[
        "validate",
        "--rules",
        "tests/fixtures/templates/web-app.yaml",
        "tests/fixtures/templates/web-app.yaml",
    ]);
    assert!(stderr.contains("expected a list of rules"), "{stderr}");
}

/// The rule ids of the findings in a JSON report's first template.
fn fired_rules(out: &Output) -> Vec<String> {
    let report: Value = serde_json::from_str(&stdout(out)).unwrap();
    report["templates"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_standard_pack_is_applied_with_the_defaults_unless_turned_off() {
    let bucket = ["unencrypted-bucket.yaml"];
    // No rules given: the defaults and the standard pack.
    let out = validate(&["--format", "json"], &bucket);
    let fired = fired_rules(&out);
    assert!(
        fired.contains(&"S3BucketVersioning".to_string()),
        "{fired:?}"
    );
    assert!(fired.contains(&"S3BucketTlsOnly".to_string()), "{fired:?}");
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(
        report["templates"][0]["rules"]["S3BucketTlsOnly"]["remediation"]
            .as_str()
            .unwrap()
            .starts_with("Add an AWS::S3::BucketPolicy"),
        "{report}"
    );
    // --pack none: the four defaults alone, which say nothing of buckets.
    let out = validate(&["--format", "json", "--pack", "none"], &bucket);
    assert_eq!(out.status.code(), Some(0));
    assert!(fired_rules(&out).is_empty());
    // --rules alone: the files' rules; --pack standard adds the pack.
    let rules = "tests/fixtures/rules/all-active.yaml";
    let out = validate(&["--format", "json", "--rules", rules], &bucket);
    assert!(fired_rules(&out).is_empty(), "{}", stdout(&out));
    let out = validate(
        &["--format", "json", "--rules", rules, "--pack", "standard"],
        &bucket,
    );
    assert!(fired_rules(&out).contains(&"S3BucketAccessLogging".to_string()));
}

#[test]
fn a_pack_is_not_mixed_with_a_table_and_its_ids_may_not_clash() {
    let out = cicd(&[
        "validate", "--table", "rules", "--pack", "standard", "x.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
    let out = cicd(&["validate", "--pack", "extended", "x.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("[possible values: standard, none]"),
        "{}",
        stderr(&out)
    );

    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "- {rule: S3BucketVersioning, category: SecurityGroup, ruletype: open-ingress, ruledata: all, riskvalue: 5, active: Y}\n",
    )
    .unwrap();
    let out = cicd(&[
        "validate",
        "--rules",
        rules.to_str().unwrap(),
        "--pack",
        "standard",
        "tests/fixtures/templates/unencrypted-bucket.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("rule S3BucketVersioning: the same rule id appears twice"),
        "{}",
        stderr(&out)
    );
}
