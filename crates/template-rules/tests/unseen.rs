//! What CloudFormation will add that the template does not show — a macro
//! it runs first, `Fn::Transform` anywhere, a nested stack or a module —
//! is an unresolved finding on the template (`(unseen)`): never a pass,
//! whatever kind of rule is active and wherever it is written.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use template_rules::kinds::KINDS;
use template_rules::{
    Finding, Report, RuleItem, RuleSet, Template, Thresholds, UNSEEN, UNSEEN_RISK,
    UnresolvedPolicy, Verdict, evaluate,
};

fn report_with(template: &str, rules: &RuleSet, thresholds: &Thresholds) -> Report {
    let template =
        Template::parse(template.as_bytes()).unwrap_or_else(|e| panic!("refused: {e}\n{template}"));
    evaluate(&template, rules, thresholds).unwrap()
}

fn report(template: &str) -> Report {
    report_with(template, &RuleSet::defaults(), &Thresholds::default())
}

fn unseen(report: &Report) -> Vec<&Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.rule == UNSEEN)
        .collect()
}

/// The one `(unseen)` finding of `template`: on the template, unresolved,
/// flagging it.
fn the_unseen(template: &str) -> Finding {
    let report = report(template);
    let found = unseen(&report);
    assert_eq!(found.len(), 1, "{template}\n{:?}", report.findings);
    let finding = found[0].clone();
    assert_eq!(
        (
            finding.resource.as_str(),
            finding.risk,
            finding.is_unresolved()
        ),
        ("(template)", UNSEEN_RISK, true)
    );
    assert_eq!(report.verdict, Verdict::Flagged, "{template}");
    finding
}

const GROUP: &str = "  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}]
";

#[test]
fn a_macro_not_run_here_is_unseen_and_the_language_extensions_are_read() {
    let with = |transform: &str| format!("Transform: {transform}\nResources:\n{GROUP}");
    assert_eq!(
        the_unseen(&with("MyOrg-Macro")).reason,
        "Transform MyOrg-Macro is a macro not run here: what it makes of the template is not seen"
    );
    assert_eq!(
        the_unseen(&with(
            "[AWS::LanguageExtensions, AWS::SecretsManager-2020-07-23]"
        ))
        .reason,
        "Transform AWS::SecretsManager-2020-07-23 is a macro not run here: what it makes of the template is not seen"
    );
    assert_eq!(
        the_unseen(&with(
            "{Name: AWS::Include, Parameters: {Location: 's3://bucket/more.yaml'}}"
        ))
        .reason,
        "Transform AWS::Include (s3://bucket/more.yaml): what it adds to the template is not seen"
    );
    let read = report(&with("AWS::LanguageExtensions"));
    assert!(read.findings.is_empty(), "{:?}", read.findings);
    assert_eq!(read.verdict, Verdict::Pass);
}

#[test]
fn sam_resources_are_not_expanded_and_that_is_said() {
    let template = "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: prod}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}
";
    let finding = the_unseen(template);
    assert_eq!(
        finding.reason,
        "Transform AWS::Serverless-2016-10-31 (SAM) is not run here: the resources it makes of Api and Fn (functions, roles, APIs, tables...) are not seen by the rules"
    );
    assert_eq!(finding.line, 1);
}

#[test]
fn nested_stacks_and_modules_are_unseen_each_at_its_line() {
    let template = "Resources:
  Network:
    Type: AWS::CloudFormation::Stack
    Properties: {TemplateURL: 'https://s3.amazonaws.com/bucket/network.yaml'}
  Auth:
    Type: AWS::Serverless::Application
    Properties:
      Location: {ApplicationId: 'arn:aws:serverlessrepo:us-east-1:123456789012:applications/auth', SemanticVersion: 1.2.0}
  Vpc:
    Type: MyOrg::Network::Vpc::MODULE
    Properties: {Cidr: 10.0.0.0/16}
";
    let evaluated = report(template);
    let found: Vec<(usize, &str)> = unseen(&evaluated)
        .iter()
        .map(|f| (f.line, f.reason.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                2,
                "nested stack Network (AWS::CloudFormation::Stack): its template (https://s3.amazonaws.com/bucket/network.yaml) is not read"
            ),
            (
                5,
                "nested application Auth (AWS::Serverless::Application): its template (arn:aws:serverlessrepo:us-east-1:123456789012:applications/auth version 1.2.0) is not read"
            ),
            (
                9,
                "module Vpc (MyOrg::Network::Vpc::MODULE): the resources it makes are not seen"
            ),
        ]
    );
    assert_eq!(evaluated.verdict, Verdict::Flagged);
    // Counted like any finding under `--unresolved fail`, suppressible on
    // the template with a reason (and no warning: it is always applied).
    let counted = report_with(
        template,
        &RuleSet::defaults(),
        &Thresholds::default().with_unresolved(UnresolvedPolicy::Fail),
    );
    assert_eq!((counted.verdict, counted.risk), (Verdict::Fail, 300));
    let suppressed = format!(
        "Metadata:\n  cicd:\n    suppress:\n      - {{rule: (unseen), reason: the child templates are checked in their own pipeline}}\n{template}"
    );
    let suppressed = report(&suppressed);
    assert!(suppressed.findings.iter().all(|f| f.suppressed));
    assert_eq!(suppressed.verdict, Verdict::Pass);
    assert!(suppressed.warnings.is_empty(), "{:?}", suppressed.warnings);
}

