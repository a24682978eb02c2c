//! How `cicd validate` prints its reports: text for people, JSON for tools,
//! SARIF for code-scanning services, JUnit XML for test reporters.
//!
//! Every template given is accounted for in every format, the ones that
//! could not be read included.

use std::io::{IsTerminal, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;
use template_rules::{Finding, RuleSet, TemplateReport, Thresholds, Verdict};

use crate::inputs::Unreadable;
use crate::{junit, sarif};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
}

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

pub fn print(
    format: Format,
    checked: &[Checked],
    rules: &RuleSet,
    thresholds: &Thresholds,
) -> anyhow::Result<()> {
    let text = match format {
        Format::Text => text(checked, Palette::detect()),
        Format::Json => json(checked)? + "\n",
        Format::Sarif => sarif::document(checked, rules, thresholds)? + "\n",
        Format::Junit => junit::document(checked)?,
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| anyhow::anyhow!("cannot write the report: {e}"))
}

/// `{"templates": [...]}`: the document cfn-validate writes as
/// `validation-report.json`, plus an entry for each template that could not
/// be read: `{"path", "verdict": "error", "error": {"line", "column", "message"}}`.
pub fn json(checked: &[Checked]) -> anyhow::Result<String> {
    #[derive(Serialize)]
    struct Document<'a> {
        templates: Vec<Entry<'a>>,
    }
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Entry<'a> {
        Evaluated(&'a TemplateReport),
        Unreadable {
            path: &'a str,
            verdict: &'static str,
            error: &'a Unreadable,
        },
    }
    let templates = checked
        .iter()
        .map(|c| match c {
            Checked::Evaluated { report, .. } => Entry::Evaluated(report),
            Checked::Unreadable { path, error } => Entry::Unreadable {
                path,
                verdict: "error",
                error,
            },
        })
        .collect();
    Ok(serde_json::to_string_pretty(&Document { templates })?)
}

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
pub fn text(checked: &[Checked], palette: Palette) -> String {
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
        for f in &report.findings {
            out.push_str(&finding_line(path, f, &widths, palette));
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
        let suppressed = report.findings.iter().filter(|f| f.suppressed).count();
        let counted = match (report.findings.len(), suppressed) {
            (0, _) => "no findings".to_string(),
            (1, 0) => "1 finding".to_string(),
            (n, 0) => format!("{n} findings"),
            (n, s) => format!(
                "{n} finding{}, {s} suppressed",
                if n == 1 { "" } else { "s" }
            ),
        };
        let approval = if report.verdict == Verdict::Flagged {
            "; needs manual approval"
        } else {
            ""
        };
        out.push_str(&format!(
            "{path}: {style}{word}{style:#}  risk {} ({counted}){approval}\n",
            report.risk
        ));
    }
    out
}

/// A finding as one text line.
fn finding_line(path: &str, f: &Finding, widths: &Widths, palette: Palette) -> String {
    let location = format!("{path}:{}", f.line);
    let (style, note) = match &f.suppression_reason {
        Some(reason) if f.suppressed => (palette.dim, format!("  (suppressed: {reason})")),
        _ => (Style::new(), String::new()),
    };
    let rule_style = if f.suppressed {
        palette.dim
    } else {
        palette.rule
    };
    format!(
        "{style}{location:<lw$}  {rule_style}{:<rw$}{rule_style:#}{style}  {:<sw$}  {}{note}{style:#}\n",
        f.rule,
        f.resource,
        f.reason,
        lw = widths.location,
        rw = widths.rule,
        sw = widths.resource,
    )
}
