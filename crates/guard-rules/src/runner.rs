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

/// Evaluates rules files on templates somewhere: one [`Session`] per
/// template, to which a caller hands the items in chunks of at most
/// [`Runner::max_items`].
pub trait Runner: Send + Sync {
    /// Starts evaluating on `data`, within `options.memory_limit` bytes for
    /// the items of one chunk.
    fn session<'a>(&'a self, data: &'a GuardData, options: Options) -> Box<dyn Session + 'a>;

    /// How many items a caller should hand a session at once, at most: in
    /// process, how soon a stop is seen (Guard cannot be interrupted); in a
    /// worker, what a failure costs (a chunk that fails is run again item
    /// by item).
    fn max_items(&self) -> usize;

    /// One chunk in a session of its own.
    fn evaluate_all(
        &self,
        items: &[&GuardRules],
        data: &GuardData,
        options: Options,
        stop: &dyn Fn() -> bool,
    ) -> Vec<Result<Evaluation, GuardError>> {
        self.session(data, options).evaluate(items, stop)
    }
}

/// Evaluations on one template.
pub trait Session {
    /// [`evaluate_all_with`]'s contract: one result per rules file, in
    /// order. An item the runner could not take to its end is an error
    /// saying why: [`GuardError::OutOfMemory`], [`GuardError::TimedOut`],
    /// [`GuardError::Crashed`], [`GuardError::Worker`], or
    /// [`GuardError::Stopped`] once `stop` returned true (checked often while
    /// Guard runs, when the runner can interrupt it).
    fn evaluate(
        &mut self,
        items: &[&GuardRules],
        stop: &dyn Fn() -> bool,
    ) -> Vec<Result<Evaluation, GuardError>>;
}

/// Items [`InProcess`] takes at once: Guard in process cannot be
/// interrupted, so this is how soon a caller can stop it.
pub const IN_PROCESS_ITEMS: usize = 8;

/// Guard in this process and this thread: nothing bounds it but the
/// estimate (`options.memory_limit` refuses an item whose estimate is
/// larger, [`GuardError::TooCostly`]), and `stop` is only asked before
/// Guard starts. A panic inside cfn-guard is caught
/// ([`GuardError::Crashed`]); an allocation that fails aborts the process.
#[derive(Debug, Clone, Copy, Default)]
pub struct InProcess;

impl Runner for InProcess {
    fn session<'a>(&'a self, data: &'a GuardData, options: Options) -> Box<dyn Session + 'a> {
        Box::new(InProcessSession { data, options })
    }

    fn max_items(&self) -> usize {
        IN_PROCESS_ITEMS
    }
}

struct InProcessSession<'a> {
    data: &'a GuardData,
    options: Options,
}

impl Session for InProcessSession<'_> {
    fn evaluate(
        &mut self,
        items: &[&GuardRules],
        stop: &dyn Fn() -> bool,
    ) -> Vec<Result<Evaluation, GuardError>> {
        if stop() {
            return items.iter().map(|_| Err(GuardError::Stopped)).collect();
        }
        evaluate_all_with(items, self.data, self.options)
    }
}
