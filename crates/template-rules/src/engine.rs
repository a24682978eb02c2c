//! Applies a rule set to a template: one finding per (rule, resource), and
//! for guard items one per (Guard rule, resource).

use std::collections::{BTreeMap, HashSet};

use cfn_template::Template;
use cfn_template::display::short;
use cfn_template::view::{self, ResourceView};

use crate::budget::{Budget, Interrupted};
use crate::context::TemplateContext;
use crate::evidence::Evidence;
use crate::fingerprint::{self, Identity};
use crate::guard::{self, EvaluateOptions, EvaluationError};
use crate::kind::PreparedCheck;
use crate::report::{Finding, Report, Thresholds};
use crate::rules::{Guidance, Rule, RuleKind, RuleSet};
use crate::suppression::{self, Suppressions};
use crate::unseen;

/// A finding lists at most this many reasons (one per matching permission).
const MAX_REASONS: usize = 5;

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
    let resources = template.resources.len();
    // Each resource in the forms it may take, once, before any rule.
    let views = view::views(template);
    let mut guard = guard::evaluate(template, &views, rules, options)?;
    let context = TemplateContext::with_budget(template, &views, budget);
    let active: Vec<&Rule> = rules.active().collect();
    // Each native rule looks at the template as a whole once, before any
    // resource (open-ingress rules look at groups across resources).
    let mut prepared: Vec<Option<Box<dyn PreparedCheck + '_>>> = Vec::with_capacity(active.len());
    for rule in &active {
        prepared.push(match &rule.kind {
            RuleKind::Native(check) => {
                budget.check(0, resources)?;
                let prepared = check.prepare(&context);
                stopped(&context, 0, resources)?;
                Some(prepared)
            }
            // Evaluated above, for the whole template.
            RuleKind::Guard(_) => None,
        });
    }
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    // Findings on the template as a whole come first: what it does not
    // show, then Guard's; the template's own `Metadata.cicd.suppress` may
    // suppress them.
    budget.check(0, resources)?;
    let unseen = unseen::findings(template);
    if !unseen.is_empty() || !guard.template.is_empty() {
        let at = "the template's Metadata";
        let metadata = template
            .other_sections
            .iter()
            .find(|(key, _)| key == "Metadata")
            .map(|(_, node)| node);
        let suppressions = suppression::read(metadata, at, rules, options.today, &mut warnings);
        for finding in unseen.into_iter().chain(guard.template.drain(..)) {
            findings.push(settled(finding, None, &suppressions));
        }
    }
    for view in context.views() {
        let (index, resource) = (view.index, view.resource);
        let at = format!("{} (line {})", short(&resource.logical_id), resource.line);
        let metadata = resource.body.get("Metadata");
        let suppressions = suppression::read(metadata, &at, rules, options.today, &mut warnings);
        for (rule, prepared) in active.iter().zip(prepared.iter_mut()) {
            let Some(prepared) = prepared else {
                continue;
            };
            if !rule.covers(&resource.resource_type) {
                continue;
            }
            budget.check(index, resources)?;
            let evidence = evidence_on(prepared.as_mut(), view);
            stopped(&context, index, resources)?;
            if evidence.is_empty() {
                continue;
            }
            let resolved = !evidence.resolved.is_empty();
            let keys = evidence.keys(if resolved {
                &evidence.resolved
            } else {
                &evidence.unresolved
            });
            let (reasons, unresolved) = if resolved {
                (evidence.resolved, Vec::new())
            } else {
                let unknown = evidence.unknown.iter().map(|u| u.to_string()).collect();
                (evidence.unresolved, unknown)
            };
            let reason = summarize(reasons);
            let reason = match &resource.generated_by {
                Some(origin) => format!("generated by {origin}: {reason}"),
                None => reason,
            };
            let identity = Identity {
                rule: &rule.id,
                resource: &resource.logical_id,
                resource_type: &resource.resource_type,
                resolved,
            };
            let mut finding = Finding {
                rule: rule.id.clone(),
                resource: resource.logical_id.clone(),
                line: resource.line,
                risk: rule.risk,
                reason,
                suppressed: false,
                suppression_reason: None,
                resource_type: resource.resource_type.clone(),
                unresolved,
                fingerprint: identity.fingerprint(keys),
                guard_rule: None,
                suppression_expired: None,
                baseline: None,
            };
            suppressions.apply(&mut finding);
            findings.push(finding);
        }
        for finding in guard.by_resource.remove(&index).unwrap_or_default() {
            let generated_by = resource.generated_by.as_deref();
            findings.push(settled(finding, generated_by, &suppressions));
        }
    }
    let judgement = thresholds.judge(&findings);
    // What each rule that found something says of it, once per rule (in
    // time linear in the findings: a large template has many).
    let fired: HashSet<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    let guidance: BTreeMap<String, Guidance> = active
        .iter()
        .filter(|rule| !rule.guidance.is_empty() && fired.contains(rule.id.as_str()))
        .map(|rule| (rule.id.clone(), rule.guidance.clone()))
        .collect();
    Ok(Report {
        verdict: judgement.verdict,
        risk: judgement.risk,
        unresolved_risk: judgement.unresolved_risk,
        unresolved_policy: thresholds.unresolved(),
        findings,
        warnings,
        rules: guidance,
        baseline: None,
    })
}

/// `Err` when work was cut short by the budget, after `checked` of
/// `resources` resources: what was found is not all there is.
fn stopped(context: &TemplateContext, checked: usize, resources: usize) -> Result<(), Interrupted> {
    if context.stopped() {
        return Err(Interrupted { checked, resources });
    }
    Ok(())
}

/// `finding` (one the engine did not build from evidence: Guard's, or
/// what the template does not show), with its fingerprint, taken from its
/// reason (without what a `Fn::ForEach` loop's name adds), and then
/// suppressed as `suppressions` say.
fn settled(
    mut finding: Finding,
    generated_by: Option<&str>,
    suppressions: &Suppressions,
) -> Finding {
    let prefix = generated_by.map(|origin| format!("generated by {origin}: "));
    let reason = prefix
        .as_deref()
        .and_then(|p| finding.reason.strip_prefix(p))
        .unwrap_or(&finding.reason);
    let identity = Identity {
        rule: &finding.rule,
        resource: &finding.resource,
        resource_type: &finding.resource_type,
        resolved: !finding.is_unresolved(),
    };
    let key = match finding.guard_rule {
        Some(_) => fingerprint::guard_key(reason),
        None => fingerprint::key(reason),
    };
    finding.fingerprint = identity.fingerprint([key]);
    suppressions.apply(&mut finding);
    finding
}

/// What a prepared check finds on a resource, over every form it may take.
fn evidence_on<'v>(
    prepared: &mut (dyn PreparedCheck<'v> + '_),
    view: &'v ResourceView<'v>,
) -> Evidence {
    match view.variants.len() {
        1 => prepared.evaluate(view, 0),
        forms => {
            let found = (0..forms).map(|v| prepared.evaluate(view, v)).collect();
            Evidence::across(&view.variants, found)
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
