//! The stack's own state: a release whose stack is rolling back is not
//! healthy, however well the old version still answers.
//!
//! | status | judgement |
//! |---|---|
//! | `CREATE_COMPLETE`, `UPDATE_COMPLETE` | pass |
//! | any rollback (`*ROLLBACK*`), any failure (`*_FAILED`), `DELETE_*` | fail at once, naming the status and its reason |
//! | any other `*_IN_PROGRESS` (`UPDATE_IN_PROGRESS`, `UPDATE_COMPLETE_CLEANUP_IN_PROGRESS`, `REVIEW_IN_PROGRESS`, ...) | wait |
//! | anything else (`IMPORT_COMPLETE`, a status AWS adds later) | fail at once: the gate passes only what it knows to be a finished deployment |

use std::fmt;

use crate::error::SignalError;
use crate::judgement::Judgement;

/// A stack as `DescribeStacks` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackState {
    /// The stack's name.
    pub name: String,
    /// `StackStatus`.
    pub status: String,
    /// `StackStatusReason`, when CloudFormation gives one.
    pub reason: Option<String>,
    /// The stack's outputs, key and value.
    pub outputs: Vec<(String, String)>,
}

impl StackState {
    /// What the stack's status says about the release (see the module
    /// documentation).
    pub fn judge(&self) -> Judgement {
        let status = self.status.as_str();
        if matches!(status, "CREATE_COMPLETE" | "UPDATE_COMPLETE") {
            Judgement::Pass
        } else if status.contains("ROLLBACK")
            || status.ends_with("FAILED")
            || status.starts_with("DELETE_")
        {
            Judgement::Fail(self.to_string())
        } else if status.ends_with("_IN_PROGRESS") {
            Judgement::Wait(self.to_string())
        } else {
            Judgement::Fail(format!(
                "{self}, which the gate does not pass (only CREATE_COMPLETE and UPDATE_COMPLETE do)"
            ))
        }
    }

    /// The value of the output `name`, or a configuration error naming the
    /// stack, its status and the outputs it has.
    pub fn output(&self, name: &str) -> Result<String, SignalError> {
        let stack = &self.name;
        let status = &self.status;
        match self.outputs.iter().find(|(key, _)| key == name) {
            Some((_, value)) if !value.trim().is_empty() => Ok(value.trim().to_string()),
            Some(_) => Err(SignalError::configuration(format!(
                "stack {stack} ({status}): its output {name} is empty"
            ))),
            None => {
                let there = if self.outputs.is_empty() {
                    "it has no outputs".to_string()
                } else {
                    let keys: Vec<&str> = self.outputs.iter().map(|(k, _)| k.as_str()).collect();
                    format!("its outputs are {}", keys.join(", "))
                };
                Err(SignalError::configuration(format!(
                    "stack {stack} ({status}) has no output {name}; {there}"
                )))
            }
        }
    }
}

impl fmt::Display for StackState {
    /// "stack NAME is STATUS", with CloudFormation's reason when it gives one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stack {} is {}", self.name, self.status)?;
        match self.reason.as_deref().map(str::trim) {
            Some(reason) if !reason.is_empty() => write!(f, ": {reason}"),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(status: &str, reason: Option<&str>) -> StackState {
        StackState {
            name: "CICD-test-stack".to_string(),
            status: status.to_string(),
            reason: reason.map(str::to_string),
            outputs: vec![("Url".to_string(), " http://calc.test ".to_string())],
        }
    }

    #[test]
    fn complete_passes_in_progress_waits_rollbacks_and_failures_fail_naming_the_reason() {
        for status in ["CREATE_COMPLETE", "UPDATE_COMPLETE"] {
            assert_eq!(stack(status, None).judge(), Judgement::Pass, "{status}");
        }
        for status in [
            "CREATE_IN_PROGRESS",
            "UPDATE_IN_PROGRESS",
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            "REVIEW_IN_PROGRESS",
            "IMPORT_IN_PROGRESS",
        ] {
            assert_eq!(
                stack(status, None).judge(),
                Judgement::Wait(format!("stack CICD-test-stack is {status}")),
                "{status}"
            );
        }
        for status in [
            "ROLLBACK_IN_PROGRESS",
            "ROLLBACK_COMPLETE",
            "ROLLBACK_FAILED",
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
            "UPDATE_ROLLBACK_COMPLETE",
            "UPDATE_ROLLBACK_FAILED",
            "CREATE_FAILED",
            "UPDATE_FAILED",
            "DELETE_IN_PROGRESS",
            "DELETE_COMPLETE",
            "DELETE_FAILED",
            "IMPORT_ROLLBACK_COMPLETE",
        ] {
            assert!(stack(status, None).judge().is_fail(), "{status}");
        }
        assert_eq!(
            stack(
                "UPDATE_ROLLBACK_IN_PROGRESS",
                Some("The following resource(s) failed to update: [AutoScalingGroup]. ")
            )
            .judge(),
            Judgement::Fail(
                "stack CICD-test-stack is UPDATE_ROLLBACK_IN_PROGRESS: The following resource(s) failed to update: [AutoScalingGroup]."
                    .to_string()
            )
        );
        assert_eq!(
            stack("IMPORT_COMPLETE", None).judge(),
            Judgement::Fail(
                "stack CICD-test-stack is IMPORT_COMPLETE, which the gate does not pass (only CREATE_COMPLETE and UPDATE_COMPLETE do)"
                    .to_string()
            )
        );
    }

    #[test]
    fn outputs_are_read_trimmed_and_a_missing_one_lists_those_there_are() {
        let s = stack("CREATE_COMPLETE", None);
        assert_eq!(s.output("Url").unwrap(), "http://calc.test");
        assert_eq!(
            s.output("Endpoint").unwrap_err().message,
            "stack CICD-test-stack (CREATE_COMPLETE) has no output Endpoint; its outputs are Url"
        );
        let empty = StackState {
            outputs: vec![("Url".to_string(), "  ".to_string())],
            ..s.clone()
        };
        assert_eq!(
            empty.output("Url").unwrap_err().message,
            "stack CICD-test-stack (CREATE_COMPLETE): its output Url is empty"
        );
        let none = StackState {
            outputs: Vec::new(),
            ..s
        };
        assert_eq!(
            none.output("Url").unwrap_err().message,
            "stack CICD-test-stack (CREATE_COMPLETE) has no output Url; it has no outputs"
        );
    }
}
