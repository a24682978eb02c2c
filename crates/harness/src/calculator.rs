//! The calculator demo app (`calculator/service.js`), which `service-status`
//! health-checks, run with the machine's Node.js on a free port.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::ManagedChild;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// A running calculator; killed on Drop.
pub struct Calculator {
    port: u16,
    child: ManagedChild,
}

impl Calculator {
    /// Runs `node <workspace>/calculator/service.js` with `PORT=<free port>`
    /// and waits until `GET /` answers.
    pub fn start() -> Calculator {
        let dir = crate::workspace_root().join("calculator");
        let script = dir.join("service.js");
        assert!(
            script.is_file(),
            "{} not found: the calculator app is missing",
            script.display()
        );
        assert!(
            dir.join("node_modules").is_dir(),
            "{} is missing: run `npm ci` in calculator/",
            dir.join("node_modules").display()
        );
        Self::start_script(&script)
    }

    /// Runs any Node.js script that serves HTTP on `$PORT`, from its own
    /// directory (for testing this module without the real app).
    pub fn start_script(script: &Path) -> Calculator {
        let mut last_error = String::new();
        // Retry in case another process takes the free port first.
        for _ in 0..3 {
            match try_start(script) {
                Ok(calculator) => return calculator,
                Err(e) => last_error = e,
            }
        }
        panic!("{} did not start: {last_error}", script.display());
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The app's captured stdout and stderr lines.
    pub fn logs(&self) -> Vec<String> {
        self.child.lines()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }
}

fn try_start(script: &Path) -> Result<Calculator, String> {
    let port = crate::free_port();
    let mut command = Command::new("node");
    command.arg(script).env("PORT", port.to_string());
    if let Some(dir) = script.parent() {
        command.current_dir(dir);
    }
    let child = ManagedChild::spawn("calculator", command, Some(500))
        .map_err(|e| format!("spawn node (is Node.js installed?): {e}"))?;
    let calculator = Calculator { port, child };
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        // Any HTTP answer means it is serving.
        if crate::http_client::get(&calculator.url(), Duration::from_secs(2)).is_ok() {
            return Ok(calculator);
        }
        if let Some(status) = calculator.child.try_wait() {
            return Err(format!(
                "node exited with {status} on port {port}; output tail:\n{}",
                calculator.child.tail(30)
            ));
        }
        if Instant::now() >= deadline {
            panic!(
                "{} did not answer GET / on port {port} within {STARTUP_TIMEOUT:?}; output tail:\n{}",
                script.display(),
                calculator.child.tail(30)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
