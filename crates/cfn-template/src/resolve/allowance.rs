//! How much work resolving may take: the allowance of one evaluation.
//!
//! Intrinsics written in a resource nest no deeper than the template does,
//! but a `Ref` or `Fn::FindInMap` leads elsewhere in the template, and what
//! is found there can lead back (a mapping entry that looks itself up), fan
//! out at every step (lookups whose keys depend on the region), or build
//! long strings (`Fn::Join` over thousands of pieces). Each piece of work is
//! a step; computed text is counted in bytes. When a bound is reached the
//! value is unknown, and says so: it is never silently dropped.
//!
//! The template's steps and bytes are shared by all its values, so other
//! resources' work must not leave a value of its own unread: once they are
//! spent, each value still gets [`FLOOR_STEPS`] steps and [`FLOOR_BYTES`]
//! bytes (a `Ref` to a parameter's `Default`, a lookup in a small mapping),
//! up to [`MAX_FLOOR_STEPS`] more steps in all. A caller that must be able
//! to stop the work gives a stop check ([`crate::Resolver::stop_when`]),
//! asked every [`STOP_CHECK_EVERY`] steps.

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
/// Steps each value may take once the template's [`MAX_STEPS`] are spent.
pub const FLOOR_STEPS: usize = 32;
/// Bytes of text each value may compute once the template's [`MAX_BYTES`]
/// are spent.
pub const FLOOR_BYTES: usize = 256;
/// Steps taken under the floors, in all: past them, every value is unknown.
pub const MAX_FLOOR_STEPS: usize = 8_000_000;
/// Deepest chain of lookups and nested intrinsics.
pub const MAX_NESTING: usize = 128;
/// How often (in steps) the stop check is asked.
pub const STOP_CHECK_EVERY: usize = 4096;

/// Whether work must stop now (a deadline passed, a flag raised).
pub type StopCheck = Box<dyn Fn() -> bool>;

/// The steps, bytes and nesting one evaluation's resolving has used.
#[derive(Default)]
pub(super) struct Allowance {
    value_steps: Cell<usize>,
    value_bytes: Cell<usize>,
    steps: Cell<usize>,
    bytes: Cell<usize>,
    pub depth: Cell<usize>,
    stop: Option<StopCheck>,
    stopped: Cell<bool>,
}

impl Allowance {
    /// Asks `stop` every [`STOP_CHECK_EVERY`] steps; once it says so, every
    /// value is unknown.
    pub fn stop_when(&mut self, stop: StopCheck) {
        self.stop = Some(stop);
    }

    /// Starts the work on one value.
    pub fn start_value(&self) {
        self.value_steps.set(0);
        self.value_bytes.set(0);
    }

    pub fn step(&self) -> Result<(), Unknown> {
        self.steps(1)
    }

    pub fn steps(&self, n: usize) -> Result<(), Unknown> {
        let before = self.steps.get();
        let total = before.saturating_add(n);
        self.steps.set(total);
        let value = self.value_steps.get().saturating_add(n);
        self.value_steps.set(value);
        if before / STOP_CHECK_EVERY != total / STOP_CHECK_EVERY
            && let Some(stop) = &self.stop
            && stop()
        {
            self.stopped.set(true);
        }
        if self.stopped.get() {
            return Err(Unknown::new(
                "a value not worked out: the evaluation was stopped",
            ));
        }
        if value > MAX_STEPS_PER_VALUE {
            return Err(Unknown::new(format!(
                "a value that takes more than {MAX_STEPS_PER_VALUE} steps to work out"
            )));
        }
        if total > MAX_STEPS && (value > FLOOR_STEPS || total > MAX_STEPS + MAX_FLOOR_STEPS) {
            return Err(Unknown::new(format!(
                "the template's values take more than {MAX_STEPS} steps to work out"
            )));
        }
        Ok(())
    }

    pub fn bytes(&self, n: usize) -> Result<(), Unknown> {
        let total = self.bytes.get().saturating_add(n);
        self.bytes.set(total);
        let value = self.value_bytes.get().saturating_add(n);
        self.value_bytes.set(value);
        if total > MAX_BYTES && value > FLOOR_BYTES {
            return Err(Unknown::new(format!(
                "the template's values add up to more than {MAX_BYTES} bytes of computed text"
            )));
        }
        Ok(())
    }
}
