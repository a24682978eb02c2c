//! Templates of at most 1 MiB built to cost the most: alias amplification,
//! long `Fn::Join`/`Fn::Sub` chains, `Fn::If` inside `Fn::Join`, wide
//! mappings, lookups that fan out, unions of many sources, loops that
//! generate a lot, containers written as `Fn::If`; and work bounded for
//! the template as a whole: standalone ingress rules whose group is not
//! known joined with thousands of groups, aliased permissions and lookups,
//! decoys that use up the steps before a group open through a `Default`.
//! Each says what the engine must conclude, so that
//! `tests/worst_cases.rs` checks the outcome, `benches/worst_cases.rs` the
//! time and `examples/worst_case.rs` (one per process) the peak memory.

#![allow(dead_code)] // each user takes what it needs

use std::fmt::Write;

use template_rules::{RuleItem, RuleSet, Verdict};

/// CloudFormation's limit, and so ours.
pub const MAX_BYTES: usize = 1024 * 1024;

/// What evaluating a case must give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// The template is refused (exit 2), with a message containing this.
    Refused(&'static str),
    /// This verdict, with (or without) an unresolved finding.
    Verdict { verdict: Verdict, unresolved: bool },
}

pub struct Case {
    pub name: &'static str,
    make: fn() -> String,
    pub expected: Expected,
}

impl Case {
    /// The template (built on demand: a process measuring one case holds
    /// only that one).
    pub fn text(&self) -> String {
        let text = (self.make)();
        assert!(
            text.len() <= MAX_BYTES,
            "{} is {} bytes",
            self.name,
            text.len()
        );
        text
    }
}

/// Every rule type active: the default rules and a regex rule.
pub fn rules() -> RuleSet {
    let mut items = RuleSet::default_items();
    for item in &mut items {
        item.active = Some("Y".into());
    }
    items.push(RuleItem {
        rule: Some("Pathological".into()),
        category: Some("SecurityGroup".into()),
        ruletype: Some("regex".into()),
        ruledata: Some("(a+)+b".into()),
        riskvalue: Some(1.into()),
        active: Some("Y".into()),
        ..RuleItem::default()
    });
    RuleSet::from_items(items)
}

const fn verdict(verdict: Verdict, unresolved: bool) -> Expected {
    Expected::Verdict {
        verdict,
        unresolved,
    }
}

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "alias-scalar-200kB-x2600",
            make: alias_scalar,
            // The regex rule cannot read 500 MB of text: unresolved.
            expected: verdict(Verdict::Fail, true),
        },
        Case {
            name: "alias-lists-450k-values",
            make: alias_lists,
            expected: verdict(Verdict::Fail, false),
        },
        Case {
            name: "alias-bomb",
            make: alias_bomb,
            expected: Expected::Refused("expands to more than 500000 values"),
        },
        Case {
            name: "alias-keys",
            make: alias_keys,
            expected: Expected::Refused("copy more than"),
        },
        Case {
            name: "merge-keys",
            make: merge_keys,
            expected: Expected::Refused("copy more than"),
        },
        Case {
            name: "flow-list-that-may-be-a-key",
            make: flow_key,
            expected: Expected::Refused("expands to more than 500000 values"),
        },
        Case {
            name: "join-100k-pieces",
            make: long_join,
            expected: verdict(Verdict::Flagged, true),
        },
        Case {
            name: "sub-100k-variables",
            make: long_sub,
            expected: verdict(Verdict::Flagged, true),
        },
        Case {
            name: "nested-join-chain",
            make: nested_join,
            expected: verdict(Verdict::Flagged, true),
        },
        Case {
            name: "if-inside-join",
            make: if_inside_join,
            expected: verdict(Verdict::Flagged, true),
        },
        Case {
            name: "wide-mapping-last-entry-open",
            make: wide_mapping,
            expected: verdict(Verdict::Flagged, true),
        },
        Case {
            name: "many-lookups",
            make: many_lookups,
            expected: verdict(Verdict::Fail, false),
        },
        Case {
            name: "fan-out-lookups",
            make: fan_out,
            expected: verdict(Verdict::Flagged, true),
        },
        Case {
            name: "union-of-many-sources",
            make: many_sources,
            expected: verdict(Verdict::Fail, false),
        },
        Case {
            name: "regex-on-1MB",
            make: regex_text,
            expected: verdict(Verdict::Pass, false),
        },
        Case {
            name: "foreach-generates-a-lot",
            make: foreach_many,
            expected: Expected::Refused("Fn::ForEach generates more than"),
        },
        Case {
            name: "fn-if-containers-64-forms-each",
            make: if_containers,
            expected: verdict(Verdict::Fail, false),
        },
        Case {
            name: "unplaced-ingress-x-many-groups",
            make: unplaced_many_groups,
            expected: verdict(Verdict::Flagged, true),
        },
        Case {
            name: "unplaced-ingress-that-cover-only-with-a-group",
            make: unplaced_with_each_group,
            expected: verdict(Verdict::Flagged, true),
        },
        Case {
            name: "aliased-entries-64-way-lookup",
            make: aliased_lookups,
            expected: verdict(Verdict::Flagged, true),
        },
        Case {
            name: "aliased-permissions-52k",
            make: aliased_permissions,
            expected: verdict(Verdict::Fail, false),
        },
        Case {
            name: "decoys-then-open-default",
            make: decoys_then_open_default,
            expected: verdict(Verdict::Fail, true),
        },
        Case {
            name: "deep-nesting",
            make: deep_nesting,
            expected: verdict(Verdict::Pass, false),
        },
    ]
}

