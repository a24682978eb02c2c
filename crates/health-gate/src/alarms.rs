//! Alarms: what the release's own monitoring says (its target 5xx, its
//! unhealthy hosts, ...).
//!
//! | state | judgement |
//! |---|---|
//! | `OK` | pass |
//! | `ALARM` | fail at once, naming the alarm and CloudWatch's reason |
//! | `INSUFFICIENT_DATA` | as the plan's `insufficient_data` says: `ok` passes, `wait` (the default) waits, `fail` fails at once |
//! | anything else | fail at once: an alarm the gate cannot read is not a pass |
//!
//! Alarms that cannot be read fail the gate (see [`crate::observe`]),
//! unless the plan says `ignore_alarm_read_failure`: then they are
//! [`AlarmsRead::Unread`], noted in the report and passed over.

use std::fmt;

use crate::judgement::Judgement;
use crate::plan::InsufficientData;

/// One alarm as `DescribeAlarms` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// `AlarmName`.
    pub name: String,
    /// `StateValue`: `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    /// `StateReason`.
    pub reason: Option<String>,
}

impl Alarm {
    /// What the alarm says about the release, under `policy` for
    /// `INSUFFICIENT_DATA`.
    pub fn judge(&self, policy: InsufficientData) -> Judgement {
        match (self.state.as_str(), policy) {
            ("OK", _) | ("INSUFFICIENT_DATA", InsufficientData::Ok) => Judgement::Pass,
            ("INSUFFICIENT_DATA", InsufficientData::Wait) => Judgement::Wait(self.to_string()),
            ("ALARM", _) | ("INSUFFICIENT_DATA", InsufficientData::Fail) => {
                Judgement::Fail(self.to_string())
            }
            _ => Judgement::Fail(format!("{self}, a state the gate does not know")),
        }
    }
}

impl fmt::Display for Alarm {
    /// "alarm NAME is ALARM: Threshold Crossed: ...".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "alarm {} is {}", self.name, self.state)?;
        match self.reason.as_deref().map(str::trim) {
            Some(reason) if !reason.is_empty() => write!(f, ": {reason}"),
            _ => Ok(()),
        }
    }
}

/// The plan's alarms, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmsRead {
    /// Every alarm, in the order the plan (or the stack) names them.
    Read(Vec<Alarm>),
    /// They could not be read, and the plan says to go on without them:
    /// why not.
    Unread(String),
}

impl AlarmsRead {
    /// What the alarms say together: every failure, else every wait.
    pub fn judge(&self, policy: InsufficientData) -> Judgement {
        let Self::Read(alarms) = self else {
            return Judgement::Pass;
        };
        let judged: Vec<Judgement> = alarms.iter().map(|a| a.judge(policy)).collect();
        let why = |fail: bool| -> Vec<String> {
            judged
                .iter()
                .filter_map(|j| match j {
                    Judgement::Fail(why) if fail => Some(why.clone()),
                    Judgement::Wait(why) if !fail => Some(why.clone()),
                    _ => None,
                })
                .collect()
        };
        let (fails, waits) = (why(true), why(false));
        if !fails.is_empty() {
            Judgement::Fail(fails.join("; "))
        } else if !waits.is_empty() {
            Judgement::Wait(waits.join("; "))
        } else {
            Judgement::Pass
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm(name: &str, state: &str, reason: Option<&str>) -> Alarm {
        Alarm {
            name: name.to_string(),
            state: state.to_string(),
            reason: reason.map(str::to_string),
        }
    }

    #[test]
    fn ok_passes_alarm_fails_insufficient_data_follows_the_plan() {
        use InsufficientData::{Fail, Ok, Wait};
        let ok = alarm("s-target-5xx", "OK", None);
        let firing = alarm(
            "s-target-5xx",
            "ALARM",
            Some("Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0)."),
        );
        let no_data = alarm("s-unhealthy-hosts", "INSUFFICIENT_DATA", None);
        for policy in [Ok, Wait, Fail] {
            assert_eq!(ok.judge(policy), Judgement::Pass);
            assert_eq!(
                firing.judge(policy),
                Judgement::Fail(
                    "alarm s-target-5xx is ALARM: Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0)."
                        .to_string()
                )
            );
        }
        assert_eq!(no_data.judge(Ok), Judgement::Pass);
        assert_eq!(
            no_data.judge(Wait),
            Judgement::Wait("alarm s-unhealthy-hosts is INSUFFICIENT_DATA".to_string())
        );
        assert_eq!(
            no_data.judge(Fail),
            Judgement::Fail("alarm s-unhealthy-hosts is INSUFFICIENT_DATA".to_string())
        );
        assert_eq!(
            alarm("x", "MUTED", None).judge(Ok),
            Judgement::Fail("alarm x is MUTED, a state the gate does not know".to_string())
        );
    }

    #[test]
    fn together_any_failure_wins_then_any_wait() {
        let read = |alarms: Vec<Alarm>| AlarmsRead::Read(alarms);
        let ok = alarm("a", "OK", None);
        let waiting = alarm("b", "INSUFFICIENT_DATA", None);
        let firing = alarm("c", "ALARM", None);
        assert_eq!(
            read(vec![ok.clone(), waiting.clone(), firing.clone()]).judge(InsufficientData::Wait),
            Judgement::Fail("alarm c is ALARM".to_string())
        );
        assert_eq!(
            read(vec![ok.clone(), waiting]).judge(InsufficientData::Wait),
            Judgement::Wait("alarm b is INSUFFICIENT_DATA".to_string())
        );
        assert_eq!(
            read(vec![ok]).judge(InsufficientData::Wait),
            Judgement::Pass
        );
        assert_eq!(
            AlarmsRead::Unread("denied".to_string()).judge(InsufficientData::Fail),
            Judgement::Pass
        );
    }
}
