//! Runs Guard on a template, and reads its verdicts.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use cfn_guard::commands::Executable;
use cfn_guard::commands::validate::{OutputFormatType, ShowSummaryType};
use cfn_guard::utils::reader::{ReadBuffer, Reader};
use cfn_guard::utils::writer::{WriteBuffer, Writer};
use cfn_guard::{CommandBuilder, ValidateBuilder};

use std::collections::HashSet;

use crate::data::{GuardData, View};
use crate::report;
use crate::{GuardError, GuardRules};

/// Guard's verdict on one named rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Status {
    /// The rule holds.
    Pass,
    /// The rule does not hold.
    Fail,
    /// The rule's `when` (or its selection) left nothing to check.
    Skip,
}

impl Status {
    /// As Guard writes it (`PASS`, `FAIL`, `SKIP`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

/// Guard's verdict on one named rule of a rules file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuleVerdict {
    /// The rule's name.
    pub rule: String,
    /// What Guard said.
    pub status: Status,
}

/// Why a [`GuardFailure`] was reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum FailureKind {
    /// The rule is not compliant.
    NotCompliant,
    /// Guard skipped the rule because a condition compared values that
    /// cannot be compared (a string with a number, an intrinsic function
    /// with a number): the rule was not checked. Guard itself reports SKIP;
    /// a gate that fails closed should not read it as a pass.
    Undecided,
}

/// A named rule that did not pass, for one resource or for the template.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GuardFailure {
    /// The Guard rule's name.
    pub rule: String,
    /// The logical id the failure points into (`/Resources/<id>/…` in
    /// Guard's report); `None` for a failure tied to no resource.
    pub resource: Option<String>,
    /// Not compliant, or not decided.
    pub kind: FailureKind,
    /// One line, at most [`crate::MAX_MESSAGE_CHARS`] characters, starting
    /// with the rule's name: the rule's custom `<< … >>` message when the
    /// failed clause has one, else Guard's own.
    pub message: String,
}

/// What Guard said about one rules file on one template.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Evaluation {
    /// Every named rule, in file order.
    pub verdicts: Vec<RuleVerdict>,
    /// One per failing rule and resource (or template), in Guard's order,
    /// then the undecided rules.
    pub failures: Vec<GuardFailure>,
    /// Guard did not run: none of the types the rules select is in the
    /// template, and the verdicts are those the rules give on any such
    /// template (see [`GuardRules::selected_types`]).
    pub skipped: bool,
}

impl Evaluation {
    /// Guard's verdict on a rule, by name.
    pub fn status(&self, rule: &str) -> Option<Status> {
        self.verdicts
            .iter()
            .find(|v| v.rule == rule)
            .map(|v| v.status)
    }
}

/// Memory Guard may need for one item before it is refused (see
/// [`GuardRules::memory_estimate`]): 1 GiB. A caller with less (a Lambda
/// function) sets its own [`Options::memory_limit`].
pub const DEFAULT_MEMORY_LIMIT: usize = 1 << 30;

/// How [`evaluate_with`] runs Guard: the two ways it saves work, both exact
/// (turned off, they give the reference behaviour: Guard on the whole
/// template, every time), and the memory it lets one item take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Do not run Guard when the rules select resource types the template
    /// does not have and are known to say nothing then (a skip stands for
    /// the narrowed evaluation, so it needs `narrow`).
    pub skip_absent_types: bool,
    /// Hand Guard only what the rules can read (the resources of the types
    /// they select, the sections they read), rather than the whole
    /// template.
    pub narrow: bool,
    /// An item whose [`GuardRules::memory_estimate`] on the template is
    /// larger is not run: [`GuardError::TooCostly`].
    pub memory_limit: usize,
}

impl Options {
    /// Every shortcut, [`DEFAULT_MEMORY_LIMIT`].
    pub const DEFAULT: Options = Options {
        skip_absent_types: true,
        narrow: true,
        memory_limit: DEFAULT_MEMORY_LIMIT,
    };
    /// Guard on the whole template, as its CLI would run it, without limit.
    pub const REFERENCE: Options = Options {
        skip_absent_types: false,
        narrow: false,
        memory_limit: usize::MAX,
    };
}

