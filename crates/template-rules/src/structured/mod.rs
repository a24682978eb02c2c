//! What the structured kinds (`property`, `policy`, `relation`) share:
//! their ruledata is YAML or JSON with named keys, and they read a resource
//! along property paths, value by value, failing closed.
//!
//! Layered, each file using only those above it in this list:
//! - `ruledata`: reading ruledata text, refusing unknown keys;
//! - `path`: property paths (`Listeners[*].Protocol`);
//! - `scalar`: values as CloudFormation reads them (`"true"` is `true`);
//! - `truth`: three-valued answers (yes, maybe, no) with their reasons;
//! - `worlds`: which `Fn::If` branch a check reads, one world at a time;
//! - `reach`: following a path in one world to the values it leads to;
//! - `requirement`: requirements on values (`equals`, `exists`, ...);
//! - `statements`: IAM-style policy documents and statement patterns.

pub(crate) mod path;
pub(crate) mod reach;
pub(crate) mod requirement;
pub(crate) mod ruledata;
pub(crate) mod scalar;
pub(crate) mod statements;
pub(crate) mod truth;
pub(crate) mod worlds;
