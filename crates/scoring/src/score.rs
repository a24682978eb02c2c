//! One template scored: its rules made usable, the evaluation on a
//! blocking thread the runner can stop, and what can go wrong, typed, for
//! each function to report in its own terms.

use guard_worker::Worker;
use pipeline_job::Invocation;
use template_rules::{
    Budget, EvaluateOptions, EvaluationError, ParseError, Report, RuleItem, RuleSet, Template,
    Thresholds, UnusableRules, evaluate_with,
};
use tracing::{info, warn};

/// Why a template has no verdict. The messages name the template (as the
/// caller calls it) and the rules table.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ScoreError {
    /// The template cannot be read: the check has nothing to judge.
    #[error("{file} cannot be read as a CloudFormation template: {error}")]
    Unreadable {
        /// The template, as the caller names it.
        file: String,
        /// What is wrong with it, and where.
        error: ParseError,
    },
    /// Active rules that cannot be applied: a check that skipped them
    /// would prove nothing. The table's to fix.
    #[error("the rules table {table} has active rules that cannot be applied:\n{unusable}")]
    UnusableRules {
        /// The rules' source.
        table: String,
        /// Which, and why.
        unusable: UnusableRules,
    },
    /// Rules Guard failed on while evaluating this template (an undefined
    /// variable, say): the table's to fix.
    #[error("the rules table {table} has rules that cannot be evaluated on {file}:\n{error}")]
    NotEvaluated {
        /// The rules' source.
        table: String,
        /// The template.
        file: String,
        /// Guard's account of it.
        error: EvaluationError,
    },
    /// The evaluation was stopped before its end (the runner's cutoff).
    #[error("{file}: {error}")]
    Stopped {
        /// The template.
        file: String,
        /// Where it stopped.
        error: EvaluationError,
    },
}

/// The rule set of `items` (read from `table`), when every active rule can
/// be applied. Notes on the items (legacy regexes read as structured
/// rules) are logged, and so are inactive rules that could not be applied.
pub fn rule_set(table: &str, items: Vec<RuleItem>) -> Result<RuleSet, ScoreError> {
    let rules = RuleSet::from_items(items);
    for note in rules.notes() {
        info!(table, %note, "rule note");
    }
    rules
        .check_usable()
        .map_err(|unusable| ScoreError::UnusableRules {
            table: table.to_string(),
            unusable,
        })?;
    for error in rules.errors() {
        warn!(table, %error, "inactive rule cannot be applied");
    }
    Ok(rules)
}

/// Reads `template` (named `file`) and evaluates `rules` (from `table`) on
/// it: the CPU-bound part, for a blocking thread ([`on_blocking_thread`]).
pub fn score(
    template: &[u8],
    file: &str,
    table: &str,
    rules: &RuleSet,
    thresholds: &Thresholds,
    options: &EvaluateOptions,
) -> Result<Report, ScoreError> {
    let template = Template::parse(template).map_err(|error| ScoreError::Unreadable {
        file: file.to_string(),
        error,
    })?;
    evaluate(&template, file, table, rules, thresholds, options)
}

/// Evaluates `rules` (from `table`) on `template`, read already (named
/// `file`). A check that cannot be trusted is never a report.
pub fn evaluate(
    template: &Template,
    file: &str,
    table: &str,
    rules: &RuleSet,
    thresholds: &Thresholds,
    options: &EvaluateOptions,
) -> Result<Report, ScoreError> {
    evaluate_with(template, rules, thresholds, options).map_err(|error| match error {
        EvaluationError::Rules(_) => ScoreError::NotEvaluated {
            table: table.to_string(),
            file: file.to_string(),
            error,
        },
        EvaluationError::Stopped { .. } | EvaluationError::Interrupted(_) => ScoreError::Stopped {
            file: file.to_string(),
            error,
        },
    })
}

/// Runs `work` on a blocking thread of `invocation` with the options of an
/// evaluation the runner can stop: Guard in `guard`'s bounded workers,
/// within its memory limit, a budget that gives up once the invocation's
/// stop flag is raised, and the Guard items running named in the
/// invocation's activity (Guard runs items in chunks: the runner names them
/// if it stops the handler while one runs, and the worker is killed).
pub async fn on_blocking_thread<T, F>(
    invocation: &Invocation,
    guard_memory_limit: usize,
    guard: Worker,
    work: F,
) -> T
where
    F: FnOnce(&EvaluateOptions) -> T + Send + 'static,
    T: Send + 'static,
{
    let budget = Budget::unlimited().stop_flag(invocation.stop_flag());
    let activity = invocation.activity();
    invocation
        .spawn_blocking(move || {
            let on_guard_chunk = |ids: &[&str]| match ids {
                [] => activity.clear(),
                [one] => activity.set(format!("evaluating the Guard rules of the item {one}")),
                ids => activity.set(format!(
                    "evaluating the Guard rules of the items {}",
                    ids.join(", ")
                )),
            };
            let options = EvaluateOptions {
                guard_memory_limit,
                guard: &guard,
                budget,
                on_guard_chunk: &on_guard_chunk,
                ..EvaluateOptions::default()
            };
            work(&options)
        })
        .await
}
