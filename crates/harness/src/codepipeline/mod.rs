//! A protocol-level fake of CodePipeline's job-worker API.
//!
//! No emulator implements `PutJobSuccessResult`/`PutJobFailureResult`, so
//! this speaks the wire protocol the real `aws-sdk-codepipeline` client uses
//! (awsJson1.1: `POST /`, `X-Amz-Target: CodePipeline_20150709.<Operation>`),
//! validates requests with the service's documented constraints, keeps the
//! job state machine (a completed job rejects further reports with
//! `InvalidJobStateException`), records every call, and can inject faults.
//!
//! Test-only admin routes: `GET /_reports` (accepted reports as JSON, see
//! [`JobReport::to_json`]), `GET /_calls`, `POST /_reset`.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// The `X-Amz-Target` prefix of the 2015-07-09 API version.
pub const TARGET_PREFIX: &str = "CodePipeline_20150709.";

/// The values the service accepts for `failureDetails.type`.
pub const FAILURE_TYPES: [&str; 6] = [
    "JobFailed",
    "ConfigurationError",
    "PermissionError",
    "RevisionOutOfSync",
    "RevisionUnavailable",
    "SystemUnavailable",
];

/// A fault to inject into the next matching call, instead of (or, for
/// `Delay`, before) the normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status and a matching error body, e.g. 500
    /// `InternalFailure`, 503 `ServiceUnavailable`.
    Status(u16),
    /// 400 `ThrottlingException` (the SDK retries it).
    Throttling,
    /// 400 `InvalidJobStateException` (the SDK does not retry it).
    InvalidJobState,
    /// 400 `JobNotFoundException`.
    JobNotFound,
    /// Wait, then answer normally (the call may still become a report).
    Delay(Duration),
    /// Never answer (until the fake is dropped).
    Hang,
}

/// One HTTP call the fake received, whatever its fate.
#[derive(Debug, Clone)]
pub struct RecordedCall {
    /// The operation from `X-Amz-Target` (without the prefix), or the raw
    /// header value if it had no valid prefix ("" if absent).
    pub operation: String,
    /// The request body; a JSON string holding the raw text if it was not JSON.
    pub body: Value,
    /// The HTTP status answered; 0 for a `Hang` fault (never answered).
    pub response_status: u16,
    /// The answer's body (`{}` on success, the error document otherwise).
    pub response_body: Value,
    /// The injected fault, if one was applied to this call.
    pub fault: Option<Fault>,
    /// When the request arrived, for measuring retry back-off.
    pub received_at: Instant,
}

/// An accepted job report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobReport {
    Success {
        job_id: String,
        summary: Option<String>,
        external_execution_id: Option<String>,
        percent_complete: Option<i64>,
        output_variables: BTreeMap<String, String>,
        continuation_token: Option<String>,
    },
    Failure {
        job_id: String,
        /// `failureDetails.type`, e.g. `JobFailed`.
        kind: String,
        message: String,
        external_execution_id: Option<String>,
    },
}

impl JobReport {
    pub fn job_id(&self) -> &str {
        match self {
            JobReport::Success { job_id, .. } | JobReport::Failure { job_id, .. } => job_id,
        }
    }

    /// A success report (final or in progress).
    pub fn is_success(&self) -> bool {
        matches!(self, JobReport::Success { .. })
    }

    pub fn is_failure(&self) -> bool {
        matches!(self, JobReport::Failure { .. })
    }

    /// A success with a continuation token: the job goes on.
    pub fn is_in_progress(&self) -> bool {
        matches!(
            self,
            JobReport::Success {
                continuation_token: Some(_),
                ..
            }
        )
    }

