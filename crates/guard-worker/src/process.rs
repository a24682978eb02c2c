//! One worker process, seen from the parent: started under its limits, fed
//! frames, its answers awaited while a stop or a time limit can end it, and
//! always reaped, whatever happens (also when dropped).

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::protocol::{MAX_ANSWER_BYTES, WORKER_ARG, read_frame, write_frame};

/// How often a running worker is checked against the stop flag and its
/// time limit: how late a stop can be.
const POLL: Duration = Duration::from_millis(10);

/// What a worker may map before it lowers its own limit, beyond the
/// memory it is given: its binary (read from the file's size), its
/// libraries and stack.
const STARTUP_ALLOWANCE: u64 = 64 << 20;

/// Of a worker's standard error, what is kept to tell why it ended.
const MAX_STDERR_BYTES: u64 = 8 * 1024;

/// Why there is no answer.
#[derive(Debug)]
pub(crate) enum End {
    /// The process exited or died on its own.
    Exited { status: ExitStatus, stderr: String },
    /// Killed because the caller asked to stop.
    Stopped,
    /// Killed at its time limit.
    TimedOut,
    /// Killed because an answer was past [`MAX_ANSWER_BYTES`].
    AnswerTooLarge,
}

/// A running worker.
pub(crate) struct Process {
    pid: libc::pid_t,
    /// Frames for the writer thread; dropped, it closes the worker's input.
    requests: Option<mpsc::Sender<Vec<u8>>>,
    /// Answers from the reader thread; disconnected when the output ends.
    answers: mpsc::Receiver<Vec<u8>>,
    too_large: Arc<AtomicBool>,
    /// What the worker wrote on stderr (its first [`MAX_STDERR_BYTES`]),
    /// sent once it has closed it: read after the worker ends, it may not
    /// be in yet (see [`Process::stderr`]).
    stderr: mpsc::Receiver<String>,
    threads: Vec<JoinHandle<()>>,
    started: Instant,
    /// Set once reaped: the wait status and peak memory (KiB).
    reaped: Option<(ExitStatus, u64)>,
}

impl Process {
    /// Starts `program` as a worker with `memory` bytes for Guard, its
    /// limits set between `fork` and `exec`.
    pub(crate) fn spawn(program: &Path, memory: u64) -> std::io::Result<Process> {
        let binary = std::fs::metadata(program)?.len();
        let address_space = memory
            .saturating_add(binary)
            .saturating_add(STARTUP_ALLOWANCE);
        // SAFETY: getpid has no preconditions.
        let parent = unsafe { libc::getpid() };
        let mut command = Command::new(program);
        command
            .arg(WORKER_ARG)
            .arg(memory.to_string())
            // Nothing of the parent's environment: in Lambda, no runtime API
            // to take invocations from, no credentials. One malloc arena: the
            // worker has one thread, and an arena per thread reserves 64 MiB
            // of address space.
            .env_clear()
            .env("MALLOC_ARENA_MAX", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: only async-signal-safe calls (setrlimit, prctl, getppid)
        // between fork and exec.
        unsafe {
            command.pre_exec(move || {
                let limit = |resource, bytes: u64| {
                    let bound = libc::rlimit {
                        rlim_cur: bytes,
                        rlim_max: bytes,
                    };
                    if libc::setrlimit(resource, &bound) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                };
                limit(libc::RLIMIT_AS, address_space)?;
                // A worker that aborts for lack of memory leaves no core file.
                limit(libc::RLIMIT_CORE, 0)?;
                // Killed with its parent, should the parent die first (a
                // Lambda sandbox torn down mid-job): nothing runs on into
                // the next invocation. The parent may have died already.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::getppid() != parent {
                    return Err(std::io::Error::other("the parent is gone"));
                }
                Ok(())
            });
        }
        let mut child = command.spawn()?;
        let pid = child.id() as libc::pid_t;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        // The handle never waits or signals: this module reaps the process.
        drop(child);

        let (requests, to_write) = mpsc::channel::<Vec<u8>>();
        let (answered, answers) = mpsc::channel();
        let too_large = Arc::new(AtomicBool::new(false));
        let (said, stderr_text) = mpsc::channel();
        let threads = vec![
            // A worker that dies early closes its end: the write fails, and
            // how it ended says why.
            std::thread::spawn(move || {
                for frame in to_write {
                    if write_frame(&mut stdin, &frame).is_err() {
                        break;
                    }
                }
            }),
            {
                let too_large = Arc::clone(&too_large);
                std::thread::spawn(move || read_answers(stdout, &answered, &too_large))
            },
            std::thread::spawn(move || {
                let mut text = Vec::new();
                let _ = (&mut stderr).take(MAX_STDERR_BYTES).read_to_end(&mut text);
                // Read on to the end, so that the worker never blocks on it.
                let _ = std::io::copy(&mut stderr, &mut std::io::sink());
                let _ = said.send(String::from_utf8_lossy(&text).into_owned());
            }),
        ];
        Ok(Process {
            pid,
            requests: Some(requests),
            answers,
            too_large,
            stderr: stderr_text,
            threads,
            started: Instant::now(),
            reaped: None,
        })
    }

