//! A value the engine cannot work out never passes silently: a rule that
//! depends on it and would fire for some value is an unresolved finding
//! that names it, and the policy decides what that does to the verdict.
//! Every case is checked in JSON, in YAML and in YAML with short forms.

mod support;

use serde_json::{Value, json};
use support::emit::yaml;
use template_rules::{
    Finding, Report, RuleItem, RuleSet, Template, Thresholds, UNSEEN, UNSEEN_RISK,
    UnresolvedPolicy, Verdict, evaluate,
};

/// The template written three ways.
fn renderings(template: &Value) -> [(&'static str, String); 3] {
    [
        ("JSON", serde_json::to_string_pretty(template).unwrap()),
        ("YAML", yaml(template, false)),
        ("YAML short forms", yaml(template, true)),
    ]
}

/// Evaluates every rendering with `rules` and `thresholds`; they must agree
/// (lines aside), and the report is returned.
fn report_with(template: &Value, rules: &RuleSet, thresholds: &Thresholds) -> Report {
    let mut reports: Vec<(String, Report)> = renderings(template)
        .into_iter()
        .map(|(name, text)| {
            let parsed = Template::parse(text.as_bytes())
                .unwrap_or_else(|e| panic!("{name} does not parse: {e}\n{text}"));
            (
                name.to_string(),
                evaluate(&parsed, rules, thresholds).unwrap(),
            )
        })
        .collect();
    let strip = |r: &Report| -> Vec<(String, String, String, Vec<String>)> {
        r.findings
            .iter()
            .map(|f| {
                (
                    f.rule.clone(),
                    f.resource.clone(),
                    f.reason.clone(),
                    f.unresolved.clone(),
                )
            })
            .collect()
    };
    let (_, first) = reports.remove(0);
    for (name, other) in &reports {
        assert_eq!(strip(&first), strip(other), "{name} differs from JSON");
        assert_eq!(first.verdict, other.verdict, "{name}");
    }
    first
}

fn report(template: &Value) -> Report {
    report_with(template, &RuleSet::defaults(), &Thresholds::default())
}

/// A template with one security group whose only permission is `permission`.
fn group(permission: Value) -> Value {
    json!({"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": "test", "SecurityGroupIngress": [permission]}}}})
}

fn ssh_from(cidr: Value) -> Value {
    group(json!({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": cidr}))
}

fn with_parameters(mut template: Value, parameters: Value) -> Value {
    template["Parameters"] = parameters;
    template
}

fn ssh_finding(report: &Report) -> &Finding {
    report
        .findings
        .iter()
        .find(|f| f.rule == "SSHOpenToWorld")
        .unwrap_or_else(|| panic!("no SSHOpenToWorld finding: {:?}", report.findings))
}

/// The SSH rule is an unresolved finding naming `what`, and the template is
/// flagged for a person.
fn assert_unresolved(template: &Value, what: &str) {
    let report = report(template);
    let ssh = ssh_finding(&report);
    assert!(
        ssh.unresolved.iter().any(|u| u.contains(what)),
        "expected an unresolved finding naming {what:?}: {ssh:?}"
    );
    assert_eq!(report.verdict, Verdict::Flagged, "{:?}", report.findings);
    assert_eq!(report.risk, 0);
    // What CloudFormation adds (Fn::Transform) is also said on the template.
    let unseen = report.findings.iter().filter(|f| f.rule == UNSEEN).count() as u64;
    assert_eq!(unseen > 0, template.to_string().contains("Fn::Transform"));
    assert_eq!(report.unresolved_risk, 200 + unseen * UNSEEN_RISK);
}

fn assert_open(template: &Value) {
    let report = report(template);
    let ssh = ssh_finding(&report);
    assert!(ssh.unresolved.is_empty(), "{ssh:?}");
    assert_eq!(report.verdict, Verdict::Fail);
}

#[test]
fn what_depends_on_the_deployed_stack_is_unresolved_and_named() {
    let cases = [
        (json!({"Ref": "Cidr"}), "parameter Cidr has no Default"),
        (
            json!({"Fn::ImportValue": "shared-cidr"}),
            "Fn::ImportValue shared-cidr",
        ),
        (
            json!({"Fn::GetAtt": ["Vpc", "CidrBlock"]}),
            "Fn::GetAtt Vpc.CidrBlock",
        ),
        (
            json!({"Fn::Sub": "${Vpc.CidrBlock}"}),
            "Fn::GetAtt Vpc.CidrBlock",
        ),
        (
            json!({"Ref": "AWS::StackName"}),
            "pseudo parameter AWS::StackName",
        ),
        (json!({"Ref": "Sg"}), "Ref Sg (the id of a resource"),
        (
            json!({"Ref": "Nowhere"}),
            "Ref Nowhere (not a parameter or resource",
        ),
        (json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]}), "Fn::GetAZs"),
        (json!({"Fn::Base64": "0.0.0.0/0"}), "Fn::Base64 0.0.0.0/0"),
        (json!({"Fn::Transform": {"Name": "Macro"}}), "Fn::Transform"),
        (
            json!({"Fn::Join": ["", ["10.", {"Ref": "Cidr"}]]}),
            "parameter Cidr has no Default",
        ),
    ];
    let parameters = json!({"Cidr": {"Type": "String"}});
    for (cidr, what) in cases {
        eprintln!("CidrIp: {cidr}");
        assert_unresolved(&with_parameters(ssh_from(cidr), parameters.clone()), what);
    }
}

