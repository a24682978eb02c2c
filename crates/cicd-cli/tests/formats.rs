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
    // Each rule's help is its kind's own description.
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        let ruletype = rule["properties"]["ruletype"].as_str().unwrap();
        let help = rule["help"]["text"].as_str().unwrap();
        let described = template_rules::kinds::KINDS
            .iter()
            .map(|k| k.describe())
            .find(|d| d.ruletype == ruletype)
            .map(|d| format!("{}: {}", d.ruletype, d.summary));
        assert_eq!(Some(help.to_string()), described, "{rule}");
    }

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

/// Templates whose sources cannot be known, in YAML and JSON: a parameter
/// without a Default, an SSM parameter, an import, an open allowed value;
/// next to a resolved open group (low risk, so that it alone only flags).
fn unresolved_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "admin.yaml",
        "Parameters:\n  Cidr: {Type: String}\nResources:\n  AdminSg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: a\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Cidr}\n",
    );
    write(
        dir.path(),
        "shared.json",
        serde_json::json!({
            "Parameters": {
                "Ssm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/net/cidr"},
                "Narrow": {"Type": "String", "Default": "10.0.0.0/8", "AllowedValues": ["10.0.0.0/8", "0.0.0.0/0"]}
            },
            "Resources": {
                "FromSsm": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "s",
                    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Ref": "Ssm"}}]}},
                "Imported": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "i",
                    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Fn::ImportValue": "admin-cidr"}}]}},
                "Allowed": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "a",
                    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Ref": "Narrow"}}]}},
                "Web": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "w",
                    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"}]}}
            }
        })
        .to_string(),
    );
    write(
        dir.path(),
        "rules.yaml",
        "- {rule: SSHOpenToWorld, category: SecurityGroup, ruletype: open-ingress, ruledata: 'tcp:22', riskvalue: 100, active: Y}\n\
         - {rule: AllowHttp, category: SecurityGroup, ruletype: open-ingress, ruledata: 'tcp:80', riskvalue: 10, active: Y}\n",
    );
    dir
}

fn run_unresolved(dir: &tempfile::TempDir, format: &str, policy: &str) -> std::process::Output {
    cicd(
        dir.path(),
        &[
            "validate",
            "--rules",
            "rules.yaml",
            "--unresolved",
            policy,
            "--format",
            format,
            "admin.yaml",
            "shared.json",
        ],
    )
}

#[test]
fn sarif_tags_unresolved_results_at_the_level_their_policy_gives() {
    let dir = unresolved_dir();
    for (policy, exit, unresolved_level) in [
        ("flag", 0, "warning"),
        ("pass", 0, "note"),
        ("fail", 1, "error"),
    ] {
        let out = run_unresolved(&dir, "sarif", policy);
        assert_eq!(out.status.code(), Some(exit), "{policy}: {}", stderr(&out));
        let log = assert_valid_sarif(&stdout(&out));
        let results = log["runs"][0]["results"].as_array().unwrap();
        let (unresolved, resolved): (Vec<&Value>, Vec<&Value>) = results
            .iter()
            .partition(|r| r["properties"].get("unresolved").is_some());
        assert_eq!(unresolved.len(), 4, "{policy}");
        for r in &unresolved {
            assert_eq!(r["level"], unresolved_level, "{policy}: {r}");
            assert_eq!(r["properties"]["tags"], serde_json::json!(["unresolved"]));
            let named = r["properties"]["unresolved"][0].as_str().unwrap();
            assert!(!named.is_empty());
            let text = r["message"]["text"].as_str().unwrap();
            assert!(text.contains(named), "the message names it: {text}");
            assert!(text.ends_with("(unresolved)"), "{text}");
        }
        // The resolved AllowHttp (10): what its risk alone gives, whatever the policy.
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0]["ruleId"], "AllowHttp");
        assert_eq!(resolved[0]["level"], "warning");
        assert!(resolved[0]["properties"].get("tags").is_none());
    }
    // (Sorted: whether json! keeps the order written depends on serde_json's
    // features in the build.)
    let mut named: Vec<String> = {
        let out = run_unresolved(&dir, "sarif", "flag");
        let log: Value = serde_json::from_str(&stdout(&out)).unwrap();
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["properties"]["unresolved"][0].as_str())
            .map(str::to_string)
            .collect()
    };
    named.sort();
    assert_eq!(
        named,
        [
            "Fn::ImportValue admin-cidr",
            "parameter Cidr has no Default",
            "parameter Narrow may be set to 0.0.0.0/0, one of its AllowedValues",
            "parameter Ssm (an SSM parameter: its Default names the parameter, not the value)",
        ]
    );
}

