//! Scoring a template as Static_Check does, in the Lambda functions that
//! apply the rules table: cfn-validate (the pipeline's stage) and cfn-hook
//! (every stack operation in the account, as a CloudFormation Hook). Both
//! must reach the same verdict on the same template, so what they share
//! lives here once:
//!
//! - [`Settings`]: `RULES_TABLE`, the thresholds (`RISK_FLAG_AT`,
//!   `RISK_FAIL_AT`), the unresolved policy (`UNRESOLVED`) and Guard's
//!   memory limit ([`guard_memory`]), from the function's environment;
//! - [`rule_set`]: the table's items as rules, refused when an active rule
//!   cannot be applied;
//! - [`score`] and [`evaluate`]: one template read and evaluated, and
//!   [`on_blocking_thread`], where that runs so that the runner can stop
//!   it at the deadline;
//! - [`ScoreError`]: why there is no verdict, for each function to report
//!   in its own terms (a CodePipeline failure type, a Hook's error code);
//! - [`compare_with_earlier`]: a report judged against an earlier version
//!   of its template (only new findings count), the baselines of
//!   `template-rules`;
//! - [`listing`]: a report's findings as lines that fit a message's limit.
//!
//! Start with [`Settings::from_env`], then [`rule_set`] and [`score`].

#![warn(missing_docs)]

mod earlier;
pub mod guard_memory;
pub mod listing;
mod score;
pub mod settings;

pub use earlier::{Earlier, compare_with_earlier};
pub use score::{ScoreError, evaluate, on_blocking_thread, rule_set, score};
pub use settings::{Settings, SettingsError};
