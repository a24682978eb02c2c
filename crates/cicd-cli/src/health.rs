//! `cicd health`: the Service_Status stage's gate, run from a terminal.
//!
//! The same plan (`health-gate`: its options are the fields of the
//! action's `UserParameters`), the same probe and the same rounds as the
//! Lambda function, with the same settings from the environment
//! (`HEALTH_CHECK_ALLOW_LINK_LOCAL`, `HEALTH_CHECK_ALLOW_LOOPBACK`,
//! `HEALTH_CHECK_CA_FILE`), but no CodePipeline: each attempt is printed
//! as it is made (with the signals read in its round), then the verdict.
//! Loopback is refused, as in Lambda, unless `--allow-loopback` (or the
//! variable) allows it: checking a service on this machine is a deliberate
//! choice. The stack, its targets and its alarms are read with the
//! standard AWS configuration, `--endpoint-url` and `--region` on top.
//!
//! Unlike the function's JSON plan, it asks for one success by default and
//! tries once: `--consecutive-successes N` and `--deadline S` (the
//! function's defaults are 3 and 600) ask for more.

use std::cell::RefCell;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use health_check::{Checker, Schedule, Settings, SystemClock, format};
use health_gate::gate::{self, End, OBSERVE_TIME, Progress};
use health_gate::plan::SelectionSpec;
use health_gate::{InsufficientData, Observer, Plan, PlanSpec, Source};
use release_signals::AwsSignals;

use crate::Status;

/// What `--expect-text` is unless given: the calculator's page title, which
/// the Service_Status stage also expects by default, so that
/// `cicd health URL` checks what the pipeline checks.
const CALCULATOR_TITLE: &str = "Simple Calculator Service";

#[derive(clap::Args)]
pub struct Args {
    /// The URL to check (http or https); with --stack, its output --output
    /// by default.
    #[arg(value_name = "URL", required_unless_present = "stack")]
    url: Option<String>,
    /// The CloudFormation stack of the release: its status must be
    /// CREATE_COMPLETE or UPDATE_COMPLETE (a rollback fails at once).
    #[arg(long, value_name = "NAME")]
    stack: Option<String>,
    /// The stack output holding the URL, when no URL is given [default: Url].
    #[arg(long, value_name = "KEY", requires = "stack", conflicts_with = "url")]
    output: Option<String>,
    /// Target groups whose registered targets must all be healthy: `stack`
    /// (the stack's own) or ARNs, comma-separated.
    #[arg(
        long,
        value_name = "stack|ARN,...",
        value_delimiter = ',',
        requires_if("stack", "stack")
    )]
    targets: Option<Vec<String>>,
    /// Healthy targets each target group needs at least [default: 1].
    #[arg(long, value_name = "N", requires = "targets")]
    min_healthy_targets: Option<u32>,
    /// Alarms that must not be in ALARM: `stack` (the stack's own) or
    /// names, comma-separated.
    #[arg(
        long,
        value_name = "stack|NAME,...",
        value_delimiter = ',',
        requires_if("stack", "stack")
    )]
    alarms: Option<Vec<String>>,
    /// What an alarm in INSUFFICIENT_DATA does [default: wait].
    #[arg(long, value_enum, value_name = "WHAT", requires = "alarms")]
    insufficient_data: Option<NoData>,
    /// Go on without alarms that cannot be read (denied, missing) instead
    /// of failing.
    #[arg(long, requires = "alarms")]
    ignore_alarm_read_failure: bool,
    /// Attempts in a row that must meet every expectation.
    #[arg(long, value_name = "N", default_value_t = 1)]
    consecutive_successes: u32,
    /// Seconds between attempts while the run of successes builds up [default: 5].
    #[arg(long, value_name = "S")]
    probe_interval: Option<f64>,
    /// The most the run's 95th percentile latency may be, in milliseconds.
    #[arg(long, value_name = "MS")]
    latency_p95: Option<u64>,
    /// Text the body must contain, ignoring case; '' checks the status only.
    #[arg(long, value_name = "T", default_value = CALCULATOR_TITLE)]
    expect_text: String,
    /// The status the URL must answer with.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u16).range(100..=599))]
    expect_status: u16,
    /// Keep trying, for up to S seconds after the first attempt, until the
    /// verdict is a pass or a failure (0: one round).
    #[arg(long, value_name = "S", default_value_t = 0.0)]
    deadline: f64,
    /// The most one request may take, in seconds.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    timeout: f64,
    /// Allow loopback targets (127.0.0.0/8, ::1): a service on this machine.
    /// Same as HEALTH_CHECK_ALLOW_LOOPBACK=true.
    #[arg(long)]
    allow_loopback: bool,
    /// Send AWS requests (CloudFormation, ELBv2, CloudWatch) here instead
    /// of AWS (a local emulator, say).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// AWS region; by default the one your AWS configuration names.
    #[arg(long)]
    region: Option<String>,
}

