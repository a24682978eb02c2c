//! When an evaluation must give up before it is done: at a deadline, or
//! when someone else raises a flag (the Lambda runner stopping a handler
//! that ran out of time).
//!
//! Evaluation is CPU-bound and runs on a thread nobody can interrupt from
//! outside, so the engine checks the budget itself, between steps: before
//! each native rule looks at the template as a whole, and before each rule
//! on each resource. A caller gets its thread back within one
//! step of the budget running out; a rule kind whose evaluation is one
//! long step should check the budget inside it too.

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
}
