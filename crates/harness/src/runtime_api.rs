//! A local AWS Lambda Runtime API (the 2018-06-01 interface), so a real
//! Lambda binary (`bootstrap`) can run on this machine exactly as it would
//! in Lambda: it long-polls `invocation/next`, handles the event, and posts
//! the result to `invocation/{id}/response` or `/error`.
//!
//! [`RuntimeApi`] is the server; [`crate::lambda_process::LambdaProcess`]
//! runs a binary against it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::server::ServerThread;

/// How long [`RuntimeApi::invoke`] waits beyond the invocation's own
/// timeout before giving up: Lambda itself kills a function at its
/// deadline, but a local process may need a moment to post its answer.
pub const ANSWER_GRACE: Duration = Duration::from_secs(3);

/// The account id in the fake function ARN (same as in [`crate::events`]).
const ACCOUNT_ID: &str = "111111111111";

/// The outcome of one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// The function posted to `invocation/{id}/response`.
    #[allow(missing_docs)]
    Response { request_id: String, body: Value },
    /// The function posted to `invocation/{id}/error` (body as posted, e.g.
    /// `{"errorType": ..., "errorMessage": ...}`).
    #[allow(missing_docs)]
    Error { request_id: String, body: Value },
    /// No answer within the timeout plus [`ANSWER_GRACE`].
    NoAnswer,
}

impl Invocation {
    /// The request id of an answered invocation.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Invocation::Response { request_id, .. } | Invocation::Error { request_id, .. } => {
                Some(request_id)
            }
            Invocation::NoAnswer => None,
        }
    }

    /// Whether the function posted a response (not an error, not nothing).
    pub fn is_response(&self) -> bool {
        matches!(self, Invocation::Response { .. })
    }

    /// The response body; panics (showing what happened) otherwise.
    pub fn expect_response(self) -> Value {
        match self {
            Invocation::Response { body, .. } => body,
            other => panic!("expected the function to respond, got {other:?}"),
        }
    }

    /// The error body; panics (showing what happened) otherwise.
    pub fn expect_error(self) -> Value {
        match self {
            Invocation::Error { body, .. } => body,
            other => panic!("expected the function to report an error, got {other:?}"),
        }
    }
}

/// Where an invocation's outcome goes: a sync or an async caller.
enum Waiter {
    Sync(std::sync::mpsc::Sender<Invocation>),
    Async(tokio::sync::oneshot::Sender<Invocation>),
}

impl Waiter {
    fn send(self, outcome: Invocation) {
        // The caller may have timed out and left; nothing to do then.
        match self {
            Waiter::Sync(tx) => {
                let _ = tx.send(outcome);
            }
            Waiter::Async(tx) => {
                let _ = tx.send(outcome);
            }
        }
    }
}

struct Queued {
    request_id: String,
    /// The event as sent: JSON, or anything else for [`RuntimeApi::invoke_raw`].
    event: Vec<u8>,
    deadline_ms: u64,
}

struct Inner {
    queue: VecDeque<Queued>,
    /// Invocations not yet answered, queued or in flight.
    waiting: HashMap<String, Waiter>,
    first_poll: Option<Instant>,
    polls: u64,
    init_error: Option<Value>,
    function_name: String,
}

struct Shared {
    inner: Mutex<Inner>,
    /// Wakes a long-polling `invocation/next` when an event is queued.
    queued: tokio::sync::Notify,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("runtime API state lock")
    }
}

/// The Runtime API server, on its own thread and runtime; stops on Drop.
pub struct RuntimeApi {
    shared: Arc<Shared>,
    server: ServerThread,
}

