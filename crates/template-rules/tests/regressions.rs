//! Inputs that once crashed or hung the parser or the rule engine, found by
//! the property tests (tests/properties.rs) and the fuzz targets (fuzz/).
//! Each one is kept as it was found, or as small as it could be made.

use std::time::{Duration, Instant};

use template_rules::{RuleSet, Template, Thresholds, evaluate};

fn all_active() -> RuleSet {
    RuleSet::from_items(RuleSet::default_items().into_iter().map(|mut item| {
        item.active = Some("Y".into());
        item
    }))
}

/// (rule, resource, what could not be worked out) for each finding.
fn unresolved_findings(template: &str) -> Vec<(String, String, Vec<String>)> {
    let template = Template::parse(template.as_bytes()).expect("the template parses");
    evaluate(&template, &all_active(), &Thresholds::default())
        .unwrap()
        .findings
        .into_iter()
        .map(|f| (f.rule, f.resource, f.unresolved))
        .collect()
}

fn rules_fired(template: &str) -> Vec<(String, String)> {
    let template = Template::parse(template.as_bytes()).expect("the template parses");
    evaluate(&template, &all_active(), &Thresholds::default())
        .unwrap()
        .findings
        .into_iter()
        .map(|f| (f.rule, f.resource))
        .collect()
}

/// Found by `findings_name_resources_of_the_template_on_their_lines`: a
/// mapping entry that is a `Fn::FindInMap` of itself sent the resolver
/// round in circles until the stack overflowed, which aborts the process
/// (`cicd validate` died with SIGABRT; the Lambda would die before
/// reporting). It is now a value that cannot be worked out, and the rules
/// that depend on it are unresolved findings that say why.
#[test]
fn a_mapping_entry_that_looks_itself_up_does_not_overflow_the_stack() {
    let template = "Mappings:
  M0:
    k0:
      a: !FindInMap [M0, k0, a]
Resources:
  Host:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: !FindInMap [M0, k0, a]
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !FindInMap [M0, k0, a]}
";
    let itself = vec!["a value that refers to itself (through Ref or Fn::FindInMap)".to_string()];
    assert_eq!(
        unresolved_findings(template),
        [
            (
                "ForbiddenAMIs".to_string(),
                "Host".to_string(),
                itself.clone()
            ),
            (
                "IngressOpenToWorld".to_string(),
                "Sg".to_string(),
                itself.clone()
            ),
            ("SSHOpenToWorld".to_string(), "Sg".to_string(), itself),
        ]
    );
}

/// The same through a parameter: a default that selects from its own parameter.
#[test]
fn a_parameter_default_that_selects_from_itself_does_not_overflow_the_stack() {
    let template = r#"{"Parameters": {"P": {"Type": "CommaDelimitedList",
        "Default": [{"Fn::Select": [0, {"Ref": "P"}]}]}},
     "Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": "x",
        "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "CidrIp": {"Fn::Select": [0, {"Ref": "P"}]}}]}}}}"#;
    // The loop runs through the list's items, each selected anew: it ends
    // at the nesting bound.
    let itself = vec!["a value nested more than 128 levels deep".to_string()];
    assert_eq!(
        unresolved_findings(template),
        [
            (
                "IngressOpenToWorld".to_string(),
                "Sg".to_string(),
                itself.clone()
            ),
            ("SSHOpenToWorld".to_string(), "Sg".to_string(), itself),
        ]
    );
}

/// Without a cycle, lookups that fan out at every step: each entry of each
/// mapping looks up every entry of the next one (the keys depend on the
/// region), so the first mapping stands for 4^30 paths. Bounded work now;
/// before, this ran for as long as anyone cared to wait.
#[test]
fn lookups_that_fan_out_take_bounded_time() {
    let mut text = String::from("Mappings:\n");
    for m in 0..30 {
        text.push_str(&format!("  M{m}:\n"));
        for k in ["a", "b"] {
            text.push_str(&format!("    {k}:\n"));
            for v in ["x", "y"] {
                let next = format!(
                    "!FindInMap [M{}, !Ref AWS::Region, !Ref AWS::Region]",
                    m + 1
                );
                text.push_str(&format!("      {v}: {next}\n"));
            }
        }
    }
    text.push_str("  M30:\n    a:\n      x: 0.0.0.0/0\n");
    text.push_str(
        "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !FindInMap [M29, a, x]}
",
    );
    let start = Instant::now();
    // Short chains still resolve: M29 → M30 is one lookup away.
    assert_eq!(
        rules_fired(&text),
        [
            ("IngressOpenToWorld".to_string(), "Sg".to_string()),
            ("SSHOpenToWorld".to_string(), "Sg".to_string()),
        ]
    );
    let deep = text.replace("!FindInMap [M29, a, x]", "!FindInMap [M0, a, x]");
    let template = Template::parse(deep.as_bytes()).unwrap();
    let report = evaluate(&template, &all_active(), &Thresholds::default()).unwrap();
    // The first path walked reaches the world CIDR 31 lookups down; the
    // budget runs out long before all 4^30 paths are walked.
    assert_eq!(report.findings.len(), 2);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
}

