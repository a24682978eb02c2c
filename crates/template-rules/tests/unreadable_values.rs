//! Values that cannot be read never pass silently (issue 19, item 5): an
//! ingress rule's protocol left out, misspelt or no protocol; a CIDR that
//! does not parse; a port written with a leading zero (read two ways by
//! YAML 1.1 and 1.2); the values one property may take counted together
//! in a union; a suppression whose reason shows nothing. Each is a class,
//! generated: the rule fires, or may (unresolved), or the template is
//! refused — never nothing.

use ipnet::IpNet;
use proptest::prelude::*;
use template_rules::{Finding, Report, RuleSet, Template, Thresholds, Verdict, evaluate};

fn report(template: &str) -> Report {
    let template =
        Template::parse(template.as_bytes()).unwrap_or_else(|e| panic!("refused: {e}\n{template}"));
    evaluate(&template, &RuleSet::defaults(), &Thresholds::default()).unwrap()
}

fn ssh(report: &Report) -> Option<&Finding> {
    report.findings.iter().find(|f| f.rule == "SSHOpenToWorld")
}

/// A group with one permission, written as a YAML flow mapping.
fn group(permission: &str) -> String {
    format!(
        "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: x\n      SecurityGroupIngress:\n        - {permission}\n"
    )
}

/// The SSH rule may fire on it, naming `what`; the template is flagged.
fn assert_may_fire(template: &str, what: &str) {
    let report = report(template);
    let ssh = ssh(&report).unwrap_or_else(|| panic!("no SSH finding: {template}"));
    assert!(ssh.is_unresolved(), "{ssh:?}");
    assert!(
        ssh.unresolved.iter().any(|u| u.contains(what)),
        "{what:?} not in {:?}",
        ssh.unresolved
    );
    assert_ne!(report.verdict, Verdict::Pass);
}

/// Protocols CloudFormation would not take, written every way a template can.
fn bad_protocol() -> impl Strategy<Value = (String, &'static str)> {
    prop_oneof![
        Just((String::new(), "IpProtocol, which is not there")),
        Just((
            "IpProtocol: true, ".to_string(),
            "IpProtocol true, which is no protocol"
        )),
        Just((
            "IpProtocol: false, ".to_string(),
            "IpProtocol false, which is no protocol"
        )),
        Just((
            "IpProtocol: ~, ".to_string(),
            "IpProtocol null, which is no protocol"
        )),
        Just((
            "IpProtocol: null, ".to_string(),
            "IpProtocol null, which is no protocol"
        )),
        Just((
            "IpProtocol: [tcp], ".to_string(),
            "IpProtocol a list, which is no protocol"
        )),
        Just((
            "IpProtocol: {Name: tcp}, ".to_string(),
            "IpProtocol a mapping, which is no protocol"
        )),
        // `AWS::NoValue` removes the key: as if it were not there.
        Just((
            "IpProtocol: !Ref AWS::NoValue, ".to_string(),
            "IpProtocol, which is not there"
        )),
        // No protocol's name or number.
        "[a-z]{1,8}"
            .prop_filter("a protocol's name", |name| {
                !["tcp", "udp", "icmp", "icmpv6", "all"].contains(&name.as_str())
            })
            .prop_map(|name| (
                format!("IpProtocol: {name}, "),
                "which is no protocol's name or number"
            )),
        (256u32..100_000).prop_map(|n| (
            format!("IpProtocol: {n}, "),
            "which is no protocol's name or number"
        )),
        (2u32..1000).prop_map(|n| (
            format!("IpProtocol: '-{n}', "),
            "which is no protocol's name or number"
        )),
        // The key misspelt: no protocol, and a key that is none of a rule's.
        // (A quote in a double-quoted key is written escaped.)
        "[A-Za-z]{0,3}[\"' ]?".prop_map(|noise| {
            (
                format!("\"IpProtocol{}x\": tcp, ", noise.replace('"', "\\\"")),
                "which is no property of an ingress rule",
            )
        }),
        Just((
            "ipprotocol: tcp, ".to_string(),
            "the key ipprotocol, which is no property"
        )),
    ]
}