    /// `Succeeded`, `Failed` or `InProgress` (a success with a continuation token).
    pub fn status(&self) -> &'static str {
        match self {
            JobReport::Failure { .. } => "Failed",
            _ if self.is_in_progress() => "InProgress",
            JobReport::Success { .. } => "Succeeded",
        }
    }

    /// The summary of a success, the message of a failure.
    pub fn message(&self) -> Option<&str> {
        match self {
            JobReport::Success { summary, .. } => summary.as_deref(),
            JobReport::Failure { message, .. } => Some(message),
        }
    }

    pub fn external_execution_id(&self) -> Option<&str> {
        match self {
            JobReport::Success {
                external_execution_id,
                ..
            }
            | JobReport::Failure {
                external_execution_id,
                ..
            } => external_execution_id.as_deref(),
        }
    }

    /// The report as JSON: the variant's fields in snake_case plus
    /// `"status"` (see [`JobReport::status`]). This is what `GET /_reports`
    /// serves.
    pub fn to_json(&self) -> Value {
        match self {
            JobReport::Success {
                job_id,
                summary,
                external_execution_id,
                percent_complete,
                output_variables,
                continuation_token,
            } => json!({
                "status": self.status(),
                "job_id": job_id,
                "summary": summary,
                "external_execution_id": external_execution_id,
                "percent_complete": percent_complete,
                "output_variables": output_variables,
                "continuation_token": continuation_token,
            }),
            JobReport::Failure {
                job_id,
                kind,
                message,
                external_execution_id,
            } => json!({
                "status": self.status(),
                "job_id": job_id,
                "kind": kind,
                "message": message,
                "external_execution_id": external_execution_id,
            }),
        }
    }
}

impl serde::Serialize for JobReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

#[derive(Default)]
struct Inner {
    calls: Vec<RecordedCall>,
    reports: Vec<JobReport>,
    /// Jobs that got a final report; any later report is rejected.
    completed: HashSet<String>,
    /// (operation it applies to, or any; the fault).
    faults: VecDeque<(Option<String>, Fault)>,
    /// Applied to every call that has no queued fault, until cleared.
    every_call: Option<Fault>,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    /// Signalled whenever a call is recorded.
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("fake CodePipeline state lock")
    }

    fn record(&self, call: RecordedCall, report: Option<JobReport>) {
        let mut inner = self.lock();
        inner.calls.push(call);
        if let Some(report) = report {
            inner.reports.push(report);
        }
        drop(inner);
        self.changed.notify_all();
    }
}

/// The fake service, on its own thread and tokio runtime (so it serves sync
/// and async tests alike and outlives per-test runtimes). Stops on Drop.
pub struct FakeCodePipeline {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: crate::server::ServerThread,
}

impl FakeCodePipeline {
    /// Starts on a free loopback port.
    pub fn start() -> FakeCodePipeline {
        Self::start_on_port(0)
    }

