//! Where Guard runs: the seam between what is evaluated and how its cost
//! is bounded.
//!
//! cfn-guard cannot be interrupted, and what it needs grows with the rules
//! in ways no estimate follows (a `let` inside a type block, thousands of
//! clauses: 100 to 1 000 times [`crate::GuardRules::memory_estimate`]). In
//! one process the only defence is that estimate, so a production caller
//! hands evaluations to a [`Runner`] that bounds them from outside (the
//! `guard-worker` crate's child process under a memory limit, killed when
//! told to stop); [`InProcess`] is for tests, benchmarks and tools.

use crate::{Evaluation, GuardData, GuardError, GuardRules, Options, evaluate_all_with};

/// Evaluates rules files on a template somewhere: [`evaluate_all_with`]'s
/// contract (one result per rules file, in order), within
/// `options.memory_limit` bytes and giving up once `stop` says so.
pub trait Runner: Send + Sync {
    /// Results in the order of `items`. An item the runner could not take
    /// to its end is an error saying why: [`GuardError::OutOfMemory`],
    /// [`GuardError::TimedOut`], [`GuardError::Crashed`],
    /// [`GuardError::Worker`], or [`GuardError::Stopped`] once `stop`
    /// returned true (checked often while Guard runs, when the runner can
    /// interrupt it).
    fn evaluate_all(
        &self,
        items: &[&GuardRules],
        data: &GuardData,
        options: Options,
        stop: &dyn Fn() -> bool,
    ) -> Vec<Result<Evaluation, GuardError>>;
}

/// Guard in this process and this thread: nothing bounds it but the
/// estimate (`options.memory_limit` refuses an item whose estimate is
/// larger, [`GuardError::TooCostly`]), and `stop` is only asked before
/// Guard starts. A panic inside cfn-guard is caught
/// ([`GuardError::Crashed`]); an allocation that fails aborts the process.
#[derive(Debug, Clone, Copy, Default)]
pub struct InProcess;

impl Runner for InProcess {
    fn evaluate_all(
        &self,
        items: &[&GuardRules],
        data: &GuardData,
        options: Options,
        stop: &dyn Fn() -> bool,
    ) -> Vec<Result<Evaluation, GuardError>> {
        if stop() {
            return items.iter().map(|_| Err(GuardError::Stopped)).collect();
        }
        evaluate_all_with(items, data, options)
    }
}
