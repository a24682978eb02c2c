//! Properties of the parser and the rule engine, on generated input.
//!
//! Two kinds of input: anything at all (bytes, text, JSON values), which
//! must never make the parser or the engine panic; and structurally
//! plausible CloudFormation templates — security groups, standalone
//! ingress and egress, instances, launch templates and others, with
//! permissions drawn from the values that matter (world CIDRs written many
//! ways, ports as numbers, strings, -1 and out of range, protocols by name
//! and number) and with intrinsics (`Ref` to parameters with and without
//! defaults, `Fn::If`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`,
//! `Fn::FindInMap`, `Fn::GetAtt`) and suppressions. Each generated template
//! is written as JSON (pretty and compact) and as block-style YAML (long
//! forms, and short-form tags such as `!Ref` and `!If`) by the small
//! emitter below, and every rendering must give the same findings.
//!
//! Rule kinds come from the registry (`template_rules::kinds::KINDS`): each
//! kind's example is checked (it fires where it should, in every syntax,
//! and its finding can be suppressed), and random rule sets and templates
//! draw on every kind's example. A kind added to the registry is covered
//! here without a change to this file.
//!
//! `PROPTEST_CASES` changes the number of cases (256 by default).

mod support;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Number, Value, json};
use template_rules::guard::{TEMPLATE, TEMPLATE_TYPE, guard_json};
use template_rules::kinds::KINDS;
use template_rules::{
    Finding, Report, RuleItem, RuleKind, RuleSet, Template, Thresholds, UnresolvedPolicy, Verdict,
    evaluate,
};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256),
        // Failures worth keeping become named tests in regressions.rs.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// --- Values that matter -------------------------------------------------------

const CIDRS: &[&str] = &[
    "0.0.0.0/0",
    "1.0.0.0/0",
    " 0.0.0.0/0 ",
    "00.0.0.0/0",
    "0.0.0.0/00",
    "255.255.255.255/0",
    "::/0",
    "0000::/0",
    "2001:db8::/0",
    "10.0.0.0/8",
    "0.0.0.0/1",
    "192.168.1.1/32",
    "::/1",
    "2001:db8::/32",
    "256.0.0.0/0",
    "not-a-cidr/0",
    "0.0.0.0/",
    "0.0.0.0",
    "/0",
    "",
];

fn ports() -> Vec<Value> {
    vec![
        json!(-1),
        json!(0),
        json!(22),
        json!(80),
        json!(443),
        json!(8080),
        json!(65535),
        json!(65536),
        json!(70000),
        json!(-5),
        json!(i64::MIN),
        json!(i64::MAX),
        json!(u64::MAX),
        json!("22"),
        json!(" 80 "),
        json!("-1"),
        json!("x"),
        json!(""),
        json!(22.0),
        json!(-0.0),
        Value::Null,
        json!(true),
    ]
}

fn protocols() -> Vec<Value> {
    vec![
        json!("tcp"),
        json!("udp"),
        json!("icmp"),
        json!("icmpv6"),
        json!("-1"),
        json!(-1),
        json!(6),
        json!("6"),
        json!("17"),
        json!(17),
        json!(1),
        json!("58"),
        json!("TCP"),
        json!("Udp"),
        json!("all"),
        json!("junk"),
        json!(""),
        json!(256),
        json!("255"),
        json!(6.0),
        Value::Null,
    ]
}

fn amis() -> Vec<Value> {
    vec![
        json!("ami-7a11e211"),
        json!("AMI-08111162"),
        json!(" ami-f6035893 "),
        json!("ami-12345678"),
        json!("ami-7a11e2111"),
        json!(""),
        json!(5),
    ]
}

fn texts() -> Vec<Value> {
    vec![
        json!("web"),
        json!("open 0.0.0.0/0 in a description"),
        json!("tcp 22"),
        json!("ünïcödé ✓ 🚀"),
        json!("line\nbreak\r\n"),
        json!("quote\" and \\ backslash"),
        json!("#hash"),
        json!("- dash"),
        json!(": colon"),
        json!("!Ref x"),
        json!("${P0}"),
        json!("null"),
        json!("true"),
        json!("0x1F"),
        json!("1e3"),
        json!("~"),
        json!(""),
        json!("\t"),
        json!("\u{7f}\u{85}\u{a0}\u{2028}\u{feff}\u{0}"),
        json!("*alias &anchor"),
    ]
}

/// What a field holds; decides which literals are drawn for it.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Cidr,
    Port,
    Protocol,
    Ami,
    Text,
}

fn literals(kind: Kind) -> Vec<Value> {
    match kind {
        Kind::Cidr => CIDRS.iter().map(|c| json!(c)).collect(),
        Kind::Port => ports(),
        Kind::Protocol => protocols(),
        Kind::Ami => amis(),
        Kind::Text => texts(),
    }
}

fn any_literal() -> Vec<Value> {
    let mut all = Vec::new();
    for kind in [
        Kind::Cidr,
        Kind::Port,
        Kind::Protocol,
        Kind::Ami,
        Kind::Text,
    ] {
        all.extend(literals(kind));
    }
    // Comma-delimited list defaults, for Fn::Select and Fn::Join over a Ref.
    all.extend([
        json!("22,80,443"),
        json!("0.0.0.0/0,10.0.0.0/8"),
        json!("tcp, udp"),
        json!("ami-7a11e211,ami-12345678"),
    ]);
    all
}

/// Parameters P0..P3 may be declared (with or without a default); P4 never is.
const PARAMETERS: &[&str] = &["P0", "P1", "P2", "P3", "P4", "AWS::Region", "AWS::NoValue"];
const CONDITIONS: &[&str] = &["IsProd", "HasVpn"];
const MAPS: &[&str] = &["M0", "M1", "M9"];
const TOP_KEYS: &[&str] = &["k0", "k1", "kx"];
const SECOND_KEYS: &[&str] = &["a", "b", "z"];
const RESOURCE_IDS: &[&str] = &[
    "Sg0", "Sg1", "Ingress0", "Egress0", "Web", "Host", "Lt", "Lc", "Bucket", "A", "b2", "Z9",
];

fn reference() -> BoxedStrategy<Value> {
    select(PARAMETERS).prop_map(|p| json!({"Ref": p})).boxed()
}

/// A key for Fn::FindInMap: one that is there, one that is not, or one
/// that depends on the stack.
fn map_key(keys: &'static [&'static str]) -> BoxedStrategy<Value> {
    prop_oneof![
        4 => select(keys).prop_map(|k| json!(k)),
        1 => Just(json!({"Ref": "AWS::Region"})),
        1 => Just(json!({"Ref": "P0"})),
    ]
    .boxed()
}

fn find_in_map() -> BoxedStrategy<Value> {
    (
        prop_oneof![4 => select(MAPS).prop_map(|m| json!(m)), 1 => Just(json!({"Ref": "P1"}))],
        map_key(TOP_KEYS),
        map_key(SECOND_KEYS),
        proptest::option::weighted(0.2, select(any_literal())),
    )
        .prop_map(|(map, top, second, default)| {
            let mut args = vec![map, top, second];
            if let Some(default) = default {
                args.push(json!({"DefaultValue": default}));
            }
            json!({"Fn::FindInMap": args})
        })
        .boxed()
}

const SUB_PATTERNS: &[&str] = &[
    "${P0}",
    "${P1}/0",
    "0.0.0.0/${P2}",
    "${Var}",
    "${Var}/0",
    "${Var}${P3}",
    "${!Literal}",
    "${Sg0.GroupId}",
    "${AWS::Region}",
    "plain",
    "${unterminated",
    "${}",
];