#[test]
fn an_ssm_parameter_is_never_its_default() {
    let template = with_parameters(
        ssh_from(json!({"Ref": "Cidr"})),
        json!({"Cidr": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "0.0.0.0/0"}}),
    );
    // Its Default is the name of the SSM parameter: even one that reads
    // like an open CIDR is not the value.
    assert_unresolved(&template, "parameter Cidr (an SSM parameter");
}

#[test]
fn an_open_allowed_value_is_unresolved_and_named() {
    let closed_default = with_parameters(
        ssh_from(json!({"Ref": "Cidr"})),
        json!({"Cidr": {"Type": "String", "Default": "10.0.0.0/8",
                         "AllowedValues": ["10.0.0.0/8", "0.0.0.0/0"]}}),
    );
    assert_unresolved(
        &closed_default,
        "parameter Cidr may be set to 0.0.0.0/0, one of its AllowedValues",
    );
    let no_default = with_parameters(
        ssh_from(json!({"Ref": "Cidr"})),
        json!({"Cidr": {"Type": "String", "AllowedValues": ["10.0.0.0/8", "::/0"]}}),
    );
    let ipv6 = report(&with_parameters(
        group(
            json!({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": {"Ref": "Cidr"}}),
        ),
        no_default["Parameters"].clone(),
    ));
    assert_eq!(
        ssh_finding(&ipv6).unresolved,
        ["parameter Cidr has no Default; ::/0 is one of its AllowedValues"]
    );
    // Closed allowed values and a closed default: nothing to report.
    let closed = with_parameters(
        ssh_from(json!({"Ref": "Cidr"})),
        json!({"Cidr": {"Type": "String", "Default": "10.0.0.0/8",
                         "AllowedValues": ["10.0.0.0/8", "192.168.0.0/16"]}}),
    );
    assert!(report(&closed).findings.is_empty());
}

#[test]
fn a_known_prefix_length_of_zero_is_open_whatever_the_address() {
    let parameters = json!({"Ip": {"Type": "String"}});
    for cidr in [
        json!({"Fn::Sub": "${Ip}/0"}),
        json!({"Fn::Join": ["/", [{"Ref": "Ip"}, "0"]]}),
        json!({"Fn::Sub": ["${Address}/0", {"Address": {"Fn::ImportValue": "ip"}}]}),
    ] {
        assert_open(&with_parameters(ssh_from(cidr), parameters.clone()));
    }
    // A known prefix length that is not 0 is not open on its own.
    let eight = report(&with_parameters(
        ssh_from(json!({"Fn::Sub": "${Ip}/8"})),
        parameters,
    ));
    assert!(eight.findings.is_empty(), "{:?}", eight.findings);
}

#[test]
fn every_alternative_is_looked_at() {
    // 65 entries selected by region: the last is open. (Past 64
    // alternatives, the engine used to drop the rest without a word.)
    let mut entries = serde_json::Map::new();
    for i in 0..64 {
        entries.insert(format!("region-{i}"), json!({"Ssh": "10.0.0.0/8"}));
    }
    entries.insert("last".into(), json!({"Ssh": "0.0.0.0/0"}));
    let mut template = ssh_from(json!({"Fn::FindInMap": ["Cidrs", {"Ref": "AWS::Region"}, "Ssh"]}));
    template["Mappings"] = json!({"Cidrs": entries});
    assert_open(&template);

    // Fn::Select with an index that cannot be known: every item.
    let parameters = json!({"I": {"Type": "Number"}});
    assert_open(&with_parameters(
        ssh_from(json!({"Fn::Select": [{"Ref": "I"}, ["10.0.0.0/8", "0.0.0.0/0"]]})),
        parameters,
    ));
    // Computed lists: Fn::Cidr with 32 host bits is the whole internet.
    assert_open(&ssh_from(
        json!({"Fn::Select": [0, {"Fn::Cidr": ["0.0.0.0/0", 1, 32]}]}),
    ));
    assert_open(&ssh_from(
        json!({"Fn::Select": [1, {"Fn::Split": [",", "10.0.0.0/8,0.0.0.0/0"]}]}),
    ));
}

#[test]
fn combinations_past_the_cap_are_unresolved_not_dropped() {
    // Seven Fn::Ifs joined: 128 alternatives, past the 64 worked out.
    let pieces: Vec<Value> = (0..7).map(|_| json!({"Fn::If": ["C", "0", "1"]})).collect();
    let mut template = ssh_from(json!({"Fn::Join": ["", pieces]}));
    template["Conditions"] = json!({"C": {"Fn::Equals": ["a", "b"]}});
    assert_unresolved(&template, "a value with more than 64 alternatives");

    // Text past 1 024 bytes keeps only its end.
    let long = "1".repeat(2_000);
    assert_unresolved(
        &ssh_from(json!({"Fn::Join": ["", [long, ".0"]]})),
        "longer than 1024 bytes",
    );
    // Its end can still be known to be open.
    assert_open(&ssh_from(
        json!({"Fn::Join": ["", ["1".repeat(2_000), "/0"]]}),
    ));
}

#[test]
fn a_value_that_refers_to_itself_is_unresolved() {
    let mut template = ssh_from(json!({"Fn::FindInMap": ["M", "k", "a"]}));
    template["Mappings"] = json!({"M": {"k": {"a": {"Fn::FindInMap": ["M", "k", "a"]}}}});
    assert_unresolved(&template, "a value that refers to itself");
}

#[test]
fn protocols_and_ports_that_cannot_be_worked_out() {
    let parameters = json!({"P": {"Type": "String"}});
    // The protocol does not matter to IngressOpenToWorld: it fires.
    let template = with_parameters(
        group(
            json!({"IpProtocol": {"Ref": "P"}, "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}),
        ),
        parameters.clone(),
    );
    let protocol = report(&template);
    let [all, ssh] = &protocol.findings[..] else {
        panic!("{:?}", protocol.findings);
    };
    assert_eq!(
        (all.rule.as_str(), all.is_unresolved()),
        ("IngressOpenToWorld", false)
    );
    assert_eq!(
        (ssh.rule.as_str(), ssh.unresolved.as_slice()),
        (
            "SSHOpenToWorld",
            &["parameter P has no Default".to_string()][..]
        )
    );
    assert_eq!(protocol.verdict, Verdict::Fail);

    let ports = with_parameters(
        group(
            json!({"IpProtocol": "tcp", "FromPort": {"Ref": "P"}, "ToPort": 22, "CidrIp": "0.0.0.0/0"}),
        ),
        parameters,
    );
    let by_ports = report(&ports);
    assert!(!by_ports.findings[0].is_unresolved());
    assert!(by_ports.findings[1].is_unresolved());
}

#[test]
fn permissions_and_sources_that_cannot_be_worked_out() {
    // An entry of the list that is not known may be any permission.
    let template = json!({"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": "x", "SecurityGroupIngress": [{"Fn::ImportValue": "rules"}]}}}});
    let unknown_item = report(&template);
    assert_eq!(unknown_item.findings.len(), 2);
    assert!(unknown_item.findings.iter().all(Finding::is_unresolved));
    assert_eq!(unknown_item.verdict, Verdict::Flagged);

    // A prefix list the template does not define may hold anything.
    assert_unresolved(
        &group(json!({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                      "SourcePrefixListId": "pl-0123456789abcdef0"})),
        "prefix list pl-0123456789abcdef0",
    );
    // One it defines is read.
    let mut template = group(json!({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                    "SourcePrefixListId": {"Ref": "Office"}}));
    template["Resources"]["Office"] = json!({"Type": "AWS::EC2::PrefixList", "Properties": {
        "AddressFamily": "IPv4", "MaxEntries": 2, "PrefixListName": "office",
        "Entries": [{"Cidr": "10.0.0.0/8"}, {"Cidr": "0.0.0.0/0"}]}});
    let defined = report(&template);
    assert_eq!(
        ssh_finding(&defined).reason,
        "SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 (entry of prefix list Office)"
    );
}

#[test]
fn forbidden_amis_that_cannot_be_worked_out() {
    let rules = RuleSet::from_items([RuleItem {
        rule: Some("OldAmi".into()),
        category: Some("EC2Instance".into()),
        ruletype: Some("forbidden-ami".into()),
        ruledata: Some("ami-7a11e211".into()),
        riskvalue: Some(10.into()),
        active: Some("Y".into()),
        ..RuleItem::default()
    }]);
    let template = json!({
        "Parameters": {
            "Latest": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                       "Default": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"},
            "Pinned": {"Type": "String", "Default": "ami-0123456789abcdef0",
                       "AllowedValues": ["ami-0123456789abcdef0", "ami-7a11e211"]}},
        "Resources": {
            "FromSsm": {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": {"Ref": "Latest"}}},
            "Allowed": {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": {"Ref": "Pinned"}}},
            "Fine": {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-0123456789abcdef0"}}}});
    let report = report_with(&template, &rules, &Thresholds::default());
    // Sorted: `json!` keeps keys in order only when some dependency turns
    // on serde_json's preserve_order (the AWS SDK does, in a workspace build).
    let mut found: Vec<(&str, &[String])> = report
        .findings
        .iter()
        .map(|f| (f.resource.as_str(), f.unresolved.as_slice()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "Allowed",
                &["parameter Pinned may be set to ami-7a11e211, one of its AllowedValues".to_string()][..]
            ),
            (
                "FromSsm",
                &["parameter Latest (an SSM parameter: its Default names the parameter, not the value)".to_string()][..]
            ),
        ]
    );
}

/// One unresolved SSH finding (risk 100) and one resolved finding of risk
/// `resolved_risk`, under each policy.
#[test]
fn the_policy_decides_what_unresolved_findings_do() {
    let rules = |resolved_risk: u64| {
        RuleSet::from_items(
            serde_json::from_value::<Vec<RuleItem>>(json!([
                {"rule": "Ssh", "category": "SecurityGroup", "ruletype": "open-ingress",
                 "ruledata": "tcp:22", "riskvalue": 100, "active": "Y"},
                {"rule": "Https", "category": "SecurityGroup", "ruletype": "open-ingress",
                 "ruledata": "tcp:443", "riskvalue": resolved_risk, "active": "Y"},
            ]))
            .unwrap(),
        )
    };
    let template = json!({"Parameters": {"Cidr": {"Type": "String"}},
        "Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "x", "SecurityGroupIngress": [
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Ref": "Cidr"}},
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}]}}}});
    let verdict = |resolved_risk: u64, policy: UnresolvedPolicy| {
        let thresholds = Thresholds::default().with_unresolved(policy);
        let r = report_with(&template, &rules(resolved_risk), &thresholds);
        assert_eq!(r.unresolved_count(), 1);
        assert_eq!(r.unresolved_risk, 100);
        assert_eq!(r.unresolved_policy, policy);
        (r.verdict, r.risk)
    };
    use UnresolvedPolicy::{Fail, Flag, Pass};
    // Nothing else: pass shows it, flag asks a person, fail counts it.
    assert_eq!(verdict(0, Pass), (Verdict::Pass, 0));
    assert_eq!(verdict(0, Flag), (Verdict::Flagged, 0));
    assert_eq!(verdict(0, Fail), (Verdict::Fail, 100));
    // A resolved fail still fails; a resolved flag stays flagged.
    assert_eq!(verdict(60, Flag), (Verdict::Fail, 60));
    assert_eq!(verdict(60, Pass), (Verdict::Fail, 60));
    assert_eq!(verdict(10, Flag), (Verdict::Flagged, 10));
    assert_eq!(verdict(10, Pass), (Verdict::Flagged, 10));

    // A suppressed unresolved finding does nothing, and is counted as suppressed.
    let mut suppressed = template.clone();
    suppressed["Resources"]["Sg"]["Metadata"] = json!({"cicd": {"suppress": [{"rule": "Ssh", "reason": "the deployer passes a VPN range"}]}});
    let r = report_with(&suppressed, &rules(0), &Thresholds::default());
    assert_eq!(
        (r.verdict, r.unresolved_count(), r.suppressed_count()),
        (Verdict::Pass, 0, 1)
    );
}

#[test]
fn policies_are_read_as_written() {
    for (text, policy) in [
        ("pass", UnresolvedPolicy::Pass),
        ("FLAG", UnresolvedPolicy::Flag),
        (" fail ", UnresolvedPolicy::Fail),
    ] {
        assert_eq!(text.parse::<UnresolvedPolicy>(), Ok(policy));
        assert_eq!(policy.as_str(), text.trim().to_ascii_lowercase());
    }
    assert_eq!(
        "maybe".parse::<UnresolvedPolicy>().unwrap_err(),
        "\"maybe\" is not an unresolved-findings policy (expected pass, flag or fail)"
    );
    assert_eq!(Thresholds::default().unresolved(), UnresolvedPolicy::Flag);
    // Reports written before the field existed read as resolved findings.
    let old: Finding = serde_json::from_value(json!({"rule": "R", "resource": "A", "line": 2,
        "risk": 1, "reason": "r", "suppressed": false, "resource_type": "T"}))
    .unwrap();
    assert!(!old.is_unresolved());
}

#[test]
fn a_vpc_cidr_the_template_writes_is_resolved_not_unresolved() {
    let with_vpc = |vpc_cidr: Value| {
        let mut template = ssh_from(json!({"Fn::GetAtt": ["Vpc", "CidrBlock"]}));
        template["Resources"]["Vpc"] =
            json!({"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": vpc_cidr}});
        template
    };
    // The VPC's own range: no finding, where it used to flag the template.
    let report = report(&with_vpc(json!("10.0.0.0/16")));
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert_eq!(report.verdict, Verdict::Pass);
    // Through a parameter's Default, in `Fn::Sub` too.
    let open = with_parameters(
        with_vpc(json!({"Ref": "Cidr"})),
        json!({"Cidr": {"Type": "String", "Default": "0.0.0.0/0"}}),
    );
    assert_open(&open);
    let mut sub = open.clone();
    sub["Resources"]["Sg"]["Properties"]["SecurityGroupIngress"][0]["CidrIp"] =
        json!({"Fn::Sub": "${Vpc.CidrBlock}"});
    assert_open(&sub);
    // A VPC whose range IPAM chooses is still not known.
    let mut ipam = with_vpc(json!("10.0.0.0/16"));
    ipam["Resources"]["Vpc"]["Properties"] =
        json!({"Ipv4IpamPoolId": "ipam-pool-1", "Ipv4NetmaskLength": 16});
    assert_unresolved(&ipam, "Fn::GetAtt Vpc.CidrBlock");
}
