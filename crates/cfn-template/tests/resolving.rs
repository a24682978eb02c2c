//! What the resolver makes of values the template itself defines.

use cfn_template::Template;
use cfn_template::resolve::{Candidate, Class, Pseudo, Shape, Value};

/// `f` of every candidate of `Properties.Value` of the resource `Out`.
fn with_candidates<R>(text: &str, f: impl FnOnce(Vec<Candidate<'_>>) -> R) -> R {
    let template = Template::parse(text.as_bytes()).unwrap();
    let resolver = template.resolver();
    let value = template
        .resource("Out")
        .unwrap()
        .properties()
        .unwrap()
        .get("Value")
        .unwrap();
    f(resolver.resolve(value))
}

/// Every candidate of `Properties.Value` of the resource `Out`, as text or
/// as what is unknown.
fn candidates(text: &str) -> Vec<Result<String, Vec<String>>> {
    with_candidates(text, |candidates| {
        candidates
            .into_iter()
            .map(|c| match (&c.value, c.as_text()) {
                (_, Some(text)) if c.is_resolved() => Ok(text.into_owned()),
                (Value::Unknown | Value::Shaped(_), _) | (_, _) => {
                    Err(c.unknown.iter().map(ToString::to_string).collect())
                }
            })
            .collect()
    })
}

const VPC: &str = "Parameters:
  Cidr: {Type: String, Default: 10.1.0.0/16}
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: !Ref Cidr}
  PoolVpc:
    Type: AWS::EC2::VPC
    Properties: {Ipv4IpamPoolId: ipam-pool-1, Ipv4NetmaskLength: 16}
  Queue:
    Type: AWS::SQS::Queue
  Out:
    Type: Test::Out
    Properties:
";

#[test]
fn get_att_of_an_attribute_the_template_writes_is_that_value() {
    for value in [
        "!GetAtt Vpc.CidrBlock",
        "!GetAtt [Vpc, CidrBlock]",
        "!Sub '${Vpc.CidrBlock}'",
    ] {
        let text = format!("{VPC}      Value: {value}\n");
        assert_eq!(
            candidates(&text),
            [Ok("10.1.0.0/16".to_string())],
            "{value}"
        );
    }
}

#[test]
fn get_att_of_anything_else_stays_unknown() {
    for (value, unknown) in [
        // The VPC writes no CidrBlock: IPAM chooses it.
        ("!GetAtt PoolVpc.CidrBlock", "Fn::GetAtt PoolVpc.CidrBlock"),
        // A name CloudFormation generates.
        ("!GetAtt Queue.QueueName", "Fn::GetAtt Queue.QueueName"),
        // An attribute that is no property.
        (
            "!GetAtt Vpc.DefaultSecurityGroup",
            "Fn::GetAtt Vpc.DefaultSecurityGroup",
        ),
        // A resource that is not in the template.
        (
            "!GetAtt Elsewhere.CidrBlock",
            "Fn::GetAtt Elsewhere.CidrBlock",
        ),
        (
            "!Sub '${PoolVpc.CidrBlock}'",
            "Fn::GetAtt PoolVpc.CidrBlock",
        ),
    ] {
        let text = format!("{VPC}      Value: {value}\n");
        assert_eq!(
            candidates(&text),
            [Err(vec![unknown.to_string()])],
            "{value}"
        );
    }
}

#[test]
fn a_get_att_that_leads_back_to_itself_is_unknown() {
    let text = "Resources:
  Out:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: !GetAtt Out.CidrBlock
      Value: !GetAtt Out.CidrBlock
";
    let got = candidates(text);
    assert_eq!(got.len(), 1);
    assert!(
        matches!(&got[0], Err(why) if why[0].contains("refers to itself")),
        "{got:?}"
    );
}

#[test]
fn a_sub_pattern_from_elsewhere_is_resolved_with_its_variables() {
    let text = "Parameters:
  Name: {Type: String, Default: logs}
Resources:
  Out:
    Type: Test::Out
    Properties:
      Value: {Fn::Sub: ['x', {Suffix: !Ref Name}]}
";
    let template = Template::parse(text.as_bytes()).unwrap();
    let resolver = template.resolver();
    let vars = template
        .resource("Out")
        .unwrap()
        .properties()
        .unwrap()
        .get("Value")
        .and_then(|v| v.get("Fn::Sub"))
        .and_then(|s| s.as_array())
        .and_then(|a| a[1].as_object());
    let got = resolver.resolve_sub("arn:aws:s3:::${Suffix}-${Name}/*", vars);
    assert_eq!(got[0].as_text().unwrap(), "arn:aws:s3:::logs-logs/*");
}

