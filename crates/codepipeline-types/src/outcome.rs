//! How a job ends, as a handler tells the runner: `Ok(Outcome)` when it
//! goes on (a success, or a continuation), `Err(JobError)` when it fails.
//! There is no third way: a failure is never an `Ok`.

use std::collections::BTreeMap;
use std::fmt;

/// CodePipeline's failure types that a stage uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The check ran and failed (or could not finish).
    JobFailed,
    /// The stage is set up wrong: bad parameters, a missing artifact or file.
    ConfigurationError,
    /// The function was not allowed to do what it needed.
    PermissionError,
}

impl FailureKind {
    /// The name CodePipeline gives it (`failureDetails.type`).
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::JobFailed => "JobFailed",
            FailureKind::ConfigurationError => "ConfigurationError",
            FailureKind::PermissionError => "PermissionError",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job that cannot succeed, with a message for the person looking at the
/// pipeline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct JobError {
    /// The failure type reported.
    pub kind: FailureKind,
    /// What went wrong, for the person looking at the pipeline.
    pub message: String,
}

impl JobError {
    /// A failure of `kind` saying `message`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        JobError {
            kind,
            message: message.into(),
        }
    }

    /// A `JobFailed`: the check ran and failed, or could not finish.
    pub fn failed(message: impl Into<String>) -> Self {
        JobError::new(FailureKind::JobFailed, message)
    }

    /// A `ConfigurationError`: the stage is set up wrong.
    pub fn configuration(message: impl Into<String>) -> Self {
        JobError::new(FailureKind::ConfigurationError, message)
    }

    /// A `PermissionError`: the function was not allowed to do what it needed.
    pub fn permission(message: impl Into<String>) -> Self {
        JobError::new(FailureKind::PermissionError, message)
    }

    /// The same error, its message prefixed with what was being done.
    pub fn with_context(self, context: &str) -> Self {
        JobError {
            kind: self.kind,
            message: format!("{context}: {}", self.message),
        }
    }
}

/// A job that did not fail: what the runner reports with
/// `PutJobSuccessResult`. A failed job is an `Err(JobError)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `PutJobSuccessResult` with a summary and output variables.
    Success {
        /// What the console shows for the action.
        summary: String,
        /// Variables later actions read as `#{Namespace.name}`.
        output_variables: BTreeMap<String, String>,
    },
    /// `PutJobSuccessResult` with a continuation token: CodePipeline invokes
    /// the function again with the token, for work that takes longer than one
    /// invocation may.
    Continue {
        /// What the function is given back on its next invocation.
        token: String,
        /// What the console shows meanwhile.
        summary: String,
    },
}

impl Outcome {
    /// A success with `summary` and no output variables.
    pub fn success(summary: impl Into<String>) -> Self {
        Outcome::Success {
            summary: summary.into(),
            output_variables: BTreeMap::new(),
        }
    }

    /// The status CodePipeline shows for the action once this is reported.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Success { .. } => "Succeeded",
            Outcome::Continue { .. } => "InProgress",
        }
    }
}

/// The status CodePipeline shows for the action once `result` is reported.
pub fn status(result: &Result<Outcome, JobError>) -> &'static str {
    match result {
        Ok(outcome) => outcome.status(),
        Err(_) => "Failed",
    }
}
