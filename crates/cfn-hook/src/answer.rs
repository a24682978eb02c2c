//! The answer CloudFormation takes from a Lambda Hook:
//!
//! ```json
//! {"hookStatus": "FAILED", "errorCode": "NonCompliant",
//!  "message": "stack web has risk 200 (fails from 50): …",
//!  "clientRequestToken": "…",
//!  "annotations": [{"annotationName": "SSHOpenToWorld", "status": "FAILED",
//!                   "statusMessage": "…", "severityLevel": "CRITICAL"}]}
//! ```
//!
//! `errorCode` is there only when the Hook fails: `NonCompliant` when the
//! check ran and the operation breaks the rules, `InternalFailure` when
//! there is no verdict (see `docs/failure-modes.md`). CloudFormation keeps
//! 4 096 characters of `message` (Cloud Control 1 024): messages are made
//! to fit ([`MessageLimit`]).

use serde::{Deserialize, Serialize};

use pipeline_job::limits::truncate;

/// `hookStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HookStatus {
    /// The operation may go on.
    Success,
    /// The operation is stopped (or, in the Hook's `WARN` mode, warned).
    Failed,
}

/// `errorCode`, on a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    /// The template was judged and breaks the rules.
    NonCompliant,
    /// There is no verdict: the event, the payload, the template or the
    /// rules could not be used, or time ran out.
    InternalFailure,
}

/// An annotation's `status`: what one rule said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AnnotationStatus {
    /// It found something that counts.
    Failed,
    /// What it found is suppressed in the template.
    Skipped,
    /// It found nothing that counts.
    Passed,
}

/// An annotation's `severityLevel` (see [`Severity::of_risk`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    /// Risk 0: it never counts.
    Informational,
    /// Below the flag threshold on its own.
    Low,
    /// Flags on its own.
    Medium,
    /// Fails on its own.
    High,
    /// Fails on its own at least twice over.
    Critical,
}

impl Severity {
    /// The severity of one finding of a rule of risk `risk`, by what it
    /// does to a verdict on its own: 0 `INFORMATIONAL`; below `flag_at`
    /// `LOW`; below `fail_at` `MEDIUM`; below twice `fail_at` `HIGH`; from
    /// there `CRITICAL`. With the default thresholds (5, 50): 1–4 low, 5–49
    /// medium, 50–99 high, 100 and more critical.
    pub fn of_risk(risk: u64, flag_at: u64, fail_at: u64) -> Severity {
        if risk == 0 {
            Severity::Informational
        } else if risk < flag_at {
            Severity::Low
        } else if risk < fail_at {
            Severity::Medium
        } else if risk < fail_at.saturating_mul(2) {
            Severity::High
        } else {
            Severity::Critical
        }
    }
}

/// What one rule said about the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotation {
    /// The rule's id.
    pub annotation_name: String,
    /// Failed, skipped (suppressed) or passed.
    pub status: AnnotationStatus,
    /// Its findings, or why it passed or was skipped.
    pub status_message: String,
    /// What to change, from the rule's item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation_message: Option<String>,
    /// Where to read more, from the rule's item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation_link: Option<String>,
    /// From the rule's risk.
    pub severity_level: Severity,
}

/// Kept of an annotation's status message, in characters.
pub const MAX_STATUS_MESSAGE: usize = 1024;
/// Kept of a remediation message (CloudFormation takes 16 384).
pub const MAX_REMEDIATION: usize = 4096;
/// Kept of a remediation link (CloudFormation takes 5 120).
pub const MAX_LINK: usize = 5120;
/// Kept of an annotation's name (CloudFormation takes 1 024).
pub const MAX_ANNOTATION_NAME: usize = 1024;

impl Annotation {
    /// Each text cut to what CloudFormation takes.
    pub fn fitted(mut self) -> Annotation {
        self.annotation_name = truncate(&self.annotation_name, MAX_ANNOTATION_NAME);
        self.status_message = truncate(&self.status_message, MAX_STATUS_MESSAGE);
        self.remediation_message = self
            .remediation_message
            .map(|m| truncate(&m, MAX_REMEDIATION));
        // A link cut short would lead nowhere: too long, it is left out.
        self.remediation_link = self
            .remediation_link
            .filter(|l| l.chars().count() <= MAX_LINK);
        self
    }
}

/// How much of `message` CloudFormation keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageLimit {
    /// A stack or change set operation: 4 096 characters.
    CloudFormation,
    /// A resource's operation, which may come through Cloud Control:
    /// 1 024 characters.
    CloudControl,
}

