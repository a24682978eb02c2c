//! Which events are logged: what the environment asks for, under a cap
//! that no setting lifts (see `pipeline_job::logging`).

use tracing_subscriber::filter::{EnvFilter, LevelFilter, Targets};

/// This workspace's libraries that a function links and that log: with the
/// function's own crate, the only targets logged at TRACE when asked.
const OUR_LIBRARIES: [&str; 6] = [
    "pipeline_job",
    "health_check",
    "artifacts",
    "rules_table",
    "template_rules",
    "aws_errors",
];

/// What the environment asks of the logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `AWS_LAMBDA_LOG_FORMAT=JSON`.
    pub json: bool,
    /// `AWS_LAMBDA_LOG_LEVEL`.
    pub lambda_level: Option<String>,
    /// `RUST_LOG`.
    pub rust_log: Option<String>,
}

impl Settings {
    /// Reads `AWS_LAMBDA_LOG_FORMAT`, `AWS_LAMBDA_LOG_LEVEL` and `RUST_LOG`
    /// (blank ones count as unset).
    pub fn from_env() -> Settings {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Settings {
            json: var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")),
            lambda_level: var("AWS_LAMBDA_LOG_LEVEL"),
            rust_log: var("RUST_LOG"),
        }
    }

    /// The filter the settings ask for, before the [`cap`]: the Lambda
    /// level (else INFO), refined by `RUST_LOG`.
    pub(super) fn filter(&self) -> EnvFilter {
        let level = match self.lambda_level.as_deref().map(str::trim) {
            Some(l) if l.eq_ignore_ascii_case("fatal") => LevelFilter::ERROR,
            Some(l) => l.parse().unwrap_or(LevelFilter::INFO),
            None => LevelFilter::INFO,
        };
        EnvFilter::builder()
            .with_default_directive(level.into())
            .parse_lossy(self.rust_log.as_deref().unwrap_or_default())
    }
}

/// The hard cap: `function_crate` and this workspace's libraries at any
/// level, every other target at DEBUG at most, the AWS SDK's at INFO,
/// `aws_config`'s at WARN (see `pipeline_job::logging`). The most specific target
/// wins.
pub fn cap(function_crate: &str) -> Targets {
    Targets::new()
        .with_default(LevelFilter::DEBUG)
        .with_target("aws_", LevelFilter::INFO)
        .with_target("aws_config", LevelFilter::WARN)
        .with_targets(OUR_LIBRARIES.map(|t| (t, LevelFilter::TRACE)))
        .with_target(function_crate.to_string(), LevelFilter::TRACE)
}
