//! The verdict of one round: every signal the plan asks for, judged
//! together. Pure: the plan, the run of successes and what was read in,
//! a verdict out.
//!
//! - **fail**: a signal is against the release whatever comes next (the
//!   stack rolling back or failed, an alarm in `ALARM`): the gate fails at
//!   once, naming it;
//! - **pass**: every signal passes in the same round: the run of
//!   successes is long enough, its latency within bounds, the stack
//!   complete, every target healthy, no alarm against it;
//! - **inconclusive**: anything else; the gate keeps going until the
//!   deadline, then fails with the evidence.

use crate::judgement::Judgement;
use crate::observe::Observation;
use crate::plan::Plan;
use crate::streak::Streak;
use crate::targets;

/// What a round says about the release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Healthy.
    Pass,
    /// Not proven yet.
    Inconclusive,
    /// Not healthy.
    Fail,
}

impl Outcome {
    /// Its name, as output variables and logs say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Inconclusive => "inconclusive",
            Outcome::Fail => "fail",
        }
    }
}

/// A round's verdict, with why (empty for a pass).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Pass, inconclusive or fail.
    pub outcome: Outcome,
    /// What keeps it from passing: for a failure, what failed; for an
    /// inconclusive verdict, what is not there yet.
    pub reasons: Vec<String>,
}

/// What the signals read say, before any probe of this round: a failure
/// here fails the gate without probing.
pub fn judge_signals(plan: &Plan, observation: &Observation) -> Verdict {
    combine(signal_judgements(plan, observation))
}

/// The round's verdict: the run of successes and its latency, then the
/// signals read.
pub fn judge(plan: &Plan, streak: &Streak, observation: &Observation) -> Verdict {
    let mut judgements = Vec::new();
    if streak.count < plan.consecutive_successes {
        judgements.push(Judgement::Wait(format!(
            "{} of {} successes in a row",
            streak.count, plan.consecutive_successes
        )));
    }
    if let (Some(bound), Some(p95)) = (plan.latency_p95, streak.p95())
        && p95 > bound
    {
        judgements.push(Judgement::Wait(format!(
            "p95 latency {} ms over the last {} successes, above {} ms",
            p95.as_millis(),
            streak.latencies.len(),
            bound.as_millis()
        )));
    }
    judgements.extend(signal_judgements(plan, observation));
    combine(judgements)
}

fn signal_judgements(plan: &Plan, observation: &Observation) -> Vec<Judgement> {
    let mut judgements = Vec::new();
    if let Some(stack) = &observation.stack {
        judgements.push(stack.judge());
    }
    if let Some(groups) = &observation.targets {
        judgements.push(targets::judge(groups, plan.min_healthy_targets));
    }
    if let Some(alarms) = &observation.alarms {
        judgements.push(alarms.judge(plan.insufficient_data));
    }
    judgements
}

/// Any failure fails (naming every failure); else any wait is
/// inconclusive (naming every wait); else a pass.
fn combine(judgements: Vec<Judgement>) -> Verdict {
    let (mut fails, mut waits) = (Vec::new(), Vec::new());
    for judgement in judgements {
        match judgement {
            Judgement::Pass => {}
            Judgement::Wait(why) => waits.push(why),
            Judgement::Fail(why) => fails.push(why),
        }
    }
    if !fails.is_empty() {
        Verdict {
            outcome: Outcome::Fail,
            reasons: fails,
        }
    } else if !waits.is_empty() {
        Verdict {
            outcome: Outcome::Inconclusive,
            reasons: waits,
        }
    } else {
        Verdict {
            outcome: Outcome::Pass,
            reasons: Vec::new(),
        }
    }
}
