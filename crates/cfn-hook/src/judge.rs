//! What the Hook judges, and how: the template scored as Static_Check
//! scores it, and what of its report counts. Pure (the CPU-bound part of
//! an invocation: it runs on a blocking thread).
//!
//! - a stack: its template; every finding counts, or, on an update under
//!   `HOOK_BASELINE=previous` ([`HookBaseline::Previous`]), only those its
//!   previous template did not have (the others are listed as context);
//! - a change set: its template; only findings on the resources it
//!   creates or changes count (and those on the template as a whole), the
//!   others are listed as context. A resource it creates or changes that
//!   its template does not show (made by a macro, say) is an unresolved
//!   `(unseen)` finding: it is not checked, so it is never a pass;
//! - a resource: its properties, as CloudFormation sends them, as a
//!   template of that one resource.

use std::collections::HashSet;

use serde_json::{Map, Value, json};
use template_rules::guard::TEMPLATE;
use template_rules::{
    EvaluateOptions, Finding, Guidance, Report, Rule, RuleSet, Template, Thresholds, UNSEEN,
    UNSEEN_RISK,
};

use crate::answer::MessageLimit;
use crate::payload::ChangedResource;
use scoring::{Earlier, ScoreError};

/// What a stack's update is judged on (`HOOK_BASELINE`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HookBaseline {
    /// `off`, the default: every finding counts, as in Static_Check
    /// without a baseline.
    #[default]
    Off,
    /// `previous`: on a stack's update whose payload has the previous
    /// template, only findings that template did not have count (matched
    /// by fingerprint, as cfn-validate matches a deployed stack's); those
    /// it had are listed as context. A create, a change set or a resource
    /// is judged whole.
    Previous,
}

/// What the report says a stack's findings were compared with.
pub const PREVIOUS: &str = "the previous template";

/// What an invocation asks to judge, read and ready.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    /// How messages name it: `stack web`, `change set c-1`,
    /// `resource BastionSg (AWS::EC2::SecurityGroup)`.
    pub what: String,
    /// The template, as text (JSON or YAML).
    pub template: Vec<u8>,
    /// For a change set, what it changes: only those resources count.
    pub changes: Option<Vec<ChangedResource>>,
    /// For a stack's update judged on what it adds (`HOOK_BASELINE=previous`),
    /// the template before it: only findings it did not have count.
    pub previous: Option<Vec<u8>>,
    /// How long the answer's message may be.
    pub limit: MessageLimit,
}

impl Subject {
    /// A stack's template, named `what`.
    pub fn stack(what: String, template: String) -> Subject {
        Subject {
            what,
            template: template.into_bytes(),
            changes: None,
            previous: None,
            limit: MessageLimit::CloudFormation,
        }
    }

    /// The same stack, judged only on the findings `previous` (its
    /// template before the update) did not have.
    pub fn over_previous(self, previous: String) -> Subject {
        Subject {
            previous: Some(previous.into_bytes()),
            ..self
        }
    }

    /// A change set's template and changes, named `what`.
    pub fn change_set(what: String, template: String, changes: Vec<ChangedResource>) -> Subject {
        Subject {
            what,
            template: template.into_bytes(),
            changes: Some(changes),
            previous: None,
            limit: MessageLimit::CloudFormation,
        }
    }

    /// One resource's properties as a template of that resource alone,
    /// named `what`.
    pub fn resource(
        what: String,
        resource_type: &str,
        logical_id: &str,
        properties: &Map<String, Value>,
    ) -> Subject {
        let template = json!({
            "Resources": {logical_id: {"Type": resource_type, "Properties": properties}}
        });
        Subject {
            what,
            template: template.to_string().into_bytes(),
            changes: None,
            previous: None,
            limit: MessageLimit::CloudControl,
        }
    }

    /// How [`ScoreError`]s name the template.
    pub fn file(&self) -> String {
        format!("the template of {}", self.what)
    }

    /// How [`ScoreError`]s name the previous template.
    pub fn previous_file(&self) -> String {
        format!("the previous template of {}", self.what)
    }
}

/// A rule applied to the subject, for its annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedRule {
    /// Its id.
    pub id: String,
    /// The risk of one of its findings.
    pub risk: u64,
    /// What to change and where to read more, from its item (`remediation`
    /// and `link`: an annotation's `remediationMessage` and
    /// `remediationLink`); none for the engine's own `(unseen)`.
    pub guidance: Guidance,
}

