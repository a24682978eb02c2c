//! Template parsing and evaluation on arbitrary bytes.
//!
//! Whatever the bytes, `Template::parse` returns a template or an error
//! (never panics, never overflows the stack), and when it returns a
//! template, evaluating it with the default rules and with a rule set that
//! has every rule type active keeps the report's invariants: each finding
//! names a resource of the template and that resource's line, the risk is
//! the (saturating) sum of the unsuppressed findings' risks (unresolved ones
//! under the fail policy only), and the verdict is the thresholds' verdict
//! for that risk, raised to flagged by an unresolved finding under the flag
//! policy.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use template_rules::{RuleItem, RuleSet, Template, Thresholds, UnresolvedPolicy, Verdict, evaluate};

fn rule_sets() -> &'static [RuleSet; 2] {
    static SETS: OnceLock<[RuleSet; 2]> = OnceLock::new();
    SETS.get_or_init(|| {
        let items: Vec<RuleItem> = serde_json::from_value(json!([
            {"rule": "AnyOpen", "category": "SecurityGroup", "ruletype": "open-ingress",
             "ruledata": "all", "riskvalue": 100, "active": "Y"},
            {"rule": "Ports", "category": "SecurityGroup", "ruletype": "open-ingress",
             "ruledata": "tcp:22, tcp:8000-8999, udp:53, icmp", "riskvalue": 7, "active": "Y"},
            {"rule": "OldAmi", "category": "EC2Instance", "ruletype": "forbidden-ami",
             "ruledata": "ami-7a11e211, ami-08111162 ami-f6035893", "riskvalue": "10", "active": "Y"},
            {"rule": "OpenCidrText", "category": "SecurityGroup", "ruletype": "regex",
             "ruledata": r#"(?i)"cidrip(v6)?": "[^"]*/0""#, "riskvalue": 3, "active": "Y"},
            {"rule": "AmiText", "category": "EC2Instance", "ruletype": "regex",
             "ruledata": r"ami-[0-9a-f]{8}", "riskvalue": u64::MAX, "active": "Y"},
        ]))
        .expect("the fuzz rule items are well-formed");
        let custom = RuleSet::from_items(items);
        assert!(custom.errors().is_empty(), "{:?}", custom.errors());
        [RuleSet::defaults(), custom]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(template) = Template::parse(data) else {
        return;
    };
    let thresholds = [
        Thresholds::default(),
        Thresholds::new(0, 101)
            .unwrap()
            .with_unresolved(UnresolvedPolicy::Fail),
    ];
    for (rules, thresholds) in rule_sets().iter().zip(thresholds) {
        let report = evaluate(&template, rules, &thresholds).unwrap();
        let mut sum = 0u64;
        let mut unresolved = false;
        for finding in &report.findings {
            let resource = template
                .resource(&finding.resource)
                .unwrap_or_else(|| panic!("finding for unknown resource {:?}", finding.resource));
            assert_eq!(finding.line, resource.line, "{finding:?}");
            assert_eq!(finding.resource_type, resource.resource_type);
            let rule = rules
                .get(&finding.rule)
                .expect("finding for an unknown rule");
            assert!(rule.active && rule.covers(&resource.resource_type));
            assert_eq!(finding.risk, rule.risk);
            assert!(!finding.reason.is_empty());
            assert_eq!(finding.suppressed, finding.suppression_reason.is_some());
            if !finding.suppressed {
                if finding.unresolved.is_empty() || thresholds.unresolved() == UnresolvedPolicy::Fail {
                    sum = sum.saturating_add(finding.risk);
                }
                unresolved |= !finding.unresolved.is_empty();
            }
        }
        assert_eq!(report.risk, sum);
        let mut expected = thresholds.verdict(report.risk);
        if unresolved && thresholds.unresolved() == UnresolvedPolicy::Flag && expected == Verdict::Pass {
            expected = Verdict::Flagged;
        }
        assert_eq!(report.verdict, expected);
    }
});
