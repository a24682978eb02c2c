//! A real Lambda binary (`bootstrap`) running against a local
//! [`RuntimeApi`], with the environment Lambda gives a function; what it
//! logs, how much memory and CPU it used, and whether it exited.

use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::process::ManagedChild;
use crate::runtime_api::RuntimeApi;

/// A Lambda binary running against a [`RuntimeApi`]; killed on Drop.
pub struct LambdaProcess {
    /// When the process was spawned: with [`RuntimeApi::first_poll`], the
    /// function's init time.
    pub spawned_at: Instant,
    child: ManagedChild,
}

impl LambdaProcess {
    /// Starts `binary` with the environment Lambda gives a function
    /// (`AWS_LAMBDA_RUNTIME_API`, `AWS_LAMBDA_FUNCTION_NAME` = the file
    /// name, version `$LATEST`, 128 MB, JSON logs, `us-east-1`), then
    /// `envs`, which override those.
    ///
    /// The parent's `AWS_*` variables are removed so tests are hermetic, and
    /// `AWS_EC2_METADATA_DISABLED=true` keeps the SDK from probing instance
    /// metadata (a non-loopback address) when no credentials are given.
    pub fn spawn(binary: &Path, api: &RuntimeApi, envs: &[(&str, &str)]) -> LambdaProcess {
        assert!(
            binary.is_file(),
            "Lambda binary {} does not exist; build it first",
            binary.display()
        );
        let name = binary
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "function".to_string());
        api.set_function_name(&name);

        let mut command = Command::new(binary);
        for (key, _) in std::env::vars_os() {
            let key_text = key.to_string_lossy();
            if key_text.starts_with("AWS_") || key_text.starts_with("_X_AMZN") {
                command.env_remove(&key);
            }
        }
        let log_stream = format!(
            "2024/01/01/[$LATEST]{}",
            crate::random_from(b"0123456789abcdef", 32)
        );
        let defaults = [
            ("AWS_LAMBDA_RUNTIME_API", api.address()),
            ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_string()),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_string()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
            ("AWS_LAMBDA_LOG_STREAM_NAME", log_stream),
            ("AWS_REGION", crate::moto::REGION.to_string()),
            ("AWS_DEFAULT_REGION", crate::moto::REGION.to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ];
        command.envs(defaults);
        command.envs(envs.iter().copied());

        let spawned_at = Instant::now();
        let child = ManagedChild::spawn(&name, command, None)
            .unwrap_or_else(|e| panic!("spawn Lambda binary {}: {e}", binary.display()));
        LambdaProcess { spawned_at, child }
    }

    /// When the process was spawned.
    pub fn spawned_at(&self) -> Instant {
        self.spawned_at
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// Captured stdout and stderr lines, in arrival order.
    pub fn logs(&self) -> Vec<String> {
        self.child.lines()
    }

    /// Waits until a log line contains `needle`; returns it.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> Option<String> {
        self.child.wait_for_line(needle, timeout)
    }

    /// Peak resident set size so far (`VmHWM` in `/proc/<pid>/status`), in
    /// KiB; `None` once the process has exited.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// CPU time the process has used so far, user and system, its threads
    /// included (`/proc/<pid>/stat`); `None` once it has exited. Two
    /// readings a second apart show whether anything is still running.
    pub fn cpu_time(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).ok()?;
        // Fields after the command name, which is in parentheses and may
        // hold spaces: state is the 3rd field, utime the 14th, stime the 15th.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        // SAFETY: sysconf only reads a configuration value.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        let per_second = u64::try_from(per_second).ok().filter(|t| *t > 0)?;
        Some(Duration::from_millis(ticks * 1000 / per_second))
    }

    /// The exit status if the process has exited (e.g. crashed during init).
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.child.try_wait()
    }

    /// Waits up to `timeout` for the process to exit by itself.
    pub fn wait_exit(&self, timeout: Duration) -> Option<ExitStatus> {
        self.child.wait_timeout(timeout)
    }

    /// Kills the process now (Drop does this too).
    pub fn kill(&self) {
        self.child.kill();
    }
}
