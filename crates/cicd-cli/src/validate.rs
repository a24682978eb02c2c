//! `cicd validate`: the Static_Check stage's rules, run on local files.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use template_rules::{
    Limits, ParseError, RuleSet, Template, TemplateReport, Thresholds, Verdict, evaluate,
};

use crate::output::{self, Format};

#[derive(clap::Args)]
pub struct Args {
    /// Rules file (YAML or JSON, in the rules table's item shape); the built-in rules by default.
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Total risk from which a template is flagged for manual approval.
    #[arg(long, value_name = "N", default_value_t = 5)]
    flag_at: u64,
    /// Total risk from which a template fails.
    #[arg(long, value_name = "N", default_value_t = 50)]
    fail_at: u64,
    /// CloudFormation templates (JSON or YAML).
    #[arg(required = true, value_name = "TEMPLATE")]
    templates: Vec<PathBuf>,
}

/// Exit codes: 0 no template fails, 1 one fails, 2 a usage error or a
/// template (or rules file) that cannot be read.
const FAILED: u8 = 1;
const UNUSABLE: u8 = 2;

pub fn run(args: &Args) -> ExitCode {
    let thresholds = match Thresholds::new(args.flag_at, args.fail_at) {
        Ok(t) => t,
        Err(e) => return usage_error(&e),
    };
    let rules = match load_rules(args.rules.as_deref()) {
        Ok(rules) => rules,
        Err(e) => return usage_error(&e),
    };

    let mut reports = Vec::new();
    let mut unreadable = false;
    for path in &args.templates {
        let shown = path.to_string_lossy().replace('\\', "/");
        let checked = read_capped(path)
            .map_err(|e| format!(" {e}"))
            .and_then(|bytes| {
                let template = Template::parse(&bytes).map_err(|e| locate(&e))?;
                Ok(evaluate(&template, &rules, &thresholds))
            });
        match checked {
            Ok(report) => reports.push(TemplateReport {
                path: shown,
                report,
            }),
            Err(message) => {
                eprintln!("{shown}:{message}");
                unreadable = true;
            }
        }
    }

    output::print(args.format, &reports, &rules, &thresholds);
    if unreadable {
        ExitCode::from(UNUSABLE)
    } else if reports.iter().any(|r| r.report.verdict == Verdict::Fail) {
        ExitCode::from(FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("cicd validate: {message}");
    ExitCode::from(UNUSABLE)
}

/// The rule set, with what is wrong in it said on stderr. Rules that were
/// meant to be applied but cannot be make the whole run unusable.
fn load_rules(path: Option<&Path>) -> Result<RuleSet, String> {
    let Some(path) = path else {
        return Ok(RuleSet::defaults());
    };
    let shown = path.display();
    let bytes = read_capped(path).map_err(|e| format!("rules file {shown}: {e}"))?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("rules file {shown}: not valid UTF-8"))?;
    let rules = RuleSet::from_file_str(&text).map_err(|e| format!("rules file {shown}: {e}"))?;
    for note in rules.notes() {
        eprintln!("cicd validate: note: {note}");
    }
    if let Err(unusable) = rules.check_usable() {
        let listed: Vec<String> = unusable.errors.iter().map(|e| format!("  {e}")).collect();
        return Err(format!(
            "rules file {shown} has active rules that cannot be applied:\n{}",
            listed.join("\n")
        ));
    }
    for error in rules.errors() {
        eprintln!("cicd validate: warning: rules file {shown}: inactive {error}");
    }
    Ok(rules)
}

/// A parse error as `line:column: message`, to follow `path:`.
fn locate(e: &ParseError) -> String {
    match (e.line, e.column) {
        (Some(line), Some(column)) => format!("{line}:{column}: {}", e.message),
        (Some(line), None) => format!("{line}: {}", e.message),
        _ => format!(" {}", e.message),
    }
}

/// Reads at most one byte more than a template may hold, so a huge file is
/// refused without being loaded.
fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    let limit = Limits::default().max_bytes;
    let file = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > limit {
        return Err(format!(
            "larger than {limit} bytes (CloudFormation accepts at most 1 MiB)"
        ));
    }
    Ok(bytes)
}
