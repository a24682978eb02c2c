//! Guard's JSON report, read into verdicts and one failure per resource.
//!
//! The report is the one `cfn-guard validate --structured --output-format
//! json` prints, a list with one entry per template: `compliant`, `not_applicable` and
//! `not_applicable_reasons` name rules; `not_compliant` holds, per failing
//! rule, the tree of clauses that failed, each with the path of the value it
//! looked at (`/Resources/<id>/…`) and its messages.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::data::GuardData;
use crate::{Evaluation, FailureKind, GuardError, GuardFailure, RuleVerdict, Status};

/// A message is cut to this many characters (the rule name included).
pub const MAX_MESSAGE_CHARS: usize = 400;

/// At most this many distinct messages are joined for one resource.
const MAX_MESSAGES: usize = 3;

/// How Guard explains a rule it skipped because a condition compared values
/// that cannot be compared (a string against a number, say): a check that
/// did not happen, not a pass.
const UNDECIDED: &str = "the rule did not apply because one of its conditions could not be decided";

#[derive(Debug, Deserialize)]
struct FileReport {
    #[serde(default)]
    not_compliant: Vec<ClauseReport>,
    #[serde(default)]
    not_applicable: Vec<String>,
    #[serde(default)]
    not_applicable_reasons: BTreeMap<String, String>,
    #[serde(default)]
    compliant: Vec<String>,
}

#[derive(Debug, Deserialize)]
enum ClauseReport {
    Rule(RuleReport),
    Block(BlockReport),
    Disjunctions(DisjunctionsReport),
    Clause(ClauseCheck),
}

#[derive(Debug, Deserialize)]
struct RuleReport {
    name: String,
    #[serde(default)]
    messages: Messages,
    #[serde(default)]
    checks: Vec<ClauseReport>,
}

#[derive(Debug, Deserialize)]
struct BlockReport {
    #[serde(default)]
    context: String,
    #[serde(default)]
    messages: Messages,
    unresolved: Option<Unresolved>,
}

#[derive(Debug, Deserialize)]
struct DisjunctionsReport {
    #[serde(default)]
    checks: Vec<ClauseReport>,
}

#[derive(Debug, Deserialize)]
enum ClauseCheck {
    Unary(CheckReport<UnaryCheck>),
    Binary(CheckReport<BinaryCheck>),
}

#[derive(Debug, Deserialize)]
struct CheckReport<C> {
    #[serde(default)]
    context: String,
    #[serde(default)]
    messages: Messages,
    check: C,
}

