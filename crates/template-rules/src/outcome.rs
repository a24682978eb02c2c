//! Why a rule fires on one resource, or may.

use std::collections::HashSet;

use crate::resolve::{Unknown, add_unknowns};

/// Reasons a rule fires on one resource.
#[derive(Debug, Default)]
pub struct Outcome {
    /// It fires.
    pub resolved: Vec<String>,
    /// It may fire, depending on values that could not be worked out.
    pub unresolved: Vec<String>,
    /// What those are.
    pub unknown: Vec<Unknown>,
    seen: HashSet<String>,
}

impl Outcome {
    pub fn fires(&mut self, reason: String) {
        if self.seen.insert(reason.clone()) {
            self.resolved.push(reason);
        }
    }

    pub fn may_fire(&mut self, reason: String, unknown: &[Unknown]) {
        if self.seen.insert(reason.clone()) {
            self.unresolved.push(reason);
            add_unknowns(&mut self.unknown, unknown);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.resolved.is_empty() && self.unresolved.is_empty()
    }
}

/// "parameter P has no Default; Fn::ImportValue x", for a reason.
pub(crate) fn names(unknown: &[Unknown]) -> String {
    if unknown.is_empty() {
        return "a value not resolved".to_string();
    }
    unknown
        .iter()
        .map(Unknown::as_str)
        .collect::<Vec<_>>()
        .join("; ")
}