/// A value of `kind`, possibly computed by intrinsics `depth` deep.
fn field(kind: Kind, depth: u32) -> BoxedStrategy<Value> {
    let literal = select(literals(kind)).boxed();
    if depth == 0 {
        return literal;
    }
    let inner = field(kind, depth - 1);
    prop_oneof![
        16 => literal,
        2 => reference(),
        2 => (select(CONDITIONS), inner.clone(), inner.clone())
            .prop_map(|(c, yes, no)| json!({"Fn::If": [c, yes, no]})),
        1 => select(SUB_PATTERNS).prop_map(|p| json!({"Fn::Sub": p})),
        1 => (select(SUB_PATTERNS), inner.clone())
            .prop_map(|(p, var)| json!({"Fn::Sub": [p, {"Var": var}]})),
        1 => (select(vec![",", "/", ""]), vec(inner.clone(), 0..3))
            .prop_map(|(d, parts)| json!({"Fn::Join": [d, parts]})),
        1 => Just(json!({"Fn::Join": ["/", ["0.0.0.0", "0"]]})),
        1 => (select(vec![json!(0), json!(1), json!("0"), json!(5), json!(-1), json!("x")]), prop_oneof![
                vec(inner.clone(), 0..3).prop_map(Value::Array),
                inner.clone().prop_map(|s| json!({"Fn::Split": [",", s]})),
                select(PARAMETERS).prop_map(|p| json!({"Ref": p})),
            ])
            .prop_map(|(i, list)| json!({"Fn::Select": [i, list]})),
        2 => find_in_map(),
        1 => select(RESOURCE_IDS).prop_map(|r| json!({"Fn::GetAtt": [r, "GroupId"]})),
        1 => Just(json!({"Fn::ImportValue": "shared-cidr"})),
    ]
    .boxed()
}

// --- Templates ------------------------------------------------------------------

fn permission() -> BoxedStrategy<Value> {
    let opt = |kind, depth| proptest::option::weighted(0.85, field(kind, depth));
    (
        opt(Kind::Protocol, 2),
        opt(Kind::Port, 2),
        opt(Kind::Port, 2),
        proptest::option::weighted(0.85, field(Kind::Cidr, 2)),
        proptest::option::weighted(0.3, field(Kind::Cidr, 2)),
        proptest::option::weighted(0.2, field(Kind::Text, 1)),
    )
        .prop_map(|(protocol, from, to, cidr, cidr6, description)| {
            let mut p = Map::new();
            for (key, value) in [
                ("IpProtocol", protocol),
                ("FromPort", from),
                ("ToPort", to),
                ("CidrIp", cidr),
                ("CidrIpv6", cidr6),
                ("Description", description),
            ] {
                if let Some(value) = value {
                    p.insert(key.to_string(), value);
                }
            }
            Value::Object(p)
        })
        .boxed()
}

/// `SecurityGroupIngress` (or egress) as a security group property.
fn permissions() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => vec(permission(), 1..4).prop_map(Value::Array),
        1 => Just(json!([])),
        2 => permission(),
        1 => (select(CONDITIONS), vec(permission(), 0..3), vec(permission(), 0..2))
            .prop_map(|(c, a, b)| json!({"Fn::If": [c, a, b]})),
        1 => (select(CONDITIONS), permission())
            .prop_map(|(c, p)| json!([{"Fn::If": [c, p, {"Ref": "AWS::NoValue"}]}])),
        1 => Just(json!({"Ref": "P0"})),
        1 => Just(json!("junk")),
    ]
    .boxed()
}

fn group_reference() -> BoxedStrategy<Value> {
    prop_oneof![
        select(RESOURCE_IDS).prop_map(|r| json!({"Ref": r})),
        select(RESOURCE_IDS).prop_map(|r| json!({"Fn::GetAtt": [r, "GroupId"]})),
        Just(json!("sg-0123456789")),
    ]
    .boxed()
}

/// Rule ids a suppression may name: rules of the generated rule sets, and one that is none.
const SUPPRESSIBLE: &[&str] = &[
    "IngressOpenToWorld",
    "SSHOpenToWorld",
    "AllowHttp",
    "ForbiddenAMIs",
    "R0",
    "R1",
    "R2",
    "NoSuchRule",
];

/// Reasons; none of them matches a regex rule's pattern (see `regex_patterns`).
const REASONS: &[&str] = &["reviewed", "bastion behind the VPN", "  padded  ", "ok ✓"];

fn suppression_entry() -> BoxedStrategy<Value> {
    (
        proptest::option::weighted(0.95, select(SUPPRESSIBLE)),
        prop_oneof![
            3 => select(REASONS).prop_map(|r| json!(r)),
            1 => Just(json!("")),
            1 => Just(json!("   ")),
            1 => Just(json!(7)),
            1 => Just(Value::Null),
        ],
        any::<bool>(),
    )
        .prop_map(|(rule, reason, with_reason)| {
            let mut e = Map::new();
            if let Some(rule) = rule {
                e.insert("rule".into(), json!(rule));
            }
            if with_reason {
                e.insert("reason".into(), reason);
            }
            Value::Object(e)
        })
        .boxed()
}

fn metadata() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => vec(suppression_entry(), 0..3).prop_map(|s| json!({"cicd": {"suppress": s}})),
        1 => Just(json!({"cicd": {"suppress": "SSHOpenToWorld"}})),
        1 => Just(json!({"cicd": "junk"})),
        1 => Just(json!({"Other": {"suppress": [{"rule": "SSHOpenToWorld", "reason": "x"}]}})),
        1 => Just(json!("junk")),
    ]
    .boxed()
}

/// Every registered kind's example resources, as `(Type, Properties)`.
fn example_resources() -> Vec<(String, Option<Value>)> {
    KINDS
        .iter()
        .flat_map(|kind| {
            let example = kind.describe().example;
            [example.fires, example.passes]
        })
        .map(|text| {
            let resource: Value = serde_json::from_str(text).unwrap();
            let kind = resource["Type"].as_str().unwrap().to_string();
            (kind, resource.get("Properties").cloned())
        })
        .collect()
}

fn resource() -> BoxedStrategy<Value> {
    let written = prop_oneof![
        6 => (field(Kind::Text, 1), proptest::option::weighted(0.9, permissions()),
              proptest::option::weighted(0.3, permissions()))
            .prop_map(|(description, ingress, egress)| {
                let mut p = Map::new();
                p.insert("GroupDescription".into(), description);
                if let Some(i) = ingress {
                    p.insert("SecurityGroupIngress".into(), i);
                }
                if let Some(e) = egress {
                    p.insert("SecurityGroupEgress".into(), e);
                }
                ("AWS::EC2::SecurityGroup", Some(Value::Object(p)))
            }),
        2 => (permission(), group_reference()).prop_map(|(mut p, g)| {
            p.as_object_mut().unwrap().insert("GroupId".into(), g);
            ("AWS::EC2::SecurityGroupIngress", Some(p))
        }),
        1 => (permission(), group_reference()).prop_map(|(mut p, g)| {
            p.as_object_mut().unwrap().insert("GroupId".into(), g);
            ("AWS::EC2::SecurityGroupEgress", Some(p))
        }),
        2 => field(Kind::Ami, 2).prop_map(|ami| ("AWS::EC2::Instance", Some(json!({"ImageId": ami})))),
        1 => field(Kind::Ami, 2).prop_map(|ami| {
            ("AWS::EC2::LaunchTemplate", Some(json!({"LaunchTemplateData": {"ImageId": ami}})))
        }),
        1 => field(Kind::Ami, 1).prop_map(|ami| {
            ("AWS::AutoScaling::LaunchConfiguration", Some(json!({"ImageId": ami})))
        }),
        1 => field(Kind::Text, 1).prop_map(|n| ("AWS::S3::Bucket", Some(json!({"BucketName": n})))),
        1 => select(vec![
            ("AWS::EC2::SecurityGroup", None),
            ("AWS::EC2::SecurityGroup", Some(json!("junk"))),
            ("AWS::EC2::SecurityGroupIngress", Some(json!([]))),
            ("AWS::EC2::Instance", Some(json!({"ImageId": ["ami-7a11e211"]}))),
            ("AWS::EC2::LaunchTemplate", Some(json!({"LaunchTemplateData": "ami-7a11e211"}))),
        ]),
    ];
    let body = prop_oneof![
        15 => written.prop_map(|(kind, properties)| (kind.to_string(), properties)),
        2 => select(example_resources()),
    ];
    (
        body,
        proptest::option::weighted(0.4, metadata()),
        proptest::option::weighted(0.1, select(CONDITIONS)),
    )
        .prop_map(|((kind, properties), metadata, condition)| {
            let mut r = Map::new();
            r.insert("Type".into(), json!(kind));
            if let Some(p) = properties {
                r.insert("Properties".into(), p);
            }
            if let Some(m) = metadata {
                r.insert("Metadata".into(), m);
            }
            if let Some(c) = condition {
                r.insert("Condition".into(), json!(c));
            }
            Value::Object(r)
        })
        .boxed()
}