#[test]
fn fn_transform_as_a_key_of_resources_is_read_not_refused() {
    let template = format!(
        "Resources:\n  Fn::Transform:\n    Name: AWS::Include\n    Parameters: {{Location: 's3://bucket/resources.yaml'}}\n{GROUP}"
    );
    let parsed = Template::parse(template.as_bytes()).unwrap();
    let ids: Vec<&str> = parsed
        .resources
        .iter()
        .map(|r| r.logical_id.as_str())
        .collect();
    assert_eq!(ids, ["Sg"]);
    let finding = the_unseen(&template);
    assert_eq!(
        (finding.line, finding.reason.as_str()),
        (
            2,
            "Fn::Transform (AWS::Include s3://bucket/resources.yaml) in Resources: what it adds to the template is not seen"
        )
    );
    // JSON reads it the same way.
    let json = r#"{"Resources": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/r.json"}},
        "Bucket": {"Type": "AWS::S3::Bucket"}}}"#;
    assert!(
        the_unseen(json)
            .reason
            .contains("s3://b/r.json) in Resources")
    );
}

#[test]
fn past_five_places_fn_transform_is_counted() {
    let mut template = String::from("Resources:\n");
    for i in 0..8 {
        template.push_str(&format!(
            "  Sg{i}:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      Fn::Transform: {{Name: AWS::Include, Parameters: {{Location: 's3://b/{i}.yaml'}}}}\n"
        ));
    }
    let report = report(&template);
    let found = unseen(&report);
    assert_eq!(found.len(), 5);
    assert!(
        found[4]
            .reason
            .ends_with("(and 3 more Fn::Transform in the template)"),
        "{}",
        found[4].reason
    );
}