/// `--insufficient-data`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum NoData {
    Ok,
    Wait,
    Fail,
}

pub async fn run(args: &Args) -> Result<Status> {
    let deadline = seconds("--deadline", args.deadline, 0.0, 86_400.0)?;
    let timeout = seconds("--timeout", args.timeout, 0.001, 60.0)?;
    let plan = Plan::from_spec(spec(args, deadline, timeout))
        .map_err(|e| anyhow!("{}", in_flags(&e.0)))?;
    let mut settings = Settings::from_env()?;
    settings.policy.allow_loopback |= args.allow_loopback;
    let checker = Checker::new(settings)?;
    let signals = AwsSignals::from_sdk(&sdk_config(args, &plan).await);
    let (url, from) = match &plan.source {
        Source::Url(url) => (url.clone(), String::new()),
        Source::StackOutput { stack, output } => {
            let state = health_gate::Stacks::stack(&signals, stack).await?;
            if let health_gate::Judgement::Fail(why) = state.judge() {
                say!("unhealthy: {why}");
                return Ok(Status::Failed);
            }
            (
                state.output(output)?,
                format!("the output {output} of stack {stack}"),
            )
        }
    };
    let checks = plan
        .checks(&url, &from, checker.policy())
        .map_err(|e| anyhow!("{e}"))?;
    let url = checks[0].target.to_string();
    let schedule = Schedule {
        deadline,
        backoff: plan.backoff,
        attempt_time: timeout.saturating_mul(checks.len() as u32)
            + if plan.reads_aws() {
                OBSERVE_TIME
            } else {
                Duration::ZERO
            },
        run_until: None,
    };
    let observer = Observer::new(&plan, &signals);
    let read = RefCell::new(Vec::new());
    let run = gate::run(
        &plan,
        &schedule,
        Progress::default(),
        &SystemClock,
        || async {
            let observation = observer.observe().await;
            if let Ok(observed) = &observation {
                *read.borrow_mut() = observed.lines();
            }
            observation
        },
        |number, allowance| {
            let (checks, checker, read) = (&checks, &checker, &read);
            async move {
                let attempt = checker.attempt(checks, number, timeout, allowance).await;
                say!("{attempt}");
                for line in read.borrow().iter() {
                    say!("  {line}");
                }
                attempt
            }
        },
    )
    .await;
    let attempts = run.progress.attempts;
    let evidence = &run.evidence;
    match &run.end {
        End::Passed => {
            let (status, latency) = evidence
                .recent
                .last()
                .and_then(|a| a.primary())
                .map(|p| (p.status.unwrap_or_default(), p.latency))
                .unwrap_or_default();
            let mut line = format!(
                "healthy: {url} answered {} in {} (attempt {attempts})",
                format::status(status),
                format::duration(latency)
            );
            if !plan.is_plain() {
                let streak = &run.progress.streak;
                line.push_str(&format!(
                    "; successes in a row: {}, p95 {} ms",
                    streak.count,
                    streak.p95().unwrap_or_default().as_millis()
                ));
            }
            say!("{line}");
            Ok(Status::Success)
        }
        End::Failed => {
            if evidence.recent.is_empty() {
                for line in evidence.signal_lines() {
                    say!("  {line}");
                }
            }
            let why = evidence
                .verdict
                .as_ref()
                .map(|v| v.reasons.join("; "))
                .unwrap_or_default();
            say!("unhealthy: {url} is not healthy: {why}");
            Ok(Status::Failed)
        }
        End::Refused(attempt) => Err(match attempt.refused() {
            Some(refusal) => anyhow!("{refusal}"),
            None => anyhow!("{attempt}"),
        }),
        End::Unreadable(error) => Err(anyhow!("{error}")),
        End::GaveUp | End::Suspended | End::NoTime => {
            let within = if deadline.is_zero() {
                String::new()
            } else {
                format!(" within {}", format::duration(deadline))
            };
            let not_passed = evidence
                .not_passed()
                .map(|why| format!("; not passed: {why}"))
                .unwrap_or_default();
            say!(
                "unhealthy: {url} did not answer as expected{within} ({attempts} attempt{}){not_passed}",
                if attempts == 1 { "" } else { "s" }
            );
            Ok(Status::Failed)
        }
    }
}

