//! What an evaluation says, and the JSON shape `cicd validate --format json`
//! and the Lambda's `validation-report.json` share.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rules::Guidance;

/// The outcome for one template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Below the flag threshold: nothing worth a person's attention.
    Pass,
    /// At or above the flag threshold: may go on, after a person approves.
    Flagged,
    /// At or above the fail threshold: must not be deployed.
    Fail,
}

impl Verdict {
    /// `pass`, `flagged` or `fail`, as JSON and output variables write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Flagged => "flagged",
            Verdict::Fail => "fail",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an unresolved finding does to the verdict (see [`Finding::unresolved`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnresolvedPolicy {
    /// Shown, but no effect on the verdict.
    Pass,
    /// The verdict is at least flagged (a person approves), never fail on
    /// account of unresolved findings alone.
    #[default]
    Flag,
    /// Counted like a resolved finding: its risk adds to the total.
    Fail,
}

impl UnresolvedPolicy {
    /// Whether this is the default policy (`flag`), left out of JSON.
    pub fn is_default(&self) -> bool {
        *self == UnresolvedPolicy::default()
    }

    /// `pass`, `flag` or `fail`, as `--unresolved` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            UnresolvedPolicy::Pass => "pass",
            UnresolvedPolicy::Flag => "flag",
            UnresolvedPolicy::Fail => "fail",
        }
    }
}

impl std::fmt::Display for UnresolvedPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for UnresolvedPolicy {
    type Err = String;

    /// `pass`, `flag` or `fail` (any case), as `--unresolved` and `UNRESOLVED` take it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pass" => Ok(UnresolvedPolicy::Pass),
            "flag" => Ok(UnresolvedPolicy::Flag),
            "fail" => Ok(UnresolvedPolicy::Fail),
            _ => Err(format!(
                "\"{s}\" is not an unresolved-findings policy (expected pass, flag or fail)"
            )),
        }
    }
}

/// How a verdict is reached: risk below `flag_at` passes, from `flag_at` it
/// is flagged, from `fail_at` it fails; and what unresolved findings do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    flag_at: u64,
    fail_at: u64,
    unresolved: UnresolvedPolicy,
}

impl Default for Thresholds {
    /// The original function's: flagged from 5, failed from 50; unresolved
    /// findings flag.
    fn default() -> Self {
        Thresholds {
            flag_at: 5,
            fail_at: 50,
            unresolved: UnresolvedPolicy::Flag,
        }
    }
}

impl Thresholds {
    /// Flag from `flag_at`, fail from `fail_at` (not below `flag_at`), with
    /// the default policy for unresolved findings.
    pub fn new(flag_at: u64, fail_at: u64) -> Result<Thresholds, String> {
        if flag_at > fail_at {
            return Err(format!(
                "the flag threshold ({flag_at}) must not be above the fail threshold ({fail_at})"
            ));
        }
        Ok(Thresholds {
            flag_at,
            fail_at,
            unresolved: UnresolvedPolicy::default(),
        })
    }

    /// The same thresholds, with `policy` for unresolved findings.
    pub fn with_unresolved(self, policy: UnresolvedPolicy) -> Thresholds {
        Thresholds {
            unresolved: policy,
            ..self
        }
    }

    /// The risk from which a template is flagged.
    pub fn flag_at(&self) -> u64 {
        self.flag_at
    }

    /// The risk from which a template fails.
    pub fn fail_at(&self) -> u64 {
        self.fail_at
    }

    /// What unresolved findings do to the verdict.
    pub fn unresolved(&self) -> UnresolvedPolicy {
        self.unresolved
    }

    /// Whether `report` is flagged only on account of its unresolved
    /// findings: the risk it counts would pass, and the
    /// [`UnresolvedPolicy::Flag`] policy made it a flag. Its summary then
    /// has to say so, since its risk alone explains nothing.
    pub fn flags_only_for_unresolved(&self, report: &Report) -> bool {
        report.verdict == Verdict::Flagged
            && report.unresolved_policy == UnresolvedPolicy::Flag
            && self.verdict(report.risk) == Verdict::Pass
    }

    /// The verdict for a total risk.
    pub fn verdict(&self, risk: u64) -> Verdict {
        if risk >= self.fail_at {
            Verdict::Fail
        } else if risk >= self.flag_at {
            Verdict::Flagged
        } else {
            Verdict::Pass
        }
    }