impl RuntimeApi {
    /// Starts the API on a free loopback port.
    pub fn start() -> RuntimeApi {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                queue: VecDeque::new(),
                waiting: HashMap::new(),
                first_poll: None,
                polls: 0,
                init_error: None,
                function_name: "harness-function".to_string(),
            }),
            queued: tokio::sync::Notify::new(),
        });
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&shared));
        let server = ServerThread::start("runtime-api", 0, router);
        RuntimeApi { shared, server }
    }

    /// `127.0.0.1:PORT`: the value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.server.addr().to_string()
    }

    /// Sets the function name used in the invoked function ARN
    /// (`LambdaProcess::spawn` sets it to the binary's name).
    pub fn set_function_name(&self, name: &str) {
        self.shared.lock().function_name = name.to_string();
    }

    /// Queues `event` with deadline now + `timeout` and a fresh request id,
    /// and blocks until the function answers (or `timeout` + [`ANSWER_GRACE`]
    /// passes: [`Invocation::NoAnswer`]).
    pub fn invoke(&self, event: Value, timeout: Duration) -> Invocation {
        let (tx, rx) = std::sync::mpsc::channel();
        let request_id = self.enqueue(event, timeout, Waiter::Sync(tx));
        match rx.recv_timeout(timeout + ANSWER_GRACE) {
            Ok(outcome) => outcome,
            Err(_) => self.give_up(&request_id),
        }
    }

    /// Like [`RuntimeApi::invoke`], with a body that need not be JSON (to see
    /// what the function's runtime does with one).
    pub fn invoke_raw(&self, body: Vec<u8>, timeout: Duration) -> Invocation {
        let (tx, rx) = std::sync::mpsc::channel();
        let request_id = self.enqueue_bytes(body, timeout, Waiter::Sync(tx));
        match rx.recv_timeout(timeout + ANSWER_GRACE) {
            Ok(outcome) => outcome,
            Err(_) => self.give_up(&request_id),
        }
    }

    /// Async flavour of [`RuntimeApi::invoke`].
    pub async fn invoke_async(&self, event: Value, timeout: Duration) -> Invocation {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let request_id = self.enqueue(event, timeout, Waiter::Async(tx));
        match tokio::time::timeout(timeout + ANSWER_GRACE, rx).await {
            Ok(Ok(outcome)) => outcome,
            _ => self.give_up(&request_id),
        }
    }

    fn enqueue(&self, event: Value, timeout: Duration, waiter: Waiter) -> String {
        let body = serde_json::to_vec(&event).expect("a JSON value serializes");
        self.enqueue_bytes(body, timeout, waiter)
    }

    fn enqueue_bytes(&self, event: Vec<u8>, timeout: Duration, waiter: Waiter) -> String {
        let request_id = crate::uuid_v4();
        let deadline_ms = crate::epoch_ms(SystemTime::now() + timeout);
        let mut inner = self.shared.lock();
        inner.waiting.insert(request_id.clone(), waiter);
        inner.queue.push_back(Queued {
            request_id: request_id.clone(),
            event,
            deadline_ms,
        });
        drop(inner);
        self.shared.queued.notify_one();
        request_id
    }

    /// Withdraws an unanswered invocation, so a late poll does not get it
    /// and a late answer is rejected.
    fn give_up(&self, request_id: &str) -> Invocation {
        let mut inner = self.shared.lock();
        inner.queue.retain(|q| q.request_id != request_id);
        inner.waiting.remove(request_id);
        Invocation::NoAnswer
    }

    /// When the first `invocation/next` request arrived: the end of the
    /// function's init phase.
    pub fn first_poll(&self) -> Option<Instant> {
        self.shared.lock().first_poll
    }

    /// Waits up to `timeout` for the first `invocation/next` request.
    pub fn wait_first_poll(&self, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(at) = self.first_poll() {
                return Some(at);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// How many `invocation/next` requests arrived.
    pub fn polls(&self) -> u64 {
        self.shared.lock().polls
    }

    /// The body of the last `init/error` post, if any.
    pub fn init_error(&self) -> Option<Value> {
        self.shared.lock().init_error.clone()
    }
}

fn body_json(body: &Bytes) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, axum::Json(json!({"status": "OK"}))).into_response()
}

/// `GET /2018-06-01/runtime/invocation/next`: long-polls for an event.
async fn next(State(shared): State<Arc<Shared>>) -> Response {
    {
        let mut inner = shared.lock();
        inner.polls += 1;
        inner.first_poll.get_or_insert_with(Instant::now);
    }
    let (queued, function_name) = loop {
        // Created before checking the queue: notify_one leaves a permit if
        // nobody waits, so an event queued in between is not missed.
        let notified = shared.queued.notified();
        {
            let mut inner = shared.lock();
            if let Some(queued) = inner.queue.pop_front() {
                break (queued, inner.function_name.clone());
            }
        }
        notified.await;
    };
    let trace_id = format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        crate::epoch_ms(SystemTime::now()) / 1000,
        &crate::random_from(b"0123456789abcdef", 24),
        &crate::random_from(b"0123456789abcdef", 16),
    );
    let arn = format!(
        "arn:aws:lambda:{}:{ACCOUNT_ID}:function:{function_name}",
        crate::moto::REGION
    );
    let mut response = (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        queued.event,
    )
        .into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        ("lambda-runtime-aws-request-id", queued.request_id),
        ("lambda-runtime-deadline-ms", queued.deadline_ms.to_string()),
        ("lambda-runtime-invoked-function-arn", arn),
        ("lambda-runtime-trace-id", trace_id),
    ] {
        headers.insert(
            name,
            HeaderValue::from_str(&value).expect("header values are ASCII"),
        );
    }
    response
}

fn answer(shared: &Shared, id: String, make: impl FnOnce(String) -> Invocation) -> Response {
    let waiter = shared.lock().waiting.remove(&id);
    match waiter {
        Some(waiter) => {
            waiter.send(make(id));
            accepted()
        }
        None => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({
                "errorMessage": format!("Invalid request ID: {id}"),
                "errorType": "InvalidRequestID",
            })),
        )
            .into_response(),
    }
}

/// `POST /2018-06-01/runtime/invocation/{id}/response`.
async fn response(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> Response {
    answer(&shared, id, |request_id| Invocation::Response {
        request_id,
        body: body_json(&body),
    })
}

/// `POST /2018-06-01/runtime/invocation/{id}/error`.
async fn error(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> Response {
    answer(&shared, id, |request_id| Invocation::Error {
        request_id,
        body: body_json(&body),
    })
}

/// `POST /2018-06-01/runtime/init/error`.
async fn init_error(
    State(shared): State<Arc<Shared>>,
    _headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.lock().init_error = Some(body_json(&body));
    accepted()
}
