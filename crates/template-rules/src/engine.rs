//! Applies a rule set to a template: one finding per (rule, resource), and
//! for guard items one per (Guard rule, resource).

use std::collections::HashMap;

use crate::budget::Budget;
use crate::guard::{self, EvaluateOptions, EvaluationError};
use crate::outcome::Outcome;
use crate::render::{MAX_RENDERED, render_capped};
use crate::report::{Finding, Report, Thresholds};
use crate::rules::{RuleKind, RuleSet};
use crate::{ami, ingress};
use cfn_template::Node;
use cfn_template::Template;
use cfn_template::display::short;
use cfn_template::resolve::Unknown;

/// A finding lists at most this many reasons (one per matching permission).
const MAX_REASONS: usize = 5;
/// A suppression's reason is kept to this many characters.
const MAX_SUPPRESSION_REASON: usize = 500;

/// Evaluates the active rules of `rules` against every resource of
/// `template`, with the default [`EvaluateOptions`].
///
/// An `Err` is a check that cannot be trusted (a guard item Guard failed
/// on): there is no report to read a verdict from.
pub fn evaluate(
    template: &Template,
    rules: &RuleSet,
    thresholds: &Thresholds,
) -> Result<Report, EvaluationError> {
    evaluate_with(template, rules, thresholds, &EvaluateOptions::default())
}

/// Like [`evaluate`], giving up between steps once `budget` is spent (see
/// [`Budget`]): [`EvaluationError::Interrupted`] or, among guard items,
/// [`EvaluationError::Stopped`].
pub fn evaluate_until(
    template: &Template,
    rules: &RuleSet,
    thresholds: &Thresholds,
    budget: &Budget,
) -> Result<Report, EvaluationError> {
    let options = EvaluateOptions {
        budget: budget.clone(),
        ..EvaluateOptions::default()
    };
    evaluate_with(template, rules, thresholds, &options)
}

/// [`evaluate`], with [`EvaluateOptions`]: the memory Guard may take, the
/// [`Budget`], and who is told which guard items Guard is running.
pub fn evaluate_with(
    template: &Template,
    rules: &RuleSet,
    thresholds: &Thresholds,
    options: &EvaluateOptions,
) -> Result<Report, EvaluationError> {
    let budget = &options.budget;
    let mut guard = guard::evaluate(template, rules, options)?;
    let resources = template.resources.len();
    let resolver = template.resolver();
    let active: Vec<_> = rules.active().collect();
    // Open-ingress rules look at groups across resources: worked out once
    // for the template, per rule.
    let mut ingress_outcomes: HashMap<&str, ingress::Outcomes> = HashMap::new();
    if active
        .iter()
        .any(|r| matches!(r.kind, RuleKind::OpenIngress(_)))
    {
        budget.check(0, resources)?;
        let analysis = ingress::Analysis::new(template, &resolver);
        for rule in &active {
            if let RuleKind::OpenIngress(spec) = &rule.kind {
                budget.check(0, resources)?;
                ingress_outcomes.insert(rule.id.as_str(), ingress::check(&analysis, spec));
            }
        }
    }
    let mut rendered_total = 0usize;
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    // Findings on the template as a whole come first; the template's own
    // `Metadata.cicd.suppress` may suppress them.
    if !guard.template.is_empty() {
        let at = "the template's Metadata";
        let metadata = template
            .other_sections
            .iter()
            .find(|(key, _)| key == "Metadata")
            .map(|(_, node)| node);
        let suppressions = suppressions(metadata, at, rules, &mut warnings);
        for finding in guard.template.drain(..) {
            findings.push(suppress(finding, &suppressions));
        }
    }
    for (index, resource) in template.resources.iter().enumerate() {
        let at = format!("{} (line {})", short(&resource.logical_id), resource.line);
        let suppressions = suppressions(resource.body.get("Metadata"), &at, rules, &mut warnings);
        // Worked out on first use, then shared by the rules that need it.
        let mut rendering: Option<Result<String, Unknown>> = None;
        for rule in active
            .iter()
            .filter(|r| r.category.covers(&resource.resource_type))
        {
            budget.check(index, resources)?;
            let outcome = match &rule.kind {
                RuleKind::OpenIngress(_) => ingress_outcomes
                    .get_mut(rule.id.as_str())
                    .map(|o| o.take(index))
                    .unwrap_or_default(),
                RuleKind::ForbiddenAmi(amis) => ami::forbidden_ami(resource, amis, &resolver),
                // Evaluated above, for the whole template.
                RuleKind::Guard(_) => continue,
                RuleKind::Regex(regex) => {
                    let text = rendering
                        .get_or_insert_with(|| render(&resource.body, &mut rendered_total));
                    let mut outcome = Outcome::default();
                    let pattern = short(regex.as_str()).into_owned();
                    match text {
                        Ok(text) if regex.is_match(text) => {
                            outcome.fires(format!("matches the pattern {pattern}"));
                        }
                        Ok(_) => {}
                        Err(why) => outcome.may_fire(
                            format!("may match the pattern {pattern} ({why})"),
                            std::slice::from_ref(why),
                        ),
                    }
                    outcome
                }
            };
            if outcome.is_empty() {
                continue;
            }
            let (reasons, unresolved) = if outcome.resolved.is_empty() {
                let unknown = outcome.unknown.iter().map(|u| u.to_string()).collect();
                (outcome.unresolved, unknown)
            } else {
                (outcome.resolved, Vec::new())
            };
            let reason = summarize(reasons);
            let reason = match &resource.generated_by {
                Some(origin) => format!("generated by {origin}: {reason}"),
                None => reason,
            };
            let suppression = suppressions.get(rule.id.as_str());
            findings.push(Finding {
                rule: rule.id.clone(),
                resource: resource.logical_id.clone(),
                line: resource.line,
                risk: rule.risk,
                reason,
                suppressed: suppression.is_some(),
                suppression_reason: suppression.map(|r| r.to_string()),
                resource_type: resource.resource_type.clone(),
                unresolved,
            });
        }
        for finding in guard.by_resource.remove(&index).unwrap_or_default() {
            findings.push(suppress(finding, &suppressions));
        }
    }
    let judgement = thresholds.judge(&findings);
    Ok(Report {
        verdict: judgement.verdict,
        risk: judgement.risk,
        unresolved_risk: judgement.unresolved_risk,
        unresolved_policy: thresholds.unresolved(),
        findings,
        warnings,
    })
}

