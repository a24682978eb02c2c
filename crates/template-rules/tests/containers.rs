//! Containers written as intrinsic functions (issue 19, item 1): a
//! resource whose `Properties`, or a container inside them, is written as
//! `Fn::If` is read in every form it may take, by every rule kind and by
//! Guard; a finding that holds on some branches only names them; past the
//! cap on forms, every branch is still looked into, and Guard's items are
//! unresolved on the resource. `properties.rs` checks the same of every
//! registered kind's example.

use serde_json::{Value, json};
use template_rules::{Finding, RuleItem, RuleSet, Template, Thresholds, evaluate};

fn all_active() -> RuleSet {
    RuleSet::from_items(RuleSet::default_items().into_iter().map(|mut item| {
        item.active = Some("Y".into());
        item
    }))
}

fn findings_with(template: &str, rules: &RuleSet) -> Vec<Finding> {
    let template = Template::parse(template.as_bytes()).unwrap();
    evaluate(&template, rules, &Thresholds::default())
        .unwrap()
        .findings
}

fn findings(template: &str) -> Vec<(String, String, String)> {
    findings_with(template, &all_active())
        .into_iter()
        .map(|f| (f.rule, f.resource, f.reason))
        .collect()
}

fn reasons(template: &str, rule: &str) -> Vec<String> {
    findings(template)
        .into_iter()
        .filter(|(r, _, _)| r == rule)
        .map(|(_, _, reason)| reason)
        .collect()
}

#[test]
fn properties_written_as_fn_if_are_read_on_both_branches_naming_the_one_at_risk() {
    let template = "Conditions:
  IsProd: !Equals [!Ref 'AWS::AccountId', '123456789012']
Resources:
  BastionSg:
    Type: AWS::EC2::SecurityGroup
    Properties: !If
      - IsProd
      - GroupDescription: bastion
        SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}]
      - GroupDescription: bastion
        SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}]
";
    assert_eq!(
        reasons(template, "SSHOpenToWorld"),
        ["SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 when IsProd is false"]
    );
    // Open on both branches: no condition to name.
    let both = template.replace("10.0.0.0/8", "0.0.0.0/0");
    assert_eq!(
        reasons(&both, "SSHOpenToWorld"),
        ["SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0"]
    );
}

#[test]
fn an_image_in_a_branch_of_launch_template_data_is_found() {
    let template = "Conditions:
  Legacy: !Equals [!Ref 'AWS::Region', us-east-1]
Resources:
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData: !If
        - Legacy
        - {ImageId: ami-7a11e211, InstanceType: t2.micro}
        - {ImageId: ami-0abcdef1, InstanceType: t3.micro}
  Server:
    Type: AWS::EC2::Instance
    Properties: !If [Legacy, {ImageId: ami-08111162}, !Ref AWS::NoValue]
";
    assert_eq!(
        findings(template)
            .into_iter()
            .filter(|(rule, _, _)| rule == "ForbiddenAMIs")
            .map(|(_, resource, reason)| (resource, reason))
            .collect::<Vec<_>>(),
        [
            (
                "Template".to_string(),
                "LaunchTemplateData.ImageId ami-7a11e211 is a forbidden AMI when Legacy is true"
                    .to_string()
            ),
            (
                "Server".to_string(),
                "ImageId ami-08111162 is a forbidden AMI when Legacy is true".to_string()
            ),
        ]
    );
}

#[test]
fn no_value_removes_an_entry_and_keeps_the_indexes_of_a_list() {
    let template = "Conditions:
  HasVpn: !Equals [!Ref 'AWS::Region', eu-west-1]
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
        - !If [HasVpn, !Ref AWS::NoValue, {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}]
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}
";
    assert_eq!(
        reasons(template, "IngressOpenToWorld"),
        [
            "SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 when HasVpn is false; SecurityGroupIngress[1] admits tcp 443 from 0.0.0.0/0"
        ]
    );
    // The whole list removed on one branch.
    let removed = "Conditions:
  HasVpn: !Equals [!Ref 'AWS::Region', eu-west-1]
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress: !If
        - HasVpn
        - !Ref AWS::NoValue
        - [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}]
";
    assert_eq!(
        reasons(removed, "SSHOpenToWorld"),
        ["SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 when HasVpn is false"]
    );
}

