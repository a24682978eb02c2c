//! A template evaluated with one rule, and what it found.

use serde_json::json;
use template_rules::{RuleItem, RuleSet, Template, Thresholds, evaluate};

/// A rule set of one active rule `Rule` of kind `ruletype`.
pub fn rules(ruletype: &str, ruledata: &str) -> RuleSet {
    let item: RuleItem = serde_json::from_value(json!({
        "rule": "Rule", "category": "Test", "ruletype": ruletype,
        "ruledata": ruledata, "riskvalue": 50, "active": "Y"
    }))
    .unwrap();
    let set = RuleSet::from_items([item]);
    assert!(set.errors().is_empty(), "{:?}", set.errors());
    set
}

/// The error an item of kind `ruletype` with `ruledata` is refused with.
pub fn refused(ruletype: &str, ruledata: &str) -> String {
    let item: RuleItem = serde_json::from_value(json!({
        "rule": "Rule", "category": "Test", "ruletype": ruletype,
        "ruledata": ruledata, "riskvalue": 50, "active": "Y"
    }))
    .unwrap();
    let set = RuleSet::from_items([item]);
    assert_eq!(set.errors().len(), 1, "{ruledata} is not refused");
    set.errors()[0].message.clone()
}

/// `(resource, reason, unresolved)` of each finding of the rule on `template`.
pub fn findings(ruletype: &str, ruledata: &str, template: &str) -> Vec<(String, String, bool)> {
    let template = Template::parse(template.as_bytes()).unwrap();
    let report = evaluate(
        &template,
        &rules(ruletype, ruledata),
        &Thresholds::default(),
    )
    .unwrap();
    report
        .findings
        .into_iter()
        .map(|f| {
            let unresolved = f.is_unresolved();
            (f.resource, f.reason, unresolved)
        })
        .collect()
}

/// `findings`, written as `(resource, reason, unresolved)` literals.
pub fn expected(found: &[(&str, &str, bool)]) -> Vec<(String, String, bool)> {
    found
        .iter()
        .map(|(r, why, u)| (r.to_string(), why.to_string(), *u))
        .collect()
}
