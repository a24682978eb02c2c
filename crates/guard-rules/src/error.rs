//! Why a rules file or a template cannot be used with Guard.

/// Every way the crate refuses or fails. Each one means the rules could not
/// be applied: the caller must never read it as "compliant".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
    /// regex that does not compile, a report this crate cannot read, a panic
    /// inside cfn-guard).
    #[error("Guard could not evaluate the rules: {0}")]
    Evaluation(String),
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
