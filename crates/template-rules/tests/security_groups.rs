//! What counts as a security group open to the world, rule by rule.

use template_rules::{RuleItem, RuleSet, Template, Thresholds, evaluate, ingress::is_world};

/// The findings as (rule, resource, reason), for the default rules.
fn findings(template: &str) -> Vec<(String, String, String)> {
    findings_with(template, &RuleSet::defaults())
}

fn findings_with(template: &str, rules: &RuleSet) -> Vec<(String, String, String)> {
    let template = Template::parse(template.as_bytes()).expect("template parses");
    evaluate(&template, rules, &Thresholds::default())
        .unwrap()
        .findings
        .into_iter()
        .map(|f| (f.rule, f.resource, f.reason))
        .collect()
}

fn rules_fired(template: &str) -> Vec<String> {
    findings(template)
        .into_iter()
        .map(|(rule, _, _)| rule)
        .collect()
}

/// A security group with one inline ingress permission, written in YAML flow style.
fn sg(permission: &str) -> String {
    format!(
        "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: test\n      SecurityGroupIngress:\n        - {permission}\n"
    )
}

#[test]
fn world_means_prefix_length_zero_whatever_the_address() {
    for cidr in [
        "0.0.0.0/0",
        "1.0.0.0/0",
        "255.255.255.255/0",
        "::/0",
        "0000::/0",
        "0000:0000:0000:0000:0000:0000:0000:0000/0",
        "2001:db8::/0",
        " 0.0.0.0/0 ",
        "00.0.0.0/0",
        "0.0.0.0/00",
    ] {
        assert!(is_world(cidr), "{cidr} admits every address");
    }
    for cidr in [
        "10.0.0.0/8",
        "0.0.0.0/1",
        "0.0.0.0",
        "::/1",
        "::",
        "",
        "0.0.0.0/",
        "not-a-cidr/0",
        "256.0.0.0/0",
    ] {
        assert!(!is_world(cidr), "{cidr} is not the whole internet");
    }
}

#[test]
fn ssh_rule_fires_when_the_port_range_covers_22() {
    for permission in [
        "{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: tcp, FromPort: 0, ToPort: 65535, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: tcp, FromPort: 20, ToPort: 30, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: tcp, FromPort: '22', ToPort: '22', CidrIp: 0.0.0.0/0}",
        "{IpProtocol: '6', FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: 6, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: TCP, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: tcp, FromPort: -1, ToPort: -1, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIpv6: '::/0'}",
        "{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 1.0.0.0/0}",
        // -1 is every protocol and every port: its ports are ignored.
        "{IpProtocol: '-1', FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: -1, CidrIp: 0.0.0.0/0}",
    ] {
        assert!(
            rules_fired(&sg(permission)).contains(&"SSHOpenToWorld".to_string()),
            "SSHOpenToWorld should fire on {permission}"
        );
    }
}

#[test]
fn ssh_rule_does_not_fire_on_other_ports_protocols_or_sources() {
    for permission in [
        "{IpProtocol: tcp, FromPort: 2222, ToPort: 2222, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: tcp, FromPort: 23, ToPort: 80, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: tcp, FromPort: 122, ToPort: 122, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: udp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: '17', FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: icmp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}",
        "{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIpv6: '2001:db8::/32'}",
        "{IpProtocol: tcp, FromPort: 22, ToPort: 22, SourceSecurityGroupId: sg-123}",
    ] {
        assert!(
            !rules_fired(&sg(permission)).contains(&"SSHOpenToWorld".to_string()),
            "SSHOpenToWorld should not fire on {permission}"
        );
    }
}

#[test]
fn ingress_open_to_world_covers_every_protocol_but_only_world_sources() {
    assert_eq!(
        rules_fired(&sg(
            "{IpProtocol: icmp, FromPort: -1, ToPort: -1, CidrIp: 0.0.0.0/0}"
        )),
        ["IngressOpenToWorld"]
    );
    assert_eq!(
        rules_fired(&sg("{IpProtocol: '50', CidrIpv6: '::/0'}")),
        ["IngressOpenToWorld"]
    );
    assert!(rules_fired(&sg("{IpProtocol: '-1', CidrIp: 192.168.0.0/16}")).is_empty());
}

