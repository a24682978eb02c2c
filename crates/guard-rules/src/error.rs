//! Why a rules file or a template cannot be used with Guard.

/// Every way the crate refuses or fails. Each one means the rules could not
/// be applied: the caller must never read it as "compliant".
///
/// Serializable: a worker process sends it back as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum GuardError {
    /// The rules text is larger than [`crate::MAX_RULES_BYTES`].
    #[error("the Guard rules are {bytes} bytes; the limit is {limit}")]
    TooLarge {
        /// The text's size.
        bytes: usize,
        /// The largest accepted.
        limit: usize,
    },

    /// The rules text does not parse. `line` and `column` are 1-based, as
    /// Guard gives them, when Guard gives them.
    #[error("{}", parse_message(*.line, *.column, .message))]
    Parse {
        /// The line Guard names.
        line: Option<u32>,
        /// The column Guard names.
        column: Option<u32>,
        /// Guard's message.
        message: String,
    },

    /// The text parses but names no rule (only `let`s, comments, or
    /// parameterized rules that nothing invokes).
    #[error("the Guard rules name no rule")]
    NoRule,

    /// The rules parse but could not be run safely: a rule that refers to a
    /// rule the file does not define, a cycle of rule references, or nesting
    /// past the caps that keep Guard's recursive evaluator within its stack.
    #[error("the Guard rules cannot be applied: {0}")]
    Unsupported(String),

    /// The template cannot be handed to Guard (nested too deep for its
    /// reader, for instance).
    #[error("the template cannot be handed to Guard: {0}")]
    Data(String),

    /// Evaluating the rules on this template would take more memory than
    /// allowed ([`crate::Options::memory_limit`]); Guard was not run.
    #[error(
        "Guard would need about {} MB to evaluate these rules on this template; the limit is {} MB",
        .estimate / 1_000_000,
        .limit / 1_000_000
    )]
    TooCostly {
        /// The bytes Guard would need, as estimated.
        estimate: usize,
        /// The bytes it may take.
        limit: usize,
    },

    /// Guard failed while evaluating the rules (an undefined variable, a
    /// regex that does not compile, a report this crate cannot read).
    #[error("Guard could not evaluate the rules: {0}")]
    Evaluation(String),

    /// Guard needed more memory than it was given ([`crate::Runner`]): the
    /// worker it ran in could not allocate, and ended.
    #[error(
        "Guard needed more than {} MiB of memory to evaluate these rules on this template",
        .limit >> 20
    )]
    OutOfMemory {
        /// The memory it was given, in bytes.
        limit: usize,
    },

    /// Guard took longer than it was given.
    #[error("Guard took longer than {} s to evaluate these rules on this template", *.millis as f64 / 1000.0)]
    TimedOut {
        /// The time it was given, in milliseconds.
        millis: u64,
    },

    /// Guard ended abnormally on this template: a panic inside cfn-guard,
    /// or the worker it ran in dying (a signal, a stack overflow, a report
    /// past its cap).
    #[error("Guard ended abnormally on this template: {0}")]
    Crashed(String),

    /// Guard could not be run at all (the worker could not be started).
    #[error("Guard could not be run: {0}")]
    Worker(String),

    /// The caller asked to stop (a deadline, a stop flag) before Guard was
    /// done with these rules.
    #[error("stopped before Guard was done with these rules")]
    Stopped,
}

impl GuardError {
    /// Whether the rules could not be checked on this template for reasons
    /// of this template and the bounds Guard is given (memory, time, a
    /// crash on what it was handed), rather than because the rules are
    /// wrong: an unresolved finding, not a rule to fix.
    pub fn is_not_checked(&self) -> bool {
        matches!(
            self,
            GuardError::TooCostly { .. }
                | GuardError::Data(_)
                | GuardError::OutOfMemory { .. }
                | GuardError::TimedOut { .. }
                | GuardError::Crashed(_)
                | GuardError::Worker(_)
        )
    }
}

fn parse_message(line: Option<u32>, column: Option<u32>, message: &str) -> String {
    match (line, column) {
        (Some(line), Some(column)) => {
            format!("the Guard rules do not parse: line {line}, column {column}: {message}")
        }
        (Some(line), None) => format!("the Guard rules do not parse: line {line}: {message}"),
        _ => format!("the Guard rules do not parse: {message}"),
    }
}
