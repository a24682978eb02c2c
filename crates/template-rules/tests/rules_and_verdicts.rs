//! Rule items, regex rules, suppressions, totals and verdicts.

use serde_json::{Value, json};
use template_rules::kinds::{KINDS, OPEN_INGRESS};
use template_rules::{
    Category, RuleItem, RuleSet, Template, Thresholds, Verdict, evaluate, render::render,
};

fn item(
    rule: &str,
    category: &str,
    ruletype: &str,
    ruledata: &str,
    risk: Value,
    active: &str,
) -> RuleItem {
    RuleItem {
        rule: Some(rule.into()),
        category: Some(category.into()),
        ruletype: Some(ruletype.into()),
        ruledata: Some(ruledata.into()),
        riskvalue: Some(risk),
        active: Some(active.into()),
        ..RuleItem::default()
    }
}

fn report(template: &str, rules: &RuleSet) -> template_rules::Report {
    evaluate(
        &Template::parse(template.as_bytes()).unwrap(),
        rules,
        &Thresholds::default(),
    )
    .unwrap()
}

const SSH_OPEN: &str = "Resources:
  BastionSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: bastion
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
";

#[test]
fn the_default_rule_set_is_the_original_four() {
    let rules = RuleSet::defaults();
    assert!(rules.errors().is_empty());
    let summary: Vec<(&str, Category, &str, u64, bool)> = rules
        .rules()
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                r.category.clone(),
                r.kind.type_name(),
                r.risk,
                r.active,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "IngressOpenToWorld",
                Category::SecurityGroup,
                "open-ingress",
                100,
                true
            ),
            (
                "SSHOpenToWorld",
                Category::SecurityGroup,
                "open-ingress",
                100,
                true
            ),
            (
                "AllowHttp",
                Category::SecurityGroup,
                "open-ingress",
                3,
                false
            ),
            (
                "ForbiddenAMIs",
                Category::Ec2Instance,
                "forbidden-ami",
                10,
                false
            ),
        ]
    );
}

#[test]
fn default_items_round_trip_through_the_item_shape() {
    // Every field, not only those that cannot change: a rule written back
    // (by `cicd rules sync`, say) must be the item it was read from.
    let items = RuleSet::default_items();
    let again: Vec<RuleItem> = RuleSet::defaults()
        .rules()
        .iter()
        .map(RuleItem::from)
        .collect();
    assert_eq!(items, again);
}