#[test]
fn reasons_name_the_permission_the_protocol_the_ports_and_the_source() {
    let template = "Resources:
  BastionSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: bastion
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
        - {IpProtocol: '-1', CidrIpv6: '::/0'}
";
    assert_eq!(
        findings(template),
        [
            (
                "IngressOpenToWorld".to_string(),
                "BastionSg".to_string(),
                "SecurityGroupIngress[1] admits tcp 22 from 0.0.0.0/0; SecurityGroupIngress[2] admits all traffic from ::/0"
                    .to_string()
            ),
            (
                "SSHOpenToWorld".to_string(),
                "BastionSg".to_string(),
                "SecurityGroupIngress[1] admits tcp 22 from 0.0.0.0/0; SecurityGroupIngress[2] admits all traffic from ::/0"
                    .to_string()
            ),
        ]
    );
}

#[test]
fn one_finding_per_rule_and_resource() {
    let template = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: two open ssh rules
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIpv6: '::/0'}
";
    let report = evaluate(
        &Template::parse(template.as_bytes()).unwrap(),
        &RuleSet::defaults(),
        &Thresholds::default(),
    )
    .unwrap();
    assert_eq!(report.findings.len(), 2);
    assert_eq!(report.risk, 200);
}

#[test]
fn a_single_inline_permission_object_is_checked() {
    let template = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: one object, not a list
      SecurityGroupIngress: {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
";
    assert_eq!(
        findings(template)[1].2,
        "SecurityGroupIngress admits tcp 22 from 0.0.0.0/0"
    );
}

#[test]
fn standalone_ingress_resources_are_checked_on_their_own_logical_id() {
    let template = r#"{
  "Resources": {
    "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x"}},
    "SshIn": {
      "Type": "AWS::EC2::SecurityGroupIngress",
      "Properties": {"GroupId": {"Fn::GetAtt": ["Sg", "GroupId"]}, "IpProtocol": "tcp",
                     "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}
    }
  }
}"#;
    assert_eq!(
        findings(template),
        [
            (
                "IngressOpenToWorld".to_string(),
                "SshIn".to_string(),
                "ingress rule for Sg admits tcp 22 from 0.0.0.0/0".to_string()
            ),
            (
                "SSHOpenToWorld".to_string(),
                "SshIn".to_string(),
                "ingress rule for Sg admits tcp 22 from 0.0.0.0/0".to_string()
            ),
        ]
    );
}

#[test]
fn egress_never_counts_for_an_ingress_rule() {
    let template = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: egress only
      SecurityGroupEgress:
        - {IpProtocol: '-1', CidrIp: 0.0.0.0/0}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIpv6: '::/0'}
  Out:
    Type: AWS::EC2::SecurityGroupEgress
    Properties:
      GroupId: !Ref Sg
      IpProtocol: tcp
      FromPort: 22
      ToPort: 22
      CidrIp: 0.0.0.0/0
";
    assert!(findings(template).is_empty());
}

#[test]
fn descriptions_and_other_strings_never_trigger_a_structured_rule() {
    let template = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: 'Ingress tcp FromPort 22 from 0.0.0.0/0 (documentation only)'
      Tags: [{Key: note, Value: 'CidrIp: 0.0.0.0/0, FromPort: 22'}]
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8, Description: 'not 0.0.0.0/0, not port 22'}
";
    assert!(findings(template).is_empty());
}

#[test]
fn a_ref_to_a_parameter_uses_its_default() {
    let template = "Parameters:
  SshLocation:
    Type: String
    Default: 0.0.0.0/0
  SshPort:
    Type: Number
    Default: 22
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: !Ref SshPort
          ToPort: !Ref SshPort
          CidrIp: !Ref SshLocation
";
    assert_eq!(
        findings(template)[1],
        (
            "SSHOpenToWorld".to_string(),
            "Sg".to_string(),
            "SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 (default of parameter SshLocation)".to_string()
        )
    );
}

