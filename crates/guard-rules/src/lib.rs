//! Evaluates CloudFormation Guard rules files on a template, with AWS's
//! reference implementation (the `cfn-guard` crate): nothing of Guard is
//! re-implemented here.
//!
//! Pure: no AWS, no I/O. The rule engine hands in an item's rules text and
//! the template (as the JSON value its parser read) and gets Guard's
//! verdicts back, with one failure per failing rule and resource.
//!
//! ```
//! use guard_rules::{evaluate, GuardData, GuardRules};
//! use serde_json::json;
//!
//! let rules = GuardRules::parse(r#"
//!     let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]
//!     rule S3_BUCKET_ENCRYPTED when %buckets !empty {
//!         %buckets.Properties.BucketEncryption exists
//!         << Buckets must be encrypted at rest >>
//!     }
//! "#).unwrap();
//! let template = GuardData::from_json(&json!({"Resources": {
//!     "Logs": {"Type": "AWS::S3::Bucket", "Properties": {}},
//!     "Queue": {"Type": "AWS::SQS::Queue"},
//! }})).unwrap();
//!
//! let evaluation = evaluate(&rules, &template).unwrap();
//! assert_eq!(evaluation.failures.len(), 1);
//! let failure = &evaluation.failures[0];
//! assert_eq!(failure.resource.as_deref(), Some("Logs"));
//! assert_eq!(failure.message, "S3_BUCKET_ENCRYPTED: Buckets must be encrypted at rest");
//!
//! // Rules that only select buckets have nothing to say without one.
//! assert!(rules.selected_types().unwrap().contains("AWS::S3::Bucket"));
//! let no_bucket = GuardData::from_json(&json!({"Resources": {
//!     "Queue": {"Type": "AWS::SQS::Queue"},
//! }})).unwrap();
//! assert!(rules.skips(&no_bucket));
//! assert!(evaluate(&rules, &no_bucket).unwrap().failures.is_empty());
//! ```
//!
//! How it uses cfn-guard, and why: cfn-guard 3.2.1's public API is its
//! commands and `run_checks` (rules text and data text in, JSON report
//! out); its parser output, values and evaluator are crate-private. So a
//! rules file is parsed once here to check and analyse it (its parse tree
//! is read back through serde, see `ast`), and each evaluation runs Guard's
//! `validate` command in memory on the rules text and the template text
//! (`run_checks` cuts reports longer than 8 KiB; see `evaluate::run_guard`),
//! which parses both again. A pre-built data value would not help much
//! anyway: Guard deep-copies the part of the template each query walks, so
//! its cost grows with the data it is shown, and what makes 200 rules files
//! fast is showing each one only the resources it can look at
//! ([`Options`]).

#![warn(missing_docs)]

mod analysis;
mod ast;
mod data;
mod error;
mod evaluate;
mod report;
mod rules;
mod runner;
mod scan;

pub use data::{GuardData, MAX_DATA_DEPTH};
pub use error::GuardError;
pub use evaluate::{
    DEFAULT_MEMORY_LIMIT, Evaluation, FailureKind, GuardFailure, Options, RuleVerdict, Status,
    evaluate, evaluate_all, evaluate_all_with, evaluate_with,
};
pub use report::MAX_MESSAGE_CHARS;
pub use rules::{GuardRules, MAX_RULES_BYTES};
pub use runner::{IN_PROCESS_ITEMS, InProcess, Runner, Session};
pub use scan::MAX_NESTING;

/// The caps a rules file must stay within, beyond its size and nesting.
pub mod limits {
    pub use crate::analysis::{MAX_QUERY_PARTS, MAX_RULE_CHAIN};
    pub use crate::rules::MAX_REGEX_PROGRAM;
    pub use crate::scan::{MAX_FILTER_NESTING, MAX_REGEX_BYTES, MAX_REGEXES};
}
