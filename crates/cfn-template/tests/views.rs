//! Each resource in the forms it may take: containers written as `Fn::If`
//! chosen, `AWS::NoValue` removing, combinations that contradict
//! themselves dropped, and the cap on forms.

use cfn_template::Template;
use cfn_template::view::{MAX_FORMS, Reached, ResourceView, is_no_value, reach, views};
use serde_json::{Value, json};

/// Each form of the first resource: its properties as JSON, and its branches.
fn forms(text: &str) -> Vec<(Option<Value>, String)> {
    let template = Template::parse(text.as_bytes()).unwrap();
    let views = views(&template);
    views[0]
        .variants
        .iter()
        .map(|v| (v.properties().map(|p| p.to_json()), v.describe_when()))
        .collect()
}

#[test]
fn a_resource_without_choices_has_one_form_its_properties_as_written() {
    let template = Template::parse(
        b"Resources:\n  T: {Type: AWS::SNS::Topic, Properties: {TopicName: !If [C, a, b]}}\n",
    )
    .unwrap();
    let views: Vec<ResourceView> = views(&template);
    assert_eq!(views.len(), 1);
    let view = &views[0];
    assert_eq!((view.index, view.resource_type()), (0, "AWS::SNS::Topic"));
    assert!(view.not_chosen.is_none());
    assert_eq!(view.variants.len(), 1);
    // A value written as Fn::If is the resolver's: no form is made of it.
    assert!(!view.variants[0].is_chosen());
    assert!(view.variants[0].when.is_empty());
    assert!(std::ptr::eq(
        view.variants[0].properties().unwrap(),
        template.resources[0].body.get("Properties").unwrap()
    ));
}

#[test]
fn properties_written_as_fn_if_take_each_branch() {
    let text = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties: !If [IsProd, {GroupDescription: prod}, !Ref AWS::NoValue]
";
    assert_eq!(
        forms(text),
        [
            (
                Some(json!({"GroupDescription": "prod"})),
                "IsProd is true".to_string()
            ),
            (None, "IsProd is false".to_string()),
        ]
    );
}

#[test]
fn no_value_removes_an_entry_and_holds_the_place_of_a_list_item() {
    let text = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: !Ref AWS::NoValue
      VpcId: vpc-1
      SecurityGroupIngress:
        - !If [Open, {CidrIp: 0.0.0.0/0}, !Ref AWS::NoValue]
        - {CidrIp: 10.0.0.0/8}
";
    let found = forms(text);
    assert_eq!(
        found,
        [
            (
                Some(
                    json!({"VpcId": "vpc-1", "SecurityGroupIngress": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "10.0.0.0/8"}]})
                ),
                "Open is true".to_string()
            ),
            (
                Some(
                    json!({"VpcId": "vpc-1", "SecurityGroupIngress": [{"Ref": "AWS::NoValue"}, {"CidrIp": "10.0.0.0/8"}]})
                ),
                "Open is false".to_string()
            ),
        ]
    );
    let template = Template::parse(text.as_bytes()).unwrap();
    let views = views(&template);
    let closed = views[0].variants[1].properties().unwrap();
    let entries = closed
        .get("SecurityGroupIngress")
        .unwrap()
        .as_array()
        .unwrap();
    assert!(is_no_value(&entries[0]) && !is_no_value(&entries[1]));
}

#[test]
fn nested_choices_on_one_condition_never_contradict_themselves() {
    let text = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties: !If
      - A
      - {Ingress: !If [A, [yes-yes], [yes-no]], Egress: !If [B, [b], [not-b]]}
      - {Ingress: !If [A, [no-yes], [no-no]]}
";
    assert_eq!(
        forms(text),
        [
            (
                Some(json!({"Ingress": ["yes-yes"], "Egress": ["b"]})),
                "A is true and B is true".to_string()
            ),
            (
                Some(json!({"Ingress": ["yes-yes"], "Egress": ["not-b"]})),
                "A is true and B is false".to_string()
            ),
            (
                Some(json!({"Ingress": ["no-no"]})),
                "A is false".to_string()
            ),
        ]
    );
}

/// A resource with `n` list entries each written as `Fn::If` on a
/// condition of its own.
fn choices(n: usize) -> String {
    let mut text = String::from(
        "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      Entries:\n",
    );
    for i in 0..n {
        text.push_str(&format!(
            "        - !If [C{i}, {{Port: {i}}}, !Ref AWS::NoValue]\n"
        ));
    }
    text
}

#[test]
fn past_the_cap_on_forms_a_resource_is_left_as_written_and_says_why() {
    assert_eq!(MAX_FORMS, 64);
    assert_eq!(forms(&choices(6)).len(), 64);
    let text = choices(7);
    let template = Template::parse(text.as_bytes()).unwrap();
    let views = views(&template);
    let view = &views[0];
    assert_eq!(view.variants.len(), 1);
    assert!(!view.variants[0].is_chosen());
    assert_eq!(
        view.not_chosen.as_ref().map(ToString::to_string).as_deref(),
        Some("its containers written as Fn::If make more than 64 forms")
    );
    // Every branch is still there to look into.
    let reached = reach(view.variants[0].properties().unwrap(), &["Entries"]);
    assert_eq!(reached.len(), 1);
}

#[test]
fn reach_looks_into_both_branches_and_names_what_cannot_be_known() {
    let template = Template::parse(
        b"Resources:
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      A: !If [C, {ImageId: ami-1}, {ImageId: !Ref Ami}]
      B: !If [C, !Ref AWS::NoValue, {ImageId: ami-2}]
      C: !GetAtt Base.Data
      D: {Other: x}
",
    )
    .unwrap();
    let properties = template.resources[0].body.get("Properties").unwrap();
    let shown = |path: &[&str]| -> Vec<String> {
        reach(properties, path)
            .into_iter()
            .map(|r| match r {
                Reached::Value(v) => v.to_json().to_string(),
                Reached::Unknown(why) => format!("unknown: {why}"),
            })
            .collect()
    };
    assert_eq!(shown(&["A", "ImageId"]), [r#""ami-1""#, r#"{"Ref":"Ami"}"#]);
    assert_eq!(shown(&["B", "ImageId"]), [r#""ami-2""#]);
    assert_eq!(shown(&["C", "ImageId"]), ["unknown: Fn::GetAtt Base.Data"]);
    assert!(shown(&["D", "ImageId"]).is_empty());
    assert!(shown(&["E", "ImageId"]).is_empty());
}
