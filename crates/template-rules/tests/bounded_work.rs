//! The work of one evaluation is bounded for the template as a whole
//! (resolving values, the sources kept, the unions of ingress sources),
//! and what other resources use up never turns a resolved finding into an
//! unresolved one: decoys placed before an open group leave it failing.

mod support;

use std::fmt::Write;

use support::worst_cases::unplaced_with_groups;
use template_rules::{Finding, Report, RuleSet, Template, Thresholds, Verdict, evaluate};

fn evaluate_text(text: &str) -> Report {
    let template = Template::parse(text.as_bytes()).expect("the template parses");
    evaluate(&template, &RuleSet::defaults(), &Thresholds::default()).expect("evaluates")
}

fn on<'r>(report: &'r Report, resource: &str) -> Vec<&'r Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.resource == resource)
        .collect()
}

/// Whether some finding is unresolved because `what` was spent: the decoys
/// did use it up, so the test is about what it claims.
fn spent(report: &Report, what: &str) -> bool {
    report
        .findings
        .iter()
        .any(|f| f.unresolved.iter().any(|u| u.contains(what)))
}

/// `decoys` groups whose source is looked up by region in a mapping of
/// `entries` blocks (thousands of steps and sources each), then `real`.
fn decoys_then(decoys: usize, entries: usize, real: &str) -> String {
    let mut out = String::from(
        "Parameters:\n  Open: {Type: String, Default: 0.0.0.0/0}\nConditions:\n  InProd: !Equals [!Ref AWS::Region, eu-west-1]\nMappings:\n  Small: {Ssh: {Cidr: 0.0.0.0/0}}\n  Wide:\n",
    );
    for r in 0..entries - 1 {
        let _ = writeln!(out, "    r{r}: {{c: 10.{}.{}.0/24}}", r / 256, r % 256);
    }
    // Wide enough that a union with it may cover, once not all is kept.
    out.push_str("    last: {c: 0.0.0.0/1}\n");
    out.push_str("Resources:\n");
    for d in 0..decoys {
        let _ = writeln!(
            out,
            "  D{d}: {{Type: AWS::EC2::SecurityGroup, Properties: {{GroupDescription: d, SecurityGroupIngress: [{{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !FindInMap [Wide, !Ref AWS::Region, c]}}]}}}}"
        );
    }
    out.push_str(real);
    out
}

/// Ways a group is open to the world on port 22 that take a few steps of
/// the group's own to work out.
const OPEN_THROUGH: &[(&str, &str)] = &[
    ("!Ref Open", "0.0.0.0/0 (default of parameter Open)"),
    ("!Sub '${Open}'", "0.0.0.0/0 (default of parameter Open)"),
    ("!FindInMap [Small, Ssh, Cidr]", "0.0.0.0/0"),
    (
        "!Select [0, [!Ref Open]]",
        "0.0.0.0/0 (default of parameter Open)",
    ),
    (
        "!If [InProd, !Ref Open, 10.0.0.0/8]",
        "0.0.0.0/0 (default of parameter Open)",
    ),
    ("0.0.0.0/0", "0.0.0.0/0"),
];

fn real_group(name: &str, cidr: &str) -> String {
    format!(
        "  {name}: {{Type: AWS::EC2::SecurityGroup, Properties: {{GroupDescription: r, SecurityGroupIngress: [{{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: {cidr}}}]}}}}\n"
    )
}

#[test]
fn decoys_that_use_up_resolving_leave_a_group_open_through_its_own_values_failing() {
    let real: String = OPEN_THROUGH
        .iter()
        .enumerate()
        .map(|(i, (cidr, _))| real_group(&format!("Real{i}"), cidr))
        .collect();
    // 600 lookups of 4 000 steps each: twice the template's steps.
    let report = evaluate_text(&decoys_then(600, 2_000, &real));
    assert!(
        spent(&report, "the template's values take more than"),
        "the decoys did not use up the steps"
    );
    assert_eq!(report.verdict, Verdict::Fail);
    for (i, (cidr, shown)) in OPEN_THROUGH.iter().enumerate() {
        let real = on(&report, &format!("Real{i}"));
        assert_eq!(real.len(), 2, "{cidr}: {real:?}");
        for finding in real {
            assert!(!finding.is_unresolved(), "{cidr}: {finding:?}");
            assert_eq!(
                finding.reason,
                format!("SecurityGroupIngress[0] admits tcp 22 from {shown}"),
                "{cidr}"
            );
        }
    }
}

