//! When an evaluation must give up before it is done: at a deadline, or
//! when someone else raises a flag (the Lambda runner stopping a handler
//! that ran out of time).
//!
//! Evaluation is CPU-bound and runs on a thread nobody can interrupt from
//! outside, so the engine checks the budget itself, between steps: before
//! each native rule looks at the template as a whole, and before each rule
//! on each resource. A caller gets its thread back within one
//! step of the budget running out; work that is one long step (resolving
//! values, the unions of a template's ingress sources) checks it inside,
//! through [`Work`] and the resolver's stop check.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// How long an evaluation may go on; see the module documentation.
#[derive(Debug, Clone, Default)]
pub struct Budget {
    deadline: Option<Instant>,
    stop: Option<Arc<AtomicBool>>,
}

/// An evaluation that gave up because its [`Budget`] ran out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the evaluation was stopped before it was done ({checked} of {resources} resources checked)"
)]
pub struct Interrupted {
    /// Resources every rule had been applied to.
    pub checked: usize,
    /// Resources in the template.
    pub resources: usize,
}

impl Budget {
    /// No limit: the evaluation always finishes.
    pub fn unlimited() -> Budget {
        Budget::default()
    }

    /// Gives up once `deadline` has passed.
    pub fn until(mut self, deadline: Instant) -> Budget {
        self.deadline = Some(deadline);
        self
    }

    /// Gives up once `flag` is raised (set to `true`), from any thread.
    pub fn stop_flag(mut self, flag: Arc<AtomicBool>) -> Budget {
        self.stop = Some(flag);
        self
    }

    /// Whether the evaluation must give up now.
    pub fn is_spent(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
            || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// `Err` once spent, saying how far the evaluation got.
    pub(crate) fn check(&self, checked: usize, resources: usize) -> Result<(), Interrupted> {
        if self.is_spent() {
            Err(Interrupted { checked, resources })
        } else {
            Ok(())
        }
    }
}

/// Native work of one evaluation, in steps: one allowance for the whole
/// template (however many rules and resources share it), and the caller's
/// [`Budget`] asked every [`CHECK_EVERY`] steps. Work that finds it spent
/// says what it could not work out (an unresolved finding, never a pass);
/// work stopped by the budget makes the evaluation [`Interrupted`].
pub(crate) struct Work {
    budget: Budget,
    left: Cell<usize>,
    /// Steps since the budget was last asked.
    since_check: Cell<usize>,
    stopped: Cell<bool>,
}

/// How often (in steps) [`Work`] asks the budget.
const CHECK_EVERY: usize = 4096;

impl Work {
    /// `steps` steps, within `budget`.
    pub fn new(budget: Budget, steps: usize) -> Work {
        Work {
            budget,
            left: Cell::new(steps),
            since_check: Cell::new(0),
            stopped: Cell::new(false),
        }
    }

    /// Takes `n` steps: false (and nothing taken) when fewer are left, or
    /// once the budget is spent.
    pub fn take(&self, n: usize) -> bool {
        let since = self.since_check.get().saturating_add(n);
        if since >= CHECK_EVERY {
            self.since_check.set(0);
            if self.budget.is_spent() {
                self.stopped.set(true);
            }
        } else {
            self.since_check.set(since);
        }
        if self.stopped.get() || self.left.get() < n {
            return false;
        }
        self.left.set(self.left.get() - n);
        true
    }

    /// Steps left.
    pub fn left(&self) -> usize {
        self.left.get()
    }

    /// Whether the budget is spent (asked now, and remembered): what was
    /// worked out is not all there is, and the evaluation must not report.
    pub fn stopped(&self) -> bool {
        if !self.stopped.get() && self.budget.is_spent() {
            self.stopped.set(true);
        }
        self.stopped.get()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_budget_is_spent_by_its_flag_or_its_deadline() {
        assert!(!Budget::unlimited().is_spent());
        let flag = Arc::new(AtomicBool::new(false));
        let budget = Budget::unlimited().stop_flag(Arc::clone(&flag));
        assert!(!budget.is_spent());
        flag.store(true, Ordering::Relaxed);
        assert!(budget.is_spent());
        assert_eq!(
            budget.check(3, 10).unwrap_err().to_string(),
            "the evaluation was stopped before it was done (3 of 10 resources checked)"
        );
        assert!(Budget::unlimited().until(Instant::now()).is_spent());
        assert!(
            !Budget::unlimited()
                .until(Instant::now() + Duration::from_secs(60))
                .is_spent()
        );
    }

    #[test]
    fn work_is_taken_from_one_allowance_and_stops_with_the_budget() {
        let work = Work::new(Budget::unlimited(), 10);
        assert!(work.take(4) && work.take(6));
        assert!(!work.take(1), "the allowance is spent");
        assert!(!work.stopped());

        let flag = Arc::new(AtomicBool::new(false));
        let work = Work::new(Budget::unlimited().stop_flag(Arc::clone(&flag)), usize::MAX);
        assert!(work.take(CHECK_EVERY - 1));
        flag.store(true, Ordering::Relaxed);
        // Asked within CHECK_EVERY steps of the flag.
        assert!(!work.take(CHECK_EVERY));
        assert!(work.stopped());
        assert!(!work.take(1));
    }
}