impl Default for Options {
    fn default() -> Self {
        Options::DEFAULT
    }
}

/// Evaluates one rules file on a template, with every shortcut.
///
/// CPU-bound and blocking: from async code, run it on a blocking thread
/// (`tokio::task::spawn_blocking`, with the rules and the data in `Arc`s).
/// cfn-guard's values are `Rc`-based, but they are created and dropped
/// inside this call: [`GuardRules`], [`GuardData`] and the result are plain
/// `Send + Sync` data. The thread needs a stack of at least 2 MiB (the
/// default for spawned threads); the parse caps keep Guard's recursion well
/// within it. Guard cannot be interrupted: bound the time from outside (see
/// the README of this crate for the worst cases measured).
///
/// Err when Guard fails (an undefined variable, a function error, a report
/// this crate cannot read, a panic inside cfn-guard): never read as
/// compliant.
pub fn evaluate(rules: &GuardRules, data: &GuardData) -> Result<Evaluation, GuardError> {
    evaluate_with(rules, data, Options::DEFAULT)
}

/// [`evaluate`], with [`Options`]. The shortcuts give exactly the verdicts
/// and failures Guard gives on the whole template (the property tests check
/// it): they are taken only when [`GuardRules::narrows_on`] the template.
pub fn evaluate_with(
    rules: &GuardRules,
    data: &GuardData,
    options: Options,
) -> Result<Evaluation, GuardError> {
    evaluate_all_with(&[rules], data, options)
        .pop()
        .unwrap_or_else(|| Err(GuardError::Evaluation("no evaluation".to_string())))
}

/// Evaluates many rules files (a rule set's Guard items) on one template,
/// each on its own, as [`evaluate`] would: the results are in the same
/// order, one per rules file.
///
/// Faster than one call per item: items shown the same part of the
/// template (all those on Lambda functions, say) are handed to Guard in one
/// run, so it reads that part once. Their `let`s and rules never meet
/// (Guard evaluates each rules file in a scope of its own); items whose
/// rule names clash go to different runs, and when a run fails, each of its
/// items is run alone, so an error is reported for the item that caused it.
pub fn evaluate_all(
    items: &[&GuardRules],
    data: &GuardData,
) -> Vec<Result<Evaluation, GuardError>> {
    evaluate_all_with(items, data, Options::DEFAULT)
}

/// [`evaluate_all`], with [`Options`].
pub fn evaluate_all_with(
    items: &[&GuardRules],
    data: &GuardData,
    options: Options,
) -> Vec<Result<Evaluation, GuardError>> {
    let mut results: Vec<Option<Result<Evaluation, GuardError>>> = vec![None; items.len()];
    // Items by view, in the order views are first needed.
    let mut views: Vec<(View, Vec<usize>)> = Vec::new();
    for (i, rules) in items.iter().enumerate() {
        if options.skip_absent_types
            && options.narrow
            && rules.skips(data)
            && let Some(absent) = rules.when_absent()
        {
            results[i] = Some(Ok(Evaluation {
                skipped: true,
                ..absent.clone()
            }));
            continue;
        }
        let view = match rules.reach() {
            Some(reach) if options.narrow && rules.narrows_on(data) => data.view(reach),
            _ => View::Whole,
        };
        match views.iter_mut().find(|(v, _)| *v == view) {
            Some((_, members)) => members.push(i),
            None => views.push((view, vec![i])),
        }
    }
    for (view, mut members) in views {
        let text = data.text(&view);
        members.retain(|&i| {
            let estimate = items[i].estimate_shown(text.len());
            if estimate > options.memory_limit {
                results[i] = Some(Err(GuardError::TooCostly {
                    estimate,
                    limit: options.memory_limit,
                }));
            }
            results[i].is_none()
        });
        for batch in batches(items, &members) {
            let rules: Vec<&GuardRules> = batch.iter().map(|&i| items[i]).collect();
            match run_guard(&rules, &text, data) {
                Ok(evaluations) => {
                    for (&i, evaluation) in batch.iter().zip(evaluations) {
                        results[i] = Some(Ok(evaluation));
                    }
                }
                Err(e) if batch.len() == 1 => results[batch[0]] = Some(Err(e)),
                Err(_) => {
                    for &i in &batch {
                        results[i] = Some(
                            run_guard(&[items[i]], &text, data)
                                .and_then(|mut one| one.pop().ok_or_else(no_report)),
                        );
                    }
                }
            }
        }
    }
    results
        .into_iter()
        .map(|result| result.unwrap_or_else(|| Err(no_report())))
        .collect()
}