#[test]
fn a_container_that_cannot_be_known_is_unresolved_not_passed() {
    let template = "Resources:
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData: !GetAtt Base.Data
  Server:
    Type: AWS::EC2::Instance
    Properties: {'Fn::Transform': {Name: AWS::Include, Parameters: {Location: s3://bucket/instance.yaml}}}
";
    let found = findings_with(template, &all_active());
    let amis: Vec<(&str, &str, &[String])> = found
        .iter()
        .filter(|f| f.rule == "ForbiddenAMIs")
        .map(|f| {
            (
                f.resource.as_str(),
                f.reason.as_str(),
                f.unresolved.as_slice(),
            )
        })
        .collect();
    assert_eq!(
        amis,
        [
            (
                "Template",
                "LaunchTemplateData.ImageId may be a forbidden AMI (Fn::GetAtt Base.Data)",
                &["Fn::GetAtt Base.Data".to_string()][..]
            ),
            (
                "Server",
                "ImageId may be a forbidden AMI (Fn::Transform)",
                &["Fn::Transform".to_string()][..]
            ),
        ]
    );
}

/// A security group whose entries are each written as `Fn::If` on a
/// condition of their own: 2^`n` forms.
fn many_choices(n: usize) -> String {
    let mut text = String::from("Conditions:\n");
    for i in 0..n {
        text.push_str(&format!("  C{i}: !Equals [!Ref 'AWS::Region', r{i}]\n"));
    }
    text.push_str("Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: x\n      SecurityGroupIngress:\n");
    for i in 0..n {
        let port = 1000 + i;
        let cidr = if i == n - 1 {
            "0.0.0.0/0"
        } else {
            "10.0.0.0/8"
        };
        text.push_str(&format!(
            "        - !If [C{i}, {{IpProtocol: tcp, FromPort: {port}, ToPort: {port}, CidrIp: {cidr}}}, !Ref AWS::NoValue]\n"
        ));
    }
    text
}

#[test]
fn past_the_cap_on_forms_every_branch_is_still_read() {
    // 2^6 = 64 forms: chosen, the condition named.
    let last = 5;
    assert_eq!(
        reasons(&many_choices(6), "IngressOpenToWorld"),
        [format!(
            "SecurityGroupIngress[{last}] admits tcp {} from 0.0.0.0/0 when C{last} is true",
            1000 + last
        )]
    );
    // 2^7 forms: read as written; the open entry is still found.
    let last = 6;
    assert_eq!(
        reasons(&many_choices(7), "IngressOpenToWorld"),
        [format!(
            "SecurityGroupIngress[{last}] admits tcp {} from 0.0.0.0/0",
            1000 + last
        )]
    );
}

fn guard_item(id: &str, text: &str) -> RuleItem {
    serde_json::from_value(json!({
        "rule": id, "category": "S3", "ruletype": "guard",
        "ruledata": text, "riskvalue": 60, "active": "Y"
    }))
    .unwrap()
}

const ENCRYPTED: &str = "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]
rule S3_BUCKET_ENCRYPTED when %buckets !empty {
    %buckets.Properties.BucketEncryption exists
    << buckets must be encrypted at rest >>
}
";

#[test]
fn guard_reads_each_form_and_names_the_branch_that_fails() {
    let rules = RuleSet::from_items([guard_item("Encrypted", ENCRYPTED)]);
    let template = "Conditions:
  Encrypt: !Equals [!Ref 'AWS::Region', eu-west-1]
Resources:
  Logs:
    Type: AWS::S3::Bucket
    Properties: !If
      - Encrypt
      - BucketEncryption:
          ServerSideEncryptionConfiguration: [{ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}}]
      - {BucketName: logs}
  Plain:
    Type: AWS::S3::Bucket
    Properties: {BucketName: plain}
";
    let found: Vec<(String, String, bool)> = findings_with(template, &rules)
        .into_iter()
        .map(|f| (f.resource.clone(), f.reason.clone(), f.is_unresolved()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "Logs".to_string(),
                "S3_BUCKET_ENCRYPTED: buckets must be encrypted at rest when Encrypt is false"
                    .to_string(),
                false
            ),
            (
                "Plain".to_string(),
                "S3_BUCKET_ENCRYPTED: buckets must be encrypted at rest".to_string(),
                false
            ),
        ]
    );
    // Encrypted on both branches: nothing.
    let both = template.replace(
        "      - {BucketName: logs}",
        "      - BucketEncryption:\n          ServerSideEncryptionConfiguration: [{ServerSideEncryptionByDefault: {SSEAlgorithm: aws:kms}}]",
    );
    let found: Vec<String> = findings_with(&both, &rules)
        .into_iter()
        .map(|f| f.resource)
        .collect();
    assert_eq!(found, ["Plain"]);
}

#[test]
fn past_the_cap_guard_items_that_read_the_resource_are_unresolved() {
    let rules = RuleSet::from_items([
        guard_item("Encrypted", ENCRYPTED),
        guard_item(
            "Described",
            "let groups = Resources.*[ Type == 'AWS::EC2::SecurityGroup' ]\nrule GROUPS_DESCRIBED when %groups !empty { %groups.Properties.GroupDescription exists }\n",
        ),
    ]);
    let found: Vec<(String, String, Vec<String>)> = findings_with(&many_choices(7), &rules)
        .into_iter()
        .map(|f| (f.rule, f.reason, f.unresolved))
        .collect();
    let why = "its containers written as Fn::If make more than 64 forms";
    // Only the item that reads security groups, once.
    assert_eq!(
        found,
        [(
            "Described".to_string(),
            format!("the Guard rules were shown the resource as written, Fn::If and all: {why}"),
            vec![format!("the resource's forms ({why})")]
        )]
    );
}

/// What Guard is shown of a resource with forms: a copy of each, the
/// first under its logical id; `AWS::NoValue` entries of a list left out.
#[test]
fn guard_is_shown_each_form_as_a_resource_of_its_own() {
    let rules = RuleSet::from_items([guard_item(
        "NoOpenEntries",
        "let groups = Resources.*[ Type == 'AWS::EC2::SecurityGroup' ]\nrule NO_OPEN_ENTRY when %groups !empty { %groups.Properties.SecurityGroupIngress[*].CidrIp != '0.0.0.0/0' << entry open to the world >> }\n",
    )]);
    let template = json!({
        "Conditions": {"HasVpn": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}},
        "Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "x",
            "SecurityGroupIngress": [
                {"Fn::If": ["HasVpn", {"Ref": "AWS::NoValue"},
                            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]},
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"}
            ]}}}
    });
    let found: Vec<(String, String)> = findings_with(&template.to_string(), &rules)
        .into_iter()
        .map(|f| (f.resource, f.reason))
        .collect();
    assert_eq!(
        found,
        [(
            "Sg".to_string(),
            "NO_OPEN_ENTRY: entry open to the world when HasVpn is false".to_string()
        )]
    );
    let _: &Value = &template;
}
