//! What every benchmark here measures with: the release binaries it runs,
//! a command's wall and CPU time, and the median it reports.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use harness::target_dir;

/// The release build of the workspace binary `name`; panics, saying how to
/// build it, when it is missing.
pub fn release_binary(name: &str) -> PathBuf {
    let path = target_dir().join("release").join(name);
    assert!(
        path.is_file(),
        "{} is missing: cargo build --release -p {name} (or cargo xtask bench without --no-build)",
        path.display()
    );
    path
}

/// The median of `values` (the upper one of an even count).
pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// `d` in milliseconds, one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// One run of a command: its wall time and its CPU time (user and
/// system, every thread counted).
#[derive(Clone, Copy)]
pub struct Run {
    pub wall: Duration,
    pub cpu: Duration,
}

/// Runs `command` (its output thrown away) to its end; `None` when it
/// cannot be started or waited for.
pub fn timed(command: &mut std::process::Command) -> Option<(Run, i32)> {
    use std::process::Stdio;
    let started = Instant::now();
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let pid = libc::pid_t::try_from(child.id()).ok()?;
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, writing into the two locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if waited != pid {
        return None;
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    let cpu = time(usage.ru_utime) + time(usage.ru_stime);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Some((Run { wall, cpu }, code))
}