/// Where `Fn::Transform` may be written in a resource's JSON: the
/// properties themselves, or any mapping inside them.
fn mappings_in(value: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(object) => {
            out.push(path.clone());
            for (key, inner) in object {
                path.push(key.clone());
                mappings_in(inner, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                path.push(i.to_string());
                mappings_in(inner, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at<'v>(value: &'v mut Value, path: &[String]) -> &'v mut Value {
    path.iter().fold(value, |v, key| match v {
        Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
        other => &mut other[key.as_str()],
    })
}

/// A kind's example resources, and a rule set of that kind's example item.
fn examples() -> Vec<(&'static str, Value, RuleSet)> {
    KINDS
        .iter()
        .flat_map(|kind| {
            let description = kind.describe();
            let example = description.example;
            let item = json!({"rule": "Example", "category": example.category,
                              "ruletype": description.ruletype, "ruledata": example.ruledata,
                              "riskvalue": 10, "active": "Y"});
            let rules = RuleSet::from_items([serde_json::from_value::<RuleItem>(item).unwrap()]);
            [example.fires, example.passes].map(|text| {
                (
                    description.ruletype,
                    serde_json::from_str::<Value>(text).unwrap(),
                    rules.clone(),
                )
            })
        })
        .collect()
}

fn macro_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("AWS::Include".to_string()),
        "[A-Z][A-Za-z0-9]{0,12}(::[A-Z][A-Za-z0-9]{0,8})?",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    /// `Fn::Transform` written in (or as) the properties of any kind's
    /// example resource, firing or not, gives an `(unseen)` finding naming
    /// the place and the template is never a pass, for every kind.
    #[test]
    fn fn_transform_anywhere_in_a_resource_is_never_a_pass(
        example in 0..KINDS.len() * 2,
        place in any::<prop::sample::Index>(),
        replace in any::<bool>(),
        name in macro_name(),
        thresholds in (0u64..200, 0u64..400, 0usize..3),
    ) {
        let (ruletype, mut resource, rules) = examples().swap_remove(example);
        let mut places = Vec::new();
        mappings_in(&resource["Properties"], &mut vec!["Properties".to_string()], &mut places);
        let path = place.get(&places).clone();
        let call = json!({"Name": name, "Parameters": {"Location": "s3://bucket/part.yaml"}});
        let target = at(&mut resource, &path);
        if replace {
            *target = json!({"Fn::Transform": call});
        } else if let Value::Object(object) = target {
            object.insert("Fn::Transform".to_string(), call);
        }
        let template = json!({"Resources": {"Res": resource}}).to_string();
        let (flag_at, fail_at, policy) = thresholds;
        let policy = [UnresolvedPolicy::Flag, UnresolvedPolicy::Fail, UnresolvedPolicy::Pass][policy];
        let thresholds = Thresholds::new(flag_at.min(fail_at), fail_at.max(flag_at))
            .unwrap()
            .with_unresolved(policy);
        let report = report_with(&template, &rules, &thresholds);
        let found = unseen(&report);
        prop_assert_eq!(found.len(), 1, "{}: {}\n{:?}", ruletype, template, report.findings);
        let mut place = String::from("Res");
        for key in &path {
            match key.parse::<usize>() {
                Ok(index) => place.push_str(&format!("[{index}]")),
                Err(_) => place.push_str(&format!(".{key}")),
            }
        }
        prop_assert!(found[0].reason.contains(&format!(" in {place}:")), "{}", found[0].reason);
        prop_assert!(found[0].reason.contains(&name), "{}", found[0].reason);
        // Never a pass under `flag`; its risk counted under `fail`.
        match policy {
            UnresolvedPolicy::Flag => prop_assert_ne!(report.verdict, Verdict::Pass, "{}", template),
            UnresolvedPolicy::Fail => prop_assert!(report.risk >= UNSEEN_RISK),
            UnresolvedPolicy::Pass => prop_assert!(report.unresolved_risk >= UNSEEN_RISK),
        }
    }

    /// Any top-level transform other than the language extensions is a
    /// macro not run here, named; a list of them, each.
    #[test]
    fn any_macro_is_named(names in prop::collection::vec(macro_name(), 1..4), read in any::<bool>()) {
        let mut listed: Vec<Value> = names.iter().map(|n| json!(n)).collect();
        if read {
            listed.insert(0, json!("AWS::LanguageExtensions"));
        }
        let template = json!({"Transform": listed, "Resources": {"B": {"Type": "AWS::S3::Bucket"}}});
        let report = report(&template.to_string());
        let found = unseen(&report);
        prop_assert_eq!(found.len(), names.len(), "{:?}", report.findings);
        for (finding, name) in found.iter().zip(&names) {
            prop_assert!(finding.reason.starts_with(&format!("Transform {name} ")), "{}", finding.reason);
        }
        prop_assert_eq!(report.verdict, Verdict::Flagged);
    }

    /// `Fn::Transform` in any other section is unseen too.
    #[test]
    fn fn_transform_in_any_section_is_unseen(section in 0usize..5) {
        let call = json!({"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/x.yaml"}}});
        let mut template = Map::new();
        template.insert("Resources".into(), json!({"B": {"Type": "AWS::S3::Bucket"}}));
        let (key, value, place) = match section {
            0 => ("Mappings", json!({"M": {"K": call}}), "Mappings.M.K"),
            1 => ("Outputs", json!({"O": {"Value": call}}), "Outputs.O.Value"),
            2 => ("Conditions", json!({"C": {"Fn::Equals": [call, "x"]}}), "Conditions.C.Fn::Equals[0]"),
            3 => ("Metadata", json!({"Docs": call}), "Metadata.Docs"),
            _ => ("Fn::Transform", call["Fn::Transform"].clone(), "the template"),
        };
        template.insert(key.into(), value);
        let finding = the_unseen(&Value::Object(template).to_string());
        prop_assert!(finding.reason.contains(&format!(" in {place}:")), "{}", finding.reason);
    }
}