#[derive(Debug, Deserialize)]
enum UnaryCheck {
    UnResolved(ValueUnresolved),
    Resolved(UnaryComparison),
    UnResolvedContext(#[allow(dead_code)] serde::de::IgnoredAny),
}

#[derive(Debug, Deserialize)]
enum BinaryCheck {
    UnResolved(ValueUnresolved),
    Resolved(Comparison),
    InResolved(InComparison),
}

#[derive(Debug, Deserialize)]
struct ValueUnresolved {
    value: Unresolved,
}

#[derive(Debug, Deserialize)]
struct Unresolved {
    traversed_to: Located,
}

#[derive(Debug, Deserialize)]
struct UnaryComparison {
    value: Located,
}

#[derive(Debug, Deserialize)]
struct Comparison {
    from: Located,
    to: Located,
}

#[derive(Debug, Deserialize)]
struct InComparison {
    from: Located,
    #[serde(default)]
    to: Vec<Located>,
}

/// A value in the report; only its path is read.
#[derive(Debug, Deserialize)]
struct Located {
    #[serde(default)]
    path: String,
}

#[derive(Debug, Default, Deserialize)]
struct Messages {
    custom_message: Option<String>,
    error_message: Option<String>,
}

impl Messages {
    /// The rule author's message when there is one, else Guard's.
    fn best(&self) -> Option<String> {
        [&self.custom_message, &self.error_message]
            .into_iter()
            .flatten()
            .map(|m| one_line(m))
            .find(|m| !m.is_empty())
    }
}

/// Reads Guard's report on a run of rules files, `names` holding each
/// one's named rules (no name in two of them): one evaluation per file.
pub(crate) fn read(
    report: &str,
    names: &[&[String]],
    data: &GuardData,
) -> Result<Vec<Evaluation>, GuardError> {
    // One report per data file; there is one.
    let reports: Vec<FileReport> = serde_json::from_str(report)
        .map_err(|e| GuardError::Evaluation(format!("unexpected report from Guard: {e}")))?;
    let [report] = <[FileReport; 1]>::try_from(reports).map_err(|reports| {
        GuardError::Evaluation(format!(
            "Guard reported on {} templates instead of one",
            reports.len()
        ))
    })?;
    let failing: Vec<&RuleReport> = report
        .not_compliant
        .iter()
        .filter_map(|c| match c {
            ClauseReport::Rule(rule) => Some(rule),
            _ => None,
        })
        .collect();
    if report.not_compliant.len() != failing.len() {
        return Err(GuardError::Evaluation(
            "Guard's report has a failure outside any rule".to_string(),
        ));
    }
    names
        .iter()
        .map(|names| evaluation(&report, &failing, names, data))
        .collect()
}

/// The evaluation of the rules file whose rules are `names`.
fn evaluation(
    report: &FileReport,
    failing: &[&RuleReport],
    names: &[String],
    data: &GuardData,
) -> Result<Evaluation, GuardError> {
    let mut verdicts = Vec::with_capacity(names.len());
    for name in names {
        let status = if failing.iter().any(|rule| &rule.name == name) {
            Status::Fail
        } else if report.compliant.contains(name) {
            Status::Pass
        } else if report.not_applicable.contains(name) {
            Status::Skip
        } else {
            return Err(GuardError::Evaluation(format!(
                "Guard's report does not say whether rule {name} passed"
            )));
        };
        verdicts.push(RuleVerdict {
            rule: name.clone(),
            status,
        });
    }
    let mut failures = Vec::new();
    for rule in failing.iter().filter(|rule| names.contains(&rule.name)) {
        failures.extend(rule_failures(rule, data));
    }
    for verdict in &verdicts {
        if verdict.status != Status::Skip {
            continue;
        }
        if let Some(reason) = report.not_applicable_reasons.get(&verdict.rule)
            && reason.starts_with(UNDECIDED)
        {
            failures.push(GuardFailure {
                rule: verdict.rule.clone(),
                resource: None,
                kind: FailureKind::Undecided,
                message: bounded(&verdict.rule, &[one_line(reason)]),
            });
        }
    }
    Ok(Evaluation {
        verdicts,
        failures,
        skipped: false,
    })
}

/// One failure per resource the rule's failed clauses point into, in the
/// order Guard reports them; one template-level failure for clauses tied to
/// no resource.
fn rule_failures(rule: &RuleReport, data: &GuardData) -> Vec<GuardFailure> {
    let mut leaves = Vec::new();
    collect(&rule.checks, data, &mut leaves);
    if leaves.is_empty() {
        let message = rule
            .messages
            .best()
            .unwrap_or_else(|| "not compliant".to_string());
        leaves.push((None, message));
    }
    // (resource, its distinct messages), in first-seen order.
    let mut grouped: Vec<(Option<&str>, Vec<String>)> = Vec::new();
    for (resource, message) in leaves {
        let at = match grouped.iter().position(|(r, _)| *r == resource) {
            Some(at) => at,
            None => {
                grouped.push((resource, Vec::new()));
                grouped.len() - 1
            }
        };
        let messages = &mut grouped[at].1;
        if !messages.contains(&message) {
            messages.push(message);
        }
    }
    grouped
        .into_iter()
        .map(|(resource, messages)| GuardFailure {
            rule: rule.name.clone(),
            resource: resource.map(str::to_string),
            kind: FailureKind::NotCompliant,
            message: bounded(&rule.name, &messages),
        })
        .collect()
}

/// The failed clauses under `checks`: the resource each points into, and
/// its message.
fn collect<'d>(
    checks: &[ClauseReport],
    data: &'d GuardData,
    out: &mut Vec<(Option<&'d str>, String)>,
) {
    for check in checks {
        match check {
            ClauseReport::Rule(rule) => collect(&rule.checks, data, out),
            ClauseReport::Disjunctions(any) => collect(&any.checks, data, out),
            ClauseReport::Block(block) => {
                let paths: Vec<&str> = block
                    .unresolved
                    .iter()
                    .map(|u| u.traversed_to.path.as_str())
                    .collect();
                out.push((
                    first_resource(&paths, data),
                    block
                        .messages
                        .best()
                        .unwrap_or_else(|| one_line(&block.context)),
                ));
            }
            ClauseReport::Clause(ClauseCheck::Unary(report)) => {
                let paths: Vec<&str> = match &report.check {
                    UnaryCheck::UnResolved(u) => vec![&u.value.traversed_to.path],
                    UnaryCheck::Resolved(r) => vec![&r.value.path],
                    UnaryCheck::UnResolvedContext(_) => vec![],
                };
                out.push((first_resource(&paths, data), clause_message(report)));
            }
            ClauseReport::Clause(ClauseCheck::Binary(report)) => {
                let paths: Vec<&str> = match &report.check {
                    BinaryCheck::UnResolved(u) => vec![&u.value.traversed_to.path],
                    BinaryCheck::Resolved(c) => vec![&c.from.path, &c.to.path],
                    BinaryCheck::InResolved(c) => std::iter::once(&c.from.path)
                        .chain(c.to.iter().map(|t| &t.path))
                        .map(String::as_str)
                        .collect(),
                };
                out.push((first_resource(&paths, data), clause_message(report)));
            }
        }
    }
}

fn clause_message<C>(report: &CheckReport<C>) -> String {
    report
        .messages
        .best()
        .unwrap_or_else(|| one_line(&report.context))
}

/// The first of `paths` (the value compared first, then what it was
/// compared with) that points into a resource.
fn first_resource<'d>(paths: &[&str], data: &'d GuardData) -> Option<&'d str> {
    paths.iter().find_map(|path| data.resource_at(path))
}

