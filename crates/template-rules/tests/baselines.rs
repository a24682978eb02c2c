//! Fingerprints and baselines (issue 21): a template compared with an
//! earlier version of itself adds nothing when it was only rewritten, and
//! exactly the findings of what changed when it changed.
//!
//! Generated templates (security groups with inline and standalone
//! ingress, instances, buckets; parameters, `Fn::If`, suppressions) are
//! evaluated with native rules of every kind and a guard item, then:
//!
//! - rewritten: keys and resources in another order, ingress entries
//!   shuffled, JSON written as YAML (long or short forms) or the other way
//!   round: every finding is existing, none absent, the verdict passes;
//! - changed: one more port opened on a group, one more resource with
//!   findings, a property a rule reads changed: the new findings are
//!   exactly those of the changed resource the oracle below names, the
//!   absent ones exactly those it lost, everything else existing; and a
//!   property no rule reads changed: nothing new.
//!
//! The oracles say which (rule, resource) pairs change from the rule's
//! data and the change made, not from fingerprints.
//!
//! `PROPTEST_CASES` changes the number of cases (256 by default).

mod support;

use std::collections::BTreeSet;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};
use support::emit::{STYLES, render};
use template_rules::{
    Baseline, BaselineError, BaselinePolicy, BaselineState, Finding, Report, RuleItem, RuleSet,
    Template, Thresholds, Verdict, evaluate, evaluate_against, fingerprint,
};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// --- Rules --------------------------------------------------------------------

/// An open-ingress rule: its id, its ruledata, and the tcp ports it is
/// about (`None`: all).
type PortRule = (&'static str, &'static str, Option<(u16, u16)>);

/// The open-ingress rules.
const PORT_RULES: &[PortRule] = &[
    ("IngressOpenToWorld", "all", None),
    ("SSHOpenToWorld", "tcp:22", Some((22, 22))),
    ("AllowHttp", "tcp:80", Some((80, 80))),
    ("Rdp", "tcp:3389", Some((3389, 3389))),
    ("HighPorts", "tcp:8000-8999", Some((8000, 8999))),
    ("Dns", "udp:53", Some((0, 0))),
];

/// Whether the open-ingress rule `rule` fires on tcp `port`.
fn covers(rule: &str, port: u16) -> bool {
    PORT_RULES.iter().any(|(id, data, range)| {
        *id == rule
            && match range {
                None => true,
                Some(_) if data.starts_with("udp") => false,
                Some((from, to)) => (*from..=*to).contains(&port),
            }
    })
}

/// The regex rule: text that names the IPv4 world.
const WORLD_TEXT: &str = "WorldText";

fn rules() -> RuleSet {
    let mut items: Vec<Value> = PORT_RULES
        .iter()
        .map(|(id, data, _)| {
            json!({"rule": id, "category": "SecurityGroup", "ruletype": "open-ingress",
                   "ruledata": data, "riskvalue": 100, "active": "Y"})
        })
        .collect();
    items.extend([
        json!({"rule": "ForbiddenAMIs", "category": "EC2Instance", "ruletype": "forbidden-ami",
               "ruledata": "ami-7a11e211, ami-08111162, ami-f6035893", "riskvalue": 10, "active": "Y"}),
        json!({"rule": WORLD_TEXT, "category": "SecurityGroup", "ruletype": "regex",
               "ruledata": "\"CidrIp\": \"0\\.0\\.0\\.0/0\"", "riskvalue": 1, "active": "Y"}),
        json!({"rule": "Storage", "category": "S3", "ruletype": "guard", "riskvalue": 20, "active": "Y",
               "ruledata": "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]\n\
                            rule BUCKET_VERSIONED when %buckets !empty {\n  %buckets.Properties.VersioningConfiguration.Status == 'Enabled'\n  << versioning must be enabled >>\n}\n\
                            let groups = Resources.*[ Type == 'AWS::EC2::SecurityGroup' ]\n\
                            rule GROUPS_DESCRIBED when %groups !empty {\n  %groups.Properties.GroupDescription exists\n}\n"}),
    ]);
    let rules =
        RuleSet::from_items(serde_json::from_value::<Vec<RuleItem>>(Value::Array(items)).unwrap());
    assert!(rules.errors().is_empty(), "{:?}", rules.errors());
    rules
}

// --- Templates -------------------------------------------------------------------

/// Logical ids of the generated resources ("Target" and "Added" are the
/// tests' own: nothing generated refers to them).
const IDS: &[&str] = &["Web", "Db", "Bastion", "App", "Cache", "Queue", "Logs"];