/// The plan's fields, from the options.
fn spec(args: &Args, deadline: Duration, timeout: Duration) -> PlanSpec {
    let selection = |values: &Option<Vec<String>>| {
        values.as_ref().map(|values| match values.as_slice() {
            [word] if word == "stack" => SelectionSpec::Word(word.clone()),
            names => SelectionSpec::List(names.to_vec()),
        })
    };
    PlanSpec {
        url: args.url.clone(),
        stack: args.stack.clone(),
        output: args.output.clone(),
        expect_status: Some(args.expect_status),
        expect_text: Some(args.expect_text.clone()),
        deadline_seconds: Some(deadline.as_secs_f64()),
        timeout_seconds: Some(timeout.as_secs_f64()),
        consecutive_successes: Some(args.consecutive_successes),
        probe_interval_seconds: args.probe_interval,
        latency_p95_ms: args.latency_p95,
        targets: selection(&args.targets),
        min_healthy_targets: args.min_healthy_targets,
        alarms: selection(&args.alarms),
        insufficient_data: args.insufficient_data.map(|what| match what {
            NoData::Ok => InsufficientData::Ok,
            NoData::Wait => InsufficientData::Wait,
            NoData::Fail => InsufficientData::Fail,
        }),
        ignore_alarm_read_failure: args.ignore_alarm_read_failure.then_some(true),
        ..PlanSpec::default()
    }
}

/// The plan's fields as the options that set them, for its messages.
const FLAGS: &[(&str, &str)] = &[
    ("consecutive_successes", "--consecutive-successes"),
    ("probe_interval_seconds", "--probe-interval"),
    ("latency_p95_ms", "--latency-p95"),
    ("min_healthy_targets", "--min-healthy-targets"),
    ("targets", "--targets"),
    ("alarms", "--alarms"),
    ("stack", "--stack"),
];

/// A plan's message in the options' words: `UserParameters.targets[1] is
/// empty` reads `--targets[1] is empty`.
fn in_flags(message: &str) -> String {
    message
        .strip_prefix("UserParameters.")
        .and_then(|rest| {
            FLAGS.iter().find_map(|(field, flag)| {
                rest.strip_prefix(field).map(|tail| format!("{flag}{tail}"))
            })
        })
        .unwrap_or_else(|| message.to_string())
}

/// The standard AWS configuration with the options on top, for a plan that
/// reads AWS; for one that does not, a configuration that loads nothing
/// (its clients are never called).
async fn sdk_config(args: &Args, plan: &Plan) -> SdkConfig {
    if !plan.reads_aws() {
        return SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .build();
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(url) = &args.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = &args.region {
        loader = loader.region(Region::new(region.clone()));
    }
    loader.load().await
}

fn seconds(flag: &str, value: f64, min: f64, max: f64) -> Result<Duration> {
    if !(value.is_finite() && value >= min && value <= max) {
        bail!("{flag} must be from {min} to {max} seconds, not {value}");
    }
    Ok(Duration::from_secs_f64(value))
}