fn parameters() -> BoxedStrategy<Value> {
    let parameter = prop_oneof![
        6 => select(any_literal()).prop_map(|d| json!({"Type": "String", "Default": d})),
        1 => Just(json!({"Type": "String"})),
        1 => Just(json!({"Type": "String", "Default": {"Ref": "P0"}})),
        // A list default that selects from P0: for P0 itself, a cycle.
        1 => Just(json!({"Type": "CommaDelimitedList", "Default": [{"Fn::Select": [0, {"Ref": "P0"}]}]})),
        1 => Just(json!("junk")),
    ];
    vec(proptest::option::weighted(0.7, parameter), 4)
        .prop_map(|declared| {
            let named = PARAMETERS.iter().zip(declared);
            Value::Object(
                named
                    .filter_map(|(n, p)| Some((n.to_string(), p?)))
                    .collect(),
            )
        })
        .boxed()
}

/// Mappings. CloudFormation allows only literals in them, but a template
/// may still hold intrinsics there (even one that names its own entry).
fn mappings() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        8 => select(any_literal()),
        1 => find_in_map(),
        // Entries that look up the first entry: with it, a cycle.
        1 => Just(json!({"Fn::FindInMap": ["M0", "k0", "a"]})),
        1 => Just(json!({"Fn::FindInMap": ["M0", {"Ref": "AWS::Region"}, "a"]})),
        1 => field(Kind::Cidr, 1),
    ];
    // Two maps of two top-level keys of two second-level keys, each there or not.
    vec(proptest::option::weighted(0.8, leaf), 8)
        .prop_map(|leaves| {
            let mut maps = Map::new();
            for (i, leaf) in leaves.into_iter().enumerate() {
                if let Some(leaf) = leaf {
                    let (map, top, second) = (MAPS[i / 4], TOP_KEYS[i / 2 % 2], SECOND_KEYS[i % 2]);
                    let entry = maps.entry(map).or_insert_with(|| json!({}));
                    let entry = entry
                        .as_object_mut()
                        .unwrap()
                        .entry(top)
                        .or_insert_with(|| json!({}));
                    entry[second] = leaf;
                }
            }
            Value::Object(maps)
        })
        .boxed()
}

/// A plausible template, as a JSON value.
fn template() -> BoxedStrategy<Value> {
    (
        proptest::option::weighted(0.8, parameters()),
        proptest::option::weighted(0.6, mappings()),
        btree_map(select(RESOURCE_IDS), resource(), 0..7),
    )
        .prop_map(|(parameters, mappings, resources)| {
            let mut t = Map::new();
            t.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
            t.insert(
                "Conditions".into(),
                json!({"IsProd": {"Fn::Equals": [{"Ref": "AWS::AccountId"}, "1"]},
                       "HasVpn": {"Fn::Not": [{"Condition": "IsProd"}]}}),
            );
            if let Some(p) = parameters {
                t.insert("Parameters".into(), p);
            }
            if let Some(m) = mappings {
                t.insert("Mappings".into(), m);
            }
            t.insert(
                "Resources".into(),
                Value::Object(
                    resources
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                ),
            );
            Value::Object(t)
        })
        .boxed()
}

// --- Rule sets and thresholds -------------------------------------------------------

/// Regex patterns: they look at properties, never at what a suppression
/// entry can hold (its `rule` and `reason`), so that adding a suppression
/// cannot make a regex rule fire. See `regexes_see_the_suppression_entries`.
const REGEX_PATTERNS: &[&str] = &[
    r#""CidrIp": "0\.0\.0\.0/0""#,
    r#""FromPort": 22\b"#,
    r"ami-[0-9a-f]{8}",
    r#""IpProtocol": "-1""#,
    r"::/0",
    r"^\{",
];

const RISKS: &[u64] = &[0, 1, 3, 5, 10, 49, 50, 100, u64::MAX / 2, u64::MAX];

/// Every registered kind's example item, as `(category, ruletype, ruledata)`.
fn example_items() -> Vec<(&'static str, &'static str, &'static str)> {
    KINDS
        .iter()
        .map(|kind| {
            let description = kind.describe();
            let example = description.example;
            (example.category, description.ruletype, example.ruledata)
        })
        .collect()
}

fn rule_item() -> BoxedStrategy<Value> {
    let kind = prop_oneof![
        4 => select(vec![
            "all", "tcp:22", "tcp:80", "tcp:8000-8999, udp:53", "icmp", "udp", "tcp", "icmpv6",
            "tcp:0-65535", "tcp:65535",
        ])
        .prop_map(|d| ("SecurityGroup", "open-ingress", d)),
        2 => select(vec!["ami-7a11e211, ami-08111162", "AMI-F6035893", "ami-12345678"])
            .prop_map(|d| ("EC2Instance", "forbidden-ami", d)),
        2 => (select(vec!["SecurityGroup", "EC2Instance"]), select(REGEX_PATTERNS))
            .prop_map(|(c, d)| (c, "regex", d)),
        // The original function's own regex, applied as a structured rule.
        1 => Just(("SecurityGroup", "regex", r"^.*Ingress.*((0\.){3}0\/0)")),
        3 => select(example_items()),
    ];
    (
        kind,
        select(RISKS),
        prop_oneof![4 => Just("Y"), 1 => Just("N")],
    )
        .prop_map(|((category, ruletype, ruledata), risk, active)| {
            json!({"category": category, "ruletype": ruletype, "ruledata": ruledata,
                   "riskvalue": risk, "active": active})
        })
        .boxed()
}

fn rule_set() -> BoxedStrategy<RuleSet> {
    prop_oneof![
        2 => Just(RuleSet::defaults()),
        1 => Just(RuleSet::from_items(RuleSet::default_items().into_iter().map(|mut i| {
            i.active = Some(json!("Y"));
            i
        }))),
        3 => vec(rule_item(), 1..5).prop_map(|items| {
            RuleSet::from_items(items.into_iter().enumerate().map(|(i, mut item)| {
                item["rule"] = json!(format!("R{i}"));
                serde_json::from_value::<RuleItem>(item).unwrap()
            }))
        }),
    ]
    .prop_map(|rules| {
        assert!(rules.errors().is_empty(), "{:?}", rules.errors());
        rules
    })
    .boxed()
}

fn thresholds() -> BoxedStrategy<Thresholds> {
    (
        select(RISKS),
        select(RISKS),
        select(vec![
            UnresolvedPolicy::Pass,
            UnresolvedPolicy::Flag,
            UnresolvedPolicy::Fail,
        ]),
    )
        .prop_map(|(a, b, policy)| {
            Thresholds::new(a.min(b), a.max(b))
                .unwrap()
                .with_unresolved(policy)
        })
        .boxed()
}

// --- Renderings -------------------------------------------------------------------

use support::emit::{STYLES, Style, quoted, render, scalar, yaml};