    /// Starts on `port` (0: any free port).
    pub fn start_on_port(port: u16) -> FakeCodePipeline {
        let shared = Arc::new(Shared::default());
        let router = router(Arc::clone(&shared));
        let server = crate::server::ServerThread::start("fake-codepipeline", port, router);
        FakeCodePipeline {
            addr: server.addr(),
            shared,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`: the SDK's `endpoint_url`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// SDK configuration for this fake (`us-east-1`, the harness's static
    /// credentials, standard retries):
    /// `aws_sdk_codepipeline::Client::new(&fake.sdk_config())`.
    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        crate::sdk_config(&self.endpoint())
    }

    /// Every call received so far, in arrival order (faulted and rejected
    /// ones included).
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.shared.lock().calls.clone()
    }

    /// The accepted reports so far, in order.
    pub fn reports(&self) -> Vec<JobReport> {
        self.shared.lock().reports.clone()
    }

    /// The status of each report so far, in order ("InProgress", "Succeeded", "Failed").
    pub fn statuses(&self) -> Vec<&'static str> {
        self.reports().iter().map(JobReport::status).collect()
    }

    /// The accepted reports for one job.
    pub fn reports_for(&self, job_id: &str) -> Vec<JobReport> {
        self.reports()
            .into_iter()
            .filter(|r| r.job_id() == job_id)
            .collect()
    }

    /// Blocks until at least `n` reports were accepted; returns all of them.
    /// Panics on timeout, listing the calls received.
    pub fn wait_for_reports(&self, n: usize, timeout: Duration) -> Vec<JobReport> {
        let inner = self.wait_until(timeout, |i| i.reports.len() >= n);
        match inner {
            Ok(reports) => reports,
            Err(calls) => panic!(
                "expected {n} accepted report(s) within {timeout:?}; calls received: {calls:#?}"
            ),
        }
    }

    /// Async flavour of [`FakeCodePipeline::wait_for_reports`] that does not
    /// block the caller's runtime thread.
    pub async fn wait_for_reports_async(&self, n: usize, timeout: Duration) -> Vec<JobReport> {
        let deadline = Instant::now() + timeout;
        loop {
            let reports = self.reports();
            if reports.len() >= n {
                return reports;
            }
            if Instant::now() >= deadline {
                panic!(
                    "expected {n} accepted report(s) within {timeout:?}; calls received: {:#?}",
                    self.calls()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Blocks until at least `n` calls arrived; returns all of them. Panics
    /// on timeout.
    pub fn wait_for_calls(&self, n: usize, timeout: Duration) -> Vec<RecordedCall> {
        let deadline = Instant::now() + timeout;
        let mut inner = self.shared.lock();
        while inner.calls.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!(
                    "expected {n} call(s) within {timeout:?}; got {:#?}",
                    inner.calls
                );
            }
            inner = self
                .shared
                .changed
                .wait_timeout(inner, left)
                .expect("fake CodePipeline state lock")
                .0;
        }
        inner.calls.clone()
    }

    fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&Inner) -> bool,
    ) -> Result<Vec<JobReport>, Vec<RecordedCall>> {
        let deadline = Instant::now() + timeout;
        let mut inner = self.shared.lock();
        while !done(&inner) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(inner.calls.clone());
            }
            inner = self
                .shared
                .changed
                .wait_timeout(inner, left)
                .expect("fake CodePipeline state lock")
                .0;
        }
        Ok(inner.reports.clone())
    }

    /// Applies `fault` to the next call (of any operation) that has no
    /// earlier fault queued. Faults are used up in the order injected.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push_back((None, fault));
    }

    /// Like [`FakeCodePipeline::inject`], for the next call of `operation`
    /// only (e.g. `"PutJobFailureResult"`).
    pub fn inject_for(&self, operation: &str, fault: Fault) {
        self.shared
            .lock()
            .faults
            .push_back((Some(operation.to_string()), fault));
    }

    /// Applies `fault` to every call from now on (after the queued ones),
    /// until [`FakeCodePipeline::stop_failing`]: CodePipeline's API down.
    pub fn fail_every_call(&self, fault: Fault) {
        self.shared.lock().every_call = Some(fault);
    }

    /// Ends [`FakeCodePipeline::fail_every_call`].
    pub fn stop_failing(&self) {
        self.shared.lock().every_call = None;
    }

    /// Forgets calls, reports, job states and pending faults.
    pub fn reset(&self) {
        *self.shared.lock() = Inner::default();
    }

    /// Blocks until the fake is dropped or the process gets SIGINT/SIGTERM
    /// (for the `fake-codepipeline` binary).
    pub fn serve_until_signal(self) {
        self.server.wait_for_signal();
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", post(handle))
        .route("/_reports", get(admin_reports))
        .route("/_calls", get(admin_calls))
        .route("/_reset", post(admin_reset))
        .with_state(shared)
}

async fn admin_reports(State(shared): State<Arc<Shared>>) -> Response {
    let reports: Vec<Value> = shared
        .lock()
        .reports
        .iter()
        .map(JobReport::to_json)
        .collect();
    axum::Json(reports).into_response()
}

async fn admin_calls(State(shared): State<Arc<Shared>>) -> Response {
    let calls: Vec<Value> = shared
        .lock()
        .calls
        .iter()
        .map(|c| {
            json!({
                "operation": c.operation,
                "body": c.body,
                "response_status": c.response_status,
                "response_body": c.response_body,
                "fault": c.fault.as_ref().map(|f| format!("{f:?}")),
            })
        })
        .collect();
    axum::Json(calls).into_response()
}

async fn admin_reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    *shared.lock() = Inner::default();
    StatusCode::NO_CONTENT
}

/// An awsJson1.1 answer.
fn aws_response(status: u16, body: &Value) -> Response {
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [
            (
                header::CONTENT_TYPE,
                "application/x-amz-json-1.1".to_string(),
            ),
            (
                header::HeaderName::from_static("x-amzn-requestid"),
                crate::uuid_v4(),
            ),
        ],
        body.to_string(),
    )
        .into_response();
    if let Some(kind) = body.get("__type").and_then(Value::as_str)
        && let Ok(value) = kind.parse()
    {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static("x-amzn-errortype"), value);
    }
    response
}

fn error_body(kind: &str, message: &str) -> Value {
    json!({ "__type": kind, "message": message })
}

/// The answer for a status/error fault.
fn fault_answer(fault: &Fault) -> Option<(u16, Value)> {
    Some(match fault {
        Fault::Status(status) => {
            let kind = match status {
                503 => "ServiceUnavailable",
                500..=599 => "InternalFailure",
                429 => "ThrottlingException",
                403 => "AccessDeniedException",
                404 => "ResourceNotFoundException",
                _ => "ClientException",
            };
            (*status, error_body(kind, "injected by the harness"))
        }
        Fault::Throttling => (400, error_body("ThrottlingException", "Rate exceeded")),
        Fault::InvalidJobState => (
            400,
            error_body(
                "InvalidJobStateException",
                "The job is not in a valid state",
            ),
        ),
        Fault::JobNotFound => (400, error_body("JobNotFoundException", "Job not found")),
        Fault::Delay(_) | Fault::Hang => return None,
    })
}

async fn handle(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let received_at = Instant::now();
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let operation = target
        .strip_prefix(TARGET_PREFIX)
        .map(str::to_string)
        .unwrap_or_else(|| target.clone());
    let parsed: Result<Value, _> = serde_json::from_slice(&body);
    let recorded_body = parsed
        .as_ref()
        .cloned()
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));

    let fault = {
        let mut inner = shared.lock();
        let position = inner
            .faults
            .iter()
            .position(|(op, _)| op.as_deref().is_none_or(|op| op == operation));
        position
            .and_then(|i| inner.faults.remove(i))
            .map(|(_, f)| f)
            .or_else(|| inner.every_call.clone())
    };

    let finish = |status: u16, response_body: Value, report: Option<JobReport>| {
        shared.record(
            RecordedCall {
                operation: operation.clone(),
                body: recorded_body.clone(),
                response_status: status,
                response_body: response_body.clone(),
                fault: fault.clone(),
                received_at,
            },
            report,
        );
        aws_response(status, &response_body)
    };

    match &fault {
        Some(Fault::Hang) => {
            shared.record(
                RecordedCall {
                    operation: operation.clone(),
                    body: recorded_body.clone(),
                    response_status: 0,
                    response_body: Value::Null,
                    fault: fault.clone(),
                    received_at,
                },
                None,
            );
            std::future::pending::<()>().await;
            unreachable!("a pending future never completes")
        }
        Some(Fault::Delay(delay)) => tokio::time::sleep(*delay).await,
        Some(other) => {
            let (status, body) = fault_answer(other).expect("status faults have an answer");
            return finish(status, body, None);
        }
        None => {}
    }

    if !target.starts_with(TARGET_PREFIX) {
        return finish(
            400,
            error_body(
                "UnknownOperationException",
                &format!("missing or unknown X-Amz-Target {target:?}"),
            ),
            None,
        );
    }
    let Ok(request) = parsed else {
        return finish(
            400,
            error_body("SerializationException", "request body is not JSON"),
            None,
        );
    };
    let checked = match operation.as_str() {
        "PutJobSuccessResult" => parse_success(&request),
        "PutJobFailureResult" => parse_failure(&request),
        _ => {
            return finish(
                400,
                error_body(
                    "UnknownOperationException",
                    &format!("the fake does not implement {operation}"),
                ),
                None,
            );
        }
    };
    let report = match checked {
        Ok(report) => report,
        Err(message) => return finish(400, error_body("ValidationException", &message), None),
    };

    // Check and update the job state under one lock, so two racing reports
    // for one job cannot both be accepted.
    let final_report = !report.is_in_progress();
    let mut inner = shared.lock();
    if inner.completed.contains(report.job_id()) {
        drop(inner);
        return finish(
            400,
            error_body(
                "InvalidJobStateException",
                &format!("Job {} is not in a valid state", report.job_id()),
            ),
            None,
        );
    }
    if final_report {
        inner.completed.insert(report.job_id().to_string());
    }
    drop(inner);
    finish(200, json!({}), Some(report))
}

/// Reads an optional string member, rejecting other JSON types.
fn opt_str(object: &Value, name: &str, path: &str) -> Result<Option<String>, String> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("{path}{name} must be a string, got {other}")),
    }
}

/// Checks a length constraint the way the service phrases it.
fn check_len(value: &Option<String>, name: &str, min: usize, max: usize) -> Result<(), String> {
    if let Some(v) = value {
        let len = v.chars().count();
        if len < min || len > max {
            return Err(format!(
                "1 validation error detected: Value at '{name}' failed to satisfy constraint: Member must have length {}",
                if len < min {
                    format!("greater than or equal to {min}")
                } else {
                    format!("less than or equal to {max}")
                }
            ));
        }
    }
    Ok(())
}

fn job_id(request: &Value) -> Result<String, String> {
    let id = opt_str(request, "jobId", "")?
        .ok_or("1 validation error detected: Value null at 'jobId' failed to satisfy constraint: Member must not be null")?;
    if !crate::is_uuid(&id) {
        return Err(format!(
            "1 validation error detected: Value '{id}' at 'jobId' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}"
        ));
    }
    Ok(id)
}

fn parse_success(request: &Value) -> Result<JobReport, String> {
    let job_id = job_id(request)?;
    let continuation_token = opt_str(request, "continuationToken", "")?;
    check_len(&continuation_token, "continuationToken", 1, 2048)?;

    let details = request
        .get("executionDetails")
        .cloned()
        .unwrap_or(Value::Null);
    let summary = opt_str(&details, "summary", "executionDetails.")?;
    check_len(&summary, "executionDetails.summary", 1, 2048)?;
    let external_execution_id = opt_str(&details, "externalExecutionId", "executionDetails.")?;
    check_len(
        &external_execution_id,
        "executionDetails.externalExecutionId",
        1,
        1500,
    )?;
    let percent_complete = match details.get("percentComplete") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(p) if (0..=100).contains(&p) => Some(p),
            _ => {
                return Err(format!(
                    "1 validation error detected: Value '{v}' at 'executionDetails.percentComplete' failed to satisfy constraint: Member must have value between 0 and 100"
                ));
            }
        },
    };

    if let Some(revision) = request.get("currentRevision").filter(|v| !v.is_null()) {
        for (name, max) in [("revision", 1500), ("changeIdentifier", 100)] {
            let value = opt_str(revision, name, "currentRevision.")?;
            if value.is_none() {
                return Err(format!(
                    "1 validation error detected: Value null at 'currentRevision.{name}' failed to satisfy constraint: Member must not be null"
                ));
            }
            check_len(&value, &format!("currentRevision.{name}"), 1, max)?;
        }
    }

    let mut output_variables = BTreeMap::new();
    match request.get("outputVariables") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            if continuation_token.is_some() && !map.is_empty() {
                return Err(
                    "outputVariables can only be included when there is no continuation token"
                        .to_string(),
                );
            }
            for (key, value) in map {
                let key_ok = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '@' | '-' | '_'));
                if !key_ok {
                    return Err(format!(
                        "1 validation error detected: Value '{key}' at 'outputVariables' failed to satisfy constraint: Map keys must satisfy regular expression pattern: [A-Za-z0-9@\\-_]+"
                    ));
                }
                let Value::String(value) = value else {
                    return Err(format!("outputVariables.{key} must be a string"));
                };
                check_len(
                    &Some(value.clone()),
                    &format!("outputVariables.{key}"),
                    1,
                    1000,
                )?;
                output_variables.insert(key.clone(), value.clone());
            }
        }
        Some(other) => return Err(format!("outputVariables must be a map, got {other}")),
    }

    Ok(JobReport::Success {
        job_id,
        summary,
        external_execution_id,
        percent_complete,
        output_variables,
        continuation_token,
    })
}

fn parse_failure(request: &Value) -> Result<JobReport, String> {
    let job_id = job_id(request)?;
    let details = match request.get("failureDetails") {
        Some(d @ Value::Object(_)) => d.clone(),
        _ => {
            return Err("1 validation error detected: Value null at 'failureDetails' failed to satisfy constraint: Member must not be null".to_string());
        }
    };
    let kind = opt_str(&details, "type", "failureDetails.")?.unwrap_or_default();
    if !FAILURE_TYPES.contains(&kind.as_str()) {
        return Err(format!(
            "1 validation error detected: Value '{kind}' at 'failureDetails.type' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            FAILURE_TYPES.join(", ")
        ));
    }
    let message = opt_str(&details, "message", "failureDetails.")?;
    if message.is_none() {
        return Err("1 validation error detected: Value null at 'failureDetails.message' failed to satisfy constraint: Member must not be null".to_string());
    }
    check_len(&message, "failureDetails.message", 1, 5000)?;
    let external_execution_id = opt_str(&details, "externalExecutionId", "failureDetails.")?;
    check_len(
        &external_execution_id,
        "failureDetails.externalExecutionId",
        1,
        1500,
    )?;
    Ok(JobReport::Failure {
        job_id,
        kind,
        message: message.unwrap_or_default(),
        external_execution_id,
    })
}