impl MessageLimit {
    /// In characters.
    pub fn chars(self) -> usize {
        match self {
            MessageLimit::CloudFormation => 4096,
            MessageLimit::CloudControl => 1024,
        }
    }
}

/// The answer to one invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookAnswer {
    /// Success or failure.
    pub hook_status: HookStatus,
    /// Why it failed; absent on a success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<ErrorCode>,
    /// For the person whose operation it is.
    pub message: String,
    /// The invocation's, echoed (absent when the event had none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
    /// One per rule applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<Annotation>,
}

impl HookAnswer {
    /// The operation may go on.
    pub fn success(token: Option<String>, message: impl Into<String>) -> HookAnswer {
        HookAnswer {
            hook_status: HookStatus::Success,
            error_code: None,
            message: message.into(),
            client_request_token: token,
            annotations: Vec::new(),
        }
    }

    /// There is no verdict: `InternalFailure`, saying why (cut to
    /// `limit`).
    pub fn internal_failure(
        token: Option<String>,
        message: impl AsRef<str>,
        limit: MessageLimit,
    ) -> HookAnswer {
        HookAnswer {
            hook_status: HookStatus::Failed,
            error_code: Some(ErrorCode::InternalFailure),
            message: truncate(message.as_ref(), limit.chars()),
            client_request_token: token,
            annotations: Vec::new(),
        }
    }

    /// `SUCCESS`, `FAILED/NonCompliant` or `FAILED/InternalFailure`, for
    /// logs and the command line.
    pub fn status(&self) -> &'static str {
        match (self.hook_status, self.error_code) {
            (HookStatus::Success, _) => "SUCCESS",
            (HookStatus::Failed, Some(ErrorCode::NonCompliant)) => "FAILED/NonCompliant",
            (HookStatus::Failed, _) => "FAILED/InternalFailure",
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn answers_have_the_shape_cloudformation_reads() {
        let answer = HookAnswer {
            hook_status: HookStatus::Failed,
            error_code: Some(ErrorCode::NonCompliant),
            message: "m".into(),
            client_request_token: Some("t".into()),
            annotations: vec![Annotation {
                annotation_name: "SSHOpenToWorld".into(),
                status: AnnotationStatus::Failed,
                status_message: "s".into(),
                remediation_message: None,
                remediation_link: Some("https://example.com/ssh".into()),
                severity_level: Severity::Critical,
            }],
        };
        assert_eq!(
            serde_json::to_value(&answer).unwrap(),
            json!({"hookStatus": "FAILED", "errorCode": "NonCompliant", "message": "m",
                   "clientRequestToken": "t",
                   "annotations": [{"annotationName": "SSHOpenToWorld", "status": "FAILED",
                                    "statusMessage": "s", "remediationLink": "https://example.com/ssh",
                                    "severityLevel": "CRITICAL"}]})
        );
        assert_eq!(
            serde_json::to_value(HookAnswer::success(None, "ok")).unwrap(),
            json!({"hookStatus": "SUCCESS", "message": "ok"})
        );
    }

    #[test]
    fn severity_follows_what_one_finding_does_to_the_verdict() {
        let of = |risk| Severity::of_risk(risk, 5, 50);
        assert_eq!(
            [0, 1, 4, 5, 49, 50, 99, 100, 1000].map(of),
            [
                Severity::Informational,
                Severity::Low,
                Severity::Low,
                Severity::Medium,
                Severity::Medium,
                Severity::High,
                Severity::High,
                Severity::Critical,
                Severity::Critical
            ]
        );
        assert_eq!(Severity::of_risk(10, 1, 10), Severity::High);
    }

    #[test]
    fn long_texts_are_cut_to_what_cloudformation_takes() {
        let failure = HookAnswer::internal_failure(
            Some("t".into()),
            "x".repeat(5000),
            MessageLimit::CloudControl,
        );
        assert_eq!(failure.message.chars().count(), 1024);
        assert_eq!(failure.status(), "FAILED/InternalFailure");
        let annotation = Annotation {
            annotation_name: "A".into(),
            status: AnnotationStatus::Passed,
            status_message: "y".repeat(3000),
            remediation_message: Some("z".repeat(20_000)),
            remediation_link: Some(format!("https://example.com/{}", "l".repeat(6000))),
            severity_level: Severity::Low,
        }
        .fitted();
        assert_eq!(
            annotation.status_message.chars().count(),
            MAX_STATUS_MESSAGE
        );
        assert_eq!(
            annotation.remediation_message.unwrap().chars().count(),
            MAX_REMEDIATION
        );
        assert_eq!(annotation.remediation_link, None);
    }
}