/// The line each resource's logical id is written on, found in the text:
/// the keys one level below the `"Resources"` key (ids are plain words).
fn resource_lines(text: &str) -> Vec<(String, usize)> {
    let indent_of = |line: &str| line.len() - line.trim_start_matches(' ').len();
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines
        .iter()
        .position(|l| l.trim_start().starts_with("\"Resources\":"))
    else {
        return Vec::new();
    };
    let base = indent_of(lines[start]);
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        let indent = indent_of(line);
        if indent <= base {
            break;
        }
        if indent == base + 2
            && let Some(rest) = line.trim_start().strip_prefix('"')
            && let Some((id, _)) = rest.split_once("\":")
        {
            found.push((id.to_string(), i + 1));
        }
    }
    found
}

// --- Checks ---------------------------------------------------------------------

/// What every report must satisfy, whatever the template.
fn check_report(template: &Template, rules: &RuleSet, thresholds: &Thresholds, report: &Report) {
    let mut resolved = 0u64;
    let mut unresolved = 0u64;
    let mut any_unresolved = false;
    for finding in &report.findings {
        let rule = rules
            .get(&finding.rule)
            .expect("finding for a rule not in the set");
        assert!(rule.active, "inactive rule fired: {finding:?}");
        // Guard rules may require something of the template as a whole.
        if matches!(rule.kind, RuleKind::Guard(_)) && finding.resource == TEMPLATE {
            assert_eq!(
                (finding.line, finding.resource_type.as_str()),
                (1, TEMPLATE_TYPE)
            );
        } else {
            let resource = template.resource(&finding.resource).unwrap_or_else(|| {
                panic!("finding for a resource not in the template: {finding:?}")
            });
            assert_eq!(finding.line, resource.line, "{finding:?}");
            assert_eq!(finding.resource_type, resource.resource_type);
            assert!(
                matches!(rule.kind, RuleKind::Guard(_)) || rule.covers(&resource.resource_type)
            );
        }
        assert_eq!(finding.risk, rule.risk);
        assert!(!finding.reason.is_empty());
        assert_eq!(finding.suppressed, finding.suppression_reason.is_some());
        if let Some(reason) = &finding.suppression_reason {
            assert!(!reason.is_empty() && reason.trim() == reason);
        }
        assert!(
            finding.unresolved.iter().all(|u| !u.is_empty()),
            "{finding:?}"
        );
        if !finding.suppressed {
            if finding.unresolved.is_empty() {
                resolved = resolved.saturating_add(finding.risk);
            } else {
                any_unresolved = true;
                unresolved = unresolved.saturating_add(finding.risk);
            }
        }
    }
    // The policy, written out independently of Thresholds::decide.
    let counted = match thresholds.unresolved() {
        UnresolvedPolicy::Fail => resolved.saturating_add(unresolved),
        UnresolvedPolicy::Flag | UnresolvedPolicy::Pass => resolved,
    };
    assert_eq!(report.risk, counted, "risk is the sum of the counted risks");
    assert_eq!(report.unresolved_risk, unresolved);
    let mut expected = if counted >= thresholds.fail_at() {
        Verdict::Fail
    } else if counted >= thresholds.flag_at() {
        Verdict::Flagged
    } else {
        Verdict::Pass
    };
    if thresholds.unresolved() == UnresolvedPolicy::Flag
        && any_unresolved
        && expected == Verdict::Pass
    {
        expected = Verdict::Flagged;
    }
    assert_eq!(report.verdict, expected);
    // One finding per (rule, resource); for a guard item, per (Guard rule,
    // resource), and its reason starts with the Guard rule's name.
    let mut pairs: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            let guard = rules
                .get(&f.rule)
                .is_some_and(|r| matches!(r.kind, RuleKind::Guard(_)));
            (&f.rule, &f.resource, guard.then_some(&f.reason))
        })
        .collect();
    let all = pairs.len();
    pairs.sort();
    pairs.dedup();
    assert_eq!(pairs.len(), all, "a rule fired twice on one resource");
}

/// Parses and, when that works, evaluates with `rules` and checks the report.
fn parse_and_check(bytes: &[u8], rules: &[&RuleSet]) {
    if let Ok(template) = Template::parse(bytes) {
        for rules in rules {
            for thresholds in [Thresholds::default(), Thresholds::new(0, 1).unwrap()] {
                let report = evaluate(&template, rules, &thresholds).unwrap();
                check_report(&template, rules, &thresholds, &report);
            }
        }
    }
}

/// Every registered kind's example item, and more of the built-in kinds
/// and a guard item.
fn every_rule_type() -> RuleSet {
    let examples = example_items()
        .into_iter()
        .map(|(category, ruletype, ruledata)| {
            json!({"rule": format!("{ruletype}-example"), "category": category,
                   "ruletype": ruletype, "ruledata": ruledata, "riskvalue": 5, "active": "Y"})
        });
    let rules = RuleSet::from_items(
        serde_json::from_value::<Vec<RuleItem>>(json!([
            {"rule": "Any", "category": "SecurityGroup", "ruletype": "open-ingress",
             "ruledata": "all", "riskvalue": 100, "active": "Y"},
            {"rule": "Ports", "category": "SecurityGroup", "ruletype": "open-ingress",
             "ruledata": "tcp:22, udp:53, icmp", "riskvalue": u64::MAX, "active": "Y"},
            {"rule": "Ami", "category": "EC2Instance", "ruletype": "forbidden-ami",
             "ruledata": "ami-7a11e211", "riskvalue": 10, "active": "Y"},
            {"rule": "Text", "category": "SecurityGroup", "ruletype": "regex",
             "ruledata": "0\\.0\\.0\\.0/0|Ingress", "riskvalue": 1, "active": "Y"},
            {"rule": "Guarded", "category": "Anything", "ruletype": "guard",
             "ruledata": "let groups = Resources.*[ Type == 'AWS::EC2::SecurityGroup' ]\nrule GROUPS_DESCRIBED when %groups !empty { %groups.Properties.GroupDescription exists }\nrule ALL_HAVE_PROPERTIES { Resources.*.Properties exists }",
             "riskvalue": 7, "active": "Y"},
        ]))
        .unwrap()
        .into_iter()
        .chain(examples.map(|item| serde_json::from_value::<RuleItem>(item).unwrap())),
    );
    assert!(rules.errors().is_empty(), "{:?}", rules.errors());
    rules
}

/// What must agree between renderings of one template (lines may differ).
#[derive(Debug, PartialEq)]
struct Comparable {
    findings: Vec<(String, String, String, bool, Option<String>, u64)>,
    risk: u64,
    verdict: Verdict,
    warnings: Vec<String>,
}

fn comparable(report: Report) -> Comparable {
    Comparable {
        findings: report
            .findings
            .into_iter()
            .map(|f| {
                (
                    f.rule,
                    f.resource,
                    f.reason,
                    f.suppressed,
                    f.suppression_reason,
                    f.risk,
                )
            })
            .collect(),
        risk: report.risk,
        verdict: report.verdict,
        warnings: report.warnings.iter().map(|w| without_lines(w)).collect(),
    }
}

