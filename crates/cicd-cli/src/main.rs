//! `cicd`: the pipeline's checks, run from a terminal or a CI job.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod health;
mod output;
mod rules;
mod sarif;
mod validate;

#[derive(Parser)]
#[command(
    name = "cicd",
    version,
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
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Validate(args) => validate::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::Health(args) => health::run(&args),
    }
}
