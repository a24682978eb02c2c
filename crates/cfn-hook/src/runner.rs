//! Serving Hook invocations: exactly one answer each, in time, whatever
//! the handler does.
//!
//! CloudFormation waits 30 s for a Hook's answer; without one, the Hook
//! fails with no word of why. So each invocation has its own deadline,
//! [`DEADLINE`] after it starts (sooner if the Lambda timeout is nearer,
//! less [`RESERVE`]), and the handler runs under `pipeline_job::supervise`
//! (as the stages' handlers do): at the deadline its work is told to stop
//! and the answer is `FAILED`/`InternalFailure`, saying so; a panic is
//! answered the same way; work that outlives a short grace ends the
//! process once the answer is posted (`ExitAfterAnswerLayer`).
//!
//! An event that is not JSON never reaches a handler in
//! `lambda_runtime`: it would be answered with a runtime error, not a Hook
//! answer. [`UnreadableEventLayer`] hands it on as an event that says so,
//! and it is answered `FAILED` with the token, if one can be found in it.
//!
//! Setting the Hook up can fail (its settings); then every invocation is
//! answered `FAILED`/`InternalFailure` with the setup error's message.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{Diagnostic, LambdaEvent, LambdaInvocation};
use pipeline_job::{ExitAfterAnswerLayer, Invocation, Supervised, lambda_deadline, supervise};
use serde_json::{Value, json};
use tracing::{Instrument, error, info, info_span};

use crate::answer::{HookAnswer, MessageLimit};
use crate::event;

/// How long an invocation may take, from its start: CloudFormation waits
/// 30 s, and the answer must reach it before then.
pub const DEADLINE: Duration = Duration::from_secs(25);
/// Kept back from the Lambda timeout, when that comes first.
pub const RESERVE: Duration = Duration::from_secs(1);
/// How long a stopped handler's work is given to end.
pub const GRACE: Duration = Duration::from_millis(500);

/// The key [`UnreadableEventLayer`] puts an unreadable event's error under
/// (no key of CloudFormation's has a space).
const UNREADABLE: &str = "cfn-hook: unreadable event";

/// Runs Hook handlers; see the module documentation.
#[derive(Debug, Clone)]
pub struct HookRunner {
    deadline: Duration,
    grace: Duration,
    must_exit: Arc<AtomicBool>,
}

impl Default for HookRunner {
    fn default() -> Self {
        HookRunner::new()
    }
}

impl HookRunner {
    /// A runner with [`DEADLINE`] and [`GRACE`].
    pub fn new() -> HookRunner {
        HookRunner {
            deadline: DEADLINE,
            grace: GRACE,
            must_exit: Arc::default(),
        }
    }

    /// Another deadline for each invocation (tests).
    pub fn with_deadline(mut self, deadline: Duration) -> HookRunner {
        self.deadline = deadline;
        self
    }

    /// Whether work a stopped handler started outlived the grace: the
    /// process ends once the invocation is answered.
    pub fn must_exit(&self) -> bool {
        self.must_exit.load(Ordering::SeqCst)
    }

    /// Serves invocations from the Lambda Runtime API until it stops:
    /// each with `handler` and the state, or, when the state could not be
    /// set up, with a `FAILED`/`InternalFailure` answer giving the setup
    /// error's message (logged once, here).
    pub async fn serve<S, E, H, Fut>(
        self,
        state: Result<S, E>,
        handler: H,
    ) -> Result<(), lambda_runtime::Error>
    where
        S: Send + Sync + 'static,
        E: fmt::Display,
        H: Fn(Arc<S>, Value, Invocation) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = HookAnswer> + Send + 'static,
    {
        let state = match state {
            Ok(state) => Ok(Arc::new(state)),
            Err(e) => {
                let message = format!("the function cannot be set up: {e}");
                error!(error = %message, "every invocation will be answered FAILED saying so");
                Err(message)
            }
        };
        let exit = ExitAfterAnswerLayer::new(Arc::clone(&self.must_exit));
        let runner = Arc::new(self);
        let state = Arc::new(state);
        lambda_runtime::Runtime::new(lambda_runtime::service_fn(
            move |event: LambdaEvent<Value>| {
                let (runner, state, handler) =
                    (Arc::clone(&runner), Arc::clone(&state), handler.clone());
                // Boxed, as the stages' are: the handler's futures nest deep.
                Box::pin(async move {
                    let answer = match &*state {
                        Ok(state) => {
                            let state = Arc::clone(state);
                            runner
                                .run(event, move |event, invocation| {
                                    handler(state, event, invocation)
                                })
                                .await
                        }
                        Err(message) => {
                            let token = event::client_request_token(&event.payload);
                            HookAnswer::internal_failure(token, message, MessageLimit::CloudControl)
                        }
                    };
                    Ok::<HookAnswer, Diagnostic>(answer)
                })
            },
        ))
        .layer(lambda_runtime::layers::TracingLayer::new())
        .layer(UnreadableEventLayer)
        .layer(exit)
        .run()
        .await
    }