/// "Sg (line 12): ..." → "Sg (line _): ...".
fn without_lines(warning: &str) -> String {
    let mut out = String::new();
    let mut rest = warning;
    while let Some(at) = rest.find("(line ") {
        out.push_str(&rest[..at + 6]);
        rest = rest[at + 6..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('_');
    }
    out.push_str(rest);
    out
}

fn resource_ids(value: &Value) -> Vec<String> {
    value["Resources"]
        .as_object()
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default()
}

/// Adds `entry` to the resource's `Metadata.cicd.suppress`, making room for
/// it where the metadata is missing or not the expected shape.
fn add_suppression(template: &mut Value, logical_id: &str, entry: Value) {
    let resource = template["Resources"][logical_id].as_object_mut().unwrap();
    let metadata = resource.entry("Metadata").or_insert_with(|| json!({}));
    if !metadata.is_object() {
        *metadata = json!({});
    }
    let cicd = metadata
        .as_object_mut()
        .unwrap()
        .entry("cicd")
        .or_insert_with(|| json!({}));
    if !cicd.is_object() {
        *cicd = json!({});
    }
    let suppress = cicd
        .as_object_mut()
        .unwrap()
        .entry("suppress")
        .or_insert_with(|| json!([]));
    if !suppress.is_array() {
        *suppress = json!([]);
    }
    suppress.as_array_mut().unwrap().push(entry);
}

fn without_line(findings: &[Finding]) -> Vec<Finding> {
    findings
        .iter()
        .cloned()
        .map(|mut f| {
            f.line = 0;
            f
        })
        .collect()
}

// --- Anything at all ----------------------------------------------------------------

const KEYS: &[&str] = &[
    "Resources",
    "Type",
    "Properties",
    "Metadata",
    "cicd",
    "suppress",
    "rule",
    "reason",
    "SecurityGroupIngress",
    "IpProtocol",
    "FromPort",
    "ToPort",
    "CidrIp",
    "CidrIpv6",
    "ImageId",
    "LaunchTemplateData",
    "Parameters",
    "Default",
    "Mappings",
    "Ref",
    "Condition",
    "Fn::If",
    "Fn::Sub",
    "Fn::Join",
    "Fn::Select",
    "Fn::Split",
    "Fn::FindInMap",
    "Fn::GetAtt",
    "Fn::Base64",
];

const STRINGS: &[&str] = &[
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::Instance",
    "AWS::EC2::LaunchTemplate",
    "AWS::AutoScaling::LaunchConfiguration",
    "0.0.0.0/0",
    "::/0",
    "tcp",
    "-1",
    "22",
    "ami-7a11e211",
    "SSHOpenToWorld",
    "${P}",
    "${A.B}",
    "a,b",
    "A.B",
    "P",
    "M",
];

fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        select(STRINGS).prop_map(|s| json!(s)),
        select(KEYS).prop_map(|s| json!(s)),
        any::<String>().prop_map(Value::String),
    ];
    let key = prop_oneof![4 => select(KEYS).prop_map(str::to_string), 1 => "\\PC{0,8}"];
    leaf.prop_recursive(5, 96, 6, move |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Anything, but often shaped like a template so that parsing gets far.
fn any_template_json() -> BoxedStrategy<Value> {
    let resource = (select(STRINGS), any_json(), any_json(), any::<bool>()).prop_map(
        |(kind, properties, metadata, with_metadata)| {
            let mut r = json!({"Type": kind, "Properties": properties});
            if with_metadata {
                r["Metadata"] = metadata;
            }
            r
        },
    );
    prop_oneof![
        1 => any_json(),
        1 => any_json().prop_map(|r| json!({"Resources": r})),
        3 => (
            btree_map("[A-Za-z0-9]{1,6}", resource, 0..4),
            any_json(),
            any_json(),
        )
            .prop_map(|(resources, parameters, mappings)| {
                json!({"Parameters": parameters, "Mappings": mappings,
                       "Resources": resources})
            }),
    ]
    .boxed()
}

const FIXTURES: &[&str] = &[
    include_str!("../../../tests/fixtures/templates/bastion-ssh-open.yaml"),
    include_str!("../../../tests/fixtures/templates/bastion-ssh-open.json"),
    include_str!("../../../tests/fixtures/templates/bastion-suppressed.yaml"),
    include_str!("../../../tests/fixtures/templates/egress-only.yaml"),
    include_str!("../../../tests/fixtures/templates/old-ami.yaml"),
    include_str!("../../../tests/fixtures/templates/web-app.yaml"),
    include_str!("../../../tests/fixtures/templates/web-app.json"),
];

/// A fixture with a few bytes replaced: most of the text still parses.
fn mutated_fixture() -> BoxedStrategy<Vec<u8>> {
    (
        select(FIXTURES),
        vec(
            (
                any::<prop::sample::Index>(),
                0..4usize,
                vec(any::<u8>(), 0..4),
            ),
            1..4,
        ),
    )
        .prop_map(|(fixture, edits)| {
            let mut bytes = fixture.as_bytes().to_vec();
            for (at, delete, insert) in edits {
                let at = at.index(bytes.len() + 1);
                let end = (at + delete).min(bytes.len());
                bytes.splice(at..end, insert);
            }
            bytes
        })
        .boxed()
}

// --- Properties ---------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// Parsing never panics, whatever the bytes; nor does evaluating what parses.
    #[test]
    fn any_bytes_parse_or_fail_cleanly(bytes in prop_oneof![
        vec(any::<u8>(), 0..256),
        "[-a-zA-Z0-9 :{}\\[\\],!&*#|>'\"\n\t.?%@`/$~]{0,200}".prop_map(String::into_bytes),
        mutated_fixture(),
    ]) {
        parse_and_check(&bytes, &[&RuleSet::defaults(), &every_rule_type()]);
    }

    /// Any JSON value, written as JSON and as YAML, parses or fails cleanly;
    /// what parses evaluates cleanly; and the two syntaxes agree.
    #[test]
    fn any_json_value_parses_the_same_as_json_and_yaml(value in any_template_json()) {
        let rules = every_rule_type();
        let mut outcomes = Vec::new();
        for style in STYLES {
            let text = render(&value, style);
            parse_and_check(text.as_bytes(), &[&RuleSet::defaults(), &rules]);
            let parsed = Template::parse(text.as_bytes());
            outcomes.push(parsed.map(|t| {
                let ids: Vec<String> = t.resources.iter().map(|r| r.logical_id.clone()).collect();
                (ids, comparable(evaluate(&t, &rules, &Thresholds::default()).unwrap()))
            }).map_err(|_| ()));
        }
        for (style, other) in STYLES.iter().zip(&outcomes).skip(1) {
            prop_assert_eq!(&outcomes[0], other, "{:?} differs from JSON", style);
        }
    }

    /// What Guard is shown is the template as written, whatever the syntax
    /// (the value written; for JSON text, serde_json's own reading of it,
    /// which rounds some floats its own way), and the cap on its size is
    /// never exceeded.
    #[test]
    fn guard_is_shown_the_template_as_written_within_its_cap(value in any_template_json()) {
        for style in STYLES {
            let text = render(&value, style);
            let Ok(template) = Template::parse(text.as_bytes()) else { continue };
            let shown = guard_json(&template, usize::MAX).unwrap();
            let written_as = match style {
                Style::JsonPretty | Style::JsonCompact => serde_json::from_str(&text).unwrap(),
                Style::Yaml | Style::YamlShort => value.clone(),
            };
            prop_assert_eq!(&shown, &written_as, "{:?}", style);
            let written = serde_json::to_string(&shown).unwrap().len();
            // Refused one byte short of its text; accepted with room.
            prop_assert!(guard_json(&template, written - 1).is_none());
            prop_assert!(guard_json(&template, 3 * written + 16).is_some());
        }
    }

    /// Every finding names a resource of the template, on the line its
    /// logical id is written on; risk and verdict follow from the findings.
    #[test]
    fn findings_name_resources_of_the_template_on_their_lines(
        value in template(),
        rules in rule_set(),
        thresholds in thresholds(),
    ) {
        let ids = resource_ids(&value);
        for style in STYLES {
            let text = render(&value, style);
            let template = Template::parse(text.as_bytes())
                .unwrap_or_else(|e| panic!("{style:?} does not parse: {e}\n{text}"));
            let parsed: Vec<&str> = template.resources.iter().map(|r| r.logical_id.as_str()).collect();
            prop_assert_eq!(&parsed, &ids, "resources in document order");
            if style != Style::JsonCompact {
                let written = resource_lines(&text);
                let lines: Vec<(String, usize)> = template
                    .resources
                    .iter()
                    .map(|r| (r.logical_id.clone(), r.line))
                    .collect();
                prop_assert_eq!(lines, written, "{:?}\n{}", style, text);
            }
            let report = evaluate(&template, &rules, &thresholds).unwrap();
            check_report(&template, &rules, &thresholds, &report);
            for finding in &report.findings {
                prop_assert!(ids.contains(&finding.resource));
            }
        }
    }

    /// JSON and YAML renderings of a template, with short-form tags or
    /// without, give the same findings, risk, verdict and warnings.
    #[test]
    fn json_and_yaml_renderings_give_the_same_findings(
        value in template(),
        rules in rule_set(),
        thresholds in thresholds(),
    ) {
        let mut outcomes = Vec::new();
        for style in STYLES {
            let text = render(&value, style);
            let template = Template::parse(text.as_bytes())
                .unwrap_or_else(|e| panic!("{style:?} does not parse: {e}\n{text}"));
            outcomes.push(comparable(evaluate(&template, &rules, &thresholds).unwrap()));
        }
        for (style, other) in STYLES.iter().zip(&outcomes).skip(1) {
            prop_assert_eq!(&outcomes[0], other, "{:?} differs from JSON\n{}", style, render(&value, *style));
        }
    }

    /// Suppressing a finding, with a reason, suppresses exactly that finding:
    /// the rest of the report is unchanged and the risk never rises.
    #[test]
    fn suppressing_a_finding_never_raises_risk(
        value in template(),
        rules in rule_set(),
        thresholds in thresholds(),
        pick in any::<prop::sample::Index>(),
        reason in select(REASONS),
        style in select(STYLES.to_vec()),
    ) {
        let before = {
            let text = render(&value, style);
            evaluate(&Template::parse(text.as_bytes()).unwrap(), &rules, &thresholds).unwrap()
        };
        if before.findings.is_empty() {
            return Ok(());
        }
        let target = &before.findings[pick.index(before.findings.len())];
        let mut suppressed = value.clone();
        add_suppression(&mut suppressed, &target.resource, json!({"rule": target.rule, "reason": reason}));
        let text = render(&suppressed, style);
        let template = Template::parse(text.as_bytes()).unwrap();
        let after = evaluate(&template, &rules, &thresholds).unwrap();
        check_report(&template, &rules, &thresholds, &after);

        let expected: Vec<Finding> = before.findings.iter().cloned().map(|mut f| {
            if f.rule == target.rule && f.resource == target.resource {
                f.suppressed = true;
                f.suppression_reason = Some(reason.trim().to_string());
            }
            f
        }).collect();
        prop_assert_eq!(without_line(&after.findings), without_line(&expected));
        prop_assert!(after.risk <= before.risk);
        prop_assert!(after.unresolved_risk <= before.unresolved_risk);
        // An unresolved finding counts in the risk only under the fail policy.
        let counted = !target.is_unresolved() || thresholds.unresolved() == UnresolvedPolicy::Fail;
        if !target.suppressed && target.risk > 0 && counted && before.risk < u64::MAX {
            prop_assert!(after.risk < before.risk);
        }
        if !target.suppressed && target.risk > 0 && target.is_unresolved() && before.unresolved_risk < u64::MAX {
            prop_assert!(after.unresolved_risk < before.unresolved_risk);
        }
    }

    /// A suppression without a reason (missing, blank or not a string)
    /// changes no finding and no risk, and is reported.
    #[test]
    fn a_suppression_without_a_reason_changes_nothing(
        value in template(),
        rules in rule_set(),
        pick in any::<prop::sample::Index>(),
        reason in prop_oneof![Just(None), Just(Some(json!(""))), Just(Some(json!("  \t"))), Just(Some(json!(42))), Just(Some(Value::Null))],
        style in select(STYLES.to_vec()),
    ) {
        let thresholds = Thresholds::default();
        let before = {
            let text = render(&value, style);
            evaluate(&Template::parse(text.as_bytes()).unwrap(), &rules, &thresholds).unwrap()
        };
        if before.findings.is_empty() {
            return Ok(());
        }
        let target = &before.findings[pick.index(before.findings.len())];
        let mut entry = json!({"rule": target.rule});
        if let Some(reason) = reason {
            entry["reason"] = reason;
        }
        let mut changed = value.clone();
        add_suppression(&mut changed, &target.resource, entry);
        let text = render(&changed, style);
        let after = evaluate(&Template::parse(text.as_bytes()).unwrap(), &rules, &thresholds).unwrap();
        prop_assert_eq!(without_line(&after.findings), without_line(&before.findings));
        prop_assert_eq!(after.risk, before.risk);
        let warning = format!("the suppression of {} gives no reason, so it is not applied", target.rule);
        prop_assert!(after.warnings.iter().any(|w| w.ends_with(&warning)), "{:?}", after.warnings);
    }
}