/// What the resolver makes of `Properties.Value` of `Out` in `text`: the
/// shape of each candidate (`None` for a value known, or not known at all).
fn shapes(text: &str) -> Vec<Option<Shape>> {
    with_candidates(text, |candidates| {
        candidates
            .into_iter()
            .map(|c| match c.value {
                Value::Shaped(shape) => {
                    assert!(!c.unknown.is_empty(), "a shape says what is not known");
                    Some(shape)
                }
                _ => None,
            })
            .collect()
    })
}

const SHAPES: &str = "Parameters:
  Free: {Type: String}
  Subnets: {Type: 'List<AWS::EC2::Subnet::Id>'}
  Stored: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /db/password}
Resources:
  Group:
    Type: AWS::ElastiCache::SubnetGroup
    Properties: {Description: cache, SubnetIds: !Ref Subnets}
  Named:
    Type: AWS::ElastiCache::SubnetGroup
    Properties: {Description: cache, CacheSubnetGroupName: !Sub '${AWS::StackName}-cache', SubnetIds: [a]}
  Role:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
  Custom:
    Type: Custom::Thing
  Out:
    Type: Test::Out
    Properties:
";

#[test]
fn pseudo_parameters_resources_and_deployed_values_have_shapes() {
    let one = |value: &str| {
        let got = shapes(&format!("{SHAPES}      Value: {value}\n"));
        assert_eq!(got.len(), 1, "{value}: {got:?}");
        got.into_iter().next().unwrap()
    };
    let account = one("!Ref AWS::AccountId").unwrap();
    assert_eq!(account, Shape::of(Class::Pseudo(Pseudo::AccountId)));
    assert!(!account.may_be("*") && account.may_be("123456789012"));
    let root = one("!Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root'").unwrap();
    assert_eq!(
        root.to_string(),
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
    );
    assert!(!root.may_be("*"));
    let service = one("!Join ['', [s3., !Ref AWS::URLSuffix]]").unwrap();
    assert!(!service.may_be("*") && service.may_be("s3.amazonaws.com"));
    // A resource's id: its names, as resolved, or a generated one.
    let group = one("!Ref Group").unwrap();
    assert!(!group.may_be("default") && !group.may_be("*") && group.may_be("cache"));
    let named = one("!Ref Named").unwrap();
    assert!(!named.may_be("default") && named.may_be("prod-cache"));
    let arn = one("!GetAtt Role.Arn").unwrap();
    assert!(!arn.may_be("*") && arn.may_be("arn:aws:iam::123456789012:role/r"));
    let id = one("!GetAtt Role.RoleId").unwrap();
    assert!(!id.may_be("*") && id.may_be("AROA1234"));
    // Values given when the stack is deployed may be anything.
    for value in [
        "!Ref Free",
        "!Ref Stored",
        "!ImportValue shared",
        "!Sub '${Free}'",
    ] {
        assert!(one(value).unwrap().may_be("*"), "{value}");
    }
    // A list, and what a custom resource's code returns, are not known at all.
    for value in [
        "!Ref Subnets",
        "!Ref Custom",
        "!GetAtt Custom.Arn",
        "!Ref AWS::NotificationARNs",
        "!Sub '${Custom.Name}'",
    ] {
        assert_eq!(one(value), None, "{value}");
    }
}

#[test]
fn a_name_that_may_be_anything_makes_the_resource_any_name() {
    let text = |value: &str| {
        format!(
            "Parameters:
  Free: {{Type: String}}
Resources:
  Open:
    Type: AWS::S3::Bucket
    Properties: {{BucketName: !Ref Free}}
  Loop:
    Type: AWS::S3::Bucket
    Properties: {{BucketName: !Ref Loop}}
  Out:
    Type: Test::Out
    Properties:
      Value: {value}
"
        )
    };
    for value in ["!Ref Open", "!Ref Loop"] {
        let got = shapes(&text(value));
        let shape = got[0].as_ref().unwrap();
        assert!(shape.may_be("default") && !shape.may_be("*"), "{value}");
    }
}
