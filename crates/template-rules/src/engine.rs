//! Applies a rule set to a template: one finding per (rule, resource).

use std::collections::HashMap;

use crate::node::Node;
use crate::render::render;
use crate::report::{Finding, Report, Thresholds};
use crate::resolve::Resolver;
use crate::rules::{RuleKind, RuleSet};
use crate::template::{Resource, Template};
use crate::{ami, ingress};

/// A finding lists at most this many reasons (one per matching permission).
const MAX_REASONS: usize = 5;

/// Evaluates the active rules of `rules` against every resource of `template`.
pub fn evaluate(template: &Template, rules: &RuleSet, thresholds: &Thresholds) -> Report {
    let resolver = Resolver::new(template);
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    for resource in &template.resources {
        let suppressions = suppressions(resource, rules, &mut warnings);
        // Worked out on first use, then shared by the rules that need them.
        let mut open_permissions = None;
        let mut rendering = None;
        for rule in rules
            .active()
            .filter(|r| r.category.covers(&resource.resource_type))
        {
            let reasons = match &rule.kind {
                RuleKind::OpenIngress(spec) => {
                    let open = open_permissions
                        .get_or_insert_with(|| ingress::open_permissions(resource, &resolver));
                    ingress::reasons(open, spec)
                }
                RuleKind::ForbiddenAmi(amis) => ami::forbidden_ami(resource, amis, &resolver),
                RuleKind::Regex(regex) => {
                    let text = rendering.get_or_insert_with(|| render(&resource.body));
                    if regex.is_match(text) {
                        vec![format!(
                            "matches the pattern {}",
                            shorten(regex.as_str(), 80)
                        )]
                    } else {
                        Vec::new()
                    }
                }
            };
            if reasons.is_empty() {
                continue;
            }
            let suppression = suppressions.get(rule.id.as_str());
            findings.push(Finding {
                rule: rule.id.clone(),
                resource: resource.logical_id.clone(),
                line: resource.line,
                risk: rule.risk,
                reason: summarize(reasons),
                suppressed: suppression.is_some(),
                suppression_reason: suppression.map(|r| r.to_string()),
                resource_type: resource.resource_type.clone(),
            });
        }
    }
    let risk = findings
        .iter()
        .filter(|f| !f.suppressed)
        .fold(0u64, |sum, f| sum.saturating_add(f.risk));
    Report {
        verdict: thresholds.verdict(risk),
        risk,
        findings,
        warnings,
    }
}

fn summarize(mut reasons: Vec<String>) -> String {
    if reasons.len() == 1 {
        return reasons.pop().unwrap_or_default();
    }
    if reasons.len() > MAX_REASONS {
        let more = reasons.len() - MAX_REASONS;
        reasons.truncate(MAX_REASONS);
        reasons.push(format!("and {more} more"));
    }
    reasons.join("; ")
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// The rules a resource suppresses, with their reasons:
/// `Metadata: {cicd: {suppress: [{rule: R, reason: "why"}]}}`.
/// A suppression without a reason is not applied, and is reported.
fn suppressions<'r>(
    resource: &'r Resource,
    rules: &RuleSet,
    warnings: &mut Vec<String>,
) -> HashMap<&'r str, &'r str> {
    let mut applied = HashMap::new();
    let Some(list) = resource
        .body
        .get("Metadata")
        .and_then(|m| m.get("cicd"))
        .and_then(|c| c.get("suppress"))
    else {
        return applied;
    };
    let at = format!("{} (line {})", resource.logical_id, resource.line);
    let Node::Array(entries) = list else {
        warnings.push(format!(
            "{at}: Metadata.cicd.suppress must be a list of {{rule, reason}}; ignored"
        ));
        return applied;
    };
    for entry in entries {
        let Some(rule) = entry.get("rule").and_then(Node::as_str) else {
            warnings.push(format!("{at}: a suppression without a rule id is ignored"));
            continue;
        };
        let reason = entry
            .get("reason")
            .and_then(Node::as_str)
            .map(str::trim)
            .unwrap_or("");
        if reason.is_empty() {
            warnings.push(format!(
                "{at}: the suppression of {rule} gives no reason, so it is not applied"
            ));
            continue;
        }
        if rules.get(rule).is_none() {
            warnings.push(format!(
                "{at}: suppresses {rule}, which is not a rule in this rule set"
            ));
        }
        applied.insert(rule, reason);
    }
    applied
}
