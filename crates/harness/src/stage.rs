//! The stage test rig: what a test of a pipeline stage needs around the
//! function, in one place.
//!
//! A stage gets everything from the environment, as in Lambda. A [`Stage`]
//! holds the fake CodePipeline, moto when the test needs it, and the
//! environment that points a function at them (plus the test's own
//! variables). From there a test either
//!
//! - spawns the real binary under a local Lambda Runtime API
//!   ([`Stage::spawn`]) and sends it jobs ([`Function::job`]), or
//! - runs the handler in process through its runner ([`Stage::run`]: the
//!   caller passes a closure, so this crate needs no stage and no runner).
//!
//! Either way each job is checked to end in exactly one call to
//! CodePipeline, an accepted report for that job with the invocation's
//! request id as its external execution id, and the runner's answer
//! `{"jobId", "status", "reported": true}` agreeing with it.
//!
//! ```no_run
//! # use std::time::Duration;
//! # use harness::events::JobEvent;
//! # use harness::stage::Stage;
//! let stage = Stage::with_moto().env("RULES_TABLE", "rules");
//! let function = stage.spawn(harness::binary("cfn-validate"));
//! let report = function.job(&JobEvent::new().user_parameters("{}"), Duration::from_secs(30));
//! assert_eq!(report.status(), "Failed");
//! ```

use std::fmt::Debug;
use std::future::Future;
use std::path::Path;
use std::time::{Duration, SystemTime};

use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

use crate::codepipeline::{FakeCodePipeline, JobReport};
use crate::events::JobEvent;
use crate::lambda_process::LambdaProcess;
use crate::moto::{self, MotoServer};
use crate::runtime_api::{Invocation, RuntimeApi};

/// The fake CodePipeline, moto when asked for, and a function's environment.
pub struct Stage {
    /// Where every report goes.
    pub pipeline: FakeCodePipeline,
    moto: Option<&'static MotoServer>,
    env: Vec<(String, String)>,
}

impl Default for Stage {
    fn default() -> Self {
        Stage::new()
    }
}

impl Stage {
    /// A fresh fake CodePipeline, and an environment that sends the
    /// function's CodePipeline calls to it (`AWS_ENDPOINT_URL_CODEPIPELINE`),
    /// with the harness's static credentials, `us-east-1` and
    /// `RUST_LOG=info`. No other service: a function that calls one fails
    /// to connect.
    pub fn new() -> Stage {
        let pipeline = FakeCodePipeline::start();
        let env = vec![
            (
                "AWS_ENDPOINT_URL_CODEPIPELINE".to_string(),
                pipeline.endpoint(),
            ),
            (
                "AWS_ACCESS_KEY_ID".to_string(),
                moto::ACCESS_KEY_ID.to_string(),
            ),
            (
                "AWS_SECRET_ACCESS_KEY".to_string(),
                moto::SECRET_ACCESS_KEY.to_string(),
            ),
            ("AWS_REGION".to_string(), moto::REGION.to_string()),
            ("RUST_LOG".to_string(), "info".to_string()),
        ];
        Stage {
            pipeline,
            moto: None,
            env,
        }
    }

    /// [`Stage::new`], plus the shared moto (started on first use) behind
    /// `AWS_ENDPOINT_URL`: every other service the function calls.
    pub fn with_moto() -> Stage {
        let moto = MotoServer::shared();
        let mut stage = Stage::new().env("AWS_ENDPOINT_URL", moto.endpoint());
        stage.moto = Some(moto);
        stage
    }

