//! Templates built to slip past the check, through the real `cicd
//! validate`: none passes silently, and what is resolved stays resolved
//! however much work the rest of the template makes.

mod common;

use std::fmt::Write;
use std::time::Duration;

use common::*;

const LIMIT: Duration = Duration::from_secs(120);

/// The text report's finding lines for `resource`.
fn lines_on<'a>(text: &'a str, resource: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.split_whitespace().nth(2) == Some(resource))
        .collect()
}

#[test]
fn decoys_that_use_up_the_templates_work_leave_an_open_group_failing() {
    // 600 groups whose source is looked up by region in 2 000 blocks: more
    // steps than resolving may take for the template; then a group open
    // through a parameter's Default.
    let mut text = String::from(
        "Parameters:\n  Open: {Type: String, Default: 0.0.0.0/0}\nMappings:\n  Wide:\n",
    );
    for r in 0..2_000 {
        let _ = writeln!(text, "    r{r}: {{c: 10.{}.{}.0/24}}", r / 256, r % 256);
    }
    text.push_str("Resources:\n");
    for d in 0..600 {
        let _ = writeln!(
            text,
            "  D{d}: {{Type: AWS::EC2::SecurityGroup, Properties: {{GroupDescription: d, SecurityGroupIngress: [{{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !FindInMap [Wide, !Ref AWS::Region, c]}}]}}}}"
        );
    }
    text.push_str("  Real: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: r, SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Open}]}}\n");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "decoys.yaml", &text);
    let out = cicd_within(dir.path(), &["validate", "decoys.yaml"], LIMIT);
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(
        verdicts(&report),
        [("decoys.yaml".to_string(), "FAIL".to_string())]
    );
    let real = lines_on(&report, "Real");
    assert_eq!(real.len(), 2, "{real:?}");
    for line in real {
        assert!(
            line.ends_with(
                "SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 (default of parameter Open)"
            ),
            "{line}"
        );
    }
    // The decoys past the template's steps are unresolved, and say why.
    assert!(
        report.contains("(the template's values take more than 2000000 steps to work out)"),
        "{report}"
    );
}

#[test]
fn what_cloudformation_adds_unseen_flags_the_template_in_every_format() {
    let template = "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn::Transform:
    Name: AWS::Include
    Parameters: {Location: 's3://bucket/more.yaml'}
  Network:
    Type: AWS::CloudFormation::Stack
    Properties: {TemplateURL: 'https://s3.amazonaws.com/bucket/network.yaml'}
";
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "nested.yaml", template);
    let out = cicd_within(dir.path(), &["validate", "nested.yaml"], LIMIT);
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(
        verdicts(&report),
        [("nested.yaml".to_string(), "FLAGGED".to_string())]
    );
    for line in [
        "nested.yaml:1  (unseen)  (template)  Transform AWS::Serverless-2016-10-31 (SAM) is not run here: the resources it makes of the template's AWS::Serverless resources (functions, roles, APIs, tables...) are not seen by the rules  (unresolved)",
        "nested.yaml:6  (unseen)  (template)  nested stack Network (AWS::CloudFormation::Stack): its template (https://s3.amazonaws.com/bucket/network.yaml) is not read  (unresolved)",
        "nested.yaml:3  (unseen)  (template)  Fn::Transform (AWS::Include s3://bucket/more.yaml) in Resources: what it adds to the template is not seen  (unresolved)",
    ] {
        assert!(report.lines().any(|l| l == line), "{line}\nin:\n{report}");
    }
    // Counted under --unresolved fail.
    let out = cicd_within(
        dir.path(),
        &["validate", "--unresolved", "fail", "nested.yaml"],
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    // A test case of its own in JUnit, a rule of its own in SARIF.
    let out = cicd_within(
        dir.path(),
        &["validate", "--format", "junit", "nested.yaml"],
        LIMIT,
    );
    let junit = stdout(&out);
    assert!(
        junit.contains(r#"<testcase name="(unseen)" classname="nested.yaml" file="nested.yaml">"#)
            && junit.matches(r#"type="unresolved""#).count() == 3,
        "{junit}"
    );
    let out = cicd_within(
        dir.path(),
        &["validate", "--format", "sarif", "nested.yaml"],
        LIMIT,
    );
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(run["tool"]["driver"]["rules"][index]["id"], "(unseen)");
        assert_eq!(result["level"], "warning");
    }
}

#[test]
fn values_that_cannot_be_read_are_unresolved_findings_never_a_pass() {
    // Each group's only permission has a value that cannot be read; the
    // last one's suppression gives only a zero-width space for a reason.
    let template = "Parameters:
  Index: {Type: Number}
Resources:
  Misspelt:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress: [{\"IpProtocol\\\"\": tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}]
  NoProtocol:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress: [{IpProtocol: sssh, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}]
  NoCidr:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/-0}]
  Octal:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 026, ToPort: 026, CidrIp: 0.0.0.0/0}]
  Halves:
    Type: AWS::EC2::SecurityGroup
    Metadata:
      cicd:
        suppress:
          - {rule: SSHOpenToWorld, reason: \"\\u200B\"}
    Properties:
      GroupDescription: x
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Select [!Ref Index, !Cidr [0.0.0.0/0, 2, 31]]}]
";
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "unreadable.yaml", template);
    let out = cicd_within(
        dir.path(),
        &["validate", "--format", "json", "unreadable.yaml"],
        LIMIT,
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = &json["templates"][0];
    // Open to the world whatever the protocol or port: IngressOpenToWorld
    // fires on NoProtocol and Octal; the SSH rule may, everywhere.
    assert_eq!(
        (&report["verdict"], &report["risk"]),
        (&serde_json::json!("fail"), &serde_json::json!(200)),
        "{report:#}"
    );
    assert_eq!(out.status.code(), Some(1));
    let ssh_on = |resource: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "SSHOpenToWorld" && f["resource"] == resource)
            .unwrap_or_else(|| panic!("no SSH finding on {resource}: {report:#}"))
            .clone()
    };
    for (resource, what) in [
        (
            "Misspelt",
            "the key IpProtocol\", which is no property of an ingress rule",
        ),
        (
            "NoProtocol",
            "IpProtocol sssh, which is no protocol's name or number",
        ),
        (
            "NoCidr",
            "CidrIp 0.0.0.0/-0, which is no CIDR this check reads",
        ),
        (
            "Octal",
            "FromPort 026: 22 in YAML 1.1 (octal, written plain), 26 as decimal",
        ),
        (
            "Halves",
            "which one value SecurityGroupIngress[0]'s CidrIp takes: only together do its values cover every address",
        ),
    ] {
        let finding = ssh_on(resource);
        let unresolved: Vec<&str> = finding["unresolved"]
            .as_array()
            .map(|u| u.iter().filter_map(|u| u.as_str()).collect())
            .unwrap_or_default();
        assert!(unresolved.contains(&what), "{resource}: {finding:#}");
        assert_eq!(finding["suppressed"], false, "{resource}");
    }
    assert!(
        report["warnings"].as_array().unwrap().iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("the suppression of SSHOpenToWorld gives no reason a person can read")),
        "{report:#}"
    );
}