/// Texts that look like a CIDR open to the world, and are none that
/// `ipnet` reads.
fn bad_cidr() -> impl Strategy<Value = String> {
    let address = prop_oneof![
        Just("0".to_string()),
        Just("0.0.0".to_string()),
        Just("0.0.0.0.0".to_string()),
        Just("0x0.0.0.0".to_string()),
        Just("0.0.0.0x".to_string()),
        Just(":::".to_string()),
        Just("::g".to_string()),
        Just("0.0.0.256".to_string()),
        Just("1.2.3.-4".to_string()),
        "[0-9a-fx:.]{1,10}",
    ];
    let prefix = prop_oneof![
        Just("/-0".to_string()),
        Just("/+0".to_string()),
        Just("/0x0".to_string()),
        Just("/0/0".to_string()),
        Just("/0%eth0".to_string()),
        Just("/ 0".to_string()),
        Just("/0 0".to_string()),
        Just("/".to_string()),
        Just("/999".to_string()),
        Just("".to_string()),
        "/[0-9]{1,2}[%a-z ]{1,3}",
    ];
    (address, prefix)
        .prop_map(|(a, p)| format!("{a}{p}"))
        .prop_filter("ipnet reads it", |text| {
            text.trim().parse::<IpNet>().is_err() && !text.trim().is_empty()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    /// A protocol left out, misspelt, no protocol's name or number, a
    /// boolean, null, a list: the SSH rule may fire, naming why.
    #[test]
    fn a_protocol_that_cannot_be_read_may_be_any((protocol, what) in bad_protocol()) {
        let template = group(&format!("{{{protocol}FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}}"));
        assert_may_fire(&template, what);
    }

    /// A CIDR that does not parse may be any source: the SSH rule may fire,
    /// naming it (or, read leniently as open to the world, fires).
    #[test]
    fn a_cidr_that_does_not_parse_may_be_any_source(cidr in bad_cidr(), v6 in any::<bool>()) {
        let key = if v6 { "CidrIpv6" } else { "CidrIp" };
        let quoted = cidr.replace('\'', "''");
        let template = group(&format!("{{IpProtocol: tcp, FromPort: 22, ToPort: 22, {key}: '{quoted}'}}"));
        let report = report(&template);
        let found = ssh(&report);
        prop_assert!(found.is_some(), "{} passed: {:?}", cidr, report.findings);
        let found = found.unwrap();
        prop_assert!(
            !found.is_unresolved() || found.unresolved.iter().any(|u| u.contains("which is no CIDR")),
            "{:?}", found
        );
        prop_assert_ne!(report.verdict, Verdict::Pass);
    }

    /// A port written with a leading zero is read both ways (YAML 1.1's
    /// octal, and decimal), quoted or not: when either reading admits 22,
    /// the SSH rule fires or may; when both do, it fires.
    #[test]
    fn a_port_with_a_leading_zero_is_read_both_ways(
        from in 0u32..2000,
        to in 0u32..2000,
        zeros in 1usize..3,
        octal_digits in any::<bool>(),
        quoted in any::<bool>(),
    ) {
        let (from, to) = (from.min(to), from.max(to));
        // Written with leading zeros, in digits that are octal or decimal.
        let write = |n: u32| {
            let digits = if octal_digits { format!("{n:o}") } else { n.to_string() };
            let text = format!("{}{digits}", "0".repeat(zeros));
            if quoted { format!("'{text}'") } else { text }
        };
        let readings = |n: u32| -> Vec<u32> {
            let digits = if octal_digits { format!("{n:o}") } else { n.to_string() };
            let decimal: u32 = digits.parse().unwrap();
            let mut out = vec![decimal];
            if let Ok(octal) = u32::from_str_radix(&digits, 8)
                && octal != decimal
            {
                out.push(octal);
            }
            out
        };
        let template = group(&format!(
            "{{IpProtocol: tcp, FromPort: {}, ToPort: {}, CidrIp: 0.0.0.0/0}}",
            write(from),
            write(to)
        ));
        // Both ends are read the same way.
        let (froms, tos) = (readings(from), readings(to));
        let ways = froms.len().max(tos.len());
        let way = |list: &Vec<u32>, i: usize| list[i.min(list.len() - 1)];
        let admits_22: Vec<bool> = (0..ways)
            .map(|i| {
                let (a, b) = (way(&froms, i), way(&tos, i));
                a.min(b) <= 22 && 22 <= a.max(b)
            })
            .collect();
        let report = report(&template);
        match (admits_22.iter().all(|a| *a), admits_22.iter().any(|a| *a)) {
            (true, _) => prop_assert!(ssh(&report).is_some(), "{}", template),
            (false, true) => {
                let found = ssh(&report);
                prop_assert!(found.is_some_and(Finding::is_unresolved), "{} {:?}", template, found);
            }
            (false, false) => prop_assert!(ssh(&report).is_none(), "{} {:?}", template, report.findings),
        }
    }

    /// The blocks `Fn::Cidr` makes of the internet (halves, quarters, ...)
    /// selected by an index not known are one of them, not all: the group
    /// may be open, unresolved; each written out in its own permission, it is.
    #[test]
    fn the_values_one_property_may_take_are_not_counted_together(bits in 1u32..=6, v6 in any::<bool>()) {
        let (all, key, max) = if v6 { ("::/0", "CidrIpv6", 128) } else { ("0.0.0.0/0", "CidrIp", 32) };
        let count = 1u32 << bits;
        let host_bits = max - bits;
        let template = format!(
            "Parameters:\n  Index: {{Type: Number}}\n{}",
            group(&format!(
                "{{IpProtocol: tcp, FromPort: 22, ToPort: 22, {key}: !Select [!Ref Index, !Cidr ['{all}', {count}, {host_bits}]]}}"
            ))
        );
        let report = report(&template);
        let found = ssh(&report);
        prop_assert!(found.is_some_and(Finding::is_unresolved), "{:?}", found);
        prop_assert!(found.unwrap().unresolved.iter().any(|u| u.contains("only together do its values cover every address")));
        prop_assert_eq!(report.verdict, Verdict::Flagged);
        // Each block in a permission of its own: they are all there.
        let written: Vec<String> = (0..count)
            .map(|i| format!("{{IpProtocol: tcp, FromPort: 22, ToPort: 22, {key}: !Select [{i}, !Cidr ['{all}', {count}, {host_bits}]]}}"))
            .collect();
        let template = group(&written.join("\n        - "));
        let report = self::report(&template);
        prop_assert!(ssh(&report).is_some_and(|f| !f.is_unresolved()), "{:?}", report.findings);
        prop_assert_eq!(report.verdict, Verdict::Fail);
    }

    /// A suppression whose reason shows nothing (white space, zero-width,
    /// format or control characters, combining marks, blank letters) is not
    /// applied, and says so; one visible character is enough.
    #[test]
    fn a_suppression_must_show_its_reason(
        blank in prop::collection::vec(prop::sample::select(vec![
            ' ', '\t', '\u{00A0}', '\u{2003}', '\u{3000}', '\u{200B}', '\u{200C}', '\u{200D}',
            '\u{2060}', '\u{FEFF}', '\u{00AD}', '\u{202E}', '\u{2066}', '\u{0007}', '\u{007F}',
            '\u{0085}', '\u{0301}', '\u{FE0F}', '\u{3164}', '\u{2800}', '\u{115F}', '\u{E0041}',
        ]), 0..12),
        seen in prop::option::of(prop::sample::select(vec!['x', '7', '-', '✓', '承', 'é'])),
        at in any::<prop::sample::Index>(),
    ) {
        let mut reason: Vec<char> = blank;
        if let Some(c) = seen {
            let i = at.index(reason.len() + 1);
            reason.insert(i, c);
        }
        let reason: String = reason.into_iter().collect();
        let json_reason = serde_json::to_string(&reason).unwrap();
        let template = format!(
            r#"{{"Resources": {{"Sg": {{"Type": "AWS::EC2::SecurityGroup",
                "Metadata": {{"cicd": {{"suppress": [{{"rule": "SSHOpenToWorld", "reason": {json_reason}}}]}}}},
                "Properties": {{"GroupDescription": "x", "SecurityGroupIngress": [
                    {{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}}]}}}}}}}}"#
        );
        let report = report(&template);
        let found = ssh(&report).unwrap();
        prop_assert_eq!(found.suppressed, seen.is_some(), "{:?}", reason);
        prop_assert_eq!(
            report.warnings.iter().any(|w| w.contains("the suppression of SSHOpenToWorld gives no reason")),
            seen.is_none(),
            "{:?}", report.warnings
        );
    }
}