const SG: &str = "Type: AWS::EC2::SecurityGroup";

/// A 200 kB string anchored once and aliased 2 600 times in one group's
/// tags: 500 MB if copied.
fn alias_scalar() -> String {
    let mut out = format!(
        "Big: &big \"{}\"\nResources:\n  Sg:\n    {SG}\n    Properties:\n      GroupDescription: *big\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0, Description: *big}}\n      Tags:\n",
        "a".repeat(200_000)
    );
    while out.len() < MAX_BYTES - 40 {
        out.push_str("        - {Key: k, Value: *big}\n");
    }
    out
}

/// 1 000 permissions in one list, used by 50 groups: 450 000 values once
/// written out, every one of them walked by the rules.
fn alias_lists() -> String {
    let mut out = String::from(
        "Perm: &p {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}\nOpen: &o {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}\nList: &list [",
    );
    for _ in 0..999 {
        out.push_str("*p, ");
    }
    out.push_str("*o]\nResources:\n");
    for i in 0..50 {
        let _ = write!(
            out,
            "  Sg{i}:\n    {SG}\n    Properties:\n      GroupDescription: g\n      SecurityGroupIngress: *list\n"
        );
    }
    out
}

/// Ten levels of ten aliases each: 10 billion values.
fn alias_bomb() -> String {
    let mut out = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        let _ = writeln!(
            out,
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]"
        );
    }
    out.push_str("Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties: {GroupDescription: *a9}\n");
    out
}

/// A 100 kB key (with an escape, so it is a copy) used as the key of
/// 9 000 mappings.
fn alias_keys() -> String {
    let mut out = format!(
        "Key: &k \"\\u0041{}\"\nResources:\n  Sg:\n    {SG}\n    Properties:\n      GroupDescription: g\n      Tags:\n",
        "a".repeat(100_000)
    );
    while out.len() < MAX_BYTES - 40 {
        out.push_str("        - {*k : v}\n");
    }
    out
}

/// A mapping of 2 000 entries merged into 2 000 others.
fn merge_keys() -> String {
    let mut out = String::from("Base: &base\n");
    for i in 0..2_000 {
        let _ = writeln!(out, "  \"\\u0041key{i}\": v");
    }
    out.push_str("Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g\n      Tags:\n");
    while out.len() < MAX_BYTES - 40 {
        out.push_str("        - {<<: *base}\n");
    }
    out
}

/// A 1 MiB flow list where a mapping key may start (`- [a, a, …]`): a
/// reader that keeps every token until it knows whether a `:` follows
/// holds half a million of them.
fn flow_key() -> String {
    let mut out = String::from(
        "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      Tags:\n        - [",
    );
    while out.len() < MAX_BYTES - 10 {
        out.push_str("a,");
    }
    out.push_str("a]\n");
    out
}