/// A value the engine cannot work out never passes silently: the rule is
/// an unresolved finding that names what was not known. The protocol of
/// permission 3 does not matter to `all`, which fires whatever it is.
#[test]
fn values_that_cannot_be_resolved_are_unresolved_findings() {
    let template = "Parameters:
  SshLocation:
    Type: String
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref SshLocation}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !ImportValue shared-cidr}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !GetAtt Vpc.CidrBlock}
        - {IpProtocol: !Ref Unknown, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
        - {IpProtocol: tcp, FromPort: !Ref Unknown, ToPort: !Ref Unknown, CidrIp: 0.0.0.0/0}
";
    let report = evaluate(
        &Template::parse(template.as_bytes()).unwrap(),
        &RuleSet::defaults(),
        &Thresholds::default(),
    )
    .unwrap();
    let [all, ssh] = &report.findings[..] else {
        panic!("{:?}", report.findings)
    };
    assert_eq!(all.rule, "IngressOpenToWorld");
    assert!(all.unresolved.is_empty(), "{all:?}");
    assert_eq!(
        all.reason,
        "SecurityGroupIngress[3] admits traffic of a protocol not resolved from 0.0.0.0/0; SecurityGroupIngress[4] admits tcp (ports not resolved) from 0.0.0.0/0"
    );
    assert_eq!(ssh.rule, "SSHOpenToWorld");
    assert_eq!(
        ssh.unresolved,
        [
            "parameter SshLocation has no Default",
            "Fn::ImportValue shared-cidr",
            "Fn::GetAtt Vpc.CidrBlock",
            "Ref Unknown (not a parameter or resource of this template)",
        ]
    );
    assert!(
        ssh.reason.starts_with(
            "SecurityGroupIngress[0] may admit tcp 22 from a CidrIp not resolved (parameter SshLocation has no Default); "
        ),
        "{}",
        ssh.reason
    );
    assert_eq!((report.risk, report.unresolved_risk), (100, 100));
}

#[test]
fn fn_if_counts_when_either_branch_does() {
    let template = "Conditions:
  IsProd: !Equals [!Ref 'AWS::AccountId', '123456789012']
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: !If [IsProd, 10.0.0.0/8, 0.0.0.0/0]
        - !If
          - IsProd
          - {IpProtocol: tcp, FromPort: 3389, ToPort: 3389, CidrIp: 0.0.0.0/0}
          - !Ref AWS::NoValue
";
    let found = findings(template);
    // An entry written as Fn::If names the branch it is open on; a value
    // written as Fn::If (the CidrIp) is one of the values a property may
    // take, whatever the condition.
    assert_eq!(
        found[0].2,
        "SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0; SecurityGroupIngress[1] admits tcp 3389 from 0.0.0.0/0 when IsProd is true"
    );
    assert_eq!(
        found[1].2,
        "SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0"
    );
}

#[test]
fn fn_if_around_the_whole_list_and_other_intrinsics_resolve() {
    let template = r#"{
  "Mappings": {"Cidrs": {"us-east-1": {"Ssh": "10.0.0.0/8"}, "eu-west-1": {"Ssh": "0.0.0.0/0"}}},
  "Parameters": {"Open": {"Type": "String", "Default": "0.0.0.0"}},
  "Conditions": {"C": {"Fn::Equals": ["a", "b"]}},
  "Resources": {
    "ByMap": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x",
      "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "CidrIp": {"Fn::FindInMap": ["Cidrs", {"Ref": "AWS::Region"}, "Ssh"]}}]}},
    "BySub": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x",
      "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "CidrIp": {"Fn::Sub": "${Open}/0"}}]}},
    "ByJoin": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x",
      "SecurityGroupIngress": {"Fn::If": ["C", [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "CidrIp": {"Fn::Join": ["/", ["0.0.0.0", "0"]]}}], {"Ref": "AWS::NoValue"}]}}},
    "BySelect": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x",
      "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "CidrIp": {"Fn::Select": [1, {"Fn::Split": [",", "10.0.0.0/8,0.0.0.0/0"]}]}}]}}
  }
}"#;
    let ssh: Vec<String> = findings(template)
        .into_iter()
        .filter(|(rule, _, _)| rule == "SSHOpenToWorld")
        .map(|(_, resource, _)| resource)
        .collect();
    assert_eq!(ssh, ["ByMap", "BySub", "ByJoin", "BySelect"]);
}