const PORTS: &[u16] = &[22, 80, 443, 3389, 5432, 8080];

fn port() -> BoxedStrategy<Value> {
    select(PORTS)
        .prop_flat_map(|p| prop_oneof![Just(json!(p)), Just(json!(p.to_string()))])
        .boxed()
}

fn cidr() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => Just(json!("0.0.0.0/0")),
        3 => select(vec!["10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12"]).prop_map(|c| json!(c)),
        1 => Just(json!("0.0.0.0/1")),
        1 => Just(json!("128.0.0.0/1")),
        1 => Just(json!({"Ref": "Cidr"})),
        1 => Just(json!({"Ref": "Unknown"})),
        1 => Just(json!({"Fn::If": ["IsProd", "10.0.0.0/8", "0.0.0.0/0"]})),
        1 => Just(json!({"Fn::Sub": "${Ip}/0"})),
    ]
    .boxed()
}

fn permission() -> BoxedStrategy<Value> {
    (
        select(vec![
            json!("tcp"),
            json!("6"),
            json!(6),
            json!("udp"),
            json!("-1"),
            json!(-1),
        ]),
        port(),
        port(),
        cidr(),
        proptest::option::weighted(0.2, Just(json!("::/0"))),
        proptest::option::weighted(0.3, select(vec!["admin", "from the office", "web"])),
    )
        .prop_map(|(protocol, from, to, cidr, cidr6, description)| {
            // Ports in order, as written: a range the check reads.
            let (from, to) = if number(&from) <= number(&to) {
                (from, to)
            } else {
                (to, from)
            };
            let mut p = Map::new();
            p.insert("IpProtocol".into(), protocol);
            p.insert("FromPort".into(), from);
            p.insert("ToPort".into(), to);
            p.insert("CidrIp".into(), cidr);
            if let Some(c) = cidr6 {
                p.insert("CidrIpv6".into(), c);
            }
            if let Some(d) = description {
                p.insert("Description".into(), json!(d));
            }
            Value::Object(p)
        })
        .boxed()
}

fn number(port: &Value) -> u64 {
    match port {
        Value::Number(n) => n.as_u64().unwrap_or(0),
        Value::String(s) => s.parse().unwrap_or(0),
        _ => 0,
    }
}

fn suppression() -> BoxedStrategy<Value> {
    (
        select(vec![
            "SSHOpenToWorld",
            "IngressOpenToWorld",
            "ForbiddenAMIs",
            "BUCKET_VERSIONED",
        ]),
        select(vec!["cicd", "guard", "cfn_nag", "checkov"]),
    )
        .prop_map(|(rule, style)| match style {
            "cicd" => json!({"cicd": {"suppress": [{"rule": rule, "reason": "accepted"}]}}),
            "guard" => json!({"guard": {"SuppressedRules": [{rule: "accepted"}]}}),
            "cfn_nag" => {
                json!({"cfn_nag": {"rules_to_suppress": [{"id": rule, "reason": "accepted"}]}})
            }
            _ => json!({"checkov": {"skip": [{"id": rule, "comment": "accepted"}]}}),
        })
        .boxed()
}

fn resource() -> BoxedStrategy<Value> {
    let body = prop_oneof![
        5 => (vec(permission(), 0..4), proptest::option::weighted(0.8, Just(json!("a group"))))
            .prop_map(|(ingress, description)| {
                let mut p = Map::new();
                if let Some(d) = description {
                    p.insert("GroupDescription".into(), d);
                }
                p.insert("SecurityGroupIngress".into(), Value::Array(ingress));
                json!({"Type": "AWS::EC2::SecurityGroup", "Properties": p})
            }),
        2 => (permission(), select(IDS), any::<bool>()).prop_map(|(mut p, group, by_ref)| {
            let group = if by_ref { json!({"Ref": group}) } else { json!({"Fn::GetAtt": [group, "GroupId"]}) };
            p["GroupId"] = group;
            json!({"Type": "AWS::EC2::SecurityGroupIngress", "Properties": p})
        }),
        2 => select(vec![json!("ami-7a11e211"), json!("ami-12345678"), json!({"Ref": "Ami"}), json!("ami-f6035893")])
            .prop_map(|ami| json!({"Type": "AWS::EC2::Instance", "Properties": {"ImageId": ami}})),
        1 => select(vec!["Enabled", "Suspended"]).prop_map(|status| {
            json!({"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": status}}})
        }),
    ];
    (body, proptest::option::weighted(0.3, suppression()))
        .prop_map(|(mut resource, metadata)| {
            if let Some(m) = metadata {
                resource["Metadata"] = m;
            }
            resource
        })
        .boxed()
}

