//! Runs a handler until its cutoff and makes sure nothing it started
//! outlives it: what every Lambda function here does around its handler,
//! whatever it answers with (a CodePipeline report through
//! [`Runner`](crate::Runner), a CloudFormation Hook's answer in `cfn-hook`).
//!
//! [`supervise`] spawns the handler in the invocation's task tracker and
//! waits for it until [`Invocation::cutoff`]. Whatever happens — it
//! returns, panics or is still running at the cutoff — it then raises the
//! stop flag, aborts the handler's task and gives the work it started a
//! grace to end; work still running after the grace sets the caller's
//! `must_exit` flag, for the process to end once the invocation is answered
//! ([`ExitAfterAnswerLayer`](crate::ExitAfterAnswerLayer)). What became of
//! the handler comes back as a [`Supervised`], for the caller to turn into
//! its one answer.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tracing::{Instrument, error, info, warn};

use crate::invocation::{Invocation, Work};
use crate::logging::panic_message;

/// What became of a supervised handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Supervised<T> {
    /// It returned this before the cutoff.
    Finished(T),
    /// It was still running at the cutoff and was stopped; `activity` is
    /// what its work said it was doing then ([`Invocation::activity`]).
    Stopped {
        /// What the work was doing, if it said.
        activity: Option<String>,
    },
    /// It panicked with this message (logged here, with the details).
    Panicked(String),
    /// Its task was cancelled (the runtime is shutting down).
    Cancelled,
}

/// Runs `handler` with `invocation` until the invocation's cutoff (without
/// one, until it ends), then stops and settles everything it started: see
/// the module documentation. `grace` is how long its work may take to end
/// once stopped; `must_exit` is raised when some of it is still running
/// after that.
pub async fn supervise<T, H, Fut>(
    invocation: Invocation,
    grace: Duration,
    must_exit: &AtomicBool,
    handler: H,
) -> Supervised<T>
where
    H: FnOnce(Invocation) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let limit = invocation.remaining();
    let work = invocation.work.clone();
    let mut task = work.tracker.spawn(handler(invocation).in_current_span());
    let joined = match limit {
        None => Some((&mut task).await),
        Some(limit) => tokio::time::timeout(limit, &mut task).await.ok(),
    };
    // What the handler was doing when it was stopped, before it can move on.
    let activity = joined.is_none().then(|| work.activity.get()).flatten();
    if joined.is_none() {
        warn!(
            activity = activity.as_deref().unwrap_or(""),
            "the handler was stopped at its cutoff"
        );
    }
    // Whatever happened, nothing the handler started may outlive it.
    task.abort();
    settle(&work, grace, must_exit).await;
    match joined {
        None => Supervised::Stopped { activity },
        Some(Ok(value)) => Supervised::Finished(value),
        Some(Err(e)) if e.is_panic() => {
            let message = panic_message(&*e.into_panic());
            error!(panic = %message, "the handler panicked");
            Supervised::Panicked(message)
        }
        Some(Err(_)) => Supervised::Cancelled,
    }
}

/// Waits for everything the handler started to end: at once if it has,
/// else for the grace. Work still running after it raises `must_exit`. The
/// stop flag is raised first, whatever is running: work the handler set off
/// but that has not started yet (a task that will call `spawn_blocking`)
/// sees it when it does, and ends at its first check.
async fn settle(work: &Work, grace: Duration, must_exit: &AtomicBool) {
    work.stop.store(true, Ordering::SeqCst);
    work.tracker.close();
    if work.tracker.is_empty() {
        return;
    }
    match tokio::time::timeout(grace, work.tracker.wait()).await {
        Ok(()) => info!("the stopped handler's work ended"),
        Err(_) => {
            error!(
                grace_ms = grace.as_millis() as u64,
                still_running = work.tracker.len(),
                "the stopped handler's work is still running after the grace: the process will end once this invocation is answered"
            );
            must_exit.store(true, Ordering::SeqCst);
        }
    }
}

/// A Lambda deadline is never further than this from the moment it is
/// handed out (functions run 15 minutes at most).
const PLAUSIBLE_DEADLINE: Duration = Duration::from_secs(60 * 60);

/// The Lambda deadline (epoch milliseconds) as an `Instant`. `None` when
/// there is none (0) or it cannot be a real one: `cargo lambda watch` sends
/// a constant 600000 (ten minutes past 1970), which taken at its word would
/// fail every job at once.
pub fn lambda_deadline(deadline_ms: u64) -> Option<Instant> {
    if deadline_ms == 0 {
        return None;
    }
    let deadline = UNIX_EPOCH + Duration::from_millis(deadline_ms);
    let now = SystemTime::now();
    match deadline.duration_since(now) {
        Ok(left) if left <= PLAUSIBLE_DEADLINE => Some(Instant::now() + left),
        Err(e) if e.duration() <= PLAUSIBLE_DEADLINE => Some(Instant::now()),
        _ => {
            warn!(
                deadline_ms,
                "the invocation's deadline is not a plausible time; running without one"
            );
            None
        }
    }
}
