//! Reading templates: JSON and YAML into one tree, lines, caps, errors.

use cfn_template::{Format, Limits, ParseError, Template};
use serde_json::json;

fn parse(text: &str) -> Result<Template<'_>, ParseError> {
    Template::parse(text.as_bytes())
}

fn body(text: &str, logical_id: &str) -> serde_json::Value {
    parse(text)
        .expect("template parses")
        .resource(logical_id)
        .expect("resource exists")
        .body
        .to_json()
}

#[test]
fn yaml_short_forms_become_the_long_forms() {
    let short = r#"
Resources:
  R:
    Type: Custom::Thing
    Properties:
      Ref: !Ref Param
      Sub: !Sub "${AWS::StackName}-x"
      SubList: !Sub ["${A}", {A: !Ref B}]
      GetAttDot: !GetAtt Lb.DNSName
      GetAttNested: !GetAtt Stack.Outputs.Url
      GetAttList: !GetAtt [Lb, DNSName]
      If: !If [Cond, a, !Ref "AWS::NoValue"]
      Join: !Join [",", [a, b]]
      Select: !Select [0, !GetAZs ""]
      Split: !Split [",", "a,b"]
      FindInMap: !FindInMap [Map, !Ref "AWS::Region", Key]
      ImportValue: !ImportValue shared-vpc
      Base64: !Base64 "echo hi"
      Equals: !Equals [a, b]
      Not: !Not [!Condition C]
      And: !And [!Condition A, !Condition B]
      Or: !Or [!Condition A, !Condition B]
      Cidr: !Cidr [10.0.0.0/16, 4, 8]
"#;
    let long = json!({
        "Type": "Custom::Thing",
        "Properties": {
            "Ref": {"Ref": "Param"},
            "Sub": {"Fn::Sub": "${AWS::StackName}-x"},
            "SubList": {"Fn::Sub": ["${A}", {"A": {"Ref": "B"}}]},
            "GetAttDot": {"Fn::GetAtt": ["Lb", "DNSName"]},
            "GetAttNested": {"Fn::GetAtt": ["Stack", "Outputs.Url"]},
            "GetAttList": {"Fn::GetAtt": ["Lb", "DNSName"]},
            "If": {"Fn::If": ["Cond", "a", {"Ref": "AWS::NoValue"}]},
            "Join": {"Fn::Join": [",", ["a", "b"]]},
            "Select": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
            "Split": {"Fn::Split": [",", "a,b"]},
            "FindInMap": {"Fn::FindInMap": ["Map", {"Ref": "AWS::Region"}, "Key"]},
            "ImportValue": {"Fn::ImportValue": "shared-vpc"},
            "Base64": {"Fn::Base64": "echo hi"},
            "Equals": {"Fn::Equals": ["a", "b"]},
            "Not": {"Fn::Not": [{"Condition": "C"}]},
            "And": {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]},
            "Or": {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]},
            "Cidr": {"Fn::Cidr": ["10.0.0.0/16", 4, 8]},
        }
    });
    assert_eq!(body(short, "R"), long);
    let as_json = json!({"Resources": {"R": long}}).to_string();
    assert_eq!(body(&as_json, "R"), long);
}

#[test]
fn yaml_scalars_follow_the_core_schema() {
    let text = "Resources:
  R:
    Type: Custom::Thing
    Properties:
      Int: 22
      Negative: -1
      Hex: 0x1F
      Float: 1.5
      Quoted: '22'
      Bool: true
      Null: ~
      Yes: yes
      Version: 2010-09-09
      Block: |
        line
";
    assert_eq!(
        body(text, "R")["Properties"],
        json!({"Int": 22, "Negative": -1, "Hex": 31, "Float": 1.5, "Quoted": "22", "Bool": true,
               "Null": null, "Yes": "yes", "Version": "2010-09-09", "Block": "line\n"})
    );
}

#[test]
fn resources_keep_document_order_and_their_lines() {
    let yaml = "AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Zeta:
    Type: AWS::SNS::Topic
  # a comment
  Alpha:
    Type: AWS::SQS::Queue
";
    let t = parse(yaml).unwrap();
    assert_eq!(t.format, Format::Yaml);
    let got: Vec<(&str, usize)> = t
        .resources
        .iter()
        .map(|r| (r.logical_id.as_str(), r.line))
        .collect();
    assert_eq!(got, [("Zeta", 3), ("Alpha", 6)]);

    let json = "{\n  \"Resources\": {\n    \"Zeta\": {\"Type\": \"AWS::SNS::Topic\"},\n\n    \"Alpha\":\n      {\"Type\": \"AWS::SQS::Queue\"}\n  }\n}";
    let t = parse(json).unwrap();
    assert_eq!(t.format, Format::Json);
    let got: Vec<(&str, usize)> = t
        .resources
        .iter()
        .map(|r| (r.logical_id.as_str(), r.line))
        .collect();
    assert_eq!(got, [("Zeta", 3), ("Alpha", 5)]);
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let t =
        Template::parse(b"\xEF\xBB\xBF{\"Resources\": {\"A\": {\"Type\": \"AWS::SNS::Topic\"}}}")
            .unwrap();
    assert_eq!(t.resources.len(), 1);
}

