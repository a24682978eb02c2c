//! How much work resolving may take: the allowance of one evaluation.
//!
//! Intrinsics written in a resource nest no deeper than the template does,
//! but a `Ref` or `Fn::FindInMap` leads elsewhere in the template, and what
//! is found there can lead back (a mapping entry that looks itself up), fan
//! out at every step (lookups whose keys depend on the region), or build
//! long strings (`Fn::Join` over thousands of pieces). Each piece of work is
//! a step; computed text is counted in bytes. When a bound is reached the
//! value is unknown, and says so: it is never silently dropped.

use std::cell::Cell;

use super::candidate::Unknown;

/// Longest text a computed value may be. Rules look at short things
/// (CIDRs, ports, protocols, AMI ids); past this a value keeps only its end.
pub const MAX_TEXT: usize = 1024;
/// Most alternatives `Fn::Sub` and `Fn::Join` combine their parts into.
pub const MAX_ALTERNATIVES: usize = 64;
/// Steps to work out one value.
pub const MAX_STEPS_PER_VALUE: usize = 10_000;
/// Steps for every value of one evaluation.
pub const MAX_STEPS: usize = 2_000_000;
/// Bytes of text computed in one evaluation.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;
/// Deepest chain of lookups and nested intrinsics.
pub const MAX_NESTING: usize = 128;

/// The steps, bytes and nesting one evaluation's resolving has used.
#[derive(Default)]
pub(super) struct Allowance {
    value_steps: Cell<usize>,
    steps: Cell<usize>,
    bytes: Cell<usize>,
    pub depth: Cell<usize>,
}

impl Allowance {
    /// Starts the work on one value.
    pub fn start_value(&self) {
        self.value_steps.set(0);
    }

    pub fn step(&self) -> Result<(), Unknown> {
        self.steps(1)
    }

    pub fn steps(&self, n: usize) -> Result<(), Unknown> {
        let total = self.steps.get().saturating_add(n);
        self.steps.set(total);
        let value = self.value_steps.get().saturating_add(n);
        self.value_steps.set(value);
        if total > MAX_STEPS {
            return Err(Unknown::new(format!(
                "the template's values take more than {MAX_STEPS} steps to work out"
            )));
        }
        if value > MAX_STEPS_PER_VALUE {
            return Err(Unknown::new(format!(
                "a value that takes more than {MAX_STEPS_PER_VALUE} steps to work out"
            )));
        }
        Ok(())
    }

    pub fn bytes(&self, n: usize) -> Result<(), Unknown> {
        let total = self.bytes.get().saturating_add(n);
        self.bytes.set(total);
        if total > MAX_BYTES {
            return Err(Unknown::new(format!(
                "the template's values add up to more than {MAX_BYTES} bytes of computed text"
            )));
        }
        Ok(())
    }
}
