//! `cicd validate --format junit|sarif|json`, read back the way their
//! consumers read them: JUnit XML by a JUnit parser (the `junit-parser`
//! crate, not ours), SARIF checked against the SARIF 2.1.0 JSON schema.

mod common;

use std::io::BufReader;

use common::*;
use junit_parser::TestStatus;
use serde_json::Value;

/// A directory with a failing template (SSH open on two groups, one of
/// them suppressed for SSH), a flagged one, a passing one and an unreadable one.
fn mixed() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "templates/bastion.yaml",
        template(&[
            open_group(
                "BastionSg",
                22,
                Some(("SSHOpenToWorld", "VPN & <NAT> only")),
            ),
            open_group("AdminSg", 22, None),
        ]),
    );
    write(
        dir.path(),
        "templates/web.yaml",
        template(&[open_group("WebSg", 80, None)]),
    );
    write(
        dir.path(),
        "templates/bucket.json",
        r#"{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}"#,
    );
    write(
        dir.path(),
        "templates/broken.yaml",
        "Resources:\n  A:\n    Type: [unclosed\n",
    );
    write(
        dir.path(),
        "rules.yaml",
        "- {rule: IngressOpenToWorld, category: SecurityGroup, ruletype: open-ingress, ruledata: all, riskvalue: 100, active: Y}\n\
         - {rule: SSHOpenToWorld, category: SecurityGroup, ruletype: open-ingress, ruledata: 'tcp:22', riskvalue: 100, active: Y}\n\
         - {rule: AllowHttp, category: SecurityGroup, ruletype: open-ingress, ruledata: 'tcp:80', riskvalue: 10, active: Y}\n\
         - {rule: ForbiddenAMIs, category: EC2Instance, ruletype: forbidden-ami, ruledata: ami-1, riskvalue: 10, active: Y}\n\
         - {rule: Off, category: SecurityGroup, ruletype: open-ingress, ruledata: all, riskvalue: 10, active: N}\n",
    );
    dir
}

fn run(dir: &tempfile::TempDir, format: &str) -> std::process::Output {
    let out = cicd(
        dir.path(),
        &[
            "validate",
            "--rules",
            "rules.yaml",
            "--flag-at",
            "5",
            "--fail-at",
            "150",
            "--format",
            format,
            "templates",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unreadable template: exit 2; {}",
        stderr(&out)
    );
    out
}

#[test]
fn junit_has_a_suite_per_template_and_a_case_per_rule_applied() {
    let dir = mixed();
    let out = run(&dir, "junit");
    let xml = stdout(&out);
    let report =
        junit_parser::from_reader(BufReader::new(xml.as_bytes())).expect("JUnit XML parses");

    let names: Vec<&str> = report.suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "templates/bastion.yaml",
            "templates/broken.yaml",
            "templates/bucket.json",
            "templates/web.yaml"
        ]
    );
    let suite = |name: &str| report.suites.iter().find(|s| s.name == name).unwrap();

    // bastion: risk 300 (Ingress on both, SSH on AdminSg) fails. Three
    // active SecurityGroup rules apply; ForbiddenAMIs (EC2) and the inactive rule do not.
    let bastion = suite("templates/bastion.yaml");
    let cases: Vec<&str> = bastion
        .cases
        .iter()
        .map(|c| c.original_name.as_str())
        .collect();
    assert_eq!(cases, ["IngressOpenToWorld", "SSHOpenToWorld", "AllowHttp"]);
    assert_eq!(
        (
            bastion.tests,
            bastion.failures,
            bastion.errors,
            bastion.skipped
        ),
        (3, 2, 0, 0)
    );
    let TestStatus::Failure(ingress) = &bastion.cases[0].status else {
        panic!("{:?}", bastion.cases[0].status)
    };
    assert_eq!(ingress.failure_type, "fail");
    // The parser keeps one failure of the case (the last).
    assert_eq!(
        ingress.message,
        "templates/bastion.yaml:14: IngressOpenToWorld on AdminSg (AWS::EC2::SecurityGroup), risk 100: SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0"
    );
    assert!(
        bastion.cases[2].status.is_success(),
        "AllowHttp did not fire"
    );
    // One failure element per unsuppressed finding: Ingress on two groups,
    // SSH on AdminSg only (BastionSg's is suppressed).
    let bastion_xml = &xml
        [xml.find("templates/bastion.yaml").unwrap()..xml.find("templates/broken.yaml").unwrap()];
    assert_eq!(bastion_xml.matches("<failure ").count(), 3, "{bastion_xml}");

    // web: AllowHttp (10) flags it: a failure of type "flagged"; Ingress
    // fires too (100 < 150 fails at): also a failure, the template is flagged.
    let web = suite("templates/web.yaml");
    let TestStatus::Failure(http) = &web.cases[2].status else {
        panic!("{:?}", web.cases[2].status)
    };
    assert_eq!(http.failure_type, "flagged");
    assert!(
        http.message.contains("AllowHttp on WebSg"),
        "{}",
        http.message
    );

    // bucket: no rule applies to an S3 bucket: a suite without cases.
    let bucket = suite("templates/bucket.json");
    assert_eq!((bucket.tests, bucket.cases.len()), (0, 0));

    // broken: one case with an error naming path, line, column and problem.
    let broken = suite("templates/broken.yaml");
    assert_eq!((broken.tests, broken.errors), (1, 1));
    let TestStatus::Error(error) = &broken.cases[0].status else {
        panic!("{:?}", broken.cases[0].status)
    };
    assert!(
        error
            .message
            .starts_with("templates/broken.yaml:4:1: invalid YAML"),
        "{}",
        error.message
    );

    assert_eq!((report.tests, report.failures, report.errors), (7, 4, 1));
}

