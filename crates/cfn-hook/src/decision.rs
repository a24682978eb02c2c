//! What a judged subject means for the operation: the verdicts of
//! Static_Check, as a Hook answers them. Pure.
//!
//! | verdict | answer |
//! |---|---|
//! | pass | `SUCCESS`, "no risk found in …" |
//! | flagged | `SUCCESS`, saying why it is flagged (its annotations `FAILED`); `FAILED`/`NonCompliant` when `HOOK_FLAGGED=fail` |
//! | fail | `FAILED`/`NonCompliant`, naming every rule, resource and line |
//!
//! The message lists the findings most important first, as cfn-validate's
//! do (`scoring::listing`: for a stack judged over its previous template,
//! those it had already apart, not counted), then, for a change set, those
//! on resources it does not change (not counted), within what
//! CloudFormation keeps of it. Each rule applied has an annotation:
//! `FAILED` with its findings that count (and those that do not, said so),
//! `SKIPPED` when all it found is suppressed (with the template's
//! reasons), `PASSED` otherwise (saying what it found that does not
//! count); its severity follows its risk ([`Severity::of_risk`]).

use scoring::listing::{Listing, count, headline};
use template_rules::{Finding, Thresholds, Verdict};

use crate::answer::{
    Annotation, AnnotationStatus, ErrorCode, HookAnswer, HookStatus, MessageLimit, Severity,
};
use crate::judge::{AppliedRule, Judged, PREVIOUS};

/// What a flagged verdict does (`HOOK_FLAGGED`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Flagged {
    /// `warn`, the default: the operation goes on; the annotations say why
    /// it was flagged.
    #[default]
    Warn,
    /// `fail`: the operation is stopped, as on a failing verdict.
    Fail,
}

/// Where a message sends the reader for what it could not hold.
const ELSEWHERE: &str =
    "the annotations name each rule; `cicd validate` on the template lists every finding";

/// The heading of a change set's findings that do not count.
const CONTEXT: &str = "on resources the change set does not create or change (not counted):";

/// The answer for `judged`, echoing `token`.
pub fn decide(
    judged: &Judged,
    thresholds: &Thresholds,
    flagged: Flagged,
    token: Option<String>,
) -> HookAnswer {
    let report = &judged.report;
    let headline = headline(&judged.what, report, thresholds);
    let (hook_status, error_code, headline) = match (report.verdict, flagged) {
        (Verdict::Pass, _) => (HookStatus::Success, None, headline),
        (Verdict::Flagged, Flagged::Warn) => (
            HookStatus::Success,
            None,
            format!("{headline}; the operation goes on (HOOK_FLAGGED=warn)"),
        ),
        (Verdict::Flagged, Flagged::Fail) => (
            HookStatus::Failed,
            Some(ErrorCode::NonCompliant),
            format!("{headline}; HOOK_FLAGGED=fail stops the operation"),
        ),
        (Verdict::Fail, _) => (HookStatus::Failed, Some(ErrorCode::NonCompliant), headline),
    };
    let mut listing = Listing::of(report);
    if !judged.context.is_empty() {
        listing = listing.with_section(CONTEXT, &judged.context);
    }
    let mut annotations: Vec<Annotation> = judged
        .applied
        .iter()
        .map(|rule| annotation(rule, judged, thresholds))
        .collect();
    annotations.sort_by_key(|a| a.status);
    HookAnswer {
        hook_status,
        error_code,
        message: listing.fit(headline, judged.limit.chars(), ELSEWHERE),
        client_request_token: token,
        annotations,
    }
}

/// What `rule` said: its findings that count, those suppressed, those the
/// previous template had already, those on resources that do not count.
fn annotation(rule: &AppliedRule, judged: &Judged, thresholds: &Thresholds) -> Annotation {
    let report = &judged.report;
    let of_rule = |f: &&Finding| f.rule == rule.id;
    let active: Vec<&Finding> = report.active_findings().filter(of_rule).collect();
    let suppressed: Vec<&Finding> = report.suppressed_findings().filter(of_rule).collect();
    let existing: Vec<&Finding> = report
        .existing_findings()
        .filter(|_| report.leaves_out_existing())
        .filter(of_rule)
        .collect();
    let context: Vec<&Finding> = judged.context.iter().filter(of_rule).collect();
    // Findings the previous template had: there already, not counted.
    let already = || {
        let shown: Vec<String> = existing.iter().map(|f| brief(f)).collect();
        format!(
            "{} already in {PREVIOUS}, not counted: {}",
            count(existing.len(), "finding"),
            shown.join("; ")
        )
    };
    let (status, status_message) = if !active.is_empty() {
        let shown: Vec<String> = active.iter().map(|f| brief(f)).collect();
        let mut message = format!("{}: {}", count(active.len(), "finding"), shown.join("; "));
        if !existing.is_empty() {
            message.push_str(&format!("; {}", already()));
        }
        (AnnotationStatus::Failed, message)
    } else if !existing.is_empty() {
        (
            AnnotationStatus::Passed,
            format!("nothing new; {}", already()),
        )
    } else if !suppressed.is_empty() {
        let shown: Vec<String> = suppressed
            .iter()
            .map(|f| {
                format!(
                    "{} (line {}): {}",
                    f.resource,
                    f.line,
                    f.suppression_reason.as_deref().unwrap_or("no reason given")
                )
            })
            .collect();
        (
            AnnotationStatus::Skipped,
            format!("suppressed in the template: {}", shown.join("; ")),
        )
    } else if !context.is_empty() {
        let shown: Vec<String> = context.iter().map(|f| brief(f)).collect();
        (
            AnnotationStatus::Passed,
            format!(
                "nothing on what the change set creates or changes; {} on other resources, not counted: {}",
                count(context.len(), "finding"),
                shown.join("; ")
            ),
        )
    } else {
        (AnnotationStatus::Passed, "no finding".to_string())
    };
    Annotation {
        annotation_name: rule.id.clone(),
        status,
        status_message,
        remediation_message: rule.guidance.remediation.clone(),
        remediation_link: rule.guidance.link.clone(),
        severity_level: Severity::of_risk(rule.risk, thresholds.flag_at(), thresholds.fail_at()),
    }
    .fitted()
}

/// `BastionSg (line 15): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0`,
/// marked when unresolved.
fn brief(f: &Finding) -> String {
    let unresolved = if f.is_unresolved() {
        " (unresolved)"
    } else {
        ""
    };
    format!("{} (line {}): {}{unresolved}", f.resource, f.line, f.reason)
}

/// The answer when there is nothing to judge: CloudFormation deletes the
/// target, which provisions nothing.
pub fn deleting(what: &str, token: Option<String>) -> HookAnswer {
    HookAnswer::success(
        token,
        format!("nothing to check: {what} is being deleted, which provisions nothing"),
    )
}

/// A failure with no verdict, its message cut to `limit`.
pub fn no_verdict(token: Option<String>, message: &str, limit: MessageLimit) -> HookAnswer {
    HookAnswer::internal_failure(token, message, limit)
}
