//! What the resolver makes of values the template itself defines.

use cfn_template::Template;
use cfn_template::resolve::Value;

/// Every candidate of `Properties.Value` of the resource `Out`, as text or
/// as what is unknown.
fn candidates(text: &str) -> Vec<Result<String, Vec<String>>> {
    let template = Template::parse(text.as_bytes()).unwrap();
    let resolver = template.resolver();
    let value = template
        .resource("Out")
        .unwrap()
        .properties()
        .unwrap()
        .get("Value")
        .unwrap();
    resolver
        .resolve(value)
        .into_iter()
        .map(|c| match (&c.value, c.as_text()) {
            (_, Some(text)) if c.is_resolved() => Ok(text.into_owned()),
            (Value::Unknown | Value::Tail(_), _) | (_, _) => {
                Err(c.unknown.iter().map(ToString::to_string).collect())
            }
        })
        .collect()
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