/// Why the suppression properties keep regex patterns away from what a
/// suppression entry holds: a regex rule is matched against the whole
/// resource, `Metadata` included, so a suppression's own text can make one
/// fire where it did not before. Adding a suppression then raises the risk.
/// This pins down that behaviour so that a change to it is a decision.
#[test]
fn regexes_see_the_suppression_entries() {
    let rules = RuleSet::from_items(
        serde_json::from_value::<Vec<RuleItem>>(json!([
            {"rule": "SSHOpenToWorld", "category": "SecurityGroup", "ruletype": "open-ingress",
             "ruledata": "tcp:22", "riskvalue": 100, "active": "Y"},
            {"rule": "MentionsVpn", "category": "SecurityGroup", "ruletype": "regex",
             "ruledata": "VPN", "riskvalue": 1000, "active": "Y"},
        ]))
        .unwrap(),
    );
    let mut value = json!({"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]}}}});
    let risk = |value: &Value| {
        let text = value.to_string();
        evaluate(
            &Template::parse(text.as_bytes()).unwrap(),
            &rules,
            &Thresholds::default(),
        )
        .unwrap()
        .risk
    };
    assert_eq!(risk(&value), 100);
    add_suppression(
        &mut value,
        "Sg",
        json!({"rule": "SSHOpenToWorld", "reason": "behind the VPN"}),
    );
    assert_eq!(risk(&value), 1000);
}

/// A kind's example as a template (`Fires` and `Passes`) and a rule set of
/// one item (`Example`).
fn example(kind: &dyn template_rules::NativeKind) -> (Value, RuleSet) {
    let description = kind.describe();
    let example = description.example;
    let resource = |text: &str| serde_json::from_str::<Value>(text).unwrap();
    let mut template = json!({"Resources": {
        "Fires": resource(example.fires),
        "Passes": resource(example.passes),
    }});
    // The other resources the example needs (a kind that relates resources).
    if !example.with.is_empty() {
        let Value::Object(others) = resource(example.with) else {
            panic!(
                "{}: `with` is not a mapping of resources",
                description.ruletype
            )
        };
        for (id, body) in others {
            template["Resources"][id] = body;
        }
    }
    let item = json!({"rule": "Example", "category": example.category,
                      "ruletype": description.ruletype, "ruledata": example.ruledata,
                      "riskvalue": 10, "active": "Y"});
    let rules = RuleSet::from_items([serde_json::from_value::<RuleItem>(item).unwrap()]);
    assert!(
        rules.errors().is_empty(),
        "{}: {:?}",
        description.ruletype,
        rules.errors()
    );
    (template, rules)
}

/// Every registered kind fires on its example's resource, resolved, and not
/// on the other one, in every syntax; a suppression with a reason
/// suppresses exactly that finding.
#[test]
fn every_kind_fires_on_its_example_and_nowhere_else() {
    assert!(!KINDS.is_empty());
    for kind in KINDS {
        let ruletype = kind.describe().ruletype;
        let (template, rules) = example(*kind);
        let mut suppressed = template.clone();
        add_suppression(
            &mut suppressed,
            "Fires",
            json!({"rule": "Example", "reason": "reviewed"}),
        );
        for style in STYLES {
            let text = render(&template, style);
            let parsed = Template::parse(text.as_bytes()).unwrap();
            let report = evaluate(&parsed, &rules, &Thresholds::default()).unwrap();
            check_report(&parsed, &rules, &Thresholds::default(), &report);
            let fired: Vec<(&str, bool)> = report
                .findings
                .iter()
                .map(|f| (f.resource.as_str(), f.is_unresolved()))
                .collect();
            assert_eq!(fired, [("Fires", false)], "{ruletype} ({style:?}):\n{text}");
            assert_eq!(report.risk, 10);

            let text = render(&suppressed, style);
            let parsed = Template::parse(text.as_bytes()).unwrap();
            let after = evaluate(&parsed, &rules, &Thresholds::default()).unwrap();
            check_report(&parsed, &rules, &Thresholds::default(), &after);
            let fired: Vec<(&str, Option<&str>)> = after
                .findings
                .iter()
                .map(|f| (f.resource.as_str(), f.suppression_reason.as_deref()))
                .collect();
            assert_eq!(
                fired,
                [("Fires", Some("reviewed"))],
                "{ruletype} ({style:?})"
            );
            assert_eq!(after.risk, 0, "{ruletype} ({style:?})");
        }
    }
}

/// A step into a JSON value.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// The path of every container (mapping or list) in `value`, `at` the
/// path of `value` itself, outermost first.
fn containers(value: &Value, at: Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Object(map) => {
            out.push(at.clone());
            for (key, value) in map {
                let mut path = at.clone();
                path.push(Step::Key(key.clone()));
                containers(value, path, out);
            }
        }
        Value::Array(items) => {
            out.push(at.clone());
            for (i, item) in items.iter().enumerate() {
                let mut path = at.clone();
                path.push(Step::Index(i));
                containers(item, path, out);
            }
        }
        _ => {}
    }
}

/// `value` with what is at `path` written as `Fn::If` on `Cond`: in the
/// branch `holds` says, the other being `AWS::NoValue`.
fn wrapped(value: &Value, path: &[Step], holds: bool) -> Value {
    let mut value = value.clone();
    let mut at = &mut value;
    for step in path {
        at = match step {
            Step::Key(key) => &mut at[key.as_str()],
            Step::Index(i) => &mut at[*i],
        };
    }
    let written = at.take();
    let no_value = json!({"Ref": "AWS::NoValue"});
    *at = if holds {
        json!({"Fn::If": ["Cond", written, no_value]})
    } else {
        json!({"Fn::If": ["Cond", no_value, written]})
    };
    value
}

/// Every registered kind's finding on its example survives any container
/// of the resource (its `Properties`, a list, an entry) written as `Fn::If`
/// on either branch, the other being `AWS::NoValue`: resolved, and naming
/// the branch unless the kind reads what holds on both (a regex reads the
/// text as written, where the branch is too).
#[test]
fn every_kind_fires_through_containers_written_as_fn_if() {
    for kind in KINDS {
        let ruletype = kind.describe().ruletype;
        let (template, rules) = example(*kind);
        let finding = |template: &Value, style: Style| {
            let text = render(template, style);
            let parsed = Template::parse(text.as_bytes()).unwrap();
            let report = evaluate(&parsed, &rules, &Thresholds::default()).unwrap();
            check_report(&parsed, &rules, &Thresholds::default(), &report);
            let found: Vec<&Finding> = report.findings.iter().collect();
            assert_eq!(found.len(), 1, "{ruletype} ({style:?}): {found:?}\n{text}");
            assert_eq!(found[0].resource, "Fires");
            assert!(
                !found[0].is_unresolved(),
                "{ruletype} ({style:?}): {found:?}"
            );
            found[0].reason.clone()
        };
        let written = finding(&template, Style::JsonCompact);
        let mut paths = Vec::new();
        containers(
            &template["Resources"]["Fires"]["Properties"],
            vec![
                Step::Key("Resources".into()),
                Step::Key("Fires".into()),
                Step::Key("Properties".into()),
            ],
            &mut paths,
        );
        assert!(!paths.is_empty());
        for path in &paths {
            for holds in [true, false] {
                let mut template = wrapped(&template, path, holds);
                template["Conditions"] =
                    json!({"Cond": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}});
                let named = written
                    .split("; ")
                    .map(|reason| format!("{reason} when Cond is {holds}"))
                    .collect::<Vec<_>>()
                    .join("; ");
                for style in STYLES {
                    let reason = finding(&template, style);
                    assert!(
                        reason == named || reason == written,
                        "{ruletype} at {path:?} ({style:?}): {reason}"
                    );
                }
            }
        }
    }
}