#[test]
fn json_with_yaml_only_syntax_is_read_as_yaml_like_cloudformation_does() {
    let t = parse("{Resources: {A: {Type: AWS::SNS::Topic}}}").unwrap();
    assert_eq!(t.format, Format::Yaml);
    assert_eq!(t.resources[0].resource_type, "AWS::SNS::Topic");
}

fn error(text: &str) -> ParseError {
    parse(text).expect_err("template must be rejected")
}

#[test]
fn malformed_json_is_reported_with_its_line_and_column() {
    let e = error(
        "{\n  \"Resources\": {\n    \"A\": {\"Type\": \"AWS::SNS::Topic\"}\n    \"B\": {}\n  }\n}",
    );
    assert_eq!((e.line, e.column), (Some(4), Some(5)));
    assert!(e.message.contains("expected `,` or `}`"), "{e}");
    assert_eq!(e.to_string(), format!("line 4, column 5: {}", e.message));
}

#[test]
fn malformed_yaml_is_reported_with_its_line() {
    let e = error("Resources:\n  A:\n    Type: [unclosed\n  B: x\n");
    assert!(e.line.is_some(), "{e}");
    assert!(e.message.starts_with("invalid YAML"), "{e}");
}

#[test]
fn duplicate_keys_are_errors_not_last_one_wins() {
    let e = error("{\"Resources\": {\"A\": {\"Type\": \"X\"},\n \"A\": {\"Type\": \"Y\"}}}");
    assert!(e.message.contains("duplicate key \"A\""), "{e}");
    assert_eq!(e.line, Some(2));

    let e = error("Resources:\n  A:\n    Type: X\n  A:\n    Type: Y\n");
    assert_eq!(e.to_string(), "line 4: duplicate key \"A\"");

    let e = error("{\"Resources\": {\"A\": {\"Type\": \"X\", \"Type\": \"Y\"}}}");
    assert!(e.message.contains("duplicate key \"Type\""), "{e}");
}

#[test]
fn structural_problems_name_what_is_wrong() {
    assert_eq!(error("").message, "the template is empty");
    assert_eq!(error("   \n").message, "the template is empty");
    assert_eq!(
        error("AWSTemplateFormatVersion: '2010-09-09'\n").message,
        "the template has no Resources section (CloudFormation requires one)"
    );
    assert_eq!(
        error("- a\n- b\n").message,
        "the template must be a mapping at the top level"
    );
    assert_eq!(
        error("[1, 2]").message,
        "the template must be a mapping at the top level"
    );
    assert_eq!(
        error("Resources: [a]\n").to_string(),
        "line 1: Resources must be a mapping"
    );
    assert_eq!(
        error("Resources:\n  A:\n    Properties: {}\n").to_string(),
        "line 2: resource A has no Type"
    );
    assert_eq!(
        error("Resources:\n  A: 3\n").to_string(),
        "line 2: resource A must be a mapping with a Type"
    );
    assert_eq!(
        error("{\"Resources\": {\"A\": {\"Type\": 7}}}").to_string(),
        "line 1: resource A: Type must be a string"
    );
    assert_eq!(
        error("Parameters: 3\nResources: {}\n").to_string(),
        "line 1: Parameters must be a mapping"
    );
}

#[test]
fn unknown_tags_are_rejected() {
    let e = error("Resources:\n  A:\n    Type: !Reff X\n");
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("unknown tag !Reff"), "{e}");
}

#[test]
fn a_second_yaml_document_is_rejected() {
    let e = error("Resources: {}\n---\nResources: {}\n");
    assert!(e.message.contains("single YAML document"), "{e}");
}

#[test]
fn templates_over_the_size_cap_are_refused_before_parsing() {
    let big = format!(
        "{{\"Resources\": {{}}, \"Padding\": \"{}\"}}",
        "x".repeat(1024 * 1024)
    );
    let e = error(&big);
    assert!(e.message.contains("limit is 1048576 bytes"), "{e}");

    let small_cap = Limits {
        max_bytes: 10,
        ..Limits::default()
    };
    assert!(Template::parse_with(b"Resources: {}\n", small_cap).is_err());
}