    /// Queues a frame for the worker's input (an error shows as its end).
    pub(crate) fn send(&self, frame: Vec<u8>) {
        if let Some(requests) = &self.requests {
            let _ = requests.send(frame);
        }
    }

    /// The worker's next answer; when there is none, why. Kills the worker
    /// when `stop` says so, `time_limit` after the call, or when the answer
    /// is too large.
    pub(crate) fn answer(
        &mut self,
        time_limit: Option<Duration>,
        stop: &dyn Fn() -> bool,
    ) -> Result<Vec<u8>, End> {
        let asked = Instant::now();
        loop {
            match self.answers.recv_timeout(POLL) {
                Ok(frame) => return Ok(frame),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    if self.too_large.load(Ordering::Relaxed) {
                        self.kill();
                        return Err(End::AnswerTooLarge);
                    }
                    // Its output ended: it is exiting, or dead.
                    let status = self.reap_exiting();
                    let stderr = self.stderr();
                    return Err(End::Exited { status, stderr });
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if stop() {
                self.kill();
                return Err(End::Stopped);
            }
            if time_limit.is_some_and(|limit| asked.elapsed() >= limit) {
                self.kill();
                return Err(End::TimedOut);
            }
        }
    }

    /// What the worker wrote on stderr, once it has ended: its reader
    /// thread sends it at the end of the pipe, which comes moments after
    /// the worker exits (a second at most, or nothing is said).
    fn stderr(&self) -> String {
        self.stderr
            .recv_timeout(Duration::from_secs(1))
            .unwrap_or_default()
    }

    /// Ends the worker (closing its input first lets an idle one exit by
    /// itself), reaps it, and says how long it lived and its peak memory
    /// (KiB).
    pub(crate) fn finish(mut self) -> (Duration, u64) {
        self.requests = None;
        self.kill();
        let peak = self.reaped.map_or(0, |(_, peak)| peak);
        (self.started.elapsed(), peak)
    }

    /// Kills the worker if it is not reaped yet, and reaps it.
    fn kill(&mut self) {
        if self.reaped.is_none() {
            // SAFETY: `pid` is our child, not yet reaped: the number cannot
            // have been reused.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
            // A blocking wait returns the child, or fails only if it is not
            // ours to wait for any more.
            self.reaped = Some(
                reap(self.pid, true)
                    .ok()
                    .flatten()
                    .unwrap_or((ExitStatus::from_raw(0), 0)),
            );
        }
    }

    /// Reaps a worker whose output ended: it exits within moments; past a
    /// second it is killed.
    fn reap_exiting(&mut self) -> ExitStatus {
        let until = Instant::now() + Duration::from_secs(1);
        while self.reaped.is_none() && Instant::now() < until {
            match reap(self.pid, false) {
                Ok(Some(reaped)) => self.reaped = Some(reaped),
                Ok(None) => std::thread::sleep(Duration::from_millis(1)),
                Err(_) => break,
            }
        }
        self.kill();
        self.reaped
            .map_or(ExitStatus::from_raw(0), |(status, _)| status)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.requests = None;
        self.kill();
        // Its pipes are closed now: every thread ends.
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Reads answer frames into `answered` until the output ends; a frame past
/// [`MAX_ANSWER_BYTES`] sets `too_large` and stops reading.
fn read_answers(mut stdout: ChildStdout, answered: &mpsc::Sender<Vec<u8>>, too_large: &AtomicBool) {
    loop {
        match read_frame(&mut stdout, MAX_ANSWER_BYTES) {
            Ok(Some(frame)) => {
                if answered.send(frame).is_err() {
                    return;
                }
            }
            Ok(None) => return,
            Err(e) => {
                if e.kind() == std::io::ErrorKind::InvalidData {
                    too_large.store(true, Ordering::Relaxed);
                }
                return;
            }
        }
    }
}

/// `wait4` on `pid`: its status and peak resident memory (KiB) once it has
/// ended, `None` while it runs (when not `blocking`).
fn reap(pid: libc::pid_t, blocking: bool) -> std::io::Result<Option<(ExitStatus, u64)>> {
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let flags = if blocking { 0 } else { libc::WNOHANG };
    loop {
        // SAFETY: wait4 writes the status and usage it is given.
        let got = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if got == pid {
            let peak = u64::try_from(usage.ru_maxrss).unwrap_or(0);
            return Ok(Some((ExitStatus::from_raw(status), peak)));
        }
        if got == 0 {
            return Ok(None);
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}
