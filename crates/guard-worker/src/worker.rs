//! The parent's side: [`Worker`], a [`Runner`] whose sessions evaluate in
//! a child process, and what each way a child can end means for the items
//! it ran.

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::time::Duration;

use guard_rules::{Evaluation, GuardData, GuardError, GuardRules, Options, Runner, Session};
use tracing::debug;

use crate::child::{BAD_REQUEST, NO_LIMIT};
use crate::process::{End, Process};
use crate::protocol::{Answer, MAX_ANSWER_BYTES, Request};

/// Items a session hands its worker at once, at most: a chunk that fails
/// is run again item by item, each in a worker of its own.
pub const WORKER_ITEMS: usize = 8;

/// Runs Guard in child processes of a binary that calls
/// [`crate::serve_if_worker`] first thing in `main` (by default the current
/// one): a process per session (one template), which reads the template
/// once and evaluates chunk after chunk, within the memory it is given
/// (`Options::memory_limit`, enforced as an address-space limit), killed
/// when `stop` says so or at its time limit, always reaped.
///
/// Each way a chunk can fail is an error for its items, never a pass: out
/// of memory, past the time limit, a crash (a panic inside cfn-guard, a
/// signal), an answer past its cap ([`GuardError::is_not_checked`]), or a
/// stop ([`GuardError::Stopped`]). When a chunk of several items fails,
/// each is run again alone in a fresh worker, so that the failure is the
/// item's that caused it (a worker's limit holds for its whole life).
#[derive(Debug, Clone, Default)]
pub struct Worker {
    /// `None`: the current executable.
    program: Option<PathBuf>,
    time_limit: Option<Duration>,
}

impl Worker {
    /// Workers of the current executable, without a time limit of their
    /// own (the caller's `stop` is what ends them).
    pub fn new() -> Worker {
        Worker::default()
    }

    /// Workers of another binary (one that calls
    /// [`crate::serve_if_worker`] first): what tests of a library use, whose
    /// own test binary cannot serve.
    pub fn of_program(program: impl Into<PathBuf>) -> Worker {
        Worker {
            program: Some(program.into()),
            ..Worker::default()
        }
    }

    /// Each chunk may take at most `limit`; past it, its items are
    /// [`GuardError::TimedOut`] (each alone, when several ran together).
    pub fn with_time_limit(mut self, limit: Duration) -> Worker {
        self.time_limit = Some(limit);
        self
    }

    /// Parses `text` in a worker within `memory` bytes and `time`: the
    /// rule names, or why the text cannot be used ([`GuardError::TimedOut`]
    /// when it cannot be parsed in time). What `cicd rules import-guard`,
    /// `put` and `sync` check before writing an item.
    pub fn parse(
        &self,
        text: &str,
        memory: usize,
        time: Duration,
    ) -> Result<Vec<String>, GuardError> {
        let mut process = self.start(memory)?;
        process.send(request(&Request::Parse {
            text: text.to_string(),
        })?);
        let answer = read(process.answer(Some(time), &|| false), memory, Some(time));
        log(
            process,
            memory,
            &answer
                .as_ref()
                .map_or_else(ToString::to_string, |_| "answered".to_string()),
        );
        match answer? {
            Answer::Parsed(result) => result,
            Answer::Evaluated(_) => Err(GuardError::Crashed(
                "the worker answered another request".to_string(),
            )),
        }
    }

    /// A worker process with `memory` bytes for Guard.
    fn start(&self, memory: usize) -> Result<Process, GuardError> {
        let program = match &self.program {
            Some(program) => program.clone(),
            None => std::env::current_exe()
                .map_err(|e| GuardError::Worker(format!("cannot find this executable: {e}")))?,
        };
        let memory = u64::try_from(memory).unwrap_or(u64::MAX);
        Process::spawn(&program, memory)
            .map_err(|e| GuardError::Worker(format!("cannot run {}: {e}", program.display())))
    }
}

impl Runner for Worker {
    fn session<'a>(&'a self, data: &'a GuardData, options: Options) -> Box<dyn Session + 'a> {
        Box::new(WorkerSession {
            worker: self,
            data,
            options,
            live: None,
        })
    }

    fn max_items(&self) -> usize {
        WORKER_ITEMS
    }
}

/// The evaluations on one template: its worker, started on the first
/// chunk, and started again after one fails.
struct WorkerSession<'a> {
    worker: &'a Worker,
    data: &'a GuardData,
    options: Options,
    live: Option<Process>,
}