fn ingress_with(cidr: &str) -> String {
    format!(
        "Resources:\n  Sg:\n    {SG}\n    Properties:\n      GroupDescription: g\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 22\n          ToPort: 22\n          CidrIp: {cidr}\n"
    )
}

/// `Fn::Join` of 100 000 pieces: a string that grows past every cap.
fn long_join() -> String {
    let mut pieces = String::new();
    while pieces.len() < MAX_BYTES - 400 {
        pieces.push_str("\"0.0.\", ");
    }
    pieces.push_str("\"0/0\"");
    ingress_with(&format!("!Join [\"\", [{pieces}]]"))
}

/// `Fn::Sub` with 100 000 variables, each a parameter's default.
fn long_sub() -> String {
    let mut pattern = String::new();
    while pattern.len() < MAX_BYTES - 400 {
        pattern.push_str("${P}");
    }
    let mut out = String::from("Parameters:\n  P: {Type: String, Default: \"0.\"}\n");
    out.push_str(&ingress_with(&format!("!Sub \"{pattern}/0\"")));
    out
}

/// `Fn::Join` chained 3 000 deep, each level joining the level below twice.
fn nested_join() -> String {
    // Each level refers to the one below twice, through a parameter
    // default (which CloudFormation would not take, but the engine reads).
    let mut out = String::from("Parameters:\n");
    let _ = writeln!(out, "  L0: {{Type: String, Default: \"0.0.0.0/0\"}}");
    for i in 1..3_000 {
        let p = i - 1;
        let _ = writeln!(
            out,
            "  L{i}: {{Type: String, Default: !Join [\"\", [!Ref L{p}, !Ref L{p}]]}}"
        );
    }
    out.push_str(&ingress_with("!Ref L2999"));
    out
}

/// 60 `Fn::If`s inside one `Fn::Join`: 2^60 alternatives.
fn if_inside_join() -> String {
    let mut out = String::from("Resources:\n");
    for g in 0..3_000 {
        let pieces = vec!["!If [C, \"1\", \"0\"]"; 60];
        let _ = write!(
            out,
            "  Sg{g}:\n    {SG}\n    Properties:\n      GroupDescription: g\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Join [\"\", [{}]]}}\n",
            pieces.join(", ")
        );
        if out.len() > MAX_BYTES - 1_000 {
            break;
        }
    }
    out
}

/// A mapping of 40 000 entries looked up by region; the last is open.
fn wide_mapping() -> String {
    let mut out = String::from("Mappings:\n  Wide:\n");
    let mut i = 0;
    while out.len() < MAX_BYTES - 1_000 {
        let _ = writeln!(out, "    r{i}: {{c: 10.0.0.0/8}}");
        i += 1;
    }
    out.push_str("    last: {c: 0.0.0.0/0}\n");
    out.push_str(&ingress_with("!FindInMap [Wide, !Ref AWS::Region, c]"));
    out
}

/// 5 000 groups, each looking up a 30-region mapping: ordinary work, a lot of it.
fn many_lookups() -> String {
    let mut out = String::from("Mappings:\n  Cidrs:\n");
    for r in 0..29 {
        let _ = writeln!(out, "    region-{r}: {{Ssh: 10.{r}.0.0/16}}");
    }
    out.push_str("    region-29: {Ssh: 0.0.0.0/0}\nResources:\n");
    let mut g = 0;
    while out.len() < MAX_BYTES - 400 {
        let _ = write!(
            out,
            "  Sg{g}:\n    {SG}\n    Properties:\n      GroupDescription: g\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !FindInMap [Cidrs, !Ref \"AWS::Region\", Ssh]}}\n"
        );
        g += 1;
    }
    out
}

/// Groups whose six ingress entries are each written as `Fn::If` on a
/// condition of its own: 64 forms each, until the forms of the template
/// reach their cap (the groups after it are read as written).
fn if_containers() -> String {
    let mut out = String::from("Conditions:\n");
    for c in 0..6 {
        let _ = writeln!(out, "  C{c}: !Equals [!Ref AWS::Region, r{c}]");
    }
    out.push_str("Resources:\n");
    let mut g = 0;
    while out.len() < MAX_BYTES - 1_000 {
        let _ = write!(
            out,
            "  Sg{g}:\n    {SG}\n    Properties:\n      GroupDescription: g\n      SecurityGroupIngress:\n"
        );
        for c in 0..6 {
            let cidr = if c == 5 { "0.0.0.0/0" } else { "10.0.0.0/8" };
            let _ = writeln!(
                out,
                "        - !If [C{c}, {{IpProtocol: tcp, FromPort: {c}, ToPort: {c}, CidrIp: {cidr}}}, !Ref AWS::NoValue]"
            );
        }
        g += 1;
    }
    out
}