/// The emitter itself: what it writes reads back as the same value.
#[test]
fn the_yaml_emitter_writes_what_the_parser_reads() {
    let value = json!({
        "Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "a \"quoted\" — ünïcödé\nline\u{85}\u{2028}",
            "SecurityGroupIngress": [
                {"IpProtocol": {"Fn::If": ["IsProd", "tcp", {"Ref": "P0"}]}, "FromPort": 22,
                 "ToPort": {"Fn::Select": [0, [22, "23"]]}, "CidrIp": {"Fn::GetAtt": ["A", "B.C"]}},
                [[], {}, [1, [2.5, null]], {"Ref": 5}],
            ]}}},
    });
    for short in [false, true] {
        let text = yaml(&value, short);
        let template = Template::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(
            template.resources[0].body.to_json(),
            value["Resources"]["Sg"],
            "{text}"
        );
        assert_eq!(template.resources[0].line, 2, "{text}");
    }
    assert!(yaml(&value, true).contains("!If"));
    assert!(yaml(&value, true).contains("!GetAtt \"A.B.C\""));
}

// --- Metamorphic properties: the same template, written differently ------------

/// A small deterministic source of choices, seeded by proptest.
struct Choices(u64);

impl Choices {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

/// `family`'s whole space split into blocks at random: each block is kept
/// or split in two, down to /10, at most 64 blocks.
fn split_world(v6: bool, choices: &mut Choices) -> Vec<String> {
    let mut blocks: Vec<(u128, u8)> = vec![(0, 0)];
    let bits = if v6 { 128 } else { 32 };
    let mut done = Vec::new();
    while let Some((address, prefix)) = blocks.pop() {
        if prefix == 0 || (prefix < 10 && done.len() + blocks.len() < 63 && choices.coin()) {
            let half = 1u128 << (bits - prefix - 1);
            blocks.push((address, prefix + 1));
            blocks.push((address + half, prefix + 1));
        } else {
            done.push((address, prefix));
        }
    }
    done.into_iter()
        .map(|(address, prefix)| {
            if v6 {
                format!("{}/{prefix}", std::net::Ipv6Addr::from(address))
            } else {
                format!("{}/{prefix}", std::net::Ipv4Addr::from(address as u32))
            }
        })
        .collect()
}

/// A group with some permissions and one open to the world, and the same
/// group with that permission's source split into blocks that together
/// cover it, spread over its inline list and standalone ingress rules.
fn open_and_split(others: Vec<Value>, open: Value, v6: bool, seed: u64) -> (Value, Value) {
    let key = if v6 { "CidrIpv6" } else { "CidrIp" };
    let world = if v6 { "::/0" } else { "0.0.0.0/0" };
    let mut choices = Choices(seed | 1);
    let mut permission = open.as_object().cloned().unwrap_or_default();
    permission.remove("CidrIp");
    permission.remove("CidrIpv6");
    let mut whole = permission.clone();
    whole.insert(key.into(), json!(world));
    let mut inline = others.clone();
    inline.push(Value::Object(whole));
    let group = |ingress: Vec<Value>| {
        json!({"Type": "AWS::EC2::SecurityGroup",
               "Properties": {"GroupDescription": "split", "SecurityGroupIngress": ingress}})
    };
    let unsplit = json!({"Resources": {"Sg": group(inline)}});

    let mut resources = serde_json::Map::new();
    let mut inline = others;
    for (i, block) in split_world(v6, &mut choices).into_iter().enumerate() {
        let mut part = permission.clone();
        part.insert(key.into(), json!(block));
        if choices.coin() {
            let at = choices.below(inline.len() + 1);
            inline.insert(at, Value::Object(part));
        } else {
            part.insert(
                "GroupId".into(),
                if choices.coin() {
                    json!({"Ref": "Sg"})
                } else {
                    json!({"Fn::GetAtt": ["Sg", "GroupId"]})
                },
            );
            resources.insert(
                format!("Part{i}"),
                json!({"Type": "AWS::EC2::SecurityGroupIngress", "Properties": part}),
            );
        }
    }
    resources.insert("Sg".into(), group(inline));
    (unsplit, json!({"Resources": resources}))
}

/// Rule sets of open-ingress rules only: a regex rule sees each resource's
/// text, which splitting a rule into resources changes.
fn ingress_rule_set() -> BoxedStrategy<RuleSet> {
    let spec = select(vec![
        "all",
        "tcp:22",
        "tcp:80",
        "tcp:8000-8999, udp:53",
        "icmp",
        "udp",
        "tcp",
        "tcp:0-65535",
    ]);
    prop_oneof![
        1 => Just(RuleSet::defaults()),
        3 => vec((spec, select(RISKS)), 1..4).prop_map(|items| {
            RuleSet::from_items(items.into_iter().enumerate().map(|(i, (data, risk))| {
                serde_json::from_value::<RuleItem>(json!({"rule": format!("R{i}"),
                    "category": "SecurityGroup", "ruletype": "open-ingress", "ruledata": data,
                    "riskvalue": risk, "active": "Y"}))
                .unwrap()
            }))
        }),
    ]
    .boxed()
}

/// An open permission: a literal protocol and ports that some rule is about.
fn open_permission() -> BoxedStrategy<Value> {
    (
        select(vec![json!("tcp"), json!("udp"), json!("-1"), json!(6), json!("icmp")]),
        select(vec![(22, 22), (0, 65535), (20, 30), (80, 80), (-1, -1), (53, 53)]),
    )
        .prop_map(|(protocol, (from, to))| {
            json!({"IpProtocol": protocol, "FromPort": from, "ToPort": to})
        })
        .boxed()
}

/// The outcome as rules, verdict and risk: a split source's findings land
/// on the group either way, with other reasons.
fn verdict_of(
    value: &Value,
    rules: &RuleSet,
    thresholds: &Thresholds,
) -> (Vec<(String, String, bool)>, u64, Verdict) {
    let text = value.to_string();
    let template = Template::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let report = evaluate(&template, rules, thresholds).unwrap();
    check_report(&template, rules, thresholds, &report);
    let mut fired: Vec<(String, String, bool)> = report
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.resource.clone(), f.is_unresolved()))
        .collect();
    fired.sort();
    (fired, report.risk, report.verdict)
}