    /// Runs `handler` on one invocation and returns its one answer (see
    /// the module documentation).
    pub async fn run<H, Fut>(&self, event: LambdaEvent<Value>, handler: H) -> HookAnswer
    where
        H: FnOnce(Value, Invocation) -> Fut,
        Fut: Future<Output = HookAnswer> + Send + 'static,
    {
        let (payload, context) = event.into_parts();
        let lambda = lambda_deadline(context.deadline);
        let span = info_span!("hook", request_id = %context.request_id);
        self.answer(payload, context.request_id, lambda, handler)
            .instrument(span)
            .await
    }

    /// [`HookRunner::run`] outside Lambda (`cicd hook`): an event with no
    /// Lambda deadline, the same answer.
    pub async fn run_local<H, Fut>(&self, event: Value, handler: H) -> HookAnswer
    where
        H: FnOnce(Value, Invocation) -> Fut,
        Fut: Future<Output = HookAnswer> + Send + 'static,
    {
        self.answer(event, "local".to_string(), None, handler).await
    }

    async fn answer<H, Fut>(
        &self,
        payload: Value,
        request_id: String,
        lambda_deadline: Option<Instant>,
        handler: H,
    ) -> HookAnswer
    where
        H: FnOnce(Value, Invocation) -> Fut,
        Fut: Future<Output = HookAnswer> + Send + 'static,
    {
        let started = Instant::now();
        let token = event::client_request_token(&payload);
        if let Some(unreadable) = payload.get(UNREADABLE).and_then(Value::as_str) {
            return answered(HookAnswer::internal_failure(
                token,
                format!("the Hook's event cannot be read: {unreadable}"),
                MessageLimit::CloudControl,
            ));
        }
        let mut cutoff = started + self.deadline;
        if let Some(lambda) = lambda_deadline {
            cutoff = cutoff.min(lambda.checked_sub(RESERVE).unwrap_or_else(Instant::now));
        }
        let invocation = Invocation::new(request_id, Some(cutoff));
        let supervised = supervise(invocation, self.grace, &self.must_exit, |invocation| {
            handler(payload, invocation)
        })
        .await;
        let failed = |message: String| {
            HookAnswer::internal_failure(token.clone(), message, MessageLimit::CloudControl)
        };
        answered(match supervised {
            Supervised::Finished(answer) => answer,
            Supervised::Stopped { activity } => failed(format!(
                "the check did not finish in time: it was stopped after {:.0} s, before CloudFormation stops waiting (30 s){}",
                started.elapsed().as_secs_f64(),
                activity.map(|a| format!(", while {a}")).unwrap_or_default()
            )),
            Supervised::Panicked(message) => failed(format!(
                "internal error in the function ({message}); the function's logs have the details"
            )),
            Supervised::Cancelled => failed("internal error: the check was cancelled".to_string()),
        })
    }
}

/// Logs the answer (never the event) and returns it.
fn answered(answer: HookAnswer) -> HookAnswer {
    info!(
        status = answer.status(),
        message = %answer.message,
        annotations = answer.annotations.len(),
        "answered"
    );
    answer
}

/// Hands an event that is not JSON on as `{"cfn-hook: unreadable event":
/// "<why>", "clientRequestToken": "<token, if found>"}`, so that the
/// handler answers it (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct UnreadableEventLayer;

impl<S> Layer<S> for UnreadableEventLayer {
    type Service = UnreadableEvent<S>;

    fn layer(&self, inner: S) -> UnreadableEvent<S> {
        UnreadableEvent { inner }
    }
}

/// The service [`UnreadableEventLayer`] makes.
#[derive(Debug, Clone)]
pub struct UnreadableEvent<S> {
    inner: S,
}

impl<S> Service<LambdaInvocation> for UnreadableEvent<S>
where
    S: Service<LambdaInvocation>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> S::Future {
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&invocation.body) {
            let mut replaced = json!({ UNREADABLE: format!("it is not JSON ({e})") });
            if let Some(token) = token_in(&invocation.body) {
                replaced["clientRequestToken"] = Value::String(token);
            }
            invocation.body = replaced.to_string().into();
        }
        self.inner.call(invocation)
    }
}

/// The `clientRequestToken` (in either spelling) of an event that is not
/// JSON as a whole, when its key and string value are intact.
fn token_in(body: &[u8]) -> Option<String> {
    ["\"clientRequestToken\"", "\"clientRequesttoken\""]
        .iter()
        .find_map(|key| {
            let at = memchr::memmem::find(body, key.as_bytes())? + key.len();
            let rest = &body[at..];
            let colon = rest.iter().position(|b| !b.is_ascii_whitespace())?;
            if rest[colon] != b':' {
                return None;
            }
            let mut values =
                serde_json::Deserializer::from_slice(&rest[colon + 1..]).into_iter::<String>();
            values.next()?.ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_found_in_an_event_cut_short() {
        let event = br#"{"clientRequestToken" : "4b90a7e4-b790-456b-a937-0cfdfa211dfe", "requestData": {"payload": "https://b.s3.amaz"#;
        assert_eq!(
            token_in(event).as_deref(),
            Some("4b90a7e4-b790-456b-a937-0cfdfa211dfe")
        );
        assert_eq!(
            token_in(br#"{"clientRequesttoken":"t-2","#).as_deref(),
            Some("t-2")
        );
        assert_eq!(token_in(br#"{"clientRequestToken": "cut sho"#), None);
        assert_eq!(token_in(b"garbage"), None);
    }
}