/// Each mapping entry looks up every entry of the next mapping: 4^30 paths.
fn fan_out() -> String {
    let mut text = String::from("Mappings:\n");
    for m in 0..30 {
        let _ = writeln!(text, "  M{m}:");
        for k in ["a", "b"] {
            let _ = writeln!(text, "    {k}:");
            for v in ["x", "y"] {
                let _ = writeln!(
                    text,
                    "      {v}: !FindInMap [M{}, !Ref AWS::Region, !Ref AWS::Region]",
                    m + 1
                );
            }
        }
    }
    text.push_str("  M30:\n    a:\n      x: 10.0.0.0/8\n");
    text.push_str(&ingress_with("!FindInMap [M0, a, x]"));
    text
}

/// One group with 10 000 sources on as many ports, whose union covers
/// the internet on port 22 only.
fn many_sources() -> String {
    let mut out = format!(
        "Resources:\n  Sg:\n    {SG}\n    Properties:\n      GroupDescription: g\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/1}}\n"
    );
    let mut port = 1000u32;
    while out.len() < MAX_BYTES - 200 {
        let _ = writeln!(
            out,
            "        - {{IpProtocol: tcp, FromPort: {port}, ToPort: {port}, CidrIp: 128.0.0.0/1}}"
        );
        port += 1;
    }
    out.push_str("        - {IpProtocol: tcp, FromPort: 0, ToPort: 22, CidrIp: 128.0.0.0/1}\n");
    out
}

/// A 1 MB description the regex rule `(a+)+b` takes exponential time on
/// with backtracking.
fn regex_text() -> String {
    let description = "a".repeat(MAX_BYTES - 200);
    format!(
        "Resources:\n  Sg:\n    {SG}\n    Properties:\n      GroupDescription: \"{description}\"\n"
    )
}

/// A loop over 20 000 items, each generating a group of a few values.
fn foreach_many() -> String {
    let mut items = String::new();
    let mut i = 0;
    while items.len() < MAX_BYTES - 2_000 {
        let _ = write!(items, "i{i}, ");
        i += 1;
    }
    format!(
        "Transform: AWS::LanguageExtensions\nBody: &body\n  Type: AWS::EC2::SecurityGroup\n  Properties:\n    GroupDescription: !Sub \"${{X}}\"\n    SecurityGroupIngress: [{{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}}, {{IpProtocol: tcp, FromPort: 23, ToPort: 23, CidrIp: 10.0.0.0/8}}]\nResources:\n  Fn::ForEach::Many:\n    - X\n    - [{items}last]\n    - Sg${{X}}: *body\n"
    )
}

/// 120 levels of nesting in 8 000 resources.
fn deep_nesting() -> String {
    let mut out = String::from("Resources:\n");
    let mut i = 0;
    while out.len() < MAX_BYTES - 1_000 {
        let _ = writeln!(
            out,
            "  R{i}: {{Type: Custom::Thing, Properties: {{P: {}{}}}}}",
            "[".repeat(120),
            "]".repeat(120)
        );
        i += 1;
    }
    out
}

/// 1 500 standalone ingress rules whose group cannot be placed (`GroupId:
/// !ImportValue`), each open on the lower half of the internet from its own
/// port up, and as many groups as fit (aliases), each of which the rules
/// may belong to.
fn unplaced_many_groups() -> String {
    let mut out = String::from(
        "Group: &g {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: g, SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 1, ToPort: 1, CidrIp: 10.0.0.0/8}]}}\nResources:\n",
    );
    for i in 0..1_500 {
        let _ = writeln!(
            out,
            "  In{i}: {{Type: AWS::EC2::SecurityGroupIngress, Properties: {{GroupId: !ImportValue x, IpProtocol: tcp, FromPort: {}, ToPort: 65535, CidrIp: 0.0.0.0/1}}}}",
            i + 1
        );
    }
    let mut g = 0;
    while out.len() < MAX_BYTES - 100 && g < 25_000 {
        let _ = writeln!(out, "  G{g}: *g");
        g += 1;
    }
    out
}

