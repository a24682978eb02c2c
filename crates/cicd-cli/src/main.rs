//! `cicd`: the pipeline's checks, run from a terminal or a CI job.
//!
//! Every command returns `anyhow::Result<Status>`; [`main`] is the one place
//! that turns that into the exit status: 0 all good, 1 a failing verdict
//! (a template fails, a service is unhealthy, the rules table has a rule
//! that cannot be applied), 2 the command could not do its job (a usage
//! error, input it cannot read or trust, an AWS error).

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

// First: its macros (`say!`, `note!`) are for every module below.
#[macro_use]
mod console;

mod aws;
mod baseline;
mod guard_files;
mod health;
mod hook;
mod inputs;
mod output;
mod reading;
mod rules;
mod validate;

#[derive(Parser)]
#[command(
    name = "cicd",
    version = env!("CICD_VERSION"),
    about = "Checks for the CI/CD pipeline's custom stages"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Score CloudFormation templates against the security rules.
    Validate(validate::Args),
    /// List and change the rules table cfn-validate reads.
    Rules(rules::Args),
    /// Check that a service is up, as the Service_Status stage does.
    Health(health::Args),
    /// Print the answer cfn-hook would give to a CloudFormation Hook event.
    Hook(hook::Args),
    /// Print a shell completion script (e.g. `cicd completions bash > /etc/bash_completion.d/cicd`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Validate(_) => "validate",
            Command::Rules(_) => "rules",
            Command::Health(_) => "health",
            Command::Hook(_) => "hook",
            Command::Completions { .. } => "completions",
        }
    }
}

/// How a command that did its job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exit 0.
    Success,
    /// Exit 1: the verdict is negative (a template fails, a service is not healthy).
    Failed,
    /// Exit 2: some input could not be used, and the command has said so
    /// already (e.g. an unreadable template among readable ones, all reported).
    Unusable,
}

/// Exit 2: also what clap uses for a usage error.
const UNUSABLE: u8 = 2;

fn main() -> ExitCode {
    // Before anything else: started as a Guard worker (`validate` and
    // `rules` run Guard in children of this binary, bounded), serve it and
    // exit.
    guard_worker::serve_if_worker();
    let cli = Cli::parse();
    let name = cli.command.name();
    match run(cli.command) {
        Ok(Status::Success) => ExitCode::SUCCESS,
        Ok(Status::Failed) => ExitCode::from(1),
        Ok(Status::Unusable) => ExitCode::from(UNUSABLE),
        Err(e) => {
            note!("cicd {name}: {e:#}");
            ExitCode::from(UNUSABLE)
        }
    }
}

fn run(command: Command) -> anyhow::Result<Status> {
    match command {
        Command::Validate(args) => validate::run(&args, &runtime()?),
        Command::Rules(args) => runtime()?.block_on(rules::run(&args)),
        Command::Health(args) => runtime()?.block_on(health::run(&args)),
        Command::Hook(args) => hook::run(&args, &runtime()?),
        Command::Completions { shell } => {
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut Cli::command(), "cicd", &mut out);
            Ok(Status::Success)
        }
    }
}

/// The one async runtime of a run: the AWS SDK (`rules`, `validate
/// --table`) and the health probe run on it; template evaluation runs on
/// rayon's threads.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))
}