fn template() -> BoxedStrategy<Value> {
    btree_map(select(IDS), resource(), 0..6)
        .prop_map(|resources| {
            json!({
                "AWSTemplateFormatVersion": "2010-09-09",
                "Parameters": {
                    "Cidr": {"Type": "String", "Default": "0.0.0.0/0"},
                    "Unknown": {"Type": "String"},
                    "Ami": {"Type": "String", "Default": "ami-08111162"},
                    "Ip": {"Type": "String", "Default": "10.1.2.3"},
                },
                "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "AWS::AccountId"}, "1"]}},
                "Resources": Value::Object(resources.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
            })
        })
        .boxed()
}

// --- Writing it out ---------------------------------------------------------------

/// A small deterministic shuffle, from a seed proptest draws.
struct Shuffle(u64);

impl Shuffle {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }

    fn order<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// The same template in another order: every mapping's keys (resources
/// included), and the entries of every ingress list, which CloudFormation
/// reads as a set.
fn reordered(value: &Value, shuffle: &mut Shuffle, key: Option<&str>) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            shuffle.order(&mut entries);
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), reordered(v, shuffle, Some(k))))
                    .collect(),
            )
        }
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(|v| reordered(v, shuffle, None)).collect();
            if key == Some("SecurityGroupIngress") {
                shuffle.order(&mut items);
            }
            Value::Array(items)
        }
        other => other.clone(),
    }
}

// --- Comparing ---------------------------------------------------------------------

fn report(text: &str) -> Report {
    let template = Template::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    evaluate(&template, &rules(), &Thresholds::default()).unwrap()
}

/// `after` compared with `before` as its baseline.
fn compared(before: &Report, mut after: Report) -> Report {
    let baseline = Baseline::of(before).unwrap();
    after.compare(
        &baseline,
        BaselinePolicy::NewOnly,
        &Thresholds::default(),
        "before",
    );
    after
}

type Pairs = BTreeSet<(String, String)>;

fn pairs<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Pairs {
    findings
        .into_iter()
        .map(|f| (f.rule.clone(), f.resource.clone()))
        .collect()
}

fn new_pairs(report: &Report) -> Pairs {
    pairs(
        report
            .findings
            .iter()
            .filter(|f| f.baseline == Some(BaselineState::New)),
    )
}

fn absent_pairs(report: &Report) -> Pairs {
    pairs(
        report
            .baseline
            .as_ref()
            .map(|b| b.absent.as_slice())
            .unwrap_or_default(),
    )
}

fn on(report: &Report, resource: &str) -> Pairs {
    pairs(report.findings.iter().filter(|f| f.resource == resource))
}

fn with_resource(template: &Value, id: &str, resource: Value, at: usize) -> Value {
    let mut template = template.clone();
    let resources = template["Resources"].as_object().unwrap();
    let mut entries: Vec<(String, Value)> = resources
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let at = at % (entries.len() + 1);
    entries.insert(at, (id.to_string(), resource));
    template["Resources"] = Value::Object(entries.into_iter().collect());
    template
}