#[test]
fn yaml_alias_bombs_are_stopped() {
    let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = i - 1;
        doc.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    doc.push_str("Resources: {}\n");
    let e = error(&doc);
    assert!(e.message.contains("billion laughs"), "{e}");
}

#[test]
fn ordinary_aliases_still_work() {
    let t = parse("Tags: &tags [{Key: a, Value: b}]\nResources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      Tags: *tags\n").unwrap();
    assert_eq!(
        t.resources[0].body.to_json()["Properties"]["Tags"],
        json!([{"Key": "a", "Value": "b"}])
    );
}

#[test]
fn deep_nesting_is_refused_in_both_formats() {
    let depth = 500;
    let json = format!(
        "{{\"Resources\": {{\"A\": {{\"Type\": \"X\", \"Properties\": {}{}}}}}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert!(error(&json).message.contains("nests more than 128 levels"));
    let yaml = format!(
        "Resources: {{}}\nX: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert!(error(&yaml).message.contains("nests"), "{}", error(&yaml));
    let yaml = format!(
        "Resources: {{}}\nX: {}{}\n",
        "[".repeat(130),
        "]".repeat(130)
    );
    assert!(error(&yaml).message.contains("nests more than 128 levels"));
}

#[test]
fn invalid_utf8_is_reported_with_its_position() {
    let e = Template::parse(b"Resources:\n  A:\n    Type: \xff\xfe\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 3, column 11: the template is not valid UTF-8"
    );
}

#[test]
fn json_honours_the_limits_as_yaml_does() {
    let few = Limits {
        max_nodes: 20,
        ..Limits::default()
    };
    let shallow = Limits {
        max_depth: 4,
        ..Limits::default()
    };
    let wide = format!(
        "{{\"Resources\": {{\"A\": {{\"Type\": \"X\", \"Properties\": {{\"L\": [{}]}}}}}}}}",
        vec!["1"; 30].join(", ")
    );
    let e = Template::parse_with(wide.as_bytes(), few).unwrap_err();
    assert_eq!(e.message, "the template has more than 20 values", "{e}");
    let yaml = format!(
        "Resources:\n  A:\n    Type: X\n    Properties:\n      L: [{}]\n",
        vec!["1"; 30].join(", ")
    );
    assert!(
        Template::parse_with(yaml.as_bytes(), few)
            .unwrap_err()
            .message
            .contains("more than 20 values")
    );

    // Level 1 is the template, 2 Resources, 3 a resource, 4 its Properties.
    let at_limit = "{\"Resources\": {\"A\": {\"Type\": \"X\", \"Properties\": {}}}}";
    assert!(Template::parse_with(at_limit.as_bytes(), shallow).is_ok());
    let deeper = "{\"Resources\": {\"A\": {\"Type\": \"X\", \"Properties\": {\"L\": []}}}}";
    let e = Template::parse_with(deeper.as_bytes(), shallow).unwrap_err();
    assert_eq!(e.message, "the template nests more than 4 levels deep");
    let yaml_deeper = "Resources:\n  A:\n    Type: X\n    Properties:\n      L: []\n";
    assert_eq!(
        Template::parse_with(yaml_deeper.as_bytes(), shallow)
            .unwrap_err()
            .message,
        "the template nests more than 4 levels deep"
    );
}

// --- What CloudFormation (and the tools before it) read -----------------------

#[test]
fn aliases_share_their_anchor_and_read_as_written_out() {
    let aliased = "Open: &open {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
Name: &name a long description
Resources:
  A:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: *name, SecurityGroupIngress: [*open, *open]}
";
    let written = "Resources:
  A:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: a long description
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
";
    let a = parse(aliased).unwrap();
    let w = parse(written).unwrap();
    assert_eq!(a.resources[0].body, w.resources[0].body);
    assert_eq!(a.resources[0].body.to_json(), w.resources[0].body.to_json());
}

#[test]
fn merge_keys_bring_entries_in_and_the_mapping_s_own_win() {
    let text = "Base: &base {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}
Wide: &wide {CidrIp: 0.0.0.0/0, Description: wide}
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
        - <<: *base
        - {<<: [*wide, *base], Description: own}
        - <<: {IpProtocol: udp}
          FromPort: 53
";
    assert_eq!(
        body(text, "Sg")["Properties"]["SecurityGroupIngress"],
        json!([
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "10.0.0.0/8"},
            {"CidrIp": "0.0.0.0/0", "Description": "own", "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22},
            {"IpProtocol": "udp", "FromPort": 53},
        ])
    );
    // Resources merged in are resources, on the line of the merge.
    let resources = parse("Common: &common\n  Topic: {Type: AWS::SNS::Topic}\nResources:\n  <<: *common\n  Queue: {Type: AWS::SQS::Queue}\n").unwrap();
    let got: Vec<(&str, usize)> = resources
        .resources
        .iter()
        .map(|r| (r.logical_id.as_str(), r.line))
        .collect();
    assert_eq!(got, [("Topic", 4), ("Queue", 5)]);
    // A quoted "<<" is an ordinary key; in JSON too.
    assert_eq!(
        body("Resources:\n  A: {Type: T, Properties: {'<<': x}}\n", "A")["Properties"],
        json!({"<<": "x"})
    );
}

#[test]
fn merge_keys_that_cannot_be_merged_are_refused() {
    let e = error("Resources:\n  A: {Type: T, Properties: {<<: 3}}\n");
    assert_eq!(
        e.to_string(),
        "line 2: a merge key (<<) takes a mapping or a list of mappings"
    );
    let e = error("B: &b {x: 1}\nResources:\n  A: {Type: T, Properties: {<<: *b, <<: *b}}\n");
    assert_eq!(e.to_string(), "line 3: duplicate key \"<<\"");
}

#[test]
fn rules_section_functions_read_as_their_long_forms() {
    let text = "Parameters:
  Env: {Type: String}
  Subnets: {Type: 'List<AWS::EC2::Subnet::Id>'}
Rules:
  Production:
    RuleCondition: !Equals [!Ref Env, prod]
    Assertions:
      - Assert: !Contains [[a, b], !Ref Env]
      - Assert: !EachMemberEquals [!RefAll 'AWS::EC2::VPC::Id', vpc-1]
      - Assert: !EachMemberIn [!ValueOfAll ['AWS::EC2::Subnet::Id', VpcId], !RefAll 'AWS::EC2::VPC::Id']
      - Assert: !Not [!Equals [!ValueOf [Subnets, VpcId], '']]
      - Assert: !And [!Or [!Condition A, !Condition B], !Equals [a, a]]
Resources:
  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: !Join ['-', [!Ref Env, !Select [0, !Ref Subnets]]]}}
  Size:
    Type: AWS::SQS::Queue
    Properties:
      DelaySeconds: !Length [a, b]
      QueueName: !ToJsonString {a: b}
