//! The text report, for people: one line per finding, aligned within a
//! template (a rule's remediation under its first finding), then one
//! verdict line per template; in colour on a terminal.

use std::io::IsTerminal;

use anstyle::{AnsiColor, Style};
use template_rules::{Finding, Report, TemplateReport, Thresholds, UnresolvedPolicy, Verdict};

use std::collections::HashSet;

use super::checked::{Checked, comparison, notes, unresolved_note};

/// Colours, on a terminal only (and never with NO_COLOR set).
#[derive(Clone, Copy, Default)]
pub struct Palette {
    fail: Style,
    flagged: Style,
    pass: Style,
    dim: Style,
    rule: Style,
}

impl Palette {
    pub fn detect() -> Palette {
        let wanted = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        if !wanted {
            return Palette::default();
        }
        Palette {
            fail: Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
            flagged: Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold(),
            pass: Style::new().fg_color(Some(AnsiColor::Green.into())).bold(),
            dim: Style::new().dimmed(),
            rule: Style::new().bold(),
        }
    }
}

/// Column widths of one template's finding lines.
struct Widths {
    location: usize,
    rule: usize,
    resource: usize,
}

/// One line per finding (`path:line  RULE  Resource  reason`), aligned within
/// a template, then one verdict line per template; an unreadable template
/// is one `ERROR` line.
pub fn document(checked: &[Checked], thresholds: &Thresholds, palette: Palette) -> String {
    let mut out = String::new();
    for entry in checked {
        let TemplateReport { path, report } = match entry {
            Checked::Evaluated { report, .. } => report,
            Checked::Unreadable { path, error } => {
                out.push_str(&format!(
                    "{path}: {}ERROR{:#}  cannot be read: {error}\n",
                    palette.fail, palette.fail
                ));
                continue;
            }
        };
        let widths = Widths {
            location: report
                .findings
                .iter()
                .map(|f| path.len() + 1 + f.line.to_string().len())
                .max()
                .unwrap_or(0),
            rule: report
                .findings
                .iter()
                .map(|f| f.rule.len())
                .max()
                .unwrap_or(0),
            resource: report
                .findings
                .iter()
                .map(|f| f.resource.len())
                .max()
                .unwrap_or(0),
        };
        // A rule's remediation follows its first unsuppressed finding, once.
        let mut fixed: HashSet<&str> = HashSet::new();
        for f in &report.findings {
            out.push_str(&finding_line(path, f, report.counts(f), &widths, palette));
            if f.suppressed {
                continue;
            }
            if let Some(guidance) = report.guidance(&f.rule)
                && fixed.insert(&f.rule)
            {
                out.push_str(&format!(
                    "{:w$}  {}{}{:#}\n",
                    "",
                    palette.dim,
                    guidance.fix_line(),
                    palette.dim,
                    w = widths.location,
                ));
            }
        }
        for warning in &report.warnings {
            out.push_str(&format!(
                "{path}: {}warning{:#}: {warning}\n",
                palette.flagged, palette.flagged
            ));
        }
        let (style, word) = match report.verdict {
            Verdict::Fail => (palette.fail, "FAIL"),
            Verdict::Flagged => (palette.flagged, "FLAGGED"),
            Verdict::Pass => (palette.pass, "PASS"),
        };
        out.push_str(&format!(
            "{path}: {style}{word}{style:#}  risk {} ({}){}\n",
            report.risk,
            counts(report),
            why(report, thresholds)
        ));
    }
    out
}

/// "no findings", "3 findings, 1 unresolved, 1 suppressed".
fn counts(report: &Report) -> String {
    let found = match report.findings.len() {
        0 => return "no findings".to_string(),
        1 => "1 finding".to_string(),
        n => format!("{n} findings"),
    };
    let mut parts = vec![found];
    match report.unresolved_count() {
        0 => {}
        n => parts.push(format!("{n} unresolved")),
    }
    match report.suppressed_count() {
        0 => {}
        n => parts.push(format!("{n} suppressed")),
    }
    match report.existing_count() {
        0 => {}
        n => parts.push(format!("{n} existing")),
    }
    parts.join(", ")
}

/// What the risk alone does not explain: that a person must approve, and
/// why when only unresolved findings ask for it; what the policy did with
/// unresolved findings when it is not the default.
fn why(report: &Report, thresholds: &Thresholds) -> String {
    let mut why = String::new();
    let unresolved = report.unresolved_count();
    if thresholds.flags_only_for_unresolved(report) {
        why.push_str(&format!(
            "; needs manual approval: {unresolved} unresolved finding{}, risk {} if {} fire{}",
            plural(unresolved),
            report.unresolved_risk,
            if unresolved == 1 { "it" } else { "they" },
            if unresolved == 1 { "s" } else { "" },
        ));
    } else if report.verdict == Verdict::Flagged {
        why.push_str("; needs manual approval");
    }
    if unresolved > 0 {
        match report.unresolved_policy {
            UnresolvedPolicy::Flag => {}
            UnresolvedPolicy::Pass => why.push_str("; unresolved not counted (--unresolved pass)"),
            UnresolvedPolicy::Fail => why.push_str("; unresolved counted (--unresolved fail)"),
        }
    }
    if let Some(comparison) = comparison(report) {
        why.push_str(&format!("; {comparison}"));
    }
    why
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A finding as one text line, dimmed when the verdict does not count it
/// (suppressed, or existing in the baseline).
fn finding_line(
    path: &str,
    f: &Finding,
    counted: bool,
    widths: &Widths,
    palette: Palette,
) -> String {
    let location = format!("{path}:{}", f.line);
    let (style, mut note) = match &f.suppression_reason {
        Some(reason) if f.suppressed => (palette.dim, format!("  (suppressed: {reason})")),
        _ if !counted => (palette.dim, String::new()),
        _ => (Style::new(), String::new()),
    };
    for extra in notes(f) {
        note.push_str(&format!("  {extra}"));
    }
    let unresolved = match unresolved_note(f) {
        Some(note) => format!("  {}{note}{:#}{style}", palette.flagged, palette.flagged),
        None => String::new(),
    };
    let rule_style = if counted { palette.rule } else { palette.dim };
    format!(
        "{style}{location:<lw$}  {rule_style}{:<rw$}{rule_style:#}{style}  {:<sw$}  {}{unresolved}{note}{style:#}\n",
        f.rule,
        f.resource,
        f.reason,
        lw = widths.location,
        rw = widths.rule,
        sw = widths.resource,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::checked::tests::finding;

    #[test]
    fn a_text_line_marks_an_unresolved_finding_before_its_suppression() {
        let mut f = finding("may be open", &["Fn::ImportValue x"]);
        f.suppressed = true;
        f.suppression_reason = Some("reviewed".to_string());
        let widths = Widths {
            location: 0,
            rule: 0,
            resource: 0,
        };
        assert_eq!(
            finding_line("t.yaml", &f, false, &widths, Palette::default()),
            "t.yaml:3  Ssh  Sg  may be open  (unresolved: Fn::ImportValue x)  (suppressed: reviewed)\n"
        );
    }
}
