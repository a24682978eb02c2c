//! What the fake remembers (every call, the accepted reports, which jobs
//! are done) and the faults it injects instead of answering.

use std::collections::{HashSet, VecDeque};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::protocol::{JobReport, error_body};

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

/// Everything the fake remembers.
#[derive(Default)]
pub(super) struct Inner {
    pub(super) calls: Vec<RecordedCall>,
    pub(super) reports: Vec<JobReport>,
    /// Jobs that got a final report; any later report is rejected.
    completed: HashSet<String>,
    /// (operation it applies to, or any; the fault).
    pub(super) faults: VecDeque<(Option<String>, Fault)>,
    /// Applied to every call that has no queued fault, until cleared.
    pub(super) every_call: Option<Fault>,
}

impl Inner {
    /// The fault for the next call of `operation`: the first queued for it
    /// (or for any operation), else the one applied to every call.
    pub(super) fn take_fault(&mut self, operation: &str) -> Option<Fault> {
        let position = self
            .faults
            .iter()
            .position(|(op, _)| op.as_deref().is_none_or(|op| op == operation));
        position
            .and_then(|i| self.faults.remove(i))
            .map(|(_, f)| f)
            .or_else(|| self.every_call.clone())
    }

    /// Moves the job on as the service does: a final report completes it,
    /// and a completed job refuses any further report with
    /// `InvalidJobStateException` (the error document, here).
    pub(super) fn complete(&mut self, report: &JobReport) -> Result<(), Value> {
        if self.completed.contains(report.job_id()) {
            return Err(error_body(
                "InvalidJobStateException",
                &format!("Job {} is not in a valid state", report.job_id()),
            ));
        }
        if !report.is_in_progress() {
            self.completed.insert(report.job_id().to_string());
        }
        Ok(())
    }
}

/// The state the server and the fake's handle share.
#[derive(Default)]
pub(super) struct Shared {
    inner: Mutex<Inner>,
    /// Signalled whenever a call is recorded.
    pub(super) changed: Condvar,
}

impl Shared {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("fake CodePipeline state lock")
    }

    /// Records `call`, and `report` when it was accepted; wakes the waiters.
    pub(super) fn record(&self, call: RecordedCall, report: Option<JobReport>) {
        let mut inner = self.lock();
        inner.calls.push(call);
        if let Some(report) = report {
            inner.reports.push(report);
        }
        drop(inner);
        self.changed.notify_all();
    }
}

/// The answer for a status/error fault; `None` for `Delay` and `Hang`,
/// which answer late or never.
pub(super) fn fault_answer(fault: &Fault) -> Option<(u16, Value)> {
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