#[test]
fn junit_marks_wholly_suppressed_rules_skipped_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.yaml",
        template(&[open_group("Sg", 22, Some(("SSHOpenToWorld", "reviewed")))]),
    );
    let out = cicd(dir.path(), &["validate", "--format", "junit", "t.yaml"]);
    assert_eq!(out.status.code(), Some(1), "Ingress still fails it");
    let report = junit_parser::from_reader(BufReader::new(out.stdout.as_slice())).unwrap();
    let suite = &report.suites[0];
    let TestStatus::Skipped(skipped) = &suite.cases[1].status else {
        panic!("{:?}", suite.cases[1].status)
    };
    assert_eq!(suite.cases[1].original_name, "SSHOpenToWorld");
    assert_eq!(skipped.message, "suppressed: reviewed");
    assert_eq!((suite.failures, suite.skipped), (1, 1));
}

fn sarif_validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(workspace().join("tests/fixtures/schemas/sarif-schema-2.1.0.json"))
            .unwrap();
    // The schema's two `language` patterns are ECMAScript with an unescaped
    // `]`, which the validator's (Rust) regex engine refuses: the same
    // patterns with it escaped. Nothing else is changed.
    const ECMA: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(text.matches(ECMA).count(), 2);
    let text = text.replace(ECMA, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(text: &str) -> Value {
    let log: Value = serde_json::from_str(text).expect("SARIF is JSON");
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:#?}");
    log
}

#[test]
fn sarif_is_valid_against_the_2_1_0_schema_and_names_unreadable_templates() {
    let dir = mixed();
    let out = run(&dir, "sarif");
    let log = assert_valid_sarif(&stdout(&out));
    let run = &log["runs"][0];
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["level"], "error");
    let location = &notes[0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "templates/broken.yaml");
    assert_eq!(location["region"]["startLine"], 4);
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("templates/broken.yaml:4:1: invalid YAML")
    );
    // Levels come from the thresholds: 100 and 10 are warnings (flag at 5,
    // fail at 150), nothing reaches error on its own.
    let levels: Vec<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert!(levels.iter().all(|l| *l == "warning"), "{levels:?}");

    // And the project's own fixtures, with default thresholds.
    let fixtures = cicd(
        &workspace(),
        &["validate", "--format", "sarif", "tests/fixtures/templates"],
    );
    let log = assert_valid_sarif(&stdout(&fixtures));
    assert!(
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["level"] == "error")
    );
}

#[test]
fn sarif_uris_are_encoded_and_stdin_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "my templates/a #1.yaml",
        template(&[open_group("Sg", 22, None)]),
    );
    let out = cicd_in(
        dir.path(),
        &["validate", "--format", "sarif", "my templates", "-"],
        template(&[open_group("Other", 3389, None)]).as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let log = assert_valid_sarif(&stdout(&out));
    let uris: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.contains(&"%3Cstdin%3E"), "{uris:?}");
    assert!(uris.contains(&"my%20templates/a%20%231.yaml"), "{uris:?}");
}

#[test]
fn json_lists_unreadable_templates_with_line_column_and_message() {
    let dir = mixed();
    let out = run(&dir, "json");
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let templates = doc["templates"].as_array().unwrap();
    let paths: Vec<&str> = templates
        .iter()
        .map(|t| t["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "templates/bastion.yaml",
            "templates/broken.yaml",
            "templates/bucket.json",
            "templates/web.yaml"
        ]
    );
    let broken = &templates[1];
    assert_eq!(broken["verdict"], "error");
    assert_eq!(broken["error"]["line"], 4);
    assert_eq!(broken["error"]["column"], 1);
    assert!(
        broken["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid YAML")
    );
    assert!(broken.get("findings").is_none());
    // The others keep the validation-report.json shape.
    let verdicts: Vec<&str> = templates
        .iter()
        .map(|t| t["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["fail", "error", "pass", "flagged"]);
    let ok: Vec<template_rules::TemplateReport> = templates
        .iter()
        .filter(|t| t["verdict"] != "error")
        .map(|t| serde_json::from_value(t.clone()).expect("a TemplateReport"))
        .collect();
    assert_eq!(ok.len(), 3);
    // The reason is on stderr too, as path:line:column: message.
    assert!(
        stderr(&out).contains("templates/broken.yaml:4:1: invalid YAML"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn text_names_every_template_including_the_unreadable_one() {
    let dir = mixed();
    let out = run(&dir, "text");
    let text = stdout(&out);
    let verdicts: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once(": "))
        .filter(|(_, rest)| {
            ["PASS", "FLAGGED", "FAIL", "ERROR"]
                .iter()
                .any(|w| rest.starts_with(w))
        })
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        verdicts,
        [
            "templates/bastion.yaml",
            "templates/broken.yaml",
            "templates/bucket.json",
            "templates/web.yaml"
        ],
        "{text}"
    );
    assert!(
        text.contains(
            "templates/broken.yaml: ERROR  cannot be read: line 4, column 1: invalid YAML"
        ),
        "{text}"
    );
}