    /// The moto this stage's functions use; panics for a stage without
    /// one ([`Stage::new`]).
    pub fn moto(&self) -> &'static MotoServer {
        self.moto
            .expect("this stage has no moto: make it with Stage::with_moto()")
    }

    /// Sets `name` to `value` in the function's environment (replacing
    /// what the stage set): the function's own variables, other
    /// credentials, a log level.
    pub fn env(mut self, name: &str, value: impl Into<String>) -> Stage {
        let value = value.into();
        match self.env.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = value,
            None => self.env.push((name.to_string(), value)),
        }
        self
    }

    /// Leaves `name` out of the function's environment.
    pub fn without(mut self, name: &str) -> Stage {
        self.env.retain(|(n, _)| n != name);
        self
    }

    /// The function's environment, as [`Stage::spawn`] gives it.
    pub fn vars(&self) -> &[(String, String)] {
        &self.env
    }

    /// Starts `binary` (e.g. `harness::binary("cfn-validate")` or
    /// `env!("CARGO_BIN_EXE_cfn-validate")`) under a fresh local Runtime
    /// API, with this stage's environment.
    pub fn spawn(&self, binary: impl AsRef<Path>) -> Function<'_> {
        self.spawn_with(binary, &[])
    }

    /// [`Stage::spawn`], with `extra` variables on top of the stage's: for
    /// one function of several the stage runs.
    pub fn spawn_with(&self, binary: impl AsRef<Path>, extra: &[(&str, &str)]) -> Function<'_> {
        let api = RuntimeApi::start();
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(extra.iter().copied())
            .collect();
        let process = LambdaProcess::spawn(binary.as_ref(), &api, &env);
        Function {
            stage: self,
            api,
            process,
        }
    }

    /// Runs one invocation of `event` in process: `run` gets the Lambda
    /// event (a fresh request id, the deadline `deadline` from now if any)
    /// and returns what the runner answered, e.g.
    /// `|event| runner.run(event, handler)`. Returns the one report it
    /// made; panics unless the invocation ended in exactly one (see the
    /// module documentation).
    pub async fn run<F, Fut, E>(
        &self,
        event: &JobEvent,
        deadline: Option<Duration>,
        run: F,
    ) -> JobReport
    where
        F: FnOnce(LambdaEvent<Value>) -> Fut,
        Fut: Future<Output = Result<Value, E>>,
        E: Debug,
    {
        self.run_payload(event.build(), &event.job_id, deadline, run)
            .await
    }

    /// [`Stage::run`] for an event given as JSON (a fixture) whose job is
    /// `job_id`.
    pub async fn run_payload<F, Fut, E>(
        &self,
        payload: Value,
        job_id: &str,
        deadline: Option<Duration>,
        run: F,
    ) -> JobReport
    where
        F: FnOnce(LambdaEvent<Value>) -> Fut,
        Fut: Future<Output = Result<Value, E>>,
        E: Debug,
    {
        let seen = self.seen();
        let event = lambda_event(payload, deadline);
        let request_id = event.context.request_id.clone();
        let answer = run(event)
            .await
            .unwrap_or_else(|e| panic!("the runner could not report job {job_id}: {e:?}"));
        self.one_report(seen, job_id, &request_id, &answer)
    }

    /// How many calls and reports the fake has had so far.
    fn seen(&self) -> (usize, usize) {
        (self.pipeline.calls().len(), self.pipeline.reports().len())
    }

    /// The one report made since `seen`; panics unless the invocation
    /// `request_id` of `job_id` made exactly one call and one accepted
    /// report, for that job, that `answer` agrees with.
    fn one_report(
        &self,
        (calls_before, reports_before): (usize, usize),
        job_id: &str,
        request_id: &str,
        answer: &Value,
    ) -> JobReport {
        let calls = self.pipeline.calls();
        let reports = self.pipeline.reports();
        assert_eq!(
            calls.len() - calls_before,
            1,
            "exactly one call to CodePipeline per invocation: {:#?}",
            &calls[calls_before..]
        );
        assert_eq!(
            reports.len() - reports_before,
            1,
            "exactly one accepted report per invocation: {:#?}",
            &calls[calls_before..]
        );
        let report = reports[reports_before].clone();
        assert_eq!(report.job_id(), job_id, "the report is for the job");
        assert_eq!(
            report.external_execution_id(),
            Some(request_id),
            "the report names the invocation"
        );
        assert_eq!(
            *answer,
            json!({"jobId": job_id, "status": report.status(), "reported": true}),
            "the runner's answer agrees with the report"
        );
        report
    }
}

/// A function running under its own local Runtime API, with its
/// [`Stage`]'s environment; the process is killed on Drop.
pub struct Function<'s> {
    stage: &'s Stage,
    api: RuntimeApi,
    process: LambdaProcess,
}

impl Function<'_> {
    /// Invokes the function with `event` (deadline `timeout` from now) and
    /// returns the one report it made; panics unless it answered and made
    /// exactly one (see the module documentation).
    pub fn job(&self, event: &JobEvent, timeout: Duration) -> JobReport {
        let seen = self.stage.seen();
        let invocation = self.api.invoke(event.build(), timeout);
        self.settle(seen, event, invocation)
    }

    /// Async flavour of [`Function::job`].
    pub async fn job_async(&self, event: &JobEvent, timeout: Duration) -> JobReport {
        let seen = self.stage.seen();
        let invocation = self.api.invoke_async(event.build(), timeout).await;
        self.settle(seen, event, invocation)
    }

    fn settle(&self, seen: (usize, usize), event: &JobEvent, invocation: Invocation) -> JobReport {
        let Invocation::Response { request_id, body } = invocation else {
            panic!(
                "expected job {} to be answered, got {invocation:?}; the function's last lines:\n{}",
                event.job_id,
                self.process.logs().join("\n")
            );
        };
        self.stage
            .one_report(seen, &event.job_id, &request_id, &body)
    }

    /// Invokes the function with any event (one that is not a job, one
    /// whose report CodePipeline refuses) and returns how it answered;
    /// nothing is checked.
    pub fn invoke(&self, event: Value, timeout: Duration) -> Invocation {
        self.api.invoke(event, timeout)
    }

    /// Async flavour of [`Function::invoke`].
    pub async fn invoke_async(&self, event: Value, timeout: Duration) -> Invocation {
        self.api.invoke_async(event, timeout).await
    }

    /// Like [`Function::invoke`], with a body that need not be JSON.
    pub fn invoke_raw(&self, body: Vec<u8>, timeout: Duration) -> Invocation {
        self.api.invoke_raw(body, timeout)
    }

    /// Its Runtime API (first poll, init error).
    pub fn api(&self) -> &RuntimeApi {
        &self.api
    }

    /// Its process (logs, memory, CPU time, exit).
    pub fn process(&self) -> &LambdaProcess {
        &self.process
    }

    /// What the function has logged so far, a line each.
    pub fn logs(&self) -> Vec<String> {
        self.process.logs()
    }
}

/// A Lambda invocation of `payload`, as the runtime client hands it to a
/// handler: a fresh request id, and a deadline `deadline` from now (none
/// when `None`).
pub fn lambda_event(payload: Value, deadline: Option<Duration>) -> LambdaEvent<Value> {
    let mut context = Context::default();
    context.request_id = crate::uuid_v4();
    if let Some(deadline) = deadline {
        context.deadline = crate::epoch_ms(SystemTime::now() + deadline);
    }
    LambdaEvent::new(payload, context)
}
