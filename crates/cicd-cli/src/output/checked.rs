//! What every format reports on, and the phrases they all word alike.

use template_rules::{Finding, Report, TemplateReport};

use crate::reading::Unreadable;

/// What became of one template.
#[derive(Debug, Clone)]
pub enum Checked {
    /// Evaluated, with the ids of the active rules that apply to its
    /// resources (the rules it was checked against).
    Evaluated {
        report: TemplateReport,
        rules: Vec<String>,
    },
    Unreadable {
        path: String,
        error: Unreadable,
    },
}

/// `(unresolved)`, or `(unresolved: what)` naming what the reason does not
/// already: every format marks an unresolved finding with it.
pub fn unresolved_note(f: &Finding) -> Option<String> {
    if !f.is_unresolved() {
        return None;
    }
    let unsaid = f.unresolved_not_in_reason();
    Some(if unsaid.is_empty() {
        "(unresolved)".to_string()
    } else {
        format!("(unresolved: {})", unsaid.join("; "))
    })
}

/// What every format adds to a finding compared with a baseline, or whose
/// suppression expired: `(existing)`, `(the suppression (…) expired on …)`.
pub fn notes(f: &Finding) -> Vec<String> {
    let mut notes = Vec::new();
    if f.is_existing() {
        notes.push("(existing)".to_string());
    }
    if let Some(expired) = &f.suppression_expired {
        notes.push(format!("({expired})"));
    }
    notes
}

/// "compared with git HEAD~1: 1 new, 2 existing (not counted), 1 gone",
/// for a report compared with a baseline.
pub fn comparison(report: &Report) -> Option<String> {
    let baseline = report.baseline.as_ref()?;
    let counted = if report.leaves_out_existing() {
        "not counted"
    } else {
        "counted"
    };
    let mut text = format!(
        "compared with {}: {} new, {} existing ({counted})",
        baseline.against, baseline.new, baseline.existing
    );
    if !baseline.absent.is_empty() {
        text.push_str(&format!(", {} gone", baseline.absent.len()));
    }
    Some(text)
}

/// Why a template cannot be read, as `line:column: message` to follow `path:`.
pub fn locate(e: &Unreadable) -> String {
    match (e.line, e.column) {
        (Some(line), Some(column)) => format!("{line}:{column}: {}", e.message),
        (Some(line), None) => format!("{line}: {}", e.message),
        _ => format!(" {}", e.message),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A finding of `Ssh` on `Sg`, line 3, risk 100.
    pub(in crate::output) fn finding(reason: &str, unresolved: &[&str]) -> Finding {
        Finding {
            rule: "Ssh".to_string(),
            resource: "Sg".to_string(),
            line: 3,
            risk: 100,
            reason: reason.to_string(),
            suppressed: false,
            suppression_reason: None,
            resource_type: "AWS::EC2::SecurityGroup".to_string(),
            unresolved: unresolved.iter().map(|u| u.to_string()).collect(),
            fingerprint: String::new(),
            guard_rule: None,
            suppression_expired: None,
            baseline: None,
        }
    }

    #[test]
    fn the_unresolved_note_names_what_the_reason_does_not() {
        assert_eq!(unresolved_note(&finding("admits tcp 22", &[])), None);
        assert_eq!(
            unresolved_note(&finding(
                "may admit (parameter P has no Default)",
                &["parameter P has no Default"]
            )),
            Some("(unresolved)".to_string())
        );
        // A rule whose reason says nothing of it (a Guard rule, say).
        assert_eq!(
            unresolved_note(&finding(
                "may be open",
                &["parameter P has no Default", "Fn::ImportValue x"]
            )),
            Some("(unresolved: parameter P has no Default; Fn::ImportValue x)".to_string())
        );
    }
}