    /// The verdict on `findings`, with the risk it counts and the risk of
    /// the unresolved findings. Suppressed findings count for nothing.
    ///
    /// - `risk` adds up the resolved findings, and under
    ///   [`UnresolvedPolicy::Fail`] the unresolved ones too;
    /// - the verdict is [`Thresholds::verdict`] of that risk, except that
    ///   under [`UnresolvedPolicy::Flag`] any unresolved finding makes a
    ///   pass a flag.
    pub fn judge(&self, findings: &[Finding]) -> Judgement {
        let mut resolved = 0u64;
        let mut unresolved = 0u64;
        let mut any_unresolved = false;
        for finding in findings.iter().filter(|f| !f.suppressed) {
            if finding.is_unresolved() {
                any_unresolved = true;
                unresolved = unresolved.saturating_add(finding.risk);
            } else {
                resolved = resolved.saturating_add(finding.risk);
            }
        }
        let risk = match self.unresolved {
            UnresolvedPolicy::Fail => resolved.saturating_add(unresolved),
            UnresolvedPolicy::Pass | UnresolvedPolicy::Flag => resolved,
        };
        let mut verdict = self.verdict(risk);
        if self.unresolved == UnresolvedPolicy::Flag && any_unresolved && verdict == Verdict::Pass {
            verdict = Verdict::Flagged;
        }
        Judgement {
            verdict,
            risk,
            unresolved_risk: unresolved,
        }
    }
}

/// What [`Thresholds::judge`] concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judgement {
    /// Pass, flagged or fail.
    pub verdict: Verdict,
    /// The risk the verdict counts.
    pub risk: u64,
    /// The risk of the unsuppressed unresolved findings, whatever the policy.
    pub unresolved_risk: u64,
}

/// One rule firing on one resource, or possibly firing.
///
/// A finding is **unresolved** when the rule's decision depends on values
/// the engine could not work out (a parameter without a `Default`, an SSM
/// parameter, `Fn::ImportValue`, `Fn::GetAtt`, a bound reached, ...) and the
/// rule would fire for some of them: `unresolved` then names them, and
/// `reason` says what may happen. It carries the rule's risk; what it does
/// to the verdict is the [`UnresolvedPolicy`]'s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: String,
    /// The resource's logical id, or [`crate::guard::TEMPLATE`] for a
    /// finding on the template as a whole.
    pub resource: String,
    /// The line the resource starts on (1-based).
    pub line: usize,
    /// The rule's risk value; counted in the total unless suppressed (and,
    /// for an unresolved finding, as the policy says).
    pub risk: u64,
    /// Why the rule fires (or may), for a person.
    pub reason: String,
    /// Whether the template suppresses it (`Metadata.cicd.suppress`).
    pub suppressed: bool,
    /// The reason the suppression gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression_reason: Option<String>,
    /// The resource's `Type`.
    pub resource_type: String,
    /// What could not be worked out; empty for a resolved finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unresolved: Vec<String>,
    /// What identifies the finding from one version of its template to the
    /// next (see [`crate::fingerprint`]): `v1:` and 32 hex digits. Empty
    /// only in a report made before fingerprints.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fingerprint: String,
    /// For a guard item's finding, the Guard rule that failed: what a
    /// `Metadata.guard.SuppressedRules` entry may name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard_rule: Option<String>,
    /// A suppression of the finding that no longer applies: when it
    /// expired, and what it said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression_expired: Option<String>,
    /// Compared with a baseline ([`Report::compare`]): whether the finding
    /// was there already. `None` when there was no baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineState>,
}

impl Finding {
    /// Whether the rule only may fire (see [`Finding::unresolved`]).
    pub fn is_unresolved(&self) -> bool {
        !self.unresolved.is_empty()
    }

    /// Whether a baseline held it already ([`BaselineState::Existing`]).
    pub fn is_existing(&self) -> bool {
        self.baseline == Some(BaselineState::Existing)
    }

    /// What could not be worked out that `reason` does not already name,
    /// so that a rendering can say each thing once: the engine's reasons
    /// name them, other rule kinds' may not.
    pub fn unresolved_not_in_reason(&self) -> Vec<&str> {
        self.unresolved
            .iter()
            .map(String::as_str)
            .filter(|u| !self.reason.contains(u))
            .collect()
    }
}

/// The evaluation of one template.
///
/// Counting, for summaries and output variables: `active_findings()` are
/// the unsuppressed ones (resolved and unresolved); `unresolved_count()` the
/// unsuppressed unresolved ones; `suppressed_count()` the suppressed ones
/// (still listed, marked, so that an approver sees them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Pass, flagged or fail.
    pub verdict: Verdict,
    /// The risk the verdict counts (see [`Thresholds::judge`]).
    pub risk: u64,
    /// The risk of the unsuppressed unresolved findings, whatever the
    /// policy (left out of JSON when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unresolved_risk: u64,
    /// The policy the verdict applied to unresolved findings (left out of
    /// JSON when it is the default, `flag`).
    #[serde(default, skip_serializing_if = "UnresolvedPolicy::is_default")]
    pub unresolved_policy: UnresolvedPolicy,
    /// Every finding: on the template as a whole first, then by resource
    /// in document order.
    pub findings: Vec<Finding>,
    /// Things the template's author should fix that are not findings, such
    /// as a suppression without a reason.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// What the rules that found something say of it (remediation, link,
    /// frameworks), once per rule, by rule id; rules that say nothing are
    /// left out, and the field is left out of JSON when empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, Guidance>,
    /// What the findings were compared with, when they were (see
    /// [`Report::compare`]); left out of JSON otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSummary>,
}

