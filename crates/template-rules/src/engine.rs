//! Applies a rule set to a template: one finding per (rule, resource), and
//! for guard items one per (Guard rule, resource).

use std::collections::{BTreeMap, HashMap, HashSet};

use cfn_template::display::{short, shorten};
use cfn_template::view::{self, ResourceView};
use cfn_template::{Node, Template};

use crate::budget::{Budget, Interrupted};
use crate::context::TemplateContext;
use crate::evidence::Evidence;
use crate::guard::{self, EvaluateOptions, EvaluationError};
use crate::kind::PreparedCheck;
use crate::report::{Finding, Report, Thresholds};
use crate::rules::{Guidance, Rule, RuleKind, RuleSet};
use crate::unseen::{self, UNSEEN};

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
        let suppressions = suppressions(metadata, at, rules, &mut warnings);
        for finding in unseen.into_iter().chain(guard.template.drain(..)) {
            findings.push(suppress(finding, &suppressions));
        }
    }
    for view in context.views() {
        let (index, resource) = (view.index, view.resource);
        let at = format!("{} (line {})", short(&resource.logical_id), resource.line);
        let suppressions = suppressions(resource.body.get("Metadata"), &at, rules, &mut warnings);
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
            let (reasons, unresolved) = if evidence.resolved.is_empty() {
                let unknown = evidence.unknown.iter().map(|u| u.to_string()).collect();
                (evidence.unresolved, unknown)
            } else {
                (evidence.resolved, Vec::new())
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

/// `finding`, suppressed when `suppressions` names its rule.
fn suppress(mut finding: Finding, suppressions: &HashMap<&str, String>) -> Finding {
    if let Some(reason) = suppressions.get(finding.rule.as_str()) {
        finding.suppressed = true;
        finding.suppression_reason = Some(reason.clone());
    }
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
        let written = entry.get("reason").and_then(Node::as_str).unwrap_or("");
        let reason = shorten(written, MAX_SUPPRESSION_REASON).trim().to_string();
        // What is shown must be seen (not only the `…` of a cut).
        let shown_part: String = written.chars().take(MAX_SUPPRESSION_REASON).collect();
        if !visible(&shown_part) {
            let what = if reason.is_empty() {
                "no reason"
            } else {
                "no reason a person can read (only blanks, zero-width or control characters)"
            };
            warnings.push(format!(
                "{at}: the suppression of {shown} gives {what}, so it is not applied"
            ));
            continue;
        }
        match rules.get(rule) {
            // Always applied, and suppressible.
            None if rule == UNSEEN => {}
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

/// Whether `text` holds a character a person sees: a letter, a digit, a
/// punctuation mark or a symbol — not only white space, control and
/// format characters (zero-width spaces and joiners, direction marks),
/// combining marks, or letters that draw nothing (Hangul fillers, the
/// blank Braille pattern).
fn visible(text: &str) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    const BLANK: &[char] = &[
        '\u{115F}',  // Hangul choseong filler
        '\u{1160}',  // Hangul jungseong filler
        '\u{3164}',  // Hangul filler
        '\u{FFA0}',  // halfwidth Hangul filler
        '\u{2800}',  // Braille pattern blank
        '\u{1D159}', // musical symbol null notehead
    ];
    text.chars().any(|c| {
        !BLANK.contains(&c)
            && matches!(
                get_general_category(c),
                G::UppercaseLetter
                    | G::LowercaseLetter
                    | G::TitlecaseLetter
                    | G::ModifierLetter
                    | G::OtherLetter
                    | G::DecimalNumber
                    | G::LetterNumber
                    | G::OtherNumber
                    | G::ConnectorPunctuation
                    | G::DashPunctuation
                    | G::OpenPunctuation
                    | G::ClosePunctuation
                    | G::InitialPunctuation
                    | G::FinalPunctuation
                    | G::OtherPunctuation
                    | G::MathSymbol
                    | G::CurrencySymbol
                    | G::ModifierSymbol
                    | G::OtherSymbol
            )
    })
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn a_reason_is_visible_when_some_character_draws_something() {
        for seen in [
            "x",
            "reviewed 2026-11",
            "承認済み",
            "✓",
            "-",
            "é",
            "a\u{200B}",
        ] {
            assert!(visible(seen), "{seen:?}");
        }
        for blank in [
            "",
            " \t\n",
            "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}",
            "\u{0001}\u{007F}\u{0085}",
            "\u{202E}\u{2066}\u{00AD}",
            "\u{0301}\u{FE0F}",
            "\u{3164}\u{2800}\u{115F}",
            "\u{3000}\u{00A0}\u{2028}",
            "\u{E0041}\u{E007F}",
        ] {
            assert!(!visible(blank), "{blank:?}");
        }
    }
}