#[test]
fn allow_http_is_inactive_by_default_and_fires_when_enabled() {
    let template = sg("{IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}");
    assert_eq!(rules_fired(&template), ["IngressOpenToWorld"]);

    let mut items = RuleSet::default_items();
    for item in &mut items {
        item.active = Some("Y".into());
    }
    let all_on = RuleSet::from_items(items);
    let fired: Vec<String> = findings_with(&template, &all_on)
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(fired, ["IngressOpenToWorld", "AllowHttp"]);
}

#[test]
fn forbidden_amis_are_found_in_instances_launch_templates_and_launch_configurations() {
    let rules = RuleSet::from_items([RuleItem {
        rule: Some("ForbiddenAMIs".into()),
        category: Some("EC2Instance".into()),
        ruletype: Some("forbidden-ami".into()),
        ruledata: Some("ami-7a11e211, ami-08111162".into()),
        riskvalue: Some(10.into()),
        active: Some("Y".into()),
        ..RuleItem::default()
    }]);
    let template = "Parameters:
  Ami: {Type: String, Default: ami-08111162}
Resources:
  Old:
    Type: AWS::EC2::Instance
    Properties: {ImageId: ami-7a11e211}
  Fine:
    Type: AWS::EC2::Instance
    Properties: {ImageId: ami-0123456789abcdef0}
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData: {ImageId: !Ref Ami}
  Lc:
    Type: AWS::AutoScaling::LaunchConfiguration
    Properties: {ImageId: AMI-7A11E211, InstanceType: t3.micro}
";
    assert_eq!(
        findings_with(template, &rules),
        [
            ("ForbiddenAMIs".into(), "Old".into(), "ImageId ami-7a11e211 is a forbidden AMI".into()),
            (
                "ForbiddenAMIs".into(),
                "Lt".into(),
                "LaunchTemplateData.ImageId ami-08111162 is a forbidden AMI (default of parameter Ami)".into()
            ),
            ("ForbiddenAMIs".into(), "Lc".into(), "ImageId AMI-7A11E211 is a forbidden AMI".into()),
        ]
    );
}

#[test]
fn custom_open_ingress_rules_take_port_lists_and_ranges() {
    let rules = RuleSet::from_items([RuleItem {
        rule: Some("DatabasesOpen".into()),
        category: Some("SecurityGroup".into()),
        ruletype: Some("open-ingress".into()),
        ruledata: Some("tcp:3306, tcp:5432-5433, udp:53".into()),
        riskvalue: Some(60.into()),
        active: Some("Y".into()),
        ..RuleItem::default()
    }]);
    assert!(rules.errors().is_empty(), "{:?}", rules.errors());
    let fires = |p: &str| !findings_with(&sg(p), &rules).is_empty();
    assert!(fires(
        "{IpProtocol: tcp, FromPort: 5433, ToPort: 6000, CidrIp: 0.0.0.0/0}"
    ));
    assert!(fires(
        "{IpProtocol: tcp, FromPort: 3306, ToPort: 3306, CidrIpv6: '::/0'}"
    ));
    assert!(fires(
        "{IpProtocol: udp, FromPort: 53, ToPort: 53, CidrIp: 0.0.0.0/0}"
    ));
    assert!(!fires(
        "{IpProtocol: tcp, FromPort: 53, ToPort: 53, CidrIp: 0.0.0.0/0}"
    ));
    assert!(!fires(
        "{IpProtocol: tcp, FromPort: 5434, ToPort: 6000, CidrIp: 0.0.0.0/0}"
    ));
}