/// `finding`, suppressed when `suppressions` names its rule.
fn suppress(mut finding: Finding, suppressions: &HashMap<&str, String>) -> Finding {
    if let Some(reason) = suppressions.get(finding.rule.as_str()) {
        finding.suppressed = true;
        finding.suppression_reason = Some(reason.clone());
    }
    finding
}

/// The text regex rules look at, within what one evaluation may render.
fn render(body: &Node, total: &mut usize) -> Result<String, Unknown> {
    let cap = MAX_RENDERED.saturating_sub(*total);
    match render_capped(body, cap) {
        Some(text) => {
            *total += text.len();
            Ok(text)
        }
        None => {
            *total = MAX_RENDERED;
            Err(Unknown::new(format!(
                "the resource's text, which with the template's other resources is more than {MAX_RENDERED} bytes once YAML aliases are written out"
            )))
        }
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

/// The rules a resource (or the template) suppresses, with their reasons:
/// `Metadata: {cicd: {suppress: [{rule: R, reason: "why"}]}}`, `at` saying
/// where in messages. A suppression without a reason is not applied, nor is
/// one of a rule that may not be suppressed; both are reported.
fn suppressions<'r>(
    metadata: Option<&'r Node>,
    at: &str,
    rules: &RuleSet,
    warnings: &mut Vec<String>,
) -> HashMap<&'r str, String> {
    let mut applied = HashMap::new();
    let Some(list) = metadata
        .and_then(|m| m.get("cicd"))
        .and_then(|c| c.get("suppress"))
    else {
        return applied;
    };
    let Some(entries) = list.as_array() else {
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
        let shown = short(rule);
        let reason = entry
            .get("reason")
            .and_then(Node::as_str)
            .map(|r| cfn_template::display::shorten(r, MAX_SUPPRESSION_REASON))
            .map(|r| r.trim().to_string())
            .unwrap_or_default();
        if reason.is_empty() {
            warnings.push(format!(
                "{at}: the suppression of {shown} gives no reason, so it is not applied"
            ));
            continue;
        }
        match rules.get(rule) {
            None => warnings.push(format!(
                "{at}: suppresses {shown}, which is not a rule in this rule set"
            )),
            Some(r) if !r.suppressible => {
                warnings.push(format!(
                    "{at}: suppresses {shown}, which may not be suppressed (suppressible: N), so it is not applied"
                ));
                continue;
            }
            Some(_) => {}
        }
        applied.insert(rule, reason);
    }
    applied
}
