//! A signal that could not be read, sorted by who can do something about
//! it: the plan's author, whoever grants the function's permissions, or
//! nobody (AWS failed past its retries).

/// Who can fix a signal that could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalErrorKind {
    /// The plan names something that is not there (a stack, an output, a
    /// target group, an alarm): a `ConfigurationError`.
    Configuration,
    /// Access denied: a `PermissionError`.
    Permission,
    /// AWS failed (throttling, a network or server error) after the SDK's
    /// retries: `JobFailed`.
    Failed,
}

/// A signal that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SignalError {
    /// Who can fix it.
    pub kind: SignalErrorKind,
    /// What happened, naming what was read.
    pub message: String,
}

impl SignalError {
    /// Something the plan names is not there.
    pub fn configuration(message: impl Into<String>) -> SignalError {
        SignalError {
            kind: SignalErrorKind::Configuration,
            message: message.into(),
        }
    }

    /// Access denied.
    pub fn permission(message: impl Into<String>) -> SignalError {
        SignalError {
            kind: SignalErrorKind::Permission,
            message: message.into(),
        }
    }

    /// AWS failed.
    pub fn failed(message: impl Into<String>) -> SignalError {
        SignalError {
            kind: SignalErrorKind::Failed,
            message: message.into(),
        }
    }
}