impl AppliedRule {
    /// `rule`, with its item's advice.
    fn of(rule: &Rule) -> AppliedRule {
        AppliedRule {
            id: rule.id.clone(),
            risk: rule.risk,
            guidance: rule.guidance.clone(),
        }
    }
}

/// The subject judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// How messages name it.
    pub what: String,
    /// What counts, with its verdict.
    pub report: Report,
    /// Findings that do not count (on resources a change set leaves as
    /// they are), listed for context. Those a stack's previous template
    /// had are in the report, marked existing.
    pub context: Vec<Finding>,
    /// Every rule applied: the active rules with something to look at in
    /// the template, and those the engine applies itself (`(unseen)`) when
    /// they found something.
    pub applied: Vec<AppliedRule>,
    /// How long the answer's message may be.
    pub limit: MessageLimit,
}

/// Reads the subject's template and evaluates `rules` (from `table`) on
/// it, within `options`' budget; for a stack over its previous template,
/// that one too, each finding then new or existing (a previous template
/// that cannot be read is an error: no verdict).
pub fn judge(
    subject: &Subject,
    rules: &RuleSet,
    table: &str,
    thresholds: &Thresholds,
    options: &EvaluateOptions,
) -> Result<Judged, ScoreError> {
    let file = subject.file();
    let template = Template::parse(&subject.template).map_err(|error| ScoreError::Unreadable {
        file: file.clone(),
        error,
    })?;
    let mut report = scoring::evaluate(&template, &file, table, rules, thresholds, options)?;
    if let Some(previous) = &subject.previous {
        let earlier = Earlier {
            template: Some(previous),
            file: &subject.previous_file(),
            against: PREVIOUS,
        };
        scoring::compare_with_earlier(&mut report, earlier, table, rules, thresholds, options)?;
    }
    let (report, context) = match &subject.changes {
        None => (report, Vec::new()),
        Some(changes) => scope(report, changes, &template, thresholds),
    };
    let mut applied: Vec<AppliedRule> = rules
        .active()
        .filter(|rule| rule.applies_to(&template))
        .map(AppliedRule::of)
        .collect();
    for finding in report.findings.iter().chain(&context) {
        if !applied.iter().any(|rule| rule.id == finding.rule) {
            applied.push(AppliedRule {
                id: finding.rule.clone(),
                risk: finding.risk,
                guidance: report.guidance(&finding.rule).cloned().unwrap_or_default(),
            });
        }
    }
    Ok(Judged {
        what: subject.what.clone(),
        report,
        context,
        applied,
        limit: subject.limit,
    })
}

/// A change set's report cut to what counts: findings on the template as
/// a whole and on the resources it does not delete, plus an `(unseen)`
/// finding for each of those its template does not show; judged again.
/// The rest is context.
fn scope(
    report: Report,
    changes: &[ChangedResource],
    template: &Template,
    thresholds: &Thresholds,
) -> (Report, Vec<Finding>) {
    let changed: HashSet<&str> = changes
        .iter()
        .filter(|c| c.action.counts())
        .map(|c| c.logical_id.as_str())
        .collect();
    let (mut counted, context): (Vec<Finding>, Vec<Finding>) = report
        .findings
        .into_iter()
        .partition(|f| f.resource == TEMPLATE || changed.contains(f.resource.as_str()));
    for change in changes.iter().filter(|c| c.action.counts()) {
        if template.resource(&change.logical_id).is_some() {
            continue;
        }
        let resource_type = change.resource_type.clone().unwrap_or_default();
        let shown = if resource_type.is_empty() {
            change.logical_id.clone()
        } else {
            format!("{} ({resource_type})", change.logical_id)
        };
        counted.push(Finding {
            rule: UNSEEN.to_string(),
            resource: change.logical_id.clone(),
            line: change.line.unwrap_or(1).max(1),
            risk: UNSEEN_RISK,
            reason: format!(
                "the change set provisions {shown}, which its template does not show: it is not checked"
            ),
            suppressed: false,
            suppression_reason: None,
            resource_type,
            unresolved: vec![format!("{} is not in the template", change.logical_id)],
            // Never matched with a baseline: always new.
            fingerprint: String::new(),
            guard_rule: None,
            suppression_expired: None,
            baseline: None,
        });
    }
    let judgement = thresholds.judge(&counted);
    (
        Report {
            verdict: judgement.verdict,
            risk: judgement.risk,
            unresolved_risk: judgement.unresolved_risk,
            unresolved_policy: report.unresolved_policy,
            findings: counted,
            warnings: report.warnings,
            rules: report.rules,
            baseline: report.baseline,
        },
        context,
    )
}
