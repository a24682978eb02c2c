//! SARIF 2.1.0, the format GitHub code scanning (and other services) read.
//!
//! Each active rule is a SARIF rule (its `help` the rule's remediation, in
//! text and Markdown, `helpUri` its link, `properties.tags` its
//! frameworks); each finding a result at its template
//! and line, at the level it alone would give the template (error from the
//! fail threshold, warning from the flag threshold, note below). An
//! unresolved finding is tagged `unresolved`, names what could not be
//! resolved (`properties.unresolved` and its message), and its level
//! follows the policy: as a resolved finding's under `fail`, `warning`
//! under `flag` (it flags the template, never fails it), `note` under
//! `pass`. A suppressed finding keeps its result, with an in-source
//! suppression carrying the reason, so it shows as dismissed, not gone.
//! Every result carries its fingerprint (`partialFingerprints`, key
//! [`FINGERPRINT_KEY`]). Compared with a baseline, each result has a
//! `baselineState` (`new` or `unchanged`; an existing one the verdict
//! leaves out is a `note`), and each baseline finding that is gone is a
//! result of its own, `absent`, level `none`. A template that cannot be
//! read is a tool execution notification (level error) at its path and
//! position, and the invocation is marked unsuccessful.

use serde_json::{Value, json};
use template_rules::{
    Finding, Guidance, Report, Rule, RuleKind, RuleSet, Thresholds, UNSEEN, UNSEEN_RISK,
    UNSEEN_SUMMARY, UnresolvedPolicy, Verdict,
};

use super::checked::{Checked, locate, notes, unresolved_note};
use crate::reading::Unreadable;

/// The key of a result's fingerprint in `partialFingerprints`: the
/// fingerprint's own version is part of its value (`v1:…`).
pub const FINGERPRINT_KEY: &str = "cicdFindingFingerprint";

pub fn document(
    checked: &[Checked],
    rules: &RuleSet,
    thresholds: &Thresholds,
) -> anyhow::Result<String> {
    let active: Vec<&Rule> = rules.active().collect();
    let mut descriptors: Vec<Value> = active
        .iter()
        .map(|rule| {
            let (short, help) = match &rule.kind {
                RuleKind::Guard(_) => (
                    format!("Guard rules {}", rule.kind.summary()),
                    "CloudFormation Guard rules, evaluated by AWS's cfn-guard".to_string(),
                ),
                RuleKind::Native(check) => {
                    let kind = check.kind().describe();
                    (
                        format!(
                            "{} {} on {} resources",
                            kind.ruletype,
                            check.summary(),
                            rule.category.name()
                        ),
                        format!("{}: {}", kind.ruletype, kind.summary),
                    )
                }
            };
            let guidance = &rule.guidance;
            let mut descriptor = json!({
                "id": rule.id,
                "name": rule.id,
                "shortDescription": {"text": short},
                "fullDescription": {"text": format!("{} rule {} ({}), risk {}", rule.category.name(), rule.id, rule.kind.type_name(), rule.risk)},
                "help": help_of(guidance, &help),
                "defaultConfiguration": {"level": level(thresholds, rule.risk)},
                "properties": {"risk": rule.risk, "category": rule.category.name(), "ruletype": rule.kind.type_name()},
            });
            if let Some(link) = &guidance.link {
                descriptor["helpUri"] = json!(link);
            }
            if !guidance.frameworks.is_empty() {
                descriptor["properties"]["tags"] = json!(guidance.frameworks);
            }
            descriptor
        })
        .collect();
    // The rule the engine applies itself, after the active ones, when a
    // template has its findings.
    let unseen = checked.iter().any(|entry| {
        matches!(entry, Checked::Evaluated { report, .. }
            if report.report.findings.iter().any(|f| f.rule == UNSEEN))
    });
    if unseen {
        descriptors.push(json!({
            "id": UNSEEN,
            "name": UNSEEN,
            "shortDescription": {"text": "what the template does not show"},
            "fullDescription": {"text": UNSEEN_SUMMARY},
            "help": {"text": UNSEEN_SUMMARY},
            "defaultConfiguration": {"level": "warning"},
            "properties": {"risk": UNSEEN_RISK, "category": "Template", "ruletype": "built-in"},
        }));
    }
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for entry in checked {
        match entry {
            Checked::Evaluated { report, .. } => {
                for f in &report.report.findings {
                    results.push(result(&report.path, f, &report.report, thresholds, &active));
                }
                let gone = report.report.baseline.iter().flat_map(|b| &b.absent);
                for f in gone {
                    let mut absent = result(&report.path, f, &report.report, thresholds, &active);
                    absent["baselineState"] = json!("absent");
                    absent["level"] = json!("none");
                    let text = absent["message"]["text"].as_str().unwrap_or_default();
                    absent["message"]["text"] = json!(format!("gone since the baseline: {text}"));
                    results.push(absent);
                }
            }
            Checked::Unreadable { path, error } => notifications.push(notification(path, error)),
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
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
                "toolConfigurationNotifications": configuration_notifications(rules),
            }],
            "results": results,
        }],
    });
    Ok(serde_json::to_string_pretty(&document)?)
}