// --- YAML with anchors, aliases and merge keys -----------------------------------

/// Writes `value` as block YAML where `{"__alias": "n"}` is `*n` and a
/// mapping's `"__merge": "n"` entry is `<<: *n`; `anchors` are written
/// first, under `Anchors:`, each as `n: &n value`.
fn aliased_yaml(value: &Value, anchors: &[(String, Value)]) -> String {
    let mut out = String::new();
    if !anchors.is_empty() {
        out.push_str("Anchors:\n");
        for (name, anchored) in anchors {
            out.push_str(&format!("  {name}: &{name}"));
            node(anchored, 2, &mut out);
        }
    }
    if let Value::Object(map) = value {
        for (key, item) in map {
            quoted(key, &mut out);
            out.push(':');
            node(item, 0, &mut out);
        }
    }
    out
}

/// A value after `key:` or `-`, its own lines indented past `indent`.
fn node(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent + 2);
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("__alias") => {
            out.push_str(&format!(
                " *{}\n",
                map["__alias"].as_str().unwrap_or_default()
            ));
        }
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            for (key, item) in map {
                out.push_str(&pad);
                if key == "__merge" {
                    out.push_str(&format!("<<: *{}\n", item.as_str().unwrap_or_default()));
                    continue;
                }
                quoted(key, out);
                out.push(':');
                node(item, indent + 2, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            for item in items {
                out.push_str(&pad);
                out.push('-');
                node(item, indent + 2, out);
            }
        }
        other => {
            out.push(' ');
            scalar(other, out);
            out.push('\n');
        }
    }
}

/// The template with its permissions moved into anchors (used through
/// aliases) and parts of its resources' properties moved into anchors
/// merged back (with a decoy for a key the mapping keeps, which must win).
fn with_aliases(template: &Value, seed: u64) -> (Value, Vec<(String, Value)>) {
    let mut choices = Choices(seed | 1);
    let mut anchors = Vec::new();
    let mut merges = Vec::new();
    let mut out = template.clone();
    let Some(resources) = out.get_mut("Resources").and_then(Value::as_object_mut) else {
        return (out, anchors);
    };
    for resource in resources.values_mut() {
        let Some(properties) = resource
            .get_mut("Properties")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        if let Some(Value::Array(items)) = properties.get_mut("SecurityGroupIngress") {
            for item in items.iter_mut() {
                if item.is_object() && choices.coin() {
                    let name = format!("p{}", anchors.len());
                    anchors.push((name.clone(), item.clone()));
                    *item = json!({"__alias": name});
                }
            }
        }
        if properties.is_empty() || !choices.coin() {
            continue;
        }
        let keys: Vec<String> = properties.keys().cloned().collect();
        let mut merged = serde_json::Map::new();
        for key in keys {
            if choices.coin() {
                if let Some(v) = properties.remove(&key) {
                    merged.insert(key, v);
                }
            } else if choices.coin() {
                merged.insert(key, json!("decoy"));
            }
        }
        let name = format!("m{}", merges.len());
        merges.push((name.clone(), Value::Object(merged)));
        properties.insert("__merge".into(), json!(name));
    }
    anchors.extend(merges);
    (out, anchors)
}

proptest! {
    #![proptest_config(config())]

    /// Splitting a source open to the world into blocks that cover it, in
    /// the group's own list and in standalone ingress rules, never changes
    /// which rules fire, the risk or the verdict.
    #[test]
    fn splitting_an_open_cidr_never_changes_the_verdict(
        others in vec(permission(), 0..3),
        open in open_permission(),
        v6 in any::<bool>(),
        seed in any::<u64>(),
        rules in ingress_rule_set(),
        thresholds in thresholds(),
    ) {
        let (unsplit, split) = open_and_split(others, open, v6, seed);
        prop_assert_eq!(
            verdict_of(&unsplit, &rules, &thresholds),
            verdict_of(&split, &rules, &thresholds),
            "{}\n{}", unsplit, split
        );
    }

    /// Aliases and merge keys never change the outcome compared with the
    /// same template written out.
    #[test]
    fn an_alias_or_merge_key_never_changes_the_outcome(
        value in template(),
        rules in rule_set(),
        thresholds in thresholds(),
        seed in any::<u64>(),
    ) {
        let written = yaml(&value, false);
        let (marked, anchors) = with_aliases(&value, seed);
        let aliased = aliased_yaml(&marked, &anchors);
        let outcome_of = |text: &str| {
            let template = Template::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{text}"));
            comparable(evaluate(&template, &rules, &thresholds).unwrap())
        };
        prop_assert_eq!(outcome_of(&written), outcome_of(&aliased), "{}", aliased);
    }
}