#[test]
fn invalid_items_become_rule_errors_that_name_the_problem() {
    let mut missing_risk = item(
        "NoRisk",
        "SecurityGroup",
        "open-ingress",
        "all",
        json!(1),
        "Y",
    );
    missing_risk.riskvalue = None;
    let rules = RuleSet::from_items([
        missing_risk,
        item(
            "BadRegex",
            "SecurityGroup",
            "regex",
            "(unclosed",
            json!(5),
            "Y",
        ),
        item(
            "Lookaround",
            "SecurityGroup",
            "regex",
            "(?=x)",
            json!(5),
            "N",
        ),
        item("Kind", "SecurityGroup", "wildcard", "x", json!(5), "Y"),
        item(
            "Risk",
            "SecurityGroup",
            "open-ingress",
            "all",
            json!("lots"),
            "Y",
        ),
        item(
            "Negative",
            "SecurityGroup",
            "open-ingress",
            "all",
            json!(-3),
            "Y",
        ),
        item(
            "Active",
            "SecurityGroup",
            "open-ingress",
            "all",
            json!(5),
            "maybe",
        ),
        item("Category", "Lambda", "open-ingress", "all", json!(5), "Y"),
        item(
            "Mismatch",
            "EC2Instance",
            "open-ingress",
            "tcp:22",
            json!(5),
            "Y",
        ),
        item(
            "Ports",
            "SecurityGroup",
            "open-ingress",
            "tcp:99999",
            json!(5),
            "Y",
        ),
        item(
            "Good",
            "SecurityGroup",
            "open-ingress",
            "tcp:22",
            json!("7"),
            "y",
        ),
        item(
            "Good",
            "SecurityGroup",
            "open-ingress",
            "tcp:23",
            json!(7),
            "Y",
        ),
    ]);
    // Every registered kind is named, then guard: for the built-in kinds,
    // "open-ingress, forbidden-ami, regex, property, policy, relation or guard".
    let kinds: Vec<&str> = KINDS.iter().map(|k| k.describe().ruletype).collect();
    let unknown_kind = format!(
        "rule Kind: unknown ruletype \"wildcard\" (expected {} or guard)",
        kinds.join(", ")
    );
    assert!(unknown_kind.contains("(expected open-ingress, forbidden-ami, regex"));
    let errors: Vec<(String, bool)> = rules
        .errors()
        .iter()
        .map(|e| (e.to_string(), e.blocking))
        .collect();
    assert_eq!(
        errors,
        [
            ("rule NoRisk: the item has no riskvalue".to_string(), true),
            ("rule BadRegex: ruledata is not a valid regex: regex parse error: (unclosed ^ error: unclosed group".to_string(), true),
            ("rule Lookaround: ruledata is not a valid regex: regex parse error: (?=x) ^^^ error: look-around, including look-ahead and look-behind, is not supported".to_string(), false),
            (unknown_kind, true),
            ("rule Risk: riskvalue \"lots\" is not a whole number from 0 up".to_string(), true),
            ("rule Negative: riskvalue \"-3\" is not a whole number from 0 up".to_string(), true),
            ("rule Active: active \"maybe\" is not Y or N".to_string(), true),
            ("rule Category: unknown category \"Lambda\" (expected SecurityGroup or EC2Instance; free text for ruletype guard)".to_string(), true),
            ("rule Mismatch: ruletype open-ingress applies to category SecurityGroup, not EC2Instance".to_string(), true),
            ("rule Ports: ruledata \"tcp:99999\": cannot read \"tcp:99999\" (expected `all`, or entries like `tcp:22`, `tcp:8000-8999`, `udp:53`, `icmp`)".to_string(), true),
            ("rule Good: the same rule id appears twice".to_string(), true),
        ]
    );
    assert_eq!(rules.rules().len(), 1);
    assert_eq!(rules.rules()[0].risk, 7);
    assert_eq!(rules.blocking_errors().count(), 10);
}

#[test]
fn an_item_without_an_id_is_named_by_its_position() {
    let rules = RuleSet::from_items([RuleItem::default()]);
    assert_eq!(
        rules.errors()[0].to_string(),
        "rule item 1: the item has no rule"
    );
}

#[test]
fn the_original_functions_items_keep_working_as_structured_rules() {
    // Exactly what the Python function wrote with put_item (riskvalue as N).
    let legacy = [
        item(
            "IngressOpenToWorld",
            "SecurityGroup",
            "regex",
            r"^.*Ingress.*((0\.){3}0\/0)",
            json!(100),
            "Y",
        ),
        item(
            "SSHOpenToWorld",
            "SecurityGroup",
            "regex",
            r"^.*Ingress.*(([fF]rom[pP]ort|[tT]o[pP]ort).\s*:\s*u?.(22).*[cC]idr[iI]p.\s*:\s*u?.((0\.){3}0\/0)|[cC]idr[iI]p.\s*:\s*u?.((0\.){3}0\/0).*([fF]rom[pP]ort|[tT]o[pP]ort).\s*:\s*u?.(22))",
            json!(100),
            "Y",
        ),
        item(
            "AllowHttp",
            "SecurityGroup",
            "regex",
            r"^.*Ingress.*[fF]rom[pP]ort.\s*:\s*u?.(80)",
            json!(3),
            "N",
        ),
        item(
            "ForbiddenAMIs",
            "EC2Instance",
            "regex",
            r"^.*ImageId.\s*:\s*u?.(ami-7a11e211|ami-08111162|ami-f6035893)",
            json!(10),
            "N",
        ),
    ];
    let rules = RuleSet::from_items(legacy);
    assert!(rules.errors().is_empty(), "{:?}", rules.errors());
    let kinds: Vec<String> = rules
        .rules()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.kind.type_name(),
                RuleItem::from(r).ruledata.unwrap().as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "open-ingress all",
            "open-ingress tcp:22",
            "open-ingress tcp:80",
            "forbidden-ami ami-7a11e211, ami-08111162, ami-f6035893"
        ]
    );
    assert_eq!(rules.notes().len(), 4);
    assert!(
        rules.notes()[1]
            .starts_with("rule SSHOpenToWorld: the original function's regex is applied as")
    );

    // The defects are gone: port 2222 and egress no longer count.
    let port_2222 = SSH_OPEN.replace("22, ToPort: 22", "2222, ToPort: 2222");
    let r = report(&port_2222, &rules);
    assert_eq!(
        r.findings
            .iter()
            .map(|f| f.rule.as_str())
            .collect::<Vec<_>>(),
        ["IngressOpenToWorld"]
    );
    let egress = SSH_OPEN.replace("SecurityGroupIngress", "SecurityGroupEgress");
    assert!(report(&egress, &rules).findings.is_empty());
    assert_eq!(report(SSH_OPEN, &rules).risk, 200);
}

