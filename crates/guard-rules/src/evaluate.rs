//! Runs Guard on a template, and reads its verdicts.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use cfn_guard::commands::Executable;
use cfn_guard::commands::validate::{OutputFormatType, ShowSummaryType};
use cfn_guard::utils::reader::{ReadBuffer, Reader};
use cfn_guard::utils::writer::{WriteBuffer, Writer};
use cfn_guard::{CommandBuilder, ValidateBuilder};

use crate::data::GuardData;
use crate::report;
use crate::{GuardError, GuardRules};

/// Guard's verdict on one named rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Pass,
    Fail,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleVerdict {
    pub rule: String,
    pub status: Status,
}

/// Why a [`GuardFailure`] was reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardFailure {
    /// The Guard rule's name.
    pub rule: String,
    /// The logical id the failure points into (`/Resources/<id>/…` in
    /// Guard's report); `None` for a failure tied to no resource.
    pub resource: Option<String>,
    pub kind: FailureKind,
    /// One line, at most [`crate::MAX_MESSAGE_CHARS`] characters, starting
    /// with the rule's name: the rule's custom `<< … >>` message when the
    /// failed clause has one, else Guard's own.
    pub message: String,
}

/// What Guard said about one rules file on one template.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// The two ways [`evaluate`] saves work, both exact (see
/// [`evaluate_with`]). Turned off, they give the reference behaviour:
/// Guard on the whole template, every time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortcuts {
    /// Do not run Guard when the rules select resource types the template
    /// does not have and are known to say nothing then (a skip stands for
    /// the narrowed evaluation, so it needs `narrow_to_selected_types`).
    pub skip_absent_types: bool,
    /// Hand Guard only the resources of the types the rules are confined
    /// to, rather than the whole template.
    pub narrow_to_selected_types: bool,
}

impl Shortcuts {
    pub const ALL: Shortcuts = Shortcuts {
        skip_absent_types: true,
        narrow_to_selected_types: true,
    };
    pub const NONE: Shortcuts = Shortcuts {
        skip_absent_types: false,
        narrow_to_selected_types: false,
    };
}

impl Default for Shortcuts {
    fn default() -> Self {
        Shortcuts::ALL
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
    evaluate_with(rules, data, Shortcuts::ALL)
}

/// [`evaluate`], choosing the shortcuts. Both give exactly the verdicts and
/// failures Guard gives on the whole template (the property tests check
/// it): they are taken only when [`GuardRules::narrows_on`] the template.
pub fn evaluate_with(
    rules: &GuardRules,
    data: &GuardData,
    shortcuts: Shortcuts,
) -> Result<Evaluation, GuardError> {
    if shortcuts.skip_absent_types
        && shortcuts.narrow_to_selected_types
        && rules.skips(data)
        && let Some(absent) = rules.when_absent()
    {
        return Ok(Evaluation {
            skipped: true,
            ..absent.clone()
        });
    }
    match rules.confined_to() {
        Some(types) if shortcuts.narrow_to_selected_types && rules.narrows_on(data) => {
            run_guard(rules, &data.narrowed(types), data)
        }
        _ => run_guard(rules, data.json(), data),
    }
}

/// Runs Guard on `template` (JSON text) and reads its report; `data` maps
/// report paths to resources.
///
/// Guard is run as its `validate --payload --structured --output-format
/// json` command, in memory, rather than through `cfn_guard::run_checks`:
/// that one returns only the part of its report still in its 8 KiB write
/// buffer (`BufWriter::buffer`), so any report longer than 8 KiB comes back
/// cut at the front. The command reads the data with Guard's YAML loader,
/// which reads JSON text to the same values.
pub(crate) fn run_guard(
    rules: &GuardRules,
    template: &str,
    data: &GuardData,
) -> Result<Evaluation, GuardError> {
    let payload = serde_json::json!({"rules": [rules.text()], "data": [template]}).to_string();
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
    report::read(&report, rules.rule_names(), data)
}

/// Runs `f`, turning a panic inside cfn-guard into an error.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, GuardError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        GuardError::Evaluation(format!("cfn-guard panicked: {}", bounded(&what)))
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