fn open(port: u16) -> Value {
    json!({"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "CidrIp": "0.0.0.0/0"})
}

fn group(ingress: Vec<Value>) -> Value {
    json!({"Type": "AWS::EC2::SecurityGroup",
           "Properties": {"GroupDescription": "target", "SecurityGroupIngress": ingress}})
}

fn private() -> BoxedStrategy<Vec<Value>> {
    vec(
        (select(PORTS), select(vec!["10.0.0.0/8", "192.168.0.0/16"])).prop_map(
            |(p, c)| json!({"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "CidrIp": c}),
        ),
        0..3,
    )
    .boxed()
}

proptest! {
    #![proptest_config(config())]

    /// Reformatting, reordering keys, resources and ingress entries, and
    /// converting between JSON and YAML add no finding and lose none.
    #[test]
    fn a_rewritten_template_adds_nothing(
        template in template(),
        seed in any::<u64>(),
        from in select(STYLES.to_vec()),
        to in select(STYLES.to_vec()),
    ) {
        let before = report(&render(&template, from));
        let rewritten = reordered(&template, &mut Shuffle(seed), None);
        let after = compared(&before, report(&render(&rewritten, to)));
        prop_assert_eq!(new_pairs(&after), Pairs::new(), "{:#?}", after.findings);
        prop_assert_eq!(absent_pairs(&after), Pairs::new());
        prop_assert!(after.findings.iter().all(|f| f.is_existing()));
        prop_assert_eq!(after.verdict, Verdict::Pass);
        prop_assert_eq!(after.risk, 0);
        let mut fingerprints: Vec<&str> = before.findings.iter().map(|f| f.fingerprint.as_str()).collect();
        let mut again: Vec<&str> = after.findings.iter().map(|f| f.fingerprint.as_str()).collect();
        fingerprints.sort_unstable();
        again.sort_unstable();
        prop_assert_eq!(fingerprints, again);
        prop_assert!(after.findings.iter().all(|f| fingerprint::is_current(&f.fingerprint)));
    }

    /// One more port open to the world on a group: new are the findings of
    /// the rules about that port on it (and of the regex, when nothing was
    /// open there before); absent, the findings of the rules about both
    /// that port and the one open before, whose evidence changed.
    #[test]
    fn one_more_open_port_gives_exactly_its_findings(
        template in template(),
        others in private(),
        before_open in proptest::option::of(select(PORTS)),
        added in select(PORTS),
        at in any::<usize>(),
        position in any::<usize>(),
        style in select(STYLES.to_vec()),
    ) {
        prop_assume!(before_open != Some(added));
        let mut ingress = others.clone();
        if let Some(q) = before_open {
            ingress.push(open(q));
        }
        let before_template = with_resource(&template, "Target", group(ingress.clone()), at);
        ingress.insert(position % (ingress.len() + 1), open(added));
        let after_template = with_resource(&template, "Target", group(ingress), at);

        let before = report(&render(&before_template, style));
        let after = compared(&before, report(&render(&after_template, style)));

        let rules_on = |port: Option<u16>| -> Pairs {
            PORT_RULES
                .iter()
                .filter(|(id, _, _)| port.is_some_and(|p| covers(id, p)))
                .map(|(id, _, _)| (id.to_string(), "Target".to_string()))
                .collect()
        };
        let mut expected_new = rules_on(Some(added));
        if before_open.is_none() {
            expected_new.insert((WORLD_TEXT.to_string(), "Target".to_string()));
        }
        let expected_absent: Pairs = rules_on(Some(added)).intersection(&rules_on(before_open)).cloned().collect();
        prop_assert_eq!(new_pairs(&after), expected_new, "{:#?}", after.findings);
        prop_assert_eq!(absent_pairs(&after), expected_absent);
        prop_assert_eq!(after.verdict, Verdict::Fail, "a new port open to the world fails");
    }

    /// One more resource with findings: its findings are the new ones,
    /// and only they.
    #[test]
    fn one_more_bad_resource_gives_exactly_its_findings(
        template in template(),
        added in prop_oneof![
            select(vec![22u16, 80, 3389, 8080]).prop_map(|p| group(vec![open(p)])),
            Just(json!({"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-7a11e211"}})),
            Just(json!({"Type": "AWS::S3::Bucket", "Properties": {}})),
        ],
        at in any::<usize>(),
        from in select(STYLES.to_vec()),
        to in select(STYLES.to_vec()),
    ) {
        let before = report(&render(&template, from));
        let after_template = with_resource(&template, "Added", added, at);
        let after = compared(&before, report(&render(&after_template, to)));
        let expected = on(&after, "Added");
        prop_assert!(!expected.is_empty(), "the resource added has findings");
        prop_assert_eq!(new_pairs(&after), expected);
        prop_assert_eq!(absent_pairs(&after), Pairs::new());
        prop_assert!(after.verdict != Verdict::Pass);
    }

    /// A property the rules read changed (an AMI for another forbidden one,
    /// the world's IPv4 address for its IPv6 one, a port for another): the
    /// findings on the resource of the rules that read it are new, the ones
    /// it had absent, the rest existing (the regex about the IPv4 world
    /// does not read ports).
    #[test]
    fn a_changed_target_property_gives_exactly_the_changed_findings(
        template in template(),
        (was, now, unaffected) in prop_oneof![
            Just((
                json!({"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-7a11e211"}}),
                json!({"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-f6035893"}}),
                None,
            )),
            Just((
                json!({"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-7a11e211"}}),
                json!({"Type": "AWS::EC2::Instance", "Properties": {"ImageId": {"Ref": "Ami"}}}),
                None,
            )),
            select(vec![22u16, 80, 3389]).prop_map(|p| (
                group(vec![open(p)]),
                group(vec![json!({"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "CidrIpv6": "::/0"})]),
                None,
            )),
            Just((group(vec![open(22)]), group(vec![open(3389)]), Some(WORLD_TEXT))),
        ],
        at in any::<usize>(),
        style in select(STYLES.to_vec()),
    ) {
        let before = report(&render(&with_resource(&template, "Target", was, at), style));
        let after = compared(&before, report(&render(&with_resource(&template, "Target", now, at), style)));
        prop_assert!(!on(&before, "Target").is_empty());
        let reading = |pairs: Pairs| -> Pairs {
            pairs.into_iter().filter(|(rule, _)| Some(rule.as_str()) != unaffected).collect()
        };
        prop_assert_eq!(new_pairs(&after), reading(on(&after, "Target")), "{:#?}", after.findings);
        prop_assert_eq!(absent_pairs(&after), reading(on(&before, "Target")));
    }

    /// A property no rule reads changed (tags, an ingress entry's
    /// description): nothing is new.
    #[test]
    fn a_property_no_rule_reads_changes_nothing(
        template in template(),
        port in select(PORTS),
        description in select(vec!["ssh", "office", "vpn"]),
        at in any::<usize>(),
        style in select(STYLES.to_vec()),
    ) {
        let was = group(vec![open(port)]);
        let mut now = was.clone();
        now["Properties"]["SecurityGroupIngress"][0]["Description"] = json!(description);
        now["Properties"]["Tags"] = json!([{"Key": "team", "Value": description}]);
        let before = report(&render(&with_resource(&template, "Target", was, at), style));
        let after = compared(&before, report(&render(&with_resource(&template, "Target", now, at), style)));
        prop_assert_eq!(new_pairs(&after), Pairs::new());
        prop_assert_eq!(absent_pairs(&after), Pairs::new());
    }
}

// --- The comparison itself ----------------------------------------------------------

const OPEN_SSH: &str = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
";

#[test]
fn existing_findings_are_shown_and_counted_apart_and_count_only_under_count() {
    let before = report(OPEN_SSH);
    assert_eq!(before.verdict, Verdict::Fail);
    let same = compared(&before, report(OPEN_SSH));
    assert_eq!(same.verdict, Verdict::Pass);
    assert_eq!(
        (same.new_count(), same.existing_count()),
        (0, before.findings.len())
    );
    assert_eq!(
        same.active_findings().count(),
        0,
        "existing ones are not counted"
    );
    let summary = same.baseline.as_ref().unwrap();
    assert_eq!(
        (summary.new, summary.existing, summary.policy),
        (0, 3, BaselinePolicy::NewOnly)
    );

    let mut counted = report(OPEN_SSH);
    counted.compare(
        &Baseline::of(&before).unwrap(),
        BaselinePolicy::Count,
        &Thresholds::default(),
        "before",
    );
    assert_eq!(counted.verdict, Verdict::Fail);
    assert_eq!(counted.risk, before.risk);
    assert!(counted.findings.iter().all(Finding::is_existing));
    assert_eq!(counted.active_findings().count(), 3);

    // In JSON: each finding's state, and the summary.
    let json = serde_json::to_value(&same).unwrap();
    assert_eq!(json["findings"][0]["baseline"], "existing");
    assert!(fingerprint::is_current(
        json["findings"][0]["fingerprint"].as_str().unwrap()
    ));
    assert_eq!(json["baseline"]["policy"], "new-only");
    assert_eq!(json["baseline"]["existing"], 3);
    // Without a baseline, neither is written.
    let plain = serde_json::to_value(&before).unwrap();
    assert!(plain.get("baseline").is_none());
    assert!(plain["findings"][0].get("baseline").is_none());
}

#[test]
fn a_baseline_finding_matches_one_finding_only() {
    // Two groups open alike: one of them in the baseline.
    let one = report(OPEN_SSH);
    let two = format!(
        "{OPEN_SSH}  Sg2:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: ssh\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}}\n"
    );
    let compared = compared(&one, report(&two));
    assert_eq!(
        new_pairs(&compared),
        on(&compared, "Sg2"),
        "another resource's finding is never existing"
    );
    // The same fingerprint twice in the baseline, once now: one absent.
    let mut doubled = one.clone();
    doubled.findings.extend(one.findings.clone());
    let compared = self::compared(&doubled, report(OPEN_SSH));
    assert!(compared.findings.iter().all(Finding::is_existing));
    assert_eq!(compared.baseline.unwrap().absent.len(), one.findings.len());
}

#[test]
fn a_baseline_without_fingerprints_of_this_version_is_refused() {
    let mut old = report(OPEN_SSH);
    old.findings[0].fingerprint.clear();
    assert!(matches!(
        Baseline::of(&old),
        Err(BaselineError::NoFingerprint { .. })
    ));
    old.findings[0].fingerprint = "v0:0123".to_string();
    let error = Baseline::of(&old).unwrap_err();
    assert!(matches!(error, BaselineError::OtherVersion { .. }));
    assert!(
        error.to_string().contains("not of this version (v1)"),
        "{error}"
    );
    assert_eq!(Baseline::empty().findings().len(), 0);
}

#[test]
fn a_finding_whose_suppression_expired_is_always_new() {
    let suppressed = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Metadata:
      cicd:
        suppress:
          - {rule: SSHOpenToWorld, reason: until the VPN is up, expires: '2020-01-31', owner: net-team}
    Properties:
      GroupDescription: ssh
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
";
    let before = report(OPEN_SSH);
    let after = compared(&before, report(suppressed));
    let ssh = after
        .findings
        .iter()
        .find(|f| f.rule == "SSHOpenToWorld")
        .unwrap();
    assert!(!ssh.suppressed);
    assert_eq!(
        ssh.suppression_expired.as_deref(),
        Some("the suppression (until the VPN is up) expired on 2020-01-31, owner: net-team")
    );
    assert_eq!(ssh.baseline, Some(BaselineState::New));
    assert_eq!(
        after.verdict,
        Verdict::Fail,
        "an expired deadline is not carried over"
    );
}

#[test]
fn two_templates_compare_in_one_call() {
    let rules = rules();
    let before = Template::parse(OPEN_SSH.as_bytes()).unwrap();
    let now_text = OPEN_SSH.replace("ToPort: 22, CidrIp", "ToPort: 22, CidrIpv6: '::/0', CidrIp");
    let now = Template::parse(now_text.as_bytes()).unwrap();
    let options = template_rules::EvaluateOptions::default();
    let report = evaluate_against(
        &now,
        Some(&before),
        &rules,
        &Thresholds::default(),
        &options,
        BaselinePolicy::NewOnly,
        "stack prod",
    )
    .unwrap();
    assert_eq!(report.baseline.as_ref().unwrap().against, "stack prod");
    // IPv6 added: the rules about port 22 now have more evidence; the
    // regex about the IPv4 world still has the same.
    assert_eq!(
        new_pairs(&report),
        ["IngressOpenToWorld", "SSHOpenToWorld"]
            .iter()
            .map(|r| (r.to_string(), "Sg".to_string()))
            .collect()
    );
    assert_eq!(report.verdict, Verdict::Fail);
    // No baseline template: everything is new.
    let fresh = evaluate_against(
        &now,
        None,
        &rules,
        &Thresholds::default(),
        &options,
        BaselinePolicy::NewOnly,
        "none",
    )
    .unwrap();
    assert_eq!(fresh.new_count(), fresh.findings.len());
}

/// Findings on resources a `Fn::ForEach` loop makes are told apart by the
/// id the loop gave each; the loop's own name is not part of them.
#[test]
fn resources_a_loop_makes_are_told_apart_by_their_ids() {
    let looped = |name: &str, items: &str| {
        format!(
            "Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::{name}:
    - Env
    - [{items}]
    - ${{Env}}Sg:
        Type: AWS::EC2::SecurityGroup
        Properties:
          GroupDescription: !Ref Env
          SecurityGroupIngress:
            - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}}
"
        )
    };
    let before = report(&looped("Groups", "Dev, Prod"));
    let dev: Vec<&Finding> = before
        .findings
        .iter()
        .filter(|f| f.resource == "DevSg")
        .collect();
    let prod: Vec<&Finding> = before
        .findings
        .iter()
        .filter(|f| f.resource == "ProdSg")
        .collect();
    assert!(!dev.is_empty());
    assert!(
        dev.iter()
            .all(|d| prod.iter().all(|p| d.fingerprint != p.fingerprint))
    );
    let renamed = compared(&before, report(&looped("OpenGroups", "Dev, Prod")));
    assert_eq!(
        new_pairs(&renamed),
        Pairs::new(),
        "the loop's name is not evidence"
    );
    let more = compared(&before, report(&looped("Groups", "Dev, Prod, Test")));
    assert_eq!(new_pairs(&more), on(&more, "TestSg"));
}