/// A rule's `help`: its remediation (text and Markdown, with its link and
/// frameworks) when it has one, else what its kind looks for.
fn help_of(guidance: &Guidance, kind: &str) -> Value {
    let Some(remediation) = &guidance.remediation else {
        return json!({"text": kind});
    };
    let mut text = remediation.clone();
    let mut markdown = format!("**Remediation.** {remediation}");
    if !guidance.frameworks.is_empty() {
        let frameworks = guidance.frameworks.join(", ");
        text.push_str(&format!(" Frameworks: {frameworks}."));
        markdown.push_str(&format!("\n\n**Frameworks:** {frameworks}"));
    }
    if let Some(link) = &guidance.link {
        text.push_str(&format!(" {link}"));
        markdown.push_str(&format!("\n\n[Documentation]({link})"));
    }
    markdown.push_str(&format!("\n\n*{kind}*"));
    json!({"text": text, "markdown": markdown})
}

/// The level of a result of this risk: what it alone would make the template.
fn level(thresholds: &Thresholds, risk: u64) -> &'static str {
    match thresholds.verdict(risk) {
        Verdict::Fail => "error",
        Verdict::Flagged => "warning",
        Verdict::Pass => "note",
    }
}

/// A finding of `report` as a SARIF result.
fn result(
    path: &str,
    f: &Finding,
    report: &Report,
    thresholds: &Thresholds,
    active: &[&Rule],
) -> Value {
    let level = match (f.is_unresolved(), report.unresolved_policy) {
        // In the baseline, and left out of the verdict.
        _ if f.is_existing() && report.leaves_out_existing() => "note",
        (false, _) | (true, UnresolvedPolicy::Fail) => level(thresholds, f.risk),
        // It flags the template on its own, and never fails it.
        (true, UnresolvedPolicy::Flag) => "warning",
        (true, UnresolvedPolicy::Pass) => "note",
    };
    let mut text = format!("{} ({}): {}", f.resource, f.resource_type, f.reason);
    if let Some(note) = unresolved_note(f) {
        text = format!("{text} {note}");
    }
    for note in notes(f) {
        text = format!("{text} {note}");
    }
    let mut result = json!({
        "ruleId": f.rule,
        "level": level,
        "message": {"text": text},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": uri(path)},
                "region": {"startLine": f.line},
            },
            "logicalLocations": [{"name": f.resource, "kind": "resource"}],
        }],
        "properties": {"risk": f.risk},
    });
    if let Some(index) = active.iter().position(|r| r.id == f.rule) {
        result["ruleIndex"] = json!(index);
    } else if f.rule == UNSEEN {
        result["ruleIndex"] = json!(active.len());
    }
    if !f.fingerprint.is_empty() {
        result["partialFingerprints"] = json!({FINGERPRINT_KEY: f.fingerprint});
    }
    if report.baseline.is_some() {
        result["baselineState"] = json!(if f.is_existing() { "unchanged" } else { "new" });
    }
    if f.is_unresolved() {
        result["properties"]["unresolved"] = json!(f.unresolved);
        result["properties"]["tags"] = json!(["unresolved"]);
    }
    if f.suppressed {
        result["suppressions"] = json!([{
            "kind": "inSource",
            "justification": f.suppression_reason.clone().unwrap_or_default(),
        }]);
    }
    result
}

/// What is wrong in the rules without stopping the run (an inactive rule
/// that cannot be applied), so a reader of the SARIF alone sees it too.
fn configuration_notifications(rules: &RuleSet) -> Vec<Value> {
    rules
        .errors()
        .iter()
        .filter(|error| !error.blocking)
        .map(|error| {
            json!({
                "level": "warning",
                "message": {"text": format!("inactive {error}")},
                "descriptor": {"id": "inactive-rule-cannot-be-applied"},
                "associatedRule": {"id": error.rule},
            })
        })
        .collect()
}

/// A template that cannot be read, as a tool execution notification.
fn notification(path: &str, error: &Unreadable) -> Value {
    let mut location = json!({"physicalLocation": {"artifactLocation": {"uri": uri(path)}}});
    if let Some(line) = error.line {
        let mut region = json!({"startLine": line});
        if let Some(column) = error.column {
            region["startColumn"] = json!(column);
        }
        location["physicalLocation"]["region"] = region;
    }
    json!({
        "level": "error",
        "message": {"text": format!("{path}:{}", locate(error))},
        "locations": [location],
        "descriptor": {"id": "unreadable-template"},
    })
}

/// A path as a relative URI reference: bytes other than unreserved
/// characters, sub-delimiters, `/`, `:` and `@` percent-encoded (a space, `%`,
/// `#`, `?`, non-ASCII).
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &byte in path.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
