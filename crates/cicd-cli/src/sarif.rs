//! SARIF 2.1.0, the format GitHub code scanning (and other services) read.
//!
//! Each active rule is a SARIF rule; each finding a result at its template
//! and line. A suppressed finding keeps its result, with an in-source
//! suppression carrying the reason, so it shows as dismissed, not gone.

use serde_json::{Value, json};
use template_rules::{RuleItem, RuleSet, TemplateReport, Thresholds};

pub fn document(reports: &[TemplateReport], rules: &RuleSet, thresholds: &Thresholds) -> String {
    let level = |risk: u64| {
        if risk >= thresholds.fail_at() {
            "error"
        } else if risk >= thresholds.flag_at() {
            "warning"
        } else {
            "note"
        }
    };
    let active: Vec<_> = rules.active().collect();
    let descriptors: Vec<Value> = active
        .iter()
        .map(|rule| {
            let data = RuleItem::from(*rule)
                .ruledata
                .and_then(|d| d.as_str().map(str::to_string))
                .unwrap_or_default();
            json!({
                "id": rule.id,
                "name": rule.id,
                "shortDescription": {"text": format!("{} {} on {} resources", rule.kind.type_name(), data, rule.category.name())},
                "fullDescription": {"text": format!("{} rule {} ({}), risk {}", rule.category.name(), rule.id, rule.kind.type_name(), rule.risk)},
                "defaultConfiguration": {"level": level(rule.risk)},
                "properties": {"risk": rule.risk, "category": rule.category.name(), "ruletype": rule.kind.type_name()},
            })
        })
        .collect();
    let mut results = Vec::new();
    for TemplateReport { path, report } in reports {
        for f in &report.findings {
            let mut result = json!({
                "ruleId": f.rule,
                "level": level(f.risk),
                "message": {"text": format!("{} ({}): {}", f.resource, f.resource_type, f.reason)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": path},
                        "region": {"startLine": f.line},
                    },
                    "logicalLocations": [{"name": f.resource, "kind": "resource"}],
                }],
                "properties": {"risk": f.risk},
            });
            if let Some(index) = active.iter().position(|r| r.id == f.rule) {
                result["ruleIndex"] = json!(index);
            }
            if f.suppressed {
                result["suppressions"] = json!([{
                    "kind": "inSource",
                    "justification": f.suppression_reason.clone().unwrap_or_default(),
                }]);
            }
            results.push(result);
        }
    }
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cicd",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": descriptors,
            }},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}