// --- The whole internet, however it is split ---------------------------------

/// Every rule that fires, with its reason and whether it is unresolved.
fn fired(template: &str) -> Vec<(String, String, String, bool)> {
    let template = Template::parse(template.as_bytes()).expect("template parses");
    evaluate(&template, &RuleSet::defaults(), &Thresholds::default())
        .unwrap()
        .findings
        .into_iter()
        .map(|f| {
            let unresolved = f.is_unresolved();
            (f.rule, f.resource, f.reason, unresolved)
        })
        .collect()
}

fn ssh_with(cidrs: &[&str]) -> String {
    let mut out = String::from(
        "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: split\n      SecurityGroupIngress:\n",
    );
    for cidr in cidrs {
        let key = if cidr.contains(':') {
            "CidrIpv6"
        } else {
            "CidrIp"
        };
        out.push_str(&format!(
            "        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, {key}: '{cidr}'}}\n"
        ));
    }
    out
}

#[test]
fn halves_of_the_internet_count_as_the_whole() {
    let found = fired(&ssh_with(&["0.0.0.0/1", "128.0.0.0/1"]));
    let reason = "SecurityGroupIngress[0] (0.0.0.0/1), SecurityGroupIngress[1] (128.0.0.0/1) together admit tcp 22 from every IPv4 address";
    assert_eq!(
        found,
        [
            (
                "IngressOpenToWorld".into(),
                "Sg".into(),
                reason.into(),
                false
            ),
            ("SSHOpenToWorld".into(), "Sg".into(), reason.into(), false),
        ]
    );
    let found = fired(&ssh_with(&["::/1", "8000::/1"]));
    assert_eq!(found.len(), 2);
    assert!(
        found[1]
            .2
            .ends_with("together admit tcp 22 from every IPv6 address")
    );
    // Addresses written with host bits set still cover their blocks.
    assert_eq!(fired(&ssh_with(&["1.2.3.4/1", "200.0.0.1/1"])).len(), 2);
    // Half is not the whole; nor are halves of different families.
    assert!(fired(&ssh_with(&["0.0.0.0/1"])).is_empty());
    assert!(fired(&ssh_with(&["0.0.0.0/1", "8000::/1"])).is_empty());
    assert!(fired(&ssh_with(&["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3"])).is_empty());
}

#[test]
fn two_hundred_and_fifty_six_eighths_count_as_the_whole() {
    let eighths: Vec<String> = (0..256).map(|i| format!("{i}.0.0.0/8")).collect();
    let all: Vec<&str> = eighths.iter().map(String::as_str).collect();
    let found = fired(&ssh_with(&all));
    assert_eq!(found.len(), 2);
    assert_eq!(
        found[1].2,
        "SecurityGroupIngress[0] (0.0.0.0/8), SecurityGroupIngress[1] (1.0.0.0/8), SecurityGroupIngress[2] (2.0.0.0/8), SecurityGroupIngress[3] (3.0.0.0/8), SecurityGroupIngress[4] (4.0.0.0/8) and 251 more together admit tcp 22 from every IPv4 address"
    );
    assert!(fired(&ssh_with(&all[1..])).is_empty());
}

#[test]
fn a_union_counts_per_protocol_and_port() {
    let template = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/1}
        - {IpProtocol: tcp, FromPort: 23, ToPort: 23, CidrIp: 128.0.0.0/1}
        - {IpProtocol: udp, FromPort: 22, ToPort: 22, CidrIp: 128.0.0.0/1}
";
    assert!(fired(template).is_empty(), "different ports and protocols");
    // -1 admits every protocol and port: it joins tcp 22.
    let with_all = template.replace("IpProtocol: udp", "IpProtocol: '-1'");
    let found = fired(&with_all);
    assert_eq!(found.len(), 2);
    assert_eq!(
        found[1].2,
        "SecurityGroupIngress[0] (0.0.0.0/1), SecurityGroupIngress[2] (128.0.0.0/1) together admit tcp 22 from every IPv4 address"
    );
    // A range that covers 22 joins it too.
    let ranged = template.replace("FromPort: 23, ToPort: 23", "FromPort: 0, ToPort: 1024");
    assert_eq!(fired(&ranged).len(), 2);
}