/// Like [`unplaced_many_groups`], but the rules whose group is not known
/// cannot cover the internet alone: only with each group's own sources,
/// so every group's union is worked out with them, as far as the
/// template's work allows.
fn unplaced_with_each_group() -> String {
    unplaced_with_groups(1_500, 12_000)
}

/// `rules` standalone ingress rules whose group is not known, each open on
/// a /12 from its own port up, and `groups` groups whose own sources cover
/// the internet but for what the last 1 280 rules may fill: a union with
/// them may cover only at the last port.
pub fn unplaced_with_groups(rules: usize, groups: usize) -> String {
    let mut out = String::from(
        "Group: &g {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: g, SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 0, ToPort: 65535, CidrIp: 0.0.0.0/1}, {IpProtocol: tcp, FromPort: 0, ToPort: 65535, CidrIp: 128.0.0.0/3}, {IpProtocol: tcp, FromPort: 0, ToPort: 65535, CidrIp: 160.0.0.0/4}]}}\nResources:\n",
    );
    let filling = rules.saturating_sub(1_280);
    for i in 0..rules {
        // 176.0.0.0 up is what the groups leave open.
        let block = match i.checked_sub(filling) {
            Some(j) => (176 + j / 16, (j % 16) * 16),
            None => (10 + i / 16 % 100, (i % 16) * 16),
        };
        let _ = writeln!(
            out,
            "  In{i}: {{Type: AWS::EC2::SecurityGroupIngress, Properties: {{GroupId: !ImportValue x, IpProtocol: tcp, FromPort: {}, ToPort: 65535, CidrIp: {}.{}.0.0/12}}}}",
            i + 1,
            block.0,
            block.1
        );
    }
    for g in 0..groups {
        let _ = writeln!(out, "  G{g}: *g");
    }
    out
}

/// 30 000 aliases of one ingress entry whose source is looked up by region
/// in a mapping of 64 entries.
fn aliased_lookups() -> String {
    let mut out = String::from("Mappings:\n  Cidrs:\n");
    for r in 0..64 {
        let _ = writeln!(out, "    r{r}: {{c: 10.{r}.0.0/16}}");
    }
    out.push_str(
        "Entry: &e {IpProtocol: '-1', CidrIp: !FindInMap [Cidrs, !Ref AWS::Region, c]}\nList: &l [",
    );
    for _ in 0..30_000 {
        out.push_str("*e, ");
    }
    out.push_str("*e]\nResources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties: {GroupDescription: g, SecurityGroupIngress: *l}\n  Open:\n    Type: AWS::EC2::SecurityGroup\n    Properties: {GroupDescription: g, SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !ImportValue x}]}\n");
    out
}

/// As many permissions as the values cap allows (aliases of one entry),
/// the last one open.
fn aliased_permissions() -> String {
    let mut out = String::from(
        "Perm: &p {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}\nResources:\n  Sg: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: g, SecurityGroupIngress: [",
    );
    for _ in 0..52_000 {
        out.push_str("*p, ");
    }
    out.push_str("{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}]}}\n");
    out
}

/// 5 400 groups whose sources are looked up in a wide mapping by region,
/// using up the steps resolving may take, then a group open to the world
/// through a parameter's `Default`: it must still fail.
fn decoys_then_open_default() -> String {
    let mut out = String::from(
        "Parameters:\n  Open: {Type: String, Default: 0.0.0.0/0}\nMappings:\n  Wide:\n",
    );
    for r in 0..400 {
        let _ = writeln!(out, "    r{r}: {{c: 10.{}.{}.0/24}}", r / 256, r % 256);
    }
    out.push_str("Resources:\n");
    for g in 0..5_400 {
        let _ = writeln!(
            out,
            "  D{g}: {{Type: AWS::EC2::SecurityGroup, Properties: {{SecurityGroupIngress: [{{IpProtocol: '-1', CidrIp: !FindInMap [Wide, !Ref AWS::Region, c]}}]}}}}"
        );
    }
    out.push_str("  Real: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: r, SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Open}]}}\n");
    out
}
