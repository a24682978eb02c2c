//! `cicd health`: the Service_Status stage's check, run from a terminal.
//!
//! The same probe, expectation and retry loop as the Lambda function
//! (`health-check`), with the same settings from the environment
//! (`HEALTH_CHECK_ALLOW_LINK_LOCAL`, `HEALTH_CHECK_ALLOW_LOOPBACK`,
//! `HEALTH_CHECK_CA_FILE`), but no CodePipeline: each attempt is printed as
//! it is made, then the result. Loopback is refused, as in Lambda, unless
//! `--allow-loopback` (or the variable) allows it: checking a service on
//! this machine is a deliberate choice.
//! By default it tries once; `--deadline S` keeps retrying, with backoff,
//! for up to S seconds (the Lambda function's default is 600).

use std::time::Duration;

use anyhow::{Result, anyhow, bail};

use health_check::{
    Backoff, Check, Checker, Expectation, Progress, RunEnd, Schedule, Settings, SystemClock,
    Target, format, wait_until_healthy,
};

use crate::Status;

/// What `--expect-text` is unless given: the calculator's page title, which
/// the Service_Status stage also expects by default, so that
/// `cicd health URL` checks what the pipeline checks.
const CALCULATOR_TITLE: &str = "Simple Calculator Service";

#[derive(clap::Args)]
pub struct Args {
    /// The URL to check (http or https).
    #[arg(value_name = "URL")]
    url: String,
    /// Text the body must contain, ignoring case; '' checks the status only.
    #[arg(long, value_name = "T", default_value = CALCULATOR_TITLE)]
    expect_text: String,
    /// The status the URL must answer with.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u16).range(100..=599))]
    expect_status: u16,
    /// Keep retrying, with backoff, for up to S seconds after the first attempt (0: one attempt).
    #[arg(long, value_name = "S", default_value_t = 0.0)]
    deadline: f64,
    /// The most one request may take, in seconds.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    timeout: f64,
    /// Allow loopback targets (127.0.0.0/8, ::1): a service on this machine.
    /// Same as HEALTH_CHECK_ALLOW_LOOPBACK=true.
    #[arg(long)]
    allow_loopback: bool,
}

pub async fn run(args: &Args) -> Result<Status> {
    let deadline = seconds("--deadline", args.deadline, 0.0, 86_400.0)?;
    let timeout = seconds("--timeout", args.timeout, 0.001, 60.0)?;
    let mut settings = Settings::from_env()?;
    settings.policy.allow_loopback |= args.allow_loopback;
    let checker = Checker::new(settings)?;
    let target = Target::parse(&args.url, checker.policy())?;
    let url = target.to_string();
    let checks = [Check {
        target,
        expect: Expectation {
            status: args.expect_status,
            text: Some(args.expect_text.clone()).filter(|t| !t.is_empty()),
            case_sensitive: false,
        },
    }];
    let schedule = Schedule {
        deadline,
        backoff: Backoff::default(),
        attempt_time: timeout,
        run_until: None,
    };
    let run = wait_until_healthy(
        &schedule,
        Progress::default(),
        &SystemClock,
        |number, allowance| {
            let checks = &checks;
            let checker = &checker;
            async move {
                let attempt = checker.attempt(checks, number, timeout, allowance).await;
                println!("{attempt}");
                attempt
            }
        },
    )
    .await;
    let attempts = run.progress.attempts;
    match run.end {
        RunEnd::Healthy(attempt) => {
            let (status, latency) = attempt
                .primary()
                .map(|p| (p.status.unwrap_or_default(), p.latency))
                .unwrap_or_default();
            println!(
                "healthy: {url} answered {} in {} (attempt {attempts})",
                format::status(status),
                format::duration(latency)
            );
            Ok(Status::Success)
        }
        RunEnd::Refused(attempt) => Err(match attempt.refused() {
            Some(refusal) => anyhow!("{refusal}"),
            None => anyhow!("{attempt}"),
        }),
        RunEnd::Unhealthy { .. } | RunEnd::Suspended { .. } | RunEnd::NoTime => {
            let within = if deadline.is_zero() {
                String::new()
            } else {
                format!(" within {}", format::duration(deadline))
            };
            println!(
                "unhealthy: {url} did not answer as expected{within} ({attempts} attempt{})",
                if attempts == 1 { "" } else { "s" }
            );
            Ok(Status::Failed)
        }
    }
}

fn seconds(flag: &str, value: f64, min: f64, max: f64) -> Result<Duration> {
    if !(value.is_finite() && value >= min && value <= max) {
        bail!("{flag} must be from {min} to {max} seconds, not {value}");
    }
    Ok(Duration::from_secs_f64(value))
}
