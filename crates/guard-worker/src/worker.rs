//! The parent's side: [`Worker`], a [`Runner`] that evaluates in child
//! processes, and what each way a child can end means for the items it ran.

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::time::Duration;

use guard_rules::{Evaluation, GuardData, GuardError, GuardRules, Options, Runner};
use tracing::debug;

use crate::child::{BAD_REQUEST, NO_LIMIT};
use crate::protocol::{Answer, Header, MAX_ANSWER_BYTES};
use crate::spawn::{self, Ended, Run};

/// Runs Guard in a child process of a binary that calls
/// [`crate::serve_if_worker`] first thing in `main` (by default the current
/// one), one process per call: within the memory it is given
/// (`Options::memory_limit`, enforced as an address-space limit), killed
/// when `stop` says so or at its time limit, always reaped.
///
/// Each way a run can fail is an error for its items, never a pass: out
/// of memory, past the time limit, a crash (a panic inside cfn-guard, a
/// signal), an answer past its cap ([`GuardError::is_not_checked`]), or a
/// stop ([`GuardError::Stopped`]). When a run of several items fails, each
/// is run again alone, so that the failure is the item's that caused it.
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

    /// Each run may take at most `limit`; past it, its items are
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
        let header = header(&Header::Parse {
            text: text.to_string(),
        })?;
        let worker = Worker {
            time_limit: Some(time),
            ..self.clone()
        };
        match worker.run(&[&header], memory, &|| false, 1)? {
            Answer::Parsed(result) => result,
            Answer::Evaluated(_) => Err(GuardError::Crashed(
                "the worker answered another request".to_string(),
            )),
        }
    }

    /// One run of `items` together.
    fn evaluate_together(
        &self,
        items: &[&GuardRules],
        data: &GuardData,
        options: Options,
        stop: &dyn Fn() -> bool,
    ) -> Result<Vec<Result<Evaluation, GuardError>>, GuardError> {
        let header = header(&Header::Evaluate {
            rules: items.iter().map(|r| r.text().to_string()).collect(),
            skip_absent_types: options.skip_absent_types,
            narrow: options.narrow,
        })?;
        let request = [header.as_slice(), data.json().as_bytes()];
        match self.run(&request, options.memory_limit, stop, items.len())? {
            Answer::Evaluated(results) if results.len() == items.len() => Ok(results),
            _ => Err(GuardError::Crashed(format!(
                "the worker did not answer for the {} items it was given",
                items.len()
            ))),
        }
    }

    /// Runs a worker on `request` and reads its answer; an error says why
    /// there is none.
    fn run(
        &self,
        request: &[&[u8]],
        memory: usize,
        stop: &dyn Fn() -> bool,
        items: usize,
    ) -> Result<Answer, GuardError> {
        let program = match &self.program {
            Some(program) => program.clone(),
            None => std::env::current_exe()
                .map_err(|e| GuardError::Worker(format!("cannot find this executable: {e}")))?,
        };
        let memory_bytes = u64::try_from(memory).unwrap_or(u64::MAX);
        let run = spawn::run(&program, memory_bytes, request, self.time_limit, stop)
            .map_err(|e| GuardError::Worker(format!("cannot run {}: {e}", program.display())))?;
        let Run {
            ended,
            elapsed,
            peak_kib,
        } = run;
        let result = read(ended, memory, self.time_limit);
        debug!(
            items,
            millis = elapsed.as_millis() as u64,
            peak_mib = peak_kib / 1024,
            limit_mib = memory >> 20,
            outcome = match &result {
                Ok(_) => "answered".to_string(),
                Err(e) => e.to_string(),
            },
            "Guard worker"
        );
        result
    }
}

impl Runner for Worker {
    fn evaluate_all(
        &self,
        items: &[&GuardRules],
        data: &GuardData,
        options: Options,
        stop: &dyn Fn() -> bool,
    ) -> Vec<Result<Evaluation, GuardError>> {
        if items.is_empty() {
            return Vec::new();
        }
        if stop() {
            return items.iter().map(|_| Err(GuardError::Stopped)).collect();
        }
        match self.evaluate_together(items, data, options, stop) {
            Ok(results) => results,
            Err(e) if items.len() == 1 || e == GuardError::Stopped => {
                items.iter().map(|_| Err(e.clone())).collect()
            }
            // Which item it was, and whether the others are fine on their
            // own: each alone.
            Err(_) => {
                let mut stopped = false;
                items
                    .iter()
                    .map(|item| {
                        if stopped || stop() {
                            stopped = true;
                            return Err(GuardError::Stopped);
                        }
                        let result = self
                            .evaluate_together(&[item], data, options, stop)
                            .and_then(|mut one| {
                                one.pop()
                                    .ok_or_else(|| GuardError::Crashed("no result".to_string()))
                            })
                            .and_then(|result| result);
                        stopped = result == Err(GuardError::Stopped);
                        result
                    })
                    .collect()
            }
        }
    }
}

/// The JSON header line of a request.
fn header(header: &Header) -> Result<Vec<u8>, GuardError> {
    let mut line = serde_json::to_vec(header)
        .map_err(|e| GuardError::Worker(format!("cannot write the request: {e}")))?;
    line.push(b'\n');
    Ok(line)
}

/// What a run's end means: its answer, or why there is none.
fn read(ended: Ended, memory: usize, time_limit: Option<Duration>) -> Result<Answer, GuardError> {
    let (status, answer, stderr) = match ended {
        Ended::Stopped => return Err(GuardError::Stopped),
        Ended::TimedOut => {
            let millis = time_limit.map_or(0, |t| t.as_millis() as u64);
            return Err(GuardError::TimedOut { millis });
        }
        Ended::AnswerTooLarge => {
            return Err(GuardError::Crashed(format!(
                "Guard's report was over {} MiB",
                MAX_ANSWER_BYTES >> 20
            )));
        }
        Ended::Exited {
            status,
            answer,
            stderr,
        } => (status, answer, stderr),
    };
    if status.success() {
        return serde_json::from_slice(&answer)
            .map_err(|e| GuardError::Crashed(format!("the worker's answer cannot be read: {e}")));
    }
    // Rust's allocation failure handler says this, then aborts.
    if stderr.contains("memory allocation of") {
        return Err(GuardError::OutOfMemory { limit: memory });
    }
    let said = stderr
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty() && !line.starts_with("note:"))
        .unwrap_or("")
        .trim();
    let said: String = said.chars().take(200).collect();
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