#[test]
fn a_union_counts_across_inline_and_standalone_ingress_of_one_group() {
    let template = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/2}
  ByRef:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !Ref Sg, IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 64.0.0.0/2}
  ByGetAtt:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !GetAtt Sg.GroupId, IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 128.0.0.0/1}
  Other:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: y}
";
    let found = fired(template);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[1].1, "Sg", "the finding is on the group");
    assert_eq!(
        found[1].2,
        "SecurityGroupIngress[0] (0.0.0.0/2), ingress rule ByRef (64.0.0.0/2), ingress rule ByGetAtt (128.0.0.0/1) together admit tcp 22 from every IPv4 address"
    );
    // Moved to another group, the last half no longer joins.
    assert!(fired(&template.replace("!GetAtt Sg.GroupId", "!Ref Other")).is_empty());
    // Standalone rules for a group named by its id join each other.
    let by_id = "Resources:
  A:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: sg-0123, IpProtocol: '-1', CidrIp: 0.0.0.0/1}
  B:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: sg-0123, IpProtocol: '-1', CidrIp: 128.0.0.0/1}
";
    let found = fired(by_id);
    assert_eq!(
        found[0],
        (
            "IngressOpenToWorld".to_string(),
            "A".to_string(),
            "ingress rule A (0.0.0.0/1), ingress rule B (128.0.0.0/1) together admit all traffic from every IPv4 address".to_string(),
            false
        )
    );
}

#[test]
fn a_union_that_depends_on_what_is_not_known_is_unresolved() {
    // 255 eighths written out, and one at an address not known.
    let mut cidrs: Vec<String> = (1..256).map(|i| format!("{i}.0.0.0/8")).collect();
    cidrs.push("${First}.0.0.0/8".into());
    let mut template = String::from("Parameters:\n  First: {Type: String}\n");
    template.push_str(&ssh_with(&[]));
    for cidr in &cidrs {
        template.push_str(&format!(
            "        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Sub '{cidr}'}}\n"
        ));
    }
    let found = fired(&template);
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|f| f.3), "{found:?}");
    assert!(
        found[1]
            .2
            .contains("together may admit tcp 22 from every IPv4 address"),
        "{}",
        found[1].2
    );

    // A half whose group is not known: it may be this group's.
    let unplaced = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/1}]
  Elsewhere:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !ImportValue shared-sg, IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 128.0.0.0/1}
";
    let found = fired(unplaced);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|f| f.3 && f.1 == "Sg"));
    assert!(
        found[1]
            .2
            .contains("which security group ingress rule Elsewhere belongs to")
    );
}

#[test]
fn ports_and_protocols_written_oddly_are_read_or_unresolved() {
    // Whole numbers written as floats are those numbers.
    for permission in [
        "{IpProtocol: tcp, FromPort: 22.0, ToPort: 22.0, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: 6.0, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: '6', FromPort: '22.0', ToPort: ' 22 ', CidrIp: 0.0.0.0/0}",
    ] {
        let found = fired(&sg(permission));
        assert_eq!(found.len(), 2, "{permission}: {found:?}");
        assert!(found.iter().all(|f| !f.3), "{permission}: {found:?}");
    }
    // A port that is no whole number is not known: the port rule may fire.
    let found = fired(&sg(
        "{IpProtocol: tcp, FromPort: x, ToPort: 22.5, CidrIp: 0.0.0.0/0}",
    ));
    assert_eq!(
        found
            .iter()
            .map(|f| (f.0.as_str(), f.3))
            .collect::<Vec<_>>(),
        [("IngressOpenToWorld", false), ("SSHOpenToWorld", true)]
    );
}