";
    let template = parse(text).unwrap();
    assert_eq!(
        template.resources[1].body.to_json()["Properties"],
        json!({"DelaySeconds": {"Fn::Length": ["a", "b"]}, "QueueName": {"Fn::ToJsonString": {"a": "b"}}})
    );
}

#[test]
fn a_pre_processor_s_tag_is_refused_saying_what_to_do() {
    let e = error(
        "Resources:\n  Site:\n    Type: AWS::S3::Bucket\n    Metadata: !Rain::Embed site.yaml\n",
    );
    assert_eq!(
        e.to_string(),
        "line 4, column 15: !Rain::Embed is a pre-processor's tag, not CloudFormation's: run the pre-processor (for Rain: `rain pkg`) and check the template it writes"
    );
}

/// Continuation lines indented no deeper than their key: libyaml (and so
/// PyYAML, `aws cloudformation package` and CloudFormation) read them.
#[test]
fn continuation_lines_indented_less_than_their_key_are_read() {
    let text = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: \"a description that goes
  on, in a quoted scalar\"
      Tags: [{Key: Name, Value: a plain scalar that goes
  on, in a flow mapping}]
      SecurityGroupIngress: [
    {IpProtocol: tcp, FromPort: 22,
  ToPort: 22, CidrIp: 0.0.0.0/0}]
";
    let body = body(text, "Sg");
    assert_eq!(
        body["Properties"]["GroupDescription"],
        "a description that goes on, in a quoted scalar"
    );
    assert_eq!(
        body["Properties"]["Tags"][0]["Value"],
        "a plain scalar that goes on"
    );
    assert_eq!(
        body["Properties"]["SecurityGroupIngress"][0]["CidrIp"],
        "0.0.0.0/0"
    );
    // Block-context continuation lines at or left of their key are no YAML.
    let e = error("Resources:\n  A:\n    Type: X\n    Properties:\n      D: first\n    second\n");
    assert!(e.message.starts_with("invalid YAML"), "{e}");
}