impl Session for WorkerSession<'_> {
    fn evaluate(
        &mut self,
        items: &[&GuardRules],
        stop: &dyn Fn() -> bool,
    ) -> Vec<Result<Evaluation, GuardError>> {
        if items.is_empty() {
            return Vec::new();
        }
        if stop() {
            return items.iter().map(|_| Err(GuardError::Stopped)).collect();
        }
        match self.run(items, stop) {
            Ok(results) => results,
            Err(e) if items.len() == 1 || e == GuardError::Stopped => {
                items.iter().map(|_| Err(e.clone())).collect()
            }
            // Which item it was, and whether the others are fine on their
            // own: each alone, in a worker of its own.
            Err(_) => {
                let mut stopped = false;
                items
                    .iter()
                    .map(|item| {
                        if stopped || stop() {
                            stopped = true;
                            return Err(GuardError::Stopped);
                        }
                        let mut alone = WorkerSession {
                            live: None,
                            ..*self
                        };
                        let result = alone.run(&[item], stop).and_then(|mut one| {
                            one.pop()
                                .unwrap_or_else(|| Err(GuardError::Crashed("no result".into())))
                        });
                        stopped = result == Err(GuardError::Stopped);
                        result
                    })
                    .collect()
            }
        }
    }
}

impl WorkerSession<'_> {
    /// `items` in the session's worker (started if need be); an error for
    /// them all when it gave no answer, and the worker is then gone.
    fn run(
        &mut self,
        items: &[&GuardRules],
        stop: &dyn Fn() -> bool,
    ) -> Result<Vec<Result<Evaluation, GuardError>>, GuardError> {
        let memory = self.options.memory_limit;
        let process = match &mut self.live {
            Some(process) => process,
            live => {
                let process = self.worker.start(memory)?;
                process.send(request(&Request::Open {
                    skip_absent_types: self.options.skip_absent_types,
                    narrow: self.options.narrow,
                })?);
                process.send(self.data.json().as_bytes().to_vec());
                live.insert(process)
            }
        };
        process.send(request(&Request::Evaluate {
            rules: items.iter().map(|r| r.text().to_string()).collect(),
        })?);
        let answer = process.answer(self.worker.time_limit, stop);
        let results = match read(answer, memory, self.worker.time_limit) {
            Ok(Answer::Evaluated(results)) if results.len() == items.len() => Ok(results),
            Ok(_) => Err(GuardError::Crashed(format!(
                "the worker did not answer for the {} items it was given",
                items.len()
            ))),
            Err(e) => Err(e),
        };
        // A worker that gave no answer is gone, or of no more use.
        if let Err(e) = &results
            && let Some(process) = self.live.take()
        {
            log(process, memory, &e.to_string());
        }
        results
    }
}

impl Drop for WorkerSession<'_> {
    fn drop(&mut self) {
        if let Some(process) = self.live.take() {
            log(process, self.options.memory_limit, "answered");
        }
    }
}

/// A request frame.
fn request(request: &Request) -> Result<Vec<u8>, GuardError> {
    serde_json::to_vec(request)
        .map_err(|e| GuardError::Worker(format!("cannot write the request: {e}")))
}

/// Ends `process` and logs what it cost.
fn log(process: Process, memory: usize, ended: &str) {
    let (lived, peak_kib) = process.finish();
    debug!(
        millis = lived.as_millis() as u64,
        peak_mib = peak_kib / 1024,
        limit_mib = memory >> 20,
        ended,
        "Guard worker"
    );
}

/// What an answer says, or why there is none.
fn read(
    answer: Result<Vec<u8>, End>,
    memory: usize,
    time_limit: Option<Duration>,
) -> Result<Answer, GuardError> {
    let (status, stderr) = match answer {
        Ok(frame) => {
            return serde_json::from_slice(&frame).map_err(|e| {
                GuardError::Crashed(format!("the worker's answer cannot be read: {e}"))
            });
        }
        Err(End::Stopped) => return Err(GuardError::Stopped),
        Err(End::TimedOut) => {
            let millis = time_limit.map_or(0, |t| t.as_millis() as u64);
            return Err(GuardError::TimedOut { millis });
        }
        Err(End::AnswerTooLarge) => {
            return Err(GuardError::Crashed(format!(
                "Guard's report was over {} MiB",
                MAX_ANSWER_BYTES >> 20
            )));
        }
        Err(End::Exited { status, stderr }) => (status, stderr),
    };
    // Rust's allocation failure handler says this, then aborts.
    if stderr.contains("memory allocation of") {
        return Err(GuardError::OutOfMemory { limit: memory });
    }
    let said: String = stderr
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty() && !line.starts_with("note:"))
        .unwrap_or("")
        .trim()
        .chars()
        .take(200)
        .collect();
    Err(match (status.code(), status.signal()) {
        (Some(NO_LIMIT), _) => {
            GuardError::Worker(format!("the worker could not bound its memory: {said}"))
        }
        (Some(BAD_REQUEST), _) => {
            GuardError::Worker(format!("the worker could not read its request: {said}"))
        }
        (Some(code), _) => {
            GuardError::Crashed(format!("the worker exited with status {code}: {said}"))
        }
        (_, Some(signal)) if stderr.contains("has overflowed its stack") => {
            GuardError::Crashed(format!("Guard overflowed its stack (signal {signal})"))
        }
        (_, Some(signal)) => {
            GuardError::Crashed(format!("the worker was ended by signal {signal}: {said}"))
        }
        _ => GuardError::Crashed(format!("the worker ended: {status}")),
    })
}
