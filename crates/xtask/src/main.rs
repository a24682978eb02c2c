//! `cargo xtask TASK`: the project's tasks that are not tests.
//!
//! - `demo`: the pipeline's two custom stages at work on one machine
//!   (`make demo`).
//! - `bench`: what the functions and the CLI cost (`make bench`); `bench
//!   cli`: only `cicd validate` on a directory of 500 templates; `bench
//!   memory`: only cfn-validate's peak memory on its worst inputs; `bench
//!   pack`: only what the standard policy pack costs.
//!
//! Both build what they run first (with the same cargo that runs them);
//! `--no-build` skips that, for a caller that already built it.

use std::process::{Command, ExitCode};

mod bench;
mod cli_bench;
mod demo;
mod functions;
mod measure;
mod memory_bench;
mod pack_bench;
mod pack_estate;

const USAGE: &str = "usage: cargo xtask demo|bench|bench cli|bench memory|bench pack [--no-build]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let build = !args.iter().any(|a| a == "--no-build");
    let task: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--no-build")
        .collect();
    let ran = match task.as_slice() {
        ["demo"] => demo::run(build),
        ["bench"] => bench::run(build, false),
        ["bench", "cli"] => bench::run(build, true),
        ["bench", "memory"] => bench::memory(build),
        ["bench", "pack"] => bench::pack(build),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match ran {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cargo xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `cargo ARGS` (the cargo that started this task, if any), from the
/// workspace root.
fn cargo(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(harness::workspace_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo {} failed ({status})", args.join(" ")))
    }
}