impl Report {
    /// Whether `finding` (one of this report's) counts in the verdict:
    /// unsuppressed, and not left out as existing by the baseline policy.
    pub fn counts(&self, finding: &Finding) -> bool {
        let left_out = finding.is_existing() && self.leaves_out_existing();
        !(finding.suppressed || left_out)
    }

    /// Whether existing findings are left out of the verdict: compared
    /// with a baseline under [`BaselinePolicy::NewOnly`].
    pub fn leaves_out_existing(&self) -> bool {
        self.baseline
            .as_ref()
            .is_some_and(|b| b.policy == BaselinePolicy::NewOnly)
    }

    /// The findings the verdict counts: unsuppressed, resolved and
    /// unresolved (and, compared with a baseline under
    /// [`BaselinePolicy::NewOnly`], new).
    pub fn active_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| self.counts(f))
    }

    /// Unsuppressed findings a baseline held already, counted or not.
    pub fn existing_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| !f.suppressed && f.is_existing())
    }

    /// How many unsuppressed findings are new (all of them without a
    /// baseline).
    pub fn new_count(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| !f.suppressed && !f.is_existing())
            .count()
    }

    /// How many unsuppressed findings a baseline held already.
    pub fn existing_count(&self) -> usize {
        self.existing_findings().count()
    }

    /// Unsuppressed findings that are not unresolved.
    pub fn resolved_findings(&self) -> impl Iterator<Item = &Finding> {
        self.active_findings().filter(|f| !f.is_unresolved())
    }

    /// Unsuppressed unresolved findings.
    pub fn unresolved_findings(&self) -> impl Iterator<Item = &Finding> {
        self.active_findings().filter(|f| f.is_unresolved())
    }

    /// Suppressed findings (a baseline's or not).
    pub fn suppressed_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed)
    }

    /// How many unsuppressed unresolved findings (`unresolved=N`).
    pub fn unresolved_count(&self) -> usize {
        self.unresolved_findings().count()
    }

    /// How many suppressed findings (`suppressed=N`).
    pub fn suppressed_count(&self) -> usize {
        self.suppressed_findings().count()
    }

    /// What the rule `rule` says of its findings, when it says anything.
    pub fn guidance(&self, rule: &str) -> Option<&Guidance> {
        self.rules.get(rule)
    }
}

/// A report with the template it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateReport {
    /// The template's path, as the caller names it.
    pub path: String,
    /// Its evaluation.
    #[serde(flatten)]
    pub report: Report,
}

/// `{"templates": [...]}`: the JSON document both the CLI and the Lambda write.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationReport {
    /// One report per template.
    pub templates: Vec<TemplateReport>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

// --- Compared with a baseline (see crate::baseline) -------------------------

/// Whether a finding was in the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not in the baseline: what the change adds.
    New,
    /// In the baseline already.
    Existing,
}

impl BaselineState {
    /// `new` or `existing`, as JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Existing => "existing",
        }
    }
}

/// What existing findings do to the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BaselinePolicy {
    /// Only new findings count; existing ones are shown apart.
    #[default]
    #[serde(rename = "new-only")]
    NewOnly,
    /// Every finding counts, as without a baseline; existing ones are
    /// still marked.
    #[serde(rename = "count")]
    Count,
}

impl BaselinePolicy {
    /// `new-only` or `count`, as `--baseline-policy` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            BaselinePolicy::NewOnly => "new-only",
            BaselinePolicy::Count => "count",
        }
    }
}

impl std::fmt::Display for BaselinePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for BaselinePolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "new-only" => Ok(BaselinePolicy::NewOnly),
            "count" => Ok(BaselinePolicy::Count),
            _ => Err(format!(
                "\"{s}\" is not a baseline policy (expected new-only or count)"
            )),
        }
    }
}

/// How a report was compared with its baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineSummary {
    /// What the baseline was, for a person: `validation-report.json`,
    /// `git HEAD~1`, `stack calculator-prod`, `no baseline (...)`.
    pub against: String,
    /// What existing findings did to the verdict.
    pub policy: BaselinePolicy,
    /// Unsuppressed findings not in the baseline.
    pub new: usize,
    /// Unsuppressed findings in the baseline.
    pub existing: usize,
    /// Baseline findings no finding matched: gone since.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent: Vec<Finding>,
}