/// Items handed to Guard in one run: at most this many (their reports are
/// held until the run ends).
const MAX_BATCH: usize = 32;

/// `members` split into runs whose rule names do not clash: Guard's
/// report names rules, not rules files.
fn batches(items: &[&GuardRules], members: &[usize]) -> Vec<Vec<usize>> {
    let mut batches: Vec<(Vec<usize>, HashSet<&str>)> = Vec::new();
    for &i in members {
        let names = items[i].rule_names();
        let fits = batches.iter_mut().find(|(batch, taken)| {
            batch.len() < MAX_BATCH && names.iter().all(|n| !taken.contains(n.as_str()))
        });
        match fits {
            Some((batch, taken)) => {
                batch.push(i);
                taken.extend(names.iter().map(String::as_str));
            }
            None => batches.push((vec![i], names.iter().map(String::as_str).collect())),
        }
    }
    batches.into_iter().map(|(batch, _)| batch).collect()
}

fn no_report() -> GuardError {
    GuardError::Evaluation("Guard reported nothing for the rules".to_string())
}

/// Runs Guard on `template` (JSON text) with each of `rules` and reads its
/// report into one evaluation per rules file; `data` maps report paths to
/// resources.
///
/// Guard is run as its `validate --payload --structured --output-format
/// json` command, in memory, rather than through `cfn_guard::run_checks`:
/// that one returns only the part of its report still in its 8 KiB write
/// buffer (`BufWriter::buffer`), so any report longer than 8 KiB comes back
/// cut at the front. The command reads the data with Guard's YAML loader,
/// which reads JSON text to the same values.
pub(crate) fn run_guard(
    rules: &[&GuardRules],
    template: &str,
    data: &GuardData,
) -> Result<Vec<Evaluation>, GuardError> {
    let texts: Vec<&str> = rules.iter().map(|r| r.text()).collect();
    let payload = serde_json::json!({"rules": texts, "data": [template]}).to_string();
    let report = guarded(|| -> Result<String, GuardError> {
        let failed = |e: cfn_guard::Error| GuardError::Evaluation(bounded(&e.to_string()));
        let command = ValidateBuilder::default()
            .payload(true)
            .structured(true)
            .output_format(OutputFormatType::JSON)
            .show_summary(vec![ShowSummaryType::None])
            .try_build()
            .map_err(failed)?;
        let mut reader = Reader::new(ReadBuffer::Cursor(Cursor::new(payload.into_bytes())));
        let mut writer =
            Writer::new_with_err(WriteBuffer::Vec(Vec::new()), WriteBuffer::Vec(Vec::new()))
                .map_err(failed)?;
        let code = command.execute(&mut writer, &mut reader).map_err(failed)?;
        if code == cfn_guard::commands::ERROR_STATUS_CODE {
            return Err(GuardError::Evaluation(
                "Guard could not read the rules or the template".to_string(),
            ));
        }
        writer.into_string().map_err(failed)
    })??;
    let names: Vec<&[String]> = rules.iter().map(|r| r.rule_names()).collect();
    report::read(&report, &names, data)
}

/// Runs `f`, turning a panic inside cfn-guard into an error: Guard ended
/// abnormally on what it was handed.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, GuardError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        GuardError::Crashed(format!("cfn-guard panicked: {}", bounded(&what)))
    })
}

fn bounded(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= 300 {
        return line;
    }
    let mut cut: String = line.chars().take(299).collect();
    cut.push('…');
    cut
}
