//! Why a rule fires on one resource, or may.

use std::collections::HashSet;

use cfn_template::resolve::{Unknown, add_unknowns};

/// Reasons a rule fires on one resource.
#[derive(Debug, Default)]
pub struct Outcome {
    /// It fires.
    pub resolved: Vec<String>,
    /// It may fire, depending on values that could not be worked out.
    pub unresolved: Vec<String>,
    /// What those are.
    pub unknown: Vec<Unknown>,
    /// Every reason so far, once there are many (few are looked through).
    seen: Option<HashSet<String>>,
}

/// Past this many reasons, repeats are looked up in a set.
const SCAN_UP_TO: usize = 8;

impl Outcome {
    pub fn fires(&mut self, reason: String) {
        if self.is_new(&reason) {
            self.resolved.push(reason);
        }
    }

    pub fn may_fire(&mut self, reason: String, unknown: &[Unknown]) {
        if self.is_new(&reason) {
            self.unresolved.push(reason);
            add_unknowns(&mut self.unknown, unknown);
        }
    }

    fn is_new(&mut self, reason: &str) -> bool {
        if let Some(seen) = &mut self.seen {
            return seen.insert(reason.to_string());
        }
        let mut all = self.resolved.iter().chain(&self.unresolved);
        if self.resolved.len() + self.unresolved.len() < SCAN_UP_TO {
            return !all.any(|r| r == reason);
        }
        let mut seen: HashSet<String> = all.cloned().collect();
        let new = seen.insert(reason.to_string());
        self.seen = Some(seen);
        new
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
