//! How `cicd validate` prints its reports: text for people, JSON for tools,
//! SARIF for code-scanning services.

use std::io::IsTerminal;

use anstyle::{AnsiColor, Style};
use template_rules::{RuleSet, TemplateReport, Thresholds, ValidationReport, Verdict};

use crate::sarif;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

pub fn print(format: Format, reports: &[TemplateReport], rules: &RuleSet, thresholds: &Thresholds) {
    match format {
        Format::Text => print!("{}", text(reports, Palette::detect())),
        Format::Json => println!("{}", json(reports)),
        Format::Sarif => println!("{}", sarif::document(reports, rules, thresholds)),
    }
}

pub fn json(reports: &[TemplateReport]) -> String {
    let document = ValidationReport {
        templates: reports.to_vec(),
    };
    serde_json::to_string_pretty(&document).unwrap_or_default()
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

/// One line per finding (`path:line  RULE  Resource  reason`), aligned within
/// a template, then one verdict line per template.
pub fn text(reports: &[TemplateReport], palette: Palette) -> String {
    let mut out = String::new();
    for TemplateReport { path, report } in reports {
        let rule_width = report
            .findings
            .iter()
            .map(|f| f.rule.len())
            .max()
            .unwrap_or(0);
        let resource_width = report
            .findings
            .iter()
            .map(|f| f.resource.len())
            .max()
            .unwrap_or(0);
        let location_width = report
            .findings
            .iter()
            .map(|f| path.len() + 1 + f.line.to_string().len())
            .max()
            .unwrap_or(0);
        for f in &report.findings {
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
            out.push_str(&format!(
                "{style}{location:<location_width$}  {rule_style}{:<rule_width$}{rule_style:#}{style}  {:<resource_width$}  {}{note}{style:#}\n",
                f.rule, f.resource, f.reason
            ));
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