#[test]
fn resources_entries_that_are_not_resources_are_refused() {
    let long_id = format!(
        "Resources:\n  {}: {{Type: AWS::SNS::Topic}}\n",
        "A".repeat(256)
    );
    assert!(
        error(&long_id)
            .message
            .contains("a logical id is at most 255 characters long")
    );
    let long_type = format!("Resources:\n  A: {{Type: {}}}\n", "X".repeat(300));
    assert_eq!(
        error(&long_type).to_string(),
        "line 2: resource A: Type is not a resource type name (too long)"
    );
    assert_eq!(
        error("Resources:\n  A: [Type, AWS::SNS::Topic]\n").to_string(),
        "line 2: resource A must be a mapping with a Type"
    );
}

// --- Fn::ForEach ---------------------------------------------------------------

const LOOPS: &str = "Transform: AWS::LanguageExtensions
Parameters:
  Names: {Type: CommaDelimitedList, Default: 'Web, Admin'}
Conditions:
  Fn::ForEach::Checks:
    - Name
    - !Ref Names
    - Is${Name}: !Equals [!Ref Name, Web]
Resources:
  Fn::ForEach::Groups:
    - Name
    - !Ref Names
    - ${Name}Sg:
        Type: AWS::EC2::SecurityGroup
        Properties:
          GroupDescription: !Sub 'group ${Name}, not ${!Name}'
          Tags:
            Fn::ForEach::Tags:
              - Key
              - [Team, Cost]
              - ${Key}: !Sub '${Name}-${Key}'
  Plain:
    Type: AWS::SNS::Topic
Outputs:
  Fn::ForEach::Ids:
    - Name
    - !Ref Names
    - Fn::ForEach::Attributes:
        - Attribute
        - [GroupId, VpcId]
        - '&{Name}${Attribute}':
            Value: !GetAtt [!Sub '${Name}Sg', !Ref Attribute]
";

#[test]
fn loops_generate_what_cloudformation_would() {
    let template = parse(LOOPS).unwrap();
    let got: Vec<(&str, usize, Option<&str>)> = template
        .resources
        .iter()
        .map(|r| (r.logical_id.as_str(), r.line, r.generated_by.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("WebSg", 10, Some("Fn::ForEach::Groups (Name = Web)")),
            ("AdminSg", 10, Some("Fn::ForEach::Groups (Name = Admin)")),
            ("Plain", 22, None),
        ]
    );
    assert_eq!(
        template.resources[1].body.to_json()["Properties"],
        json!({"GroupDescription": {"Fn::Sub": "group Admin, not ${!Name}"},
               "Tags": {"Team": {"Fn::Sub": "Admin-Team"}, "Cost": {"Fn::Sub": "Admin-Cost"}}})
    );
    let outputs: Vec<&str> = template.outputs.iter().map(|(k, _)| k).collect();
    assert_eq!(
        outputs,
        ["WebGroupId", "WebVpcId", "AdminGroupId", "AdminVpcId"]
    );
    assert_eq!(
        template.outputs.get("AdminVpcId").unwrap().to_json(),
        json!({"Value": {"Fn::GetAtt": [{"Fn::Sub": "AdminSg"}, "VpcId"]}})
    );
    let conditions: Vec<&str> = template.conditions.iter().map(|(k, _)| k).collect();
    assert_eq!(conditions, ["IsWeb", "IsAdmin"]);
    assert_eq!(template.transforms, ["AWS::LanguageExtensions"]);
}

#[test]
fn loops_cloudformation_would_refuse_are_refused() {
    let without_transform = LOOPS.replace("Transform: AWS::LanguageExtensions\n", "");
    assert_eq!(
        error(&without_transform).to_string(),
        "line 9: Fn::ForEach::Groups needs `Transform: AWS::LanguageExtensions` (CloudFormation refuses Fn::ForEach without it)"
    );
    let twice = "Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::Twice:
    - X
    - [a, a2]
    - Same: {Type: AWS::SNS::Topic}
";
    assert_eq!(error(twice).to_string(), "line 3: duplicate key \"Same\"");
    let clash = "Transform: AWS::LanguageExtensions
Resources:
  Topica: {Type: AWS::SNS::Topic}
  Fn::ForEach::Clash:
    - X
    - [a]
    - Topic${X}: {Type: AWS::SNS::Topic}
";
    assert_eq!(error(clash).to_string(), "line 4: duplicate key \"Topica\"");
    let malformed =
        "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Bad: [X, [a]]\n";
    assert_eq!(
        error(malformed).to_string(),
        "line 3: Fn::ForEach::Bad must be a list of an identifier, a collection and what to generate"
    );
}