#[test]
fn regex_rules_match_the_canonical_rendering() {
    let template = Template::parse(
        b"Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}\n      GroupDescription: legacy\n",
    )
    .unwrap();
    assert_eq!(
        render(&template.resources[0].body),
        r#"{"Properties": {"GroupDescription": "legacy", "SecurityGroupIngress": [{"CidrIp": "10.0.0.0/8", "FromPort": 22, "IpProtocol": "tcp", "ToPort": 22}]}, "Type": "AWS::EC2::SecurityGroup"}"#
    );
    // A pattern in the old style (one character between the colon and the
    // value) matches numbers and strings alike.
    let rules = RuleSet::from_items([
        item(
            "OldStylePort",
            "SecurityGroup",
            "regex",
            r"[fF]rom[pP]ort.\s*:\s*u?.(22)",
            json!(5),
            "Y",
        ),
        item(
            "Description",
            "SecurityGroup",
            "regex",
            r#""GroupDescription": "legacy""#,
            json!(1),
            "Y",
        ),
        item("NotHere", "EC2Instance", "regex", "legacy", json!(50), "Y"),
    ]);
    let r = evaluate(&template, &rules, &Thresholds::default()).unwrap();
    let fired: Vec<(&str, &str)> = r
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.reason.as_str()))
        .collect();
    assert_eq!(
        fired,
        [
            (
                "OldStylePort",
                r"matches the pattern [fF]rom[pP]ort.\s*:\s*u?.(22)"
            ),
            (
                "Description",
                r#"matches the pattern "GroupDescription": "legacy""#
            ),
        ]
    );
    assert_eq!(r.risk, 6);
    assert_eq!(r.verdict, Verdict::Flagged);
}

/// A pattern that backtracking engines take exponential time over still gets
/// the right answer both ways. (Its time is measured in `benches/worst_cases.rs`,
/// not here.)
#[test]
fn a_pathological_regex_gives_the_right_answer() {
    let rules = RuleSet::from_items([item(
        "Evil",
        "SecurityGroup",
        "regex",
        "(a+)+!\\\"",
        json!(5),
        "Y",
    )]);
    let template = |description: &str| {
        format!(
            "{{\"Resources\": {{\"Sg\": {{\"Type\": \"AWS::EC2::SecurityGroup\", \"Properties\": {{\"GroupDescription\": \"{description}\"}}}}}}}}"
        )
    };
    let ending_in_bang = format!("{}!", "a".repeat(100_000));
    let ending_in_b = format!("{}b", "a".repeat(100_000));
    assert_eq!(report(&template(&ending_in_bang), &rules).risk, 5);
    assert!(report(&template(&ending_in_b), &rules).findings.is_empty());
}

#[test]
fn regexes_that_would_compile_to_huge_programs_are_rule_errors() {
    let rules = RuleSet::from_items([item(
        "Huge",
        "SecurityGroup",
        "regex",
        "(((a{100}){100}){100})",
        json!(5),
        "Y",
    )]);
    assert_eq!(rules.rules().len(), 0);
    assert!(
        rules.errors()[0].message.contains("not a valid regex"),
        "{}",
        rules.errors()[0]
    );
}

