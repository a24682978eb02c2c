//! Baselines: judging what a change adds to a template, not what it had.
//!
//! A [`Baseline`] is the findings of an earlier version of one template (an
//! earlier report, the template at an earlier commit, the deployed stack's
//! template), matched by fingerprint (see [`crate::fingerprint`]). Each
//! finding of the template now is **new** or **existing**: existing when a
//! baseline finding has its fingerprint, each baseline finding matching at
//! most one (a multiset), so two findings alike where there was one make
//! one new. Findings of another template are never a baseline's: callers
//! keep one per template path.
//!
//! [`Report::compare`] marks the findings and judges again: under
//! [`BaselinePolicy::NewOnly`] existing findings are shown, marked and
//! counted apart, but left out of the verdict; under
//! [`BaselinePolicy::Count`] they count as before. Baseline findings that
//! are gone are kept as [`BaselineSummary::absent`].
//!
//! It fails closed: a finding whose suppression expired is always new (a
//! deadline a baseline could carry over would mean nothing), a finding
//! without a fingerprint is new, and a baseline whose fingerprints are of
//! another version, or missing, is refused ([`BaselineError`]), never read
//! as "nothing changed".

use std::collections::HashMap;

use cfn_template::Template;

use crate::engine::evaluate_with;
use crate::fingerprint::{self, FINGERPRINT_VERSION};
use crate::guard::{EvaluateOptions, EvaluationError};
use crate::report::{BaselinePolicy, BaselineState, BaselineSummary, Finding, Report, Thresholds};
use crate::rules::RuleSet;

/// Why findings cannot be a baseline: read as one, they would hide what
/// they cannot be matched with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaselineError {
    /// A finding with no fingerprint: a report made before fingerprints.
    #[error(
        "the finding of {rule} on {resource} has no fingerprint (a report made before fingerprints: make it again with this version)"
    )]
    NoFingerprint {
        /// The finding's rule.
        rule: String,
        /// The finding's resource.
        resource: String,
    },
    /// A fingerprint of another version.
    #[error(
        "the finding of {rule} on {resource} has fingerprint \"{fingerprint}\", not of this version ({FINGERPRINT_VERSION}): make the report again with this version"
    )]
    OtherVersion {
        /// The finding's rule.
        rule: String,
        /// The finding's resource.
        resource: String,
        /// What it has.
        fingerprint: String,
    },
}

/// The findings of an earlier version of one template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    findings: Vec<Finding>,
}

impl Baseline {
    /// No findings: every finding is new (a template that did not exist
    /// then, a stack not created yet).
    pub fn empty() -> Baseline {
        Baseline::default()
    }

    /// `findings` (an earlier report's), refused when one of them has no
    /// fingerprint of this version.
    pub fn new(findings: Vec<Finding>) -> Result<Baseline, BaselineError> {
        for f in &findings {
            if f.fingerprint.is_empty() {
                return Err(BaselineError::NoFingerprint {
                    rule: f.rule.clone(),
                    resource: f.resource.clone(),
                });
            }
            if !fingerprint::is_current(&f.fingerprint) {
                return Err(BaselineError::OtherVersion {
                    rule: f.rule.clone(),
                    resource: f.resource.clone(),
                    fingerprint: cfn_template::display::shorten(&f.fingerprint, 80).into_owned(),
                });
            }
        }
        Ok(Baseline { findings })
    }

    /// The findings of `report`, made by this version (so every finding
    /// has a fingerprint of it).
    pub fn of(report: &Report) -> Result<Baseline, BaselineError> {
        Baseline::new(report.findings.clone())
    }

    /// Its findings.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }
}

impl Report {
    /// Marks each finding new or existing against `baseline` (described as
    /// `against`), and judges again under `policy` with `thresholds` (the
    /// ones it was evaluated with): see the module documentation.
    pub fn compare(
        &mut self,
        baseline: &Baseline,
        policy: BaselinePolicy,
        thresholds: &Thresholds,
        against: impl Into<String>,
    ) {
        // Each fingerprint's baseline findings not matched yet, first first.
        let mut left: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, f) in baseline.findings.iter().enumerate().rev() {
            left.entry(f.fingerprint.as_str()).or_default().push(i);
        }
        let mut matched = vec![false; baseline.findings.len()];
        for finding in &mut self.findings {
            let found = (finding.suppression_expired.is_none() && !finding.fingerprint.is_empty())
                .then(|| left.get_mut(finding.fingerprint.as_str())?.pop())
                .flatten();
            finding.baseline = Some(match found {
                Some(i) => {
                    matched[i] = true;
                    BaselineState::Existing
                }
                None => BaselineState::New,
            });
        }
        let absent = baseline
            .findings
            .iter()
            .zip(&matched)
            .filter(|(_, matched)| !**matched)
            .map(|(f, _)| {
                let mut f = f.clone();
                f.baseline = None;
                f
            })
            .collect();
        self.baseline = Some(BaselineSummary {
            against: against.into(),
            policy,
            new: 0,
            existing: 0,
            absent,
        });
        let counted: Vec<Finding> = self
            .findings
            .iter()
            .filter(|f| !(f.is_existing() && self.leaves_out_existing()))
            .cloned()
            .collect();
        let judgement = thresholds.judge(&counted);
        self.verdict = judgement.verdict;
        self.risk = judgement.risk;
        self.unresolved_risk = judgement.unresolved_risk;
        let (new, existing) = (self.new_count(), self.existing_count());
        if let Some(summary) = &mut self.baseline {
            summary.new = new;
            summary.existing = existing;
        }
    }
}

/// Evaluates `template`, and `baseline` (an earlier version of it, `None`
/// when there was none) with the same rules, and compares: the report on
/// `template` with each finding marked new or existing (see
/// [`Report::compare`]), `against` describing the baseline. What a hook or
/// a pipeline stage that has both templates calls.
pub fn evaluate_against(
    template: &Template,
    baseline: Option<&Template>,
    rules: &RuleSet,
    thresholds: &Thresholds,
    options: &EvaluateOptions,
    policy: BaselinePolicy,
    against: &str,
) -> Result<Report, EvaluationError> {
    let mut report = evaluate_with(template, rules, thresholds, options)?;
    let earlier = match baseline {
        Some(baseline) => {
            let earlier = evaluate_with(baseline, rules, thresholds, options)?;
            // Made here, so every fingerprint is of this version.
            Baseline::of(&earlier).unwrap_or_default()
        }
        None => Baseline::empty(),
    };
    report.compare(&earlier, policy, thresholds, against);
    Ok(report)
}
