//! One run of a worker: the child process started under its limits, fed
//! its request, watched until it ends or must be ended, and reaped.

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::protocol::{MAX_ANSWER_BYTES, WORKER_ARG};

/// How often a running worker is checked against the stop flag and its
/// time limit: how late a stop can be.
const POLL: Duration = Duration::from_millis(10);

/// What a worker may map before it lowers its own limit, beyond the
/// memory it is given: its binary (read from the file's size), its
/// libraries and stack.
const STARTUP_ALLOWANCE: u64 = 64 << 20;

/// Of a worker's standard error, what is kept to tell why it ended.
const MAX_STDERR_BYTES: u64 = 8 * 1024;

/// How one run ended.
#[derive(Debug)]
pub(crate) enum Ended {
    /// The process exited or died on its own.
    Exited {
        status: ExitStatus,
        answer: Vec<u8>,
        stderr: String,
    },
    /// Ended because the caller asked to stop.
    Stopped,
    /// Ended at its time limit.
    TimedOut,
    /// Ended because its answer was past [`MAX_ANSWER_BYTES`].
    AnswerTooLarge,
}

/// A finished run: how it ended, how long it took, the child's peak memory.
#[derive(Debug)]
pub(crate) struct Run {
    pub ended: Ended,
    pub elapsed: Duration,
    /// The child's peak resident memory (`ru_maxrss`), in KiB.
    pub peak_kib: u64,
}

/// Runs `program` as a worker with `memory` bytes for Guard, sends it
/// `request` (written in parts, without copying them together), and waits
/// for it to end, killing it when `stop` says so, at `time_limit`, or when
/// it answers more than it may. The child is always reaped before this
/// returns: nothing of it is left running or as a zombie.
pub(crate) fn run(
    program: &Path,
    memory: u64,
    request: &[&[u8]],
    time_limit: Option<Duration>,
    stop: &dyn Fn() -> bool,
) -> std::io::Result<Run> {
    let started = Instant::now();
    let mut child = spawn(program, memory)?;
    let pid = child.id() as libc::pid_t;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let too_large = AtomicBool::new(false);
    let (done, answered) = mpsc::channel::<()>();
    let (reaped, answer, stderr) = std::thread::scope(|scope| {
        // A worker that dies early closes its end: the write fails, and
        // how it ended says why.
        scope.spawn(move || {
            for part in request {
                if stdin.write_all(part).is_err() {
                    break;
                }
            }
        });
        let too_large = &too_large;
        let answer = scope.spawn(move || {
            let mut answer = Vec::new();
            let read = (&mut stdout)
                .take(MAX_ANSWER_BYTES as u64 + 1)
                .read_to_end(&mut answer);
            if read.is_ok() && answer.len() > MAX_ANSWER_BYTES {
                too_large.store(true, Ordering::Relaxed);
                answer.clear();
            }
            drop(done);
            answer
        });
        let stderr = scope.spawn(move || {
            let mut stderr = stderr;
            let mut text = Vec::new();
            let _ = (&mut stderr).take(MAX_STDERR_BYTES).read_to_end(&mut text);
            // Read on to the end, so that the worker never blocks on it.
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            String::from_utf8_lossy(&text).into_owned()
        });
        let reaped = watch(pid, started, time_limit, stop, too_large, &answered);
        let answer = answer.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        (reaped, answer, stderr)
    });
    // Reaped already: the handle must not wait or signal it again.
    drop(child);
    let (status, peak_kib, why) = reaped?;
    let ended = match why {
        Some(ended) => ended,
        None => Ended::Exited {
            status,
            answer,
            stderr,
        },
    };
    Ok(Run {
        ended,
        elapsed: started.elapsed(),
        peak_kib,
    })
}

/// The child, started with its limits set between `fork` and `exec`.
fn spawn(program: &Path, memory: u64) -> std::io::Result<Child> {
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
            // Killed with its parent, should the parent die first (a Lambda
            // sandbox torn down mid-job): nothing runs on into the next
            // invocation. The parent may have died before this line.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                return Err(std::io::Error::other("the parent is gone"));
            }
            Ok(())
        });
    }
    command.spawn()
}

/// Waits for the child `pid` to end; kills it when `stop` says so, at the
/// time limit, or when its answer is too large. Returns its wait status,
/// its peak memory (KiB) and, when it was killed, why.
fn watch(
    pid: libc::pid_t,
    started: Instant,
    time_limit: Option<Duration>,
    stop: &dyn Fn() -> bool,
    too_large: &AtomicBool,
    answered: &mpsc::Receiver<()>,
) -> std::io::Result<(ExitStatus, u64, Option<Ended>)> {
    let mut stdout_closed = false;
    loop {
        if let Some((status, peak)) = reap(pid, false)? {
            return Ok((status, peak, None));
        }
        let killed = if too_large.load(Ordering::Relaxed) {
            Some(Ended::AnswerTooLarge)
        } else if stop() {
            Some(Ended::Stopped)
        } else if time_limit.is_some_and(|limit| started.elapsed() >= limit) {
            Some(Ended::TimedOut)
        } else {
            None
        };
        if let Some(why) = killed {
            // SAFETY: `pid` is our child, not yet reaped: the number cannot
            // have been reused.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let (status, peak) = reap(pid, true)?.expect("a blocking wait returns the child");
            return Ok((status, peak, Some(why)));
        }
        if stdout_closed {
            // The answer is in; the process is exiting.
            std::thread::sleep(Duration::from_millis(1));
        } else if let Err(mpsc::RecvTimeoutError::Disconnected) = answered.recv_timeout(POLL) {
            stdout_closed = true;
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