#[test]
fn rules_files_are_yaml_or_json_lists_or_mappings() {
    let yaml = "rules:\n  - {rule: A, category: SecurityGroup, ruletype: open-ingress, ruledata: 'tcp:22', riskvalue: 100, active: Y}\n";
    let json = r#"[{"rule": "A", "category": "SecurityGroup", "ruletype": "open-ingress", "ruledata": "tcp:22", "riskvalue": "100", "active": "Y"}]"#;
    for text in [yaml, json] {
        let rules = RuleSet::from_file_str(text).unwrap();
        assert_eq!(rules.rules().len(), 1);
        assert_eq!(rules.rules()[0].kind.type_name(), OPEN_INGRESS);
    }
    assert_eq!(
        RuleSet::from_file_str("rule: A\n").unwrap_err().to_string(),
        "expected a list of rules, or a mapping with a `rules` list"
    );
    assert_eq!(
        RuleSet::from_file_str("- [1]\n").unwrap_err().to_string(),
        "item 1: expected a mapping with rule, category, ruletype, ruledata, riskvalue and active"
    );
    assert!(
        RuleSet::from_file_str("- {rule: [unclosed\n")
            .unwrap_err()
            .to_string()
            .contains("line")
    );
}

#[test]
fn inactive_rules_never_fire() {
    let rules = RuleSet::from_items([item(
        "Off",
        "SecurityGroup",
        "open-ingress",
        "all",
        json!(100),
        "N",
    )]);
    assert!(report(SSH_OPEN, &rules).findings.is_empty());
}

#[test]
fn verdicts_follow_the_thresholds() {
    let rules = |risk: u64| {
        RuleSet::from_items([item(
            "R",
            "SecurityGroup",
            "open-ingress",
            "all",
            json!(risk),
            "Y",
        )])
    };
    let verdict = |risk: u64, thresholds: Thresholds| {
        evaluate(
            &Template::parse(SSH_OPEN.as_bytes()).unwrap(),
            &rules(risk),
            &thresholds,
        )
        .unwrap()
        .verdict
    };
    let default = Thresholds::default();
    assert_eq!(verdict(4, default), Verdict::Pass);
    assert_eq!(verdict(5, default), Verdict::Flagged);
    assert_eq!(verdict(49, default), Verdict::Flagged);
    assert_eq!(verdict(50, default), Verdict::Fail);
    let strict = Thresholds::new(1, 10).unwrap();
    assert_eq!(verdict(1, strict), Verdict::Flagged);
    assert_eq!(verdict(10, strict), Verdict::Fail);
    assert_eq!(
        Thresholds::new(60, 50).unwrap_err(),
        "the flag threshold (60) must not be above the fail threshold (50)"
    );
}

#[test]
fn a_suppression_with_a_reason_keeps_the_finding_but_not_its_risk() {
    let template = format!(
        "{}    Metadata:\n      cicd:\n        suppress:\n          - rule: SSHOpenToWorld\n            reason: bastion behind VPN\n",
        SSH_OPEN
    );
    let r = report(&template, &RuleSet::defaults());
    let ssh = r
        .findings
        .iter()
        .find(|f| f.rule == "SSHOpenToWorld")
        .unwrap();
    assert!(ssh.suppressed);
    assert_eq!(
        ssh.suppression_reason.as_deref(),
        Some("bastion behind VPN")
    );
    assert_eq!(r.risk, 100, "only IngressOpenToWorld still counts");
    assert_eq!(r.verdict, Verdict::Fail);
    assert!(r.warnings.is_empty());
}

#[test]
fn a_suppression_without_a_reason_does_not_suppress_and_is_reported() {
    let template = format!(
        "{}    Metadata:\n      cicd:\n        suppress:\n          - rule: SSHOpenToWorld\n          - rule: IngressOpenToWorld\n            reason: '  '\n          - rule: NoSuchRule\n            reason: old\n",
        SSH_OPEN
    );
    let r = report(&template, &RuleSet::defaults());
    assert!(r.findings.iter().all(|f| !f.suppressed));
    assert_eq!(r.risk, 200);
    assert_eq!(
        r.warnings,
        [
            "BastionSg (line 2): the suppression of SSHOpenToWorld gives no reason, so it is not applied",
            "BastionSg (line 2): the suppression of IngressOpenToWorld gives no reason, so it is not applied",
            "BastionSg (line 2): suppresses NoSuchRule, which is not a rule in this rule set",
        ]
    );
}

