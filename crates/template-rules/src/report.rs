//! What an evaluation says, and the JSON shape `cicd validate --format json`
//! and the Lambda's `validation-report.json` share.

use serde::{Deserialize, Serialize};

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

/// Where the verdicts change: risk below `flag_at` passes, from `flag_at` it
/// is flagged, from `fail_at` it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    flag_at: u64,
    fail_at: u64,
}

impl Default for Thresholds {
    /// The original function's: flagged from 5, failed from 50.
    fn default() -> Self {
        Thresholds {
            flag_at: 5,
            fail_at: 50,
        }
    }
}

impl Thresholds {
    pub fn new(flag_at: u64, fail_at: u64) -> Result<Thresholds, String> {
        if flag_at > fail_at {
            return Err(format!(
                "the flag threshold ({flag_at}) must not be above the fail threshold ({fail_at})"
            ));
        }
        Ok(Thresholds { flag_at, fail_at })
    }

    pub fn flag_at(&self) -> u64 {
        self.flag_at
    }

    pub fn fail_at(&self) -> u64 {
        self.fail_at
    }

    pub fn verdict(&self, risk: u64) -> Verdict {
        if risk >= self.fail_at {
            Verdict::Fail
        } else if risk >= self.flag_at {
            Verdict::Flagged
        } else {
            Verdict::Pass
        }
    }
}

/// One rule firing on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub resource: String,
    pub line: usize,
    /// The rule's risk value; counted in the total unless suppressed.
    pub risk: u64,
    pub reason: String,
    pub suppressed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression_reason: Option<String>,
    pub resource_type: String,
}

/// The evaluation of one template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub verdict: Verdict,
    pub risk: u64,
    pub findings: Vec<Finding>,
    /// Things the template's author should fix that are not findings, such
    /// as a suppression without a reason.
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl Report {
    pub fn active_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.suppressed)
    }
}

/// A report with the template it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateReport {
    pub path: String,
    #[serde(flatten)]
    pub report: Report,
}

/// `{"templates": [...]}`: the JSON document both the CLI and the Lambda write.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationReport {
    pub templates: Vec<TemplateReport>,
}