#[test]
fn the_examples_of_the_issue_never_pass() {
    for (permission, what) in [
        (
            "{\"IpProtocol\\\"\": tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}",
            "the key IpProtocol\", which is no property of an ingress rule",
        ),
        (
            "{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0/0}",
            "CidrIp 0/0, which is no CIDR this check reads",
        ),
        (
            "{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/-0}",
            "CidrIp 0.0.0.0/-0, which is no CIDR this check reads",
        ),
        (
            "{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0x0.0.0.0/0}",
            "CidrIp 0x0.0.0.0/0, which is no CIDR this check reads",
        ),
        (
            "{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIpv6: '::/0%eth0'}",
            "CidrIpv6 ::/0%eth0, which is no CIDR this check reads",
        ),
        (
            "{IpProtocol: tcp, FromPort: 026, ToPort: 026, CidrIp: 0.0.0.0/0}",
            "FromPort 026: 22 in YAML 1.1 (octal, written plain), 26 as decimal",
        ),
    ] {
        assert_may_fire(&group(permission), what);
    }
    // A plain number with a leading zero is kept as written; quoted, it is
    // text anyway; hexadecimal is read alike by YAML 1.1 and 1.2.
    let template = Template::parse(
        b"Resources:\n  R: {Type: Custom::X, Properties: {A: 022, B: '022', C: 0x16, D: 0o26, E: 22}}\n",
    )
    .unwrap();
    let properties = template.resources[0].properties().unwrap();
    let shown = |key: &str| properties.get(key).unwrap().to_json().to_string();
    assert_eq!(
        ["A", "B", "C", "D", "E"].map(shown),
        ["\"022\"", "\"022\"", "22", "\"0o26\"", "22"]
    );
}