#[test]
fn junit_fails_unresolved_findings_as_unresolved_unless_the_policy_passes_them() {
    let dir = unresolved_dir();
    let out = run_unresolved(&dir, "junit", "flag");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let xml = stdout(&out);
    let report = junit_parser::from_reader(BufReader::new(xml.as_bytes())).unwrap();
    let admin = &report.suites[0];
    assert_eq!(admin.name, "admin.yaml");
    let TestStatus::Failure(failure) = &admin.cases[0].status else {
        panic!("{:?}", admin.cases[0].status)
    };
    assert_eq!(failure.failure_type, "unresolved");
    assert_eq!(
        failure.message,
        "admin.yaml:4: SSHOpenToWorld on AdminSg (AWS::EC2::SecurityGroup), risk 100: SecurityGroupIngress[0] may admit tcp 22 from a CidrIp not resolved (parameter Cidr has no Default) (unresolved)"
    );
    // shared.json: three unresolved SSH findings, and a resolved AllowHttp.
    assert_eq!(xml.matches(r#"type="unresolved""#).count(), 4, "{xml}");
    assert_eq!(xml.matches(r#"type="flagged""#).count(), 1, "{xml}");
    assert_eq!(report.failures, 3, "cases: SSH twice, AllowHttp once");

    // Under pass they are said, not failed.
    let out = run_unresolved(&dir, "junit", "pass");
    assert_eq!(out.status.code(), Some(0));
    let report = junit_parser::from_reader(BufReader::new(out.stdout.as_slice())).unwrap();
    let admin = &report.suites[0];
    assert!(admin.cases[0].status.is_success());
    assert!(
        admin.cases[0]
            .system_out
            .as_deref()
            .unwrap_or_default()
            .ends_with("(parameter Cidr has no Default) (unresolved)"),
        "{:?}",
        admin.cases[0].system_out
    );
    assert_eq!(report.failures, 1, "AllowHttp flags shared.json");

    // Under fail they fail the templates, still as unresolved.
    let out = run_unresolved(&dir, "junit", "fail");
    assert_eq!(out.status.code(), Some(1));
    let xml = stdout(&out);
    assert_eq!(xml.matches(r#"type="unresolved""#).count(), 4, "{xml}");
    assert_eq!(xml.matches(r#"type="fail""#).count(), 1, "AllowHttp: {xml}");
}

#[test]
fn json_gives_a_consumer_the_verdict_the_risks_and_what_was_not_resolved() {
    let dir = unresolved_dir();
    for (policy, verdict, risk) in [
        ("flag", "flagged", 10),
        ("pass", "flagged", 10),
        ("fail", "fail", 310),
    ] {
        let out = run_unresolved(&dir, "json", policy);
        let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let shared = &doc["templates"][1];
        assert_eq!(shared["path"], "shared.json");
        assert_eq!(shared["verdict"], verdict, "{policy}");
        assert_eq!(shared["risk"], risk, "{policy}");
        assert_eq!(shared["unresolved_risk"], 300, "{policy}");
        // The policy is written when it is not the default (flag).
        let written = shared.get("unresolved_policy").and_then(Value::as_str);
        assert_eq!(written, (policy != "flag").then_some(policy), "{policy}");
        let unresolved: Vec<&Value> = shared["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f.get("unresolved").is_some())
            .collect();
        assert_eq!(unresolved.len(), 3);
        assert!(
            unresolved
                .iter()
                .all(|f| f["unresolved"].as_array().unwrap().len() == 1)
        );
        let report: template_rules::TemplateReport =
            serde_json::from_value(shared.clone()).expect("a TemplateReport");
        assert_eq!(report.report.unresolved_count(), 3);
    }
    // admin.yaml: unresolved only.
    let out = run_unresolved(&dir, "json", "flag");
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let admin = &doc["templates"][0];
    assert_eq!(
        (admin["verdict"].as_str(), admin["risk"].as_u64()),
        (Some("flagged"), Some(0))
    );
    assert_eq!(
        admin["findings"][0]["unresolved"],
        serde_json::json!(["parameter Cidr has no Default"])
    );
}

#[test]
fn a_rule_that_may_not_be_suppressed_is_not_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.yaml",
        template(&[open_group("Sg", 22, Some(("SSHOpenToWorld", "we said so")))]),
    );
    write(
        dir.path(),
        "rules.yaml",
        "- {rule: SSHOpenToWorld, category: SecurityGroup, ruletype: open-ingress, ruledata: 'tcp:22', riskvalue: 100, active: Y, suppressible: N}\n",
    );
    let run = |format: &str| {
        let out = cicd(
            dir.path(),
            &[
                "validate",
                "--rules",
                "rules.yaml",
                "--format",
                format,
                "t.yaml",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: not suppressed, so it fails"
        );
        stdout(&out)
    };
    let text = run("text");
    assert!(
        text.contains("t.yaml: warning: Sg (line 3): suppresses SSHOpenToWorld, which may not be suppressed (suppressible: N), so it is not applied\n"),
        "{text}"
    );
    assert!(
        text.ends_with("t.yaml: FAIL  risk 100 (1 finding)\n"),
        "{text}"
    );
    let doc: Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(doc["templates"][0]["findings"][0]["suppressed"], false);
    assert_eq!(doc["templates"][0]["warnings"].as_array().unwrap().len(), 1);
    let log = assert_valid_sarif(&run("sarif"));
    assert!(log["runs"][0]["results"][0].get("suppressions").is_none());
    assert_eq!(log["runs"][0]["results"][0]["level"], "error");
    let junit = run("junit");
    let report = junit_parser::from_reader(BufReader::new(junit.as_bytes())).unwrap();
    assert!(matches!(
        report.suites[0].cases[0].status,
        TestStatus::Failure(_)
    ));
}

#[test]
fn sarif_carries_inactive_rules_that_cannot_be_applied_as_configuration_notifications() {
    let dir = mixed();
    write(
        dir.path(),
        "rules.yaml",
        "- {rule: IngressOpenToWorld, category: SecurityGroup, ruletype: open-ingress, ruledata: all, riskvalue: 100, active: Y}\n\
         - {rule: Dormant, ruletype: guard, ruledata: 'let x = 1', riskvalue: 5, active: N}\n\
         - {rule: OldRegex, category: SecurityGroup, ruletype: regex, ruledata: '(unclosed', riskvalue: 5, active: N}\n",
    );
    let out = run(&dir, "sarif");
    let log = assert_valid_sarif(&stdout(&out));
    let notes = log["runs"][0]["invocations"][0]["toolConfigurationNotifications"]
        .as_array()
        .unwrap();
    let named: Vec<(&str, &str, &str)> = notes
        .iter()
        .map(|n| {
            (
                n["associatedRule"]["id"].as_str().unwrap(),
                n["level"].as_str().unwrap(),
                n["message"]["text"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(named.len(), 2, "{named:#?}");
    assert_eq!(
        named[0],
        (
            "Dormant",
            "warning",
            "inactive rule Dormant: the Guard rules name no rule"
        )
    );
    assert_eq!(named[1].0, "OldRegex");
    assert!(
        named[1].2.starts_with("inactive rule OldRegex: "),
        "{}",
        named[1].2
    );
}

/// Two unversioned buckets and a rule that says how to fix them.
fn guided() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "buckets.yaml",
        "Resources:\n  A: {Type: AWS::S3::Bucket}\n  B: {Type: AWS::S3::Bucket}\n",
    );
    write(
        dir.path(),
        "rules.yaml",
        "- rule: Versioned
  category: S3
  ruletype: property
  ruledata: {types: [AWS::S3::Bucket], require: {path: VersioningConfiguration.Status, equals: Enabled, missing: fails}}
  riskvalue: 10
  active: 'Y'
  remediation: Set VersioningConfiguration.Status to Enabled.
  link: https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
  frameworks: [AWS FSBP S3.14]
",
    );
    dir
}

const FIX: &str = "fix: Set VersioningConfiguration.Status to Enabled. [AWS FSBP S3.14] https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html";

fn run_guided(dir: &tempfile::TempDir, format: &str) -> String {
    let out = cicd(
        dir.path(),
        &[
            "validate",
            "--rules",
            "rules.yaml",
            "--format",
            format,
            "buckets.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "flagged: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn every_format_shows_a_rule_s_remediation_link_and_frameworks_once() {
    let dir = guided();
    // Text: after the rule's first finding.
    let text = run_guided(&dir, "text");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("buckets.yaml:2  Versioned  A  "),
        "{text}"
    );
    assert_eq!(lines[1].trim_start(), FIX, "{text}");
    assert!(
        lines[2].starts_with("buckets.yaml:3  Versioned  B  "),
        "{text}"
    );
    assert_eq!(text.matches("fix: ").count(), 1, "{text}");

    // JSON: once, by rule id, next to the findings.
    let json: Value = serde_json::from_str(&run_guided(&dir, "json")).unwrap();
    let report = &json["templates"][0];
    assert_eq!(report["findings"].as_array().unwrap().len(), 2);
    assert_eq!(
        report["rules"]["Versioned"],
        serde_json::json!({
            "remediation": "Set VersioningConfiguration.Status to Enabled.",
            "link": "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html",
            "frameworks": ["AWS FSBP S3.14"]
        })
    );

    // SARIF: the rule's help, helpUri and tags.
    let log = assert_valid_sarif(&run_guided(&dir, "sarif"));
    let rule = &log["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(rule["id"], "Versioned");
    assert_eq!(
        rule["helpUri"],
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html"
    );
    assert_eq!(
        rule["properties"]["tags"],
        serde_json::json!(["AWS FSBP S3.14"])
    );
    let help = rule["help"]["text"].as_str().unwrap();
    assert!(
        help.starts_with("Set VersioningConfiguration.Status to Enabled."),
        "{help}"
    );
    let markdown = rule["help"]["markdown"].as_str().unwrap();
    assert!(
        markdown.contains("**Remediation.** Set VersioningConfiguration"),
        "{markdown}"
    );
    assert!(
        markdown.contains("[Documentation](https://docs.aws.amazon.com/"),
        "{markdown}"
    );

    // JUnit: with the first failure of the rule's test case.
    let xml = run_guided(&dir, "junit");
    let report = junit_parser::from_reader(BufReader::new(xml.as_bytes())).unwrap();
    let case = &report.suites[0].cases[0];
    assert_eq!(case.original_name, "Versioned");
    assert_eq!(xml.matches("fix: Set Versioning").count(), 1, "{xml}");
    let TestStatus::Failure(first) = &case.status else {
        panic!("{:?}", case.status)
    };
    assert!(first.text.ends_with(FIX), "{}", first.text);
}