#[test]
fn decoys_that_use_up_the_sources_kept_leave_resolved_findings_resolved() {
    // 60 lookups of 2 000 blocks each (the first ones resolve in full):
    // more sources than the template keeps.
    let real = "  Halves:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: h
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/1}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 128.0.0.0/1}
";
    let text = decoys_then(
        60,
        2_000,
        &format!("{real}{}", real_group("Real", "!Ref Open")),
    );
    let report = evaluate_text(&text);
    assert!(
        spent(&report, "not all kept"),
        "the decoys did not use up the sources kept"
    );
    assert_eq!(report.verdict, Verdict::Fail);
    for (resource, reason) in [
        (
            "Halves",
            "SecurityGroupIngress[0] (0.0.0.0/1), SecurityGroupIngress[1] (128.0.0.0/1) together admit tcp 22 from every IPv4 address",
        ),
        (
            "Real",
            "SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 (default of parameter Open)",
        ),
    ] {
        let found = on(&report, resource);
        assert_eq!(found.len(), 2, "{resource}: {found:?}");
        for finding in found {
            assert!(!finding.is_unresolved(), "{finding:?}");
            assert_eq!(finding.reason, reason);
        }
    }
    // A decoy whose blocks were not all kept may be open together.
    let decoy = on(&report, "D59");
    assert!(
        decoy.iter().all(|f| f.is_unresolved()) && !decoy.is_empty(),
        "{decoy:?}"
    );
}

/// A group whose sources (`parts` blocks, each on its own ports from 1000
/// up, and the lower half twice) may cover the internet at every port
/// where one joins, and do only at the last: a union of `parts`² / 2 steps.
fn costly_group(name: &str, parts: usize) -> String {
    let mut out = format!(
        "  {name}: {{Type: AWS::EC2::SecurityGroup, Properties: {{GroupDescription: g, SecurityGroupIngress: [{{IpProtocol: tcp, FromPort: 0, ToPort: 65535, CidrIp: 0.0.0.0/1}}, {{IpProtocol: tcp, FromPort: 0, ToPort: 65535, CidrIp: 0.0.0.0/1}}"
    );
    for i in 0..parts {
        let _ = write!(
            out,
            ", {{IpProtocol: tcp, FromPort: {}, ToPort: 65535, CidrIp: *c}}",
            1000 + i
        );
    }
    out.push_str(", {IpProtocol: tcp, FromPort: 65000, ToPort: 65535, CidrIp: 128.0.0.0/1}]}}\n");
    out
}

#[test]
fn unions_past_the_templates_work_may_fire_and_a_groups_own_cover_stays_resolved() {
    // Each decoy's union takes some 570 000 steps: 14 of them take more
    // than the template's unions may.
    let mut text = String::from("Cidr: &c 10.0.0.0/8\nResources:\n");
    for d in 0..14 {
        text.push_str(&costly_group(&format!("D{d}"), 1_070));
    }
    text.push_str(
        "  Halves:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: h
      SecurityGroupIngress:
        - {IpProtocol: '-1', CidrIp: 0.0.0.0/1}
        - {IpProtocol: '-1', CidrIp: 128.0.0.0/1}
",
    );
    let report = evaluate_text(&text);
    assert!(
        spent(&report, "the template's unions take more than"),
        "the decoys did not use up the unions' work: {:?}",
        report
            .findings
            .iter()
            .map(|f| &f.reason)
            .collect::<Vec<_>>()
    );
    // The first decoys are worked out (they cover, on ports 65000 up) ...
    let first = on(&report, "D0");
    assert!(
        first.iter().any(|f| !f.is_unresolved()
            && f.reason
                .ends_with("and 1068 more together admit tcp 65000 from every IPv4 address")),
        "{first:?}"
    );
    // ... the last may (not checked) ...
    let last = on(&report, "D13");
    assert!(
        !last.is_empty() && last.iter().all(|f| f.is_unresolved()),
        "{last:?}"
    );
    // ... and a group's own cover is resolved whatever came before it.
    let halves = on(&report, "Halves");
    assert_eq!(halves.len(), 2, "{halves:?}");
    assert!(halves.iter().all(|f| !f.is_unresolved()), "{halves:?}");
    assert_eq!(report.verdict, Verdict::Fail);
}

#[test]
fn every_group_a_rule_whose_group_is_not_known_may_join_is_checked_or_said_not_to_be() {
    let report = evaluate_text(&unplaced_with_groups(1_500, 300));
    assert!(spent(&report, "the template's unions take more than"));
    assert_eq!(report.verdict, Verdict::Flagged);
    // Every group may be open: worked out, or said not to be checked.
    for g in 0..300 {
        let found = on(&report, &format!("G{g}"));
        assert!(
            found
                .iter()
                .any(|f| f.rule == "IngressOpenToWorld" && f.is_unresolved()),
            "G{g}: {found:?}"
        );
    }
    let first = on(&report, "G0");
    assert!(
        first[0]
            .reason
            .contains("together may admit tcp 1500 from every IPv4 address")
            && first[0]
                .unresolved
                .iter()
                .any(|u| u.starts_with("which security group ingress rule In")),
        "{first:?}"
    );
    let last = on(&report, "G299");
    assert!(
        last.iter().any(|f| f.reason
            == "3 permissions of the group and 1500 ingress rules whose group is not known may together admit all traffic from every address (not checked: the template's unions take more than 8000000 steps)"),
        "{last:?}"
    );
}