/// Found by `json_and_yaml_renderings_give_the_same_findings`: YAML read
/// -9223372036854775808 (i64::MIN) as a float, because its magnitude is no
/// i64, where JSON reads an integer. As a float a port does not resolve, so
/// the YAML template lost its SSH finding that the JSON one had.
#[test]
fn the_smallest_64_bit_integer_is_an_integer_in_yaml_as_in_json() {
    let yaml = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
        - {IpProtocol: 6, FromPort: -9223372036854775808, ToPort: 0, CidrIp: 0.0.0.0/0}
";
    let json = r#"{"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": "x", "SecurityGroupIngress": [{"IpProtocol": 6,
        "FromPort": -9223372036854775808, "ToPort": 0, "CidrIp": "0.0.0.0/0"}]}}}}"#;
    let parsed = Template::parse(yaml.as_bytes()).unwrap();
    let port =
        parsed.resources[0].body.to_json()["Properties"]["SecurityGroupIngress"][0]["FromPort"]
            .clone();
    assert_eq!(port, serde_json::json!(i64::MIN));
    assert!(port.is_i64());
    let fired = rules_fired(yaml);
    assert_eq!(fired, rules_fired(json));
    // A negative port admits every port: 22 and 80 among them.
    assert_eq!(
        fired,
        [
            ("IngressOpenToWorld".to_string(), "Sg".to_string()),
            ("SSHOpenToWorld".to_string(), "Sg".to_string()),
            ("AllowHttp".to_string(), "Sg".to_string()),
        ]
    );
    // One past it is no i64 in either syntax: a float in both.
    for text in [
        "Resources: {R: {Type: T, Properties: {P: -9223372036854775809}}}",
        r#"{"Resources": {"R": {"Type": "T", "Properties": {"P": -9223372036854775809}}}}"#,
    ] {
        let t = Template::parse(text.as_bytes()).unwrap();
        assert!(
            t.resources[0].body.to_json()["Properties"]["P"].is_f64(),
            "{text}"
        );
    }
}

/// Found by `any_bytes_parse_or_fail_cleanly` (a fixture with a DEL
/// character put in a resource's `Type`): Guard reads the template it is
/// shown as YAML, which refuses DEL written as it is, so every guard item
/// failed to evaluate ("Guard could not evaluate the rules: Parser
/// Error"). Such characters are now shown to Guard escaped.
#[test]
fn a_del_character_in_the_template_does_not_stop_guard() {
    let template = "{\"Resources\": {\"Sg\": {\"Type\": \"\u{7f}AWS::EC2::SecurityGroup\",
        \"Properties\": {\"GroupDescription\": \"Bastion\u{9f}\"}}}}";
    let rules = RuleSet::from_items([serde_json::from_value(serde_json::json!(
        {"rule": "Described", "category": "Anything", "ruletype": "guard",
         "ruledata": "rule ALL_DESCRIBED { Resources.*.Properties.GroupDescription exists }\nrule NONE_DESCRIBED { Resources.*.Properties.GroupDescription !exists }",
         "riskvalue": 7, "active": "Y"}))
    .unwrap()]);
    let template = Template::parse(template.as_bytes()).expect("the template parses");
    let report = evaluate(&template, &rules, &Thresholds::default()).unwrap();
    let fired: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.reason.as_str(), f.resource.as_str()))
        .collect();
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert!(fired[0].0.starts_with("NONE_DESCRIBED"), "{fired:?}");
    assert_eq!(fired[0].1, "Sg");
}