#[test]
fn suppressions_that_are_not_a_list_are_reported() {
    let template = format!(
        "{}    Metadata: {{cicd: {{suppress: SSHOpenToWorld}}}}\n",
        SSH_OPEN
    );
    let r = report(&template, &RuleSet::defaults());
    assert_eq!(
        r.warnings,
        ["BastionSg (line 2): Metadata.cicd.suppress must be a list of {rule, reason}; ignored"]
    );
}

#[test]
fn json_and_yaml_renderings_of_a_template_give_the_same_findings() {
    // SSH_OPEN, written out by hand as JSON.
    let json = r#"{"Resources": {"BastionSg": {"Type": "AWS::EC2::SecurityGroup",
        "Properties": {"GroupDescription": "bastion", "SecurityGroupIngress": [
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]}}}}"#;
    let rules = RuleSet::defaults();
    let strip = |r: template_rules::Report| -> Vec<(String, String, String)> {
        r.findings
            .into_iter()
            .map(|f| (f.rule, f.resource, f.reason))
            .collect()
    };
    let from_yaml = strip(report(SSH_OPEN, &rules));
    assert_eq!(from_yaml, strip(report(json, &rules)));
    assert_eq!(
        from_yaml,
        [
            (
                "IngressOpenToWorld".to_string(),
                "BastionSg".to_string(),
                "SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0".to_string()
            ),
            (
                "SSHOpenToWorld".to_string(),
                "BastionSg".to_string(),
                "SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0".to_string()
            ),
        ]
    );
}

#[test]
fn a_rule_that_may_not_be_suppressed_keeps_its_finding_and_says_so() {
    let rules = |suppressible: Option<&str>| {
        let mut ssh = item(
            "SSHOpenToWorld",
            "SecurityGroup",
            "open-ingress",
            "tcp:22",
            json!(100),
            "Y",
        );
        ssh.suppressible = suppressible.map(Into::into);
        RuleSet::from_items([ssh])
    };
    let template = format!(
        "{}    Metadata:\n      cicd:\n        suppress:\n          - rule: SSHOpenToWorld\n            reason: bastion behind VPN\n",
        SSH_OPEN
    );
    for allowed in [None, Some("Y"), Some("yes")] {
        let r = report(&template, &rules(allowed));
        assert!(r.findings[0].suppressed, "{allowed:?}");
        assert_eq!((r.risk, r.verdict), (0, Verdict::Pass));
        assert!(r.warnings.is_empty());
    }
    let r = report(&template, &rules(Some("N")));
    assert!(!r.findings[0].suppressed);
    assert_eq!((r.risk, r.verdict), (100, Verdict::Fail));
    assert_eq!(
        r.warnings,
        [
            "BastionSg (line 2): suppresses SSHOpenToWorld, which may not be suppressed (suppressible: N), so it is not applied"
        ]
    );
    assert_eq!(r.suppressed_count(), 0);

    // The field is read, checked and written back as stored.
    let set = rules(Some("N"));
    assert!(!set.rules()[0].suppressible);
    assert_eq!(
        RuleItem::from(&set.rules()[0]).suppressible,
        Some(json!("N"))
    );
    assert_eq!(RuleItem::from(&rules(None).rules()[0]).suppressible, None);
    let bad = rules(Some("sometimes"));
    assert_eq!(
        bad.errors()[0].to_string(),
        "rule SSHOpenToWorld: suppressible \"sometimes\" is not Y or N"
    );
    let from_file = RuleSet::from_file_str(
        "- {rule: A, category: SecurityGroup, ruletype: open-ingress, ruledata: all, riskvalue: 1, active: Y, suppressible: N}\n",
    )
    .unwrap();
    assert!(!from_file.rules()[0].suppressible);
}
