//! What a handler knows of its invocation: its request id, how long it may
//! run, and a way to run CPU-bound work that the runner can stop.
//!
//! When the runner stops a handler at the cutoff, it aborts the handler's
//! task, which ends its async work at the next `.await`. CPU-bound work
//! (parsing, evaluating rules) has no `.await` to stop at, and on one of
//! the async runtime's worker threads it would hold that thread, and the
//! runner's own timer with it. So it runs through
//! [`Invocation::spawn_blocking`]: on a blocking thread, tracked, with the
//! invocation's stop flag ([`Invocation::stop_flag`]) to check between
//! steps. The runner raises the flag when it stops the handler, then waits
//! (briefly) for everything tracked to end before the next invocation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::task::TaskTracker;
use tracing::Span;

/// This invocation: its request id (the job's external execution id), how
/// long the handler may run, and the work it started.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The Lambda request id: the external execution id of the report.
    pub request_id: String,
    /// When the handler must be done: the Lambda deadline less the
    /// runner's reserve for reporting. `None` when there is no deadline.
    pub cutoff: Option<Instant>,
    pub(crate) work: Work,
}

/// Everything a handler started, the flag that tells it to stop, and what
/// it says it is doing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Work {
    pub(crate) tracker: TaskTracker,
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) activity: Activity,
}

/// What a handler's CPU-bound work is doing now, in words the job's report
/// can show ("evaluating the Guard rules of the item X"). Work that cannot
/// be interrupted mid-step (one call into a library) sets it before the
/// step and clears it after: if the runner has to stop the handler at the
/// cutoff, its `JobFailed` says what was running.
#[derive(Debug, Clone, Default)]
pub struct Activity(Arc<Mutex<Option<String>>>);

impl Activity {
    /// The work is now doing `what`.
    pub fn set(&self, what: impl Into<String>) {
        *self.lock() = Some(what.into());
    }

    /// The work is between steps.
    pub fn clear(&self) {
        *self.lock() = None;
    }

    /// What the work is doing, if it said.
    pub fn get(&self) -> Option<String> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // A panic while holding it cannot leave a half-written string.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Invocation {
    /// An invocation with a fresh stop flag and nothing running yet. The
    /// runner makes one per job; tests call a handler with one directly.
    pub fn new(request_id: impl Into<String>, cutoff: Option<Instant>) -> Invocation {
        Invocation {
            request_id: request_id.into(),
            cutoff,
            work: Work::default(),
        }
    }

    /// Time left before the handler is stopped.
    pub fn remaining(&self) -> Option<Duration> {
        self.cutoff
            .map(|c| c.saturating_duration_since(Instant::now()))
    }

    /// Raised (set to `true`) when the runner stops the handler: CPU-bound
    /// work checks it between steps and gives up (e.g. through
    /// `template_rules::Budget::stop_flag`).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.work.stop)
    }

    /// Where the handler's work says what it is doing, for the runner's
    /// message if it has to stop it (see [`Activity`]).
    pub fn activity(&self) -> Activity {
        self.work.activity.clone()
    }

    /// Whether the runner has stopped the handler.
    pub fn is_stopped(&self) -> bool {
        self.work.stop.load(Ordering::Relaxed)
    }

    /// Runs CPU-bound `work` on a blocking thread, in the current span, and
    /// waits for its result. The runner knows it is running: when it stops
    /// the handler, it raises the stop flag and waits for `work` to return
    /// (see the module documentation), so `work` must check
    /// [`Invocation::stop_flag`] between steps. A panic in `work` is the
    /// handler's panic.
    pub async fn spawn_blocking<T, F>(&self, work: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let span = Span::current();
        let task = self
            .work
            .tracker
            .spawn_blocking(move || span.in_scope(work));
        match task.await {
            Ok(value) => value,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Blocking tasks are cancelled only when the runtime shuts down.
            Err(_) => panic!("the runtime shut down while the handler's work was running"),
        }
    }
}
