//! The gate: rounds of reading the signals and probing the service, until
//! the verdict is a pass or a failure, the deadline passes, or the run's
//! time is up (a Lambda invocation ends; a later one goes on from the
//! [`Progress`]).
//!
//! Each round reads the signals first, so that a stack rolling back or an
//! alarm firing fails the gate before any probe; then it makes one attempt
//! (the main check and the extra ones) and judges everything together (see
//! [`crate::verdict`]). After a failed attempt the gate waits as the
//! backoff says; after a successful one that did not settle it, the plan's
//! probe interval. The waits, the deadline and the suspension are
//! `health-check`'s schedule, with the same injectable clock.

use std::future::Future;
use std::time::{Duration, SystemTime};

use health_check::schedule::{self, Bounds, Next};
use health_check::{Attempt, Clock, Schedule};

use crate::error::SignalError;
use crate::observe::Observation;
use crate::plan::Plan;
use crate::streak::Streak;
use crate::verdict::{self, Outcome, Verdict};

/// How many of the latest attempts the evidence keeps.
pub const RECENT_ATTEMPTS: usize = 3;

/// The most time one round's reading of the signals may take; past it the
/// round is inconclusive (nothing unread passes) and the gate tries again
/// after its probe interval. Callers count it in a round's time.
pub const OBSERVE_TIME: Duration = Duration::from_secs(5);

/// Where the gate stands; carried from one run to the next (the
/// continuation token).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// When the first attempt started; the deadline counts from it.
    pub first_attempt_at: Option<SystemTime>,
    /// Attempts made so far, in every run.
    pub attempts: u32,
    /// Failed attempts in a row, for the backoff.
    pub failures: u32,
    /// The run of successes so far.
    pub streak: Streak,
}

impl Progress {
    /// Counts `attempt` in.
    fn record(&mut self, attempt: &Attempt, keep: u32) {
        self.streak.record(attempt, keep);
        self.failures = if attempt.healthy() {
            0
        } else {
            self.failures.saturating_add(1)
        };
    }
}

/// What the gate had seen when it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// The latest attempts of this run (at most [`RECENT_ATTEMPTS`]).
    pub recent: Vec<Attempt>,
    /// The signals read last.
    pub observation: Option<Observation>,
    /// The last round's verdict.
    pub verdict: Option<Verdict>,
}

impl Evidence {
    /// What kept the last round from passing, unless the last attempt's
    /// own line says it all (it failed, and nothing else was wanting).
    pub fn not_passed(&self) -> Option<String> {
        let verdict = self.verdict.as_ref()?;
        let last_failed = self.recent.last().is_some_and(|a| !a.healthy());
        let only_the_run = verdict.reasons.len() == 1 && verdict.reasons[0].starts_with("0 of ");
        if verdict.reasons.is_empty() || (last_failed && only_the_run) {
            None
        } else {
            Some(verdict.reasons.join("; "))
        }
    }

    /// The signals read last, a line each (none for a plan that reads
    /// nothing but the URL).
    pub fn signal_lines(&self) -> Vec<String> {
        self.observation
            .as_ref()
            .map(Observation::lines)
            .unwrap_or_default()
    }
}

/// How a run of the gate ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The verdict is a pass.
    Passed,
    /// The verdict is a failure: a signal is against the release.
    Failed,
    /// The deadline has passed without a pass.
    GaveUp,
    /// This run's time is up before the deadline: go on in a later run.
    Suspended,
    /// A probe's target was refused (see [`Attempt::refused`]): retrying
    /// cannot help.
    Refused(Attempt),
    /// A signal could not be read.
    Unreadable(SignalError),
    /// The run had too little time for even one attempt.
    NoTime,
}

/// The outcome of a run and where the gate stands after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateRun {
    /// How it ended.
    pub end: End,
    /// Where the gate stands, to go on from in a later run.
    pub progress: Progress,
    /// What it had seen.
    pub evidence: Evidence,
}

/// Runs the gate for `plan` on `schedule`'s timing, from `progress`:
/// `observe()` reads the signals, `attempt(number, allowance)` makes
/// attempt `number` within `allowance` (callers log or print each there).
pub async fn run<C, O, OFut, A, AFut>(
    plan: &Plan,
    schedule: &Schedule,
    mut progress: Progress,
    clock: &C,
    mut observe: O,
    mut attempt: A,
) -> GateRun
where
    C: Clock,
    O: FnMut() -> OFut,
    OFut: Future<Output = Result<Observation, SignalError>>,
    A: FnMut(u32, Duration) -> AFut,
    AFut: Future<Output = Attempt>,
{
    let mut evidence = Evidence::default();
    let Some(mut allowance) =
        schedule::first_attempt_allowance(schedule.attempt_time, clock.now(), schedule.run_until)
    else {
        return GateRun {
            end: End::NoTime,
            progress,
            evidence,
        };
    };
    let end = loop {
        let first = *progress.first_attempt_at.get_or_insert_with(|| clock.now());
        let wait = match tokio::time::timeout(OBSERVE_TIME, observe()).await {
            Ok(Err(error)) => break End::Unreadable(error),
            // Not read in time: this round cannot pass; try again later.
            Err(_) => {
                evidence.verdict = Some(Verdict {
                    outcome: Outcome::Inconclusive,
                    reasons: vec![format!(
                        "the release's signals were not read within {} s",
                        OBSERVE_TIME.as_secs()
                    )],
                });
                plan.probe_interval
            }
            Ok(Ok(observation)) => {
                let early = verdict::judge_signals(plan, &observation);
                if early.outcome == Outcome::Fail {
                    evidence.observation = Some(observation);
                    evidence.verdict = Some(early);
                    break End::Failed;
                }
                progress.attempts = progress.attempts.saturating_add(1);
                let made = attempt(progress.attempts, allowance).await;
                if made.refused().is_some() {
                    break End::Refused(made);
                }
                progress.record(&made, plan.consecutive_successes);
                let healthy = made.healthy();
                if evidence.recent.len() == RECENT_ATTEMPTS {
                    evidence.recent.remove(0);
                }
                evidence.recent.push(made);
                let verdict = verdict::judge(plan, &progress.streak, &observation);
                let outcome = verdict.outcome;
                evidence.observation = Some(observation);
                evidence.verdict = Some(verdict);
                match outcome {
                    Outcome::Pass => break End::Passed,
                    Outcome::Fail => break End::Failed,
                    Outcome::Inconclusive if healthy => plan.probe_interval,
                    Outcome::Inconclusive => schedule.backoff.after(progress.failures),
                }
            }
        };
        let bounds = Bounds {
            give_up_at: first + schedule.deadline,
            run_until: schedule.run_until,
        };
        match schedule::next(wait, schedule.attempt_time, clock.now(), &bounds) {
            Next::RetryIn(wait) => {
                clock.sleep(wait).await;
                allowance = schedule.attempt_time;
            }
            Next::Suspend => break End::Suspended,
            Next::GiveUp => break End::GaveUp,
        }
    };
    GateRun {
        end,
        progress,
        evidence,
    }
}
