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
//!
//! Inside: `protocol` reads and answers the wire format as the service
//! does, `recording` keeps the calls, reports, job states and faults, and
//! `service` is the HTTP server over both; [`FakeCodePipeline`] is the
//! handle a test holds.

mod protocol;
mod recording;
mod service;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use protocol::{FAILURE_TYPES, JobReport, TARGET_PREFIX};
pub use recording::{Fault, RecordedCall};
use recording::{Inner, Shared};

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
        let router = service::router(Arc::clone(&shared));
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

    /// The port it listens on.
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
