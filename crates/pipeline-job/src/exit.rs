//! Ending the process once an invocation is answered, when a handler the
//! runner stopped is still running.
//!
//! Such a handler (CPU-bound work that did not check its stop flag) would
//! go on into the next invocation, using its CPU and memory, perhaps its
//! clients. So [`Runner::serve`](crate::Runner::serve) (and any function
//! that supervises its handler the same way) puts this layer
//! outermost around the Lambda runtime's own services: after the runtime
//! has posted the invocation's answer to the Runtime API (the report to
//! CodePipeline is already delivered by then: it is part of the answer),
//! the process exits. Lambda starts a fresh one for the next invocation;
//! the answered job is not retried.

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{Error, LambdaInvocation};
use tracing::error;

/// The exit status when a stopped handler was still running: not 0, so
/// that Lambda's logs show the process ended for a reason.
pub const STILL_RUNNING_EXIT_CODE: i32 = 70;

/// See the module documentation: a layer for `lambda_runtime::Runtime`,
/// outermost, ending the process after an invocation is answered when
/// `still_running` is raised (by [`supervise`](crate::supervise::supervise)).
pub struct ExitAfterAnswerLayer {
    still_running: Arc<AtomicBool>,
}

impl ExitAfterAnswerLayer {
    /// Ends the process after an answer once `still_running` is raised.
    pub fn new(still_running: Arc<AtomicBool>) -> Self {
        ExitAfterAnswerLayer { still_running }
    }
}

impl<S> Layer<S> for ExitAfterAnswerLayer {
    type Service = ExitAfterAnswer<S>;

    fn layer(&self, inner: S) -> ExitAfterAnswer<S> {
        ExitAfterAnswer {
            inner,
            still_running: Arc::clone(&self.still_running),
        }
    }
}

/// The service [`ExitAfterAnswerLayer`] makes.
pub struct ExitAfterAnswer<S> {
    inner: S,
    still_running: Arc<AtomicBool>,
}

impl<S> Service<LambdaInvocation> for ExitAfterAnswer<S>
where
    S: Service<LambdaInvocation, Response = (), Error = Error>,
    S::Future: 'static,
{
    type Response = ();
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<(), Error>>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, invocation: LambdaInvocation) -> Self::Future {
        let answered = self.inner.call(invocation);
        let still_running = Arc::clone(&self.still_running);
        Box::pin(async move {
            let result = answered.await;
            if still_running.load(Ordering::SeqCst) {
                error!(
                    exit_code = STILL_RUNNING_EXIT_CODE,
                    "a handler stopped at the deadline is still running: the invocation is answered, so the process ends here (Lambda starts a fresh one for the next)"
                );
                let _ = std::io::stdout().flush();
                let _ = std::io::stderr().flush();
                std::process::exit(STILL_RUNNING_EXIT_CODE);
            }
            result
        })
    }
}
