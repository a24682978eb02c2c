//! Child processes that never outlive the test process.
//!
//! Rust never drops statics, so a shared server kept in a `static` would leak
//! when the test binary exits. Every child is therefore spawned with
//! `prctl(PR_SET_PDEATHSIG, SIGKILL)`: the kernel kills it when its parent
//! dies. "Parent" means the *thread* that forked it, and `cargo test` runs
//! each test in a short-lived thread, so all spawns go through one dedicated
//! thread that lives as long as the process. Each child also gets its own
//! process group, so [`ManagedChild`]'s Drop can kill it and anything it
//! started, and a Ctrl-C in the terminal reaches only the test process.
//!
//! Output is captured line by line into memory. Set `HARNESS_ECHO_LOGS=1` to
//! also copy it to stderr while debugging.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// The channel to the spawner thread. The sender lives in a static, so the
/// thread's `recv` never sees a hang-up and the thread never exits.
fn spawner() -> &'static mpsc::Sender<SpawnRequest> {
    static SPAWNER: OnceLock<mpsc::Sender<SpawnRequest>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("harness-spawner".into())
            .spawn(move || {
                while let Ok((mut command, reply)) = rx.recv() {
                    // The receiver may be gone if the caller panicked; then the
                    // child is dropped (not killed) and PDEATHSIG still holds.
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("start the harness spawner thread");
        tx
    })
}

/// Spawns `command` in its own process group, with PDEATHSIG set, from the
/// long-lived spawner thread.
pub fn spawn_guarded(mut command: Command) -> std::io::Result<Child> {
    let parent = std::process::id() as libc::pid_t;
    command.process_group(0);
    // SAFETY: the closure runs between fork and exec and only calls the
    // async-signal-safe functions prctl and getppid.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() != parent {
                return Err(std::io::Error::other("parent exited during spawn"));
            }
            Ok(())
        });
    }
    let (tx, rx) = mpsc::channel();
    spawner()
        .send((command, tx))
        .expect("the harness spawner thread is alive");
    rx.recv().expect("the harness spawner thread answered")
}

/// Captured output lines, optionally bounded (a busy server logs a lot).
#[derive(Debug, Default)]
struct Lines {
    lines: VecDeque<String>,
    limit: Option<usize>,
}

/// A child process that is killed (with its process group) on Drop, with its
/// stdout and stderr captured as lines.
#[derive(Debug)]
pub struct ManagedChild {
    name: String,
    pid: u32,
    child: Mutex<Child>,
    lines: Arc<Mutex<Lines>>,
}

impl ManagedChild {
    /// Spawns `command` (see [`spawn_guarded`]) with piped stdout/stderr.
    /// `name` labels echoed lines and error messages. `keep_lines` bounds the
    /// captured output to the last N lines (None keeps everything).
    pub fn spawn(
        name: &str,
        mut command: Command,
        keep_lines: Option<usize>,
    ) -> std::io::Result<ManagedChild> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = spawn_guarded(command)?;
        let lines = Arc::new(Mutex::new(Lines {
            lines: VecDeque::new(),
            limit: keep_lines,
        }));
        let echo = std::env::var_os("HARNESS_ECHO_LOGS").is_some_and(|v| v != "0" && !v.is_empty());
        if let Some(out) = child.stdout.take() {
            capture(name, "stdout", out, Arc::clone(&lines), echo);
        }
        if let Some(err) = child.stderr.take() {
            capture(name, "stderr", err, Arc::clone(&lines), echo);
        }
        Ok(ManagedChild {
            name: name.to_string(),
            pid: child.id(),
            child: Mutex::new(child),
            lines,
        })
    }

    /// The child's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The label given at spawn.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Captured stdout and stderr lines, interleaved in arrival order.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .expect("log buffer lock")
            .lines
            .iter()
            .cloned()
            .collect()
    }

    /// The last `n` captured lines joined by newlines, for panic messages.
    pub fn tail(&self, n: usize) -> String {
        let lines = self.lines();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Waits until some captured line contains `needle`; returns that line.
    pub fn wait_for_line(&self, needle: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.lines().into_iter().find(|l| l.contains(needle)) {
                return Some(line);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The exit status if the child has exited, without blocking.
    pub fn try_wait(&self) -> Option<ExitStatus> {
        self.child
            .lock()
            .expect("child lock")
            .try_wait()
            .expect("query the child's status")
    }

    /// Waits up to `timeout` for the child to exit by itself.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `signal` to the child's whole process group.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill has no memory-safety preconditions. The group id is
        // our child's pid, which stays reserved until we reap it.
        unsafe {
            libc::kill(-(self.pid as libc::pid_t), signal);
        }
    }

    /// Kills the process group and reaps the child.
    pub fn kill(&self) {
        let mut child = self.child.lock().expect("child lock");
        if matches!(child.try_wait(), Ok(Some(_))) {
            // Already reaped: the pid may be reused, so signal nothing.
            return;
        }
        self.signal(libc::SIGKILL);
        let _ = child.wait();
    }
}

impl Drop for ManagedChild {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads `stream` line by line on a thread until EOF.
fn capture(
    name: &str,
    which: &'static str,
    stream: impl Read + Send + 'static,
    lines: Arc<Mutex<Lines>>,
    echo: bool,
) {
    let name = name.to_string();
    std::thread::Builder::new()
        .name(format!("{name}-{which}"))
        .spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let line = String::from_utf8_lossy(&buf)
                    .trim_end_matches(['\r', '\n'])
                    .to_string();
                if echo {
                    eprintln!("[{name} {which}] {line}");
                }
                let mut lines = lines.lock().expect("log buffer lock");
                lines.lines.push_back(line);
                if let Some(limit) = lines.limit {
                    while lines.lines.len() > limit {
                        lines.lines.pop_front();
                    }
                }
            }
        })
        .expect("start an output capture thread");
}