/// Whitespace collapsed to single spaces, and without the `[L:n,C:n]`
/// positions Guard appends to paths: they point into the JSON text Guard was
/// handed, not into the template the user wrote.
fn one_line(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("[L:") {
        kept.push_str(&rest[..at]);
        let marker = &rest[at..];
        match marker.find(']') {
            Some(end) if is_position(&marker[3..end]) => rest = &marker[end + 1..],
            _ => {
                kept.push_str("[L:");
                rest = &marker[3..];
            }
        }
    }
    kept.push_str(rest);
    let kept = without_view_dumps(&kept);
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Guard's messages quote the value a query stopped at. At the template's
/// root or at `Resources` that is whatever part of the template Guard was
/// shown (see `GuardData::view`), not something to put in a one-line
/// message: the quote is dropped, the path kept.
fn without_view_dumps(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = ["Path= Value=", "Path=/Resources Value="]
            .iter()
            .filter_map(|marker| rest.find(marker).map(|at| (at, marker.len())))
            .min();
        let Some((at, len)) = next else {
            break;
        };
        let value_at = at + len;
        let mut values = serde_json::Deserializer::from_str(&rest[value_at..]).into_iter::<Value>();
        match values.next() {
            Some(Ok(_)) => {
                // "Path=" or "Path=/Resources", without " Value=…".
                kept.push_str(&rest[..value_at - " Value=".len()]);
                rest = &rest[value_at + values.byte_offset()..];
            }
            _ => {
                kept.push_str(&rest[..value_at]);
                rest = &rest[value_at..];
            }
        }
    }
    kept.push_str(rest);
    kept
}

/// `12,C:34`
fn is_position(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    text.split_once(",C:")
        .is_some_and(|(line, column)| digits(line) && digits(column))
}

/// `rule: message; message (and N more)`, cut to [`MAX_MESSAGE_CHARS`].
fn bounded(rule: &str, messages: &[String]) -> String {
    let mut text = format!(
        "{rule}: {}",
        messages[..messages.len().min(MAX_MESSAGES)].join("; ")
    );
    if messages.len() > MAX_MESSAGES {
        text.push_str(&format!(" (and {} more)", messages.len() - MAX_MESSAGES));
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        text = text.chars().take(MAX_MESSAGE_CHARS - 1).collect();
        text.push('…');
    }
    text
}
