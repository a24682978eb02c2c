//! Reading the signals a plan asks for, through the ports, each round: the
//! stack's state, which target groups and alarms `"stack"` means, the
//! targets' health and the alarms.
//!
//! | what cannot be read | error |
//! |---|---|
//! | the stack, its resources, a target group: not there | configuration, naming it |
//! | `"stack"` target groups or alarms, when the stack has none (or more than the gate reads) | configuration |
//! | access denied | permission |
//! | AWS failing past the SDK's retries | failed |
//! | an alarm: any of the above, or a named alarm that does not exist | as above, unless `ignore_alarm_read_failure`: then [`AlarmsRead::Unread`] |

use std::fmt;

use crate::alarms::{Alarm, AlarmsRead};
use crate::error::SignalError;
use crate::plan::{MAX_ALARMS, MAX_TARGET_GROUPS, Plan, Selection};
use crate::ports::{ALARM_TYPE, Alarms, Stacks, TARGET_GROUP_TYPE, TargetGroups};
use crate::stack::StackState;
use crate::targets::TargetGroupHealth;

/// What one round read of the release's signals; `None` for a signal the
/// plan does not ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    /// The stack's state.
    pub stack: Option<StackState>,
    /// Each target group's targets.
    pub targets: Option<Vec<TargetGroupHealth>>,
    /// The alarms.
    pub alarms: Option<AlarmsRead>,
}

impl Observation {
    /// Healthy targets in every target group, if targets were read.
    pub fn healthy_targets(&self) -> Option<usize> {
        self.targets
            .as_ref()
            .map(|groups| groups.iter().map(TargetGroupHealth::healthy).sum())
    }

    /// The observation as lines for a report: the stack, each target
    /// group with every target not healthy, the alarms.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(stack) = &self.stack {
            lines.push(stack.to_string());
        }
        for group in self.targets.iter().flatten() {
            let not_healthy: Vec<String> = group
                .targets
                .iter()
                .filter(|t| !t.healthy())
                .map(ToString::to_string)
                .collect();
            if not_healthy.is_empty() {
                lines.push(group.to_string());
            } else {
                lines.push(format!("{group}: {}", not_healthy.join(", ")));
            }
        }
        match &self.alarms {
            Some(AlarmsRead::Read(alarms)) => lines.push(AlarmList(alarms).to_string()),
            Some(AlarmsRead::Unread(why)) => lines.push(format!(
                "alarms not read, passed over (ignore_alarm_read_failure): {why}"
            )),
            None => {}
        }
        lines
    }
}

/// "alarms: a OK, b ALARM (Threshold Crossed: ...)".
struct AlarmList<'a>(&'a [Alarm]);

impl fmt::Display for AlarmList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("alarms: ")?;
        for (i, alarm) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} {}", alarm.name, alarm.state)?;
            if alarm.state != "OK"
                && let Some(reason) = alarm.reason.as_deref().filter(|r| !r.trim().is_empty())
            {
                write!(f, " ({})", reason.trim())?;
            }
        }
        Ok(())
    }
}

/// Reads a plan's signals through `P`'s ports.
#[derive(Debug)]
pub struct Observer<'a, P> {
    plan: &'a Plan,
    ports: &'a P,
}

impl<'a, P: Stacks + TargetGroups + Alarms> Observer<'a, P> {
    /// An observer of `plan`'s signals.
    pub fn new(plan: &'a Plan, ports: &'a P) -> Observer<'a, P> {
        Observer { plan, ports }
    }

    /// Reads every signal the plan asks for, once. `"stack"` is resolved
    /// each time too: a stack being updated may gain or lose a target
    /// group or an alarm between rounds.
    pub async fn observe(&self) -> Result<Observation, SignalError> {
        let stack = match &self.plan.stack {
            Some(name) => Some(self.ports.stack(name).await?),
            None => None,
        };
        let targets = match &self.plan.targets {
            Some(selection) => {
                let arns = self
                    .resolve(
                        selection,
                        TARGET_GROUP_TYPE,
                        "target groups",
                        "targets",
                        MAX_TARGET_GROUPS,
                    )
                    .await?;
                let mut groups = Vec::with_capacity(arns.len());
                for arn in arns {
                    let targets = self.ports.target_health(&arn).await?;
                    groups.push(TargetGroupHealth { arn, targets });
                }
                Some(groups)
            }
            None => None,
        };
        let alarms = match &self.plan.alarms {
            Some(selection) => {
                let names = self
                    .resolve(selection, ALARM_TYPE, "alarms", "alarms", MAX_ALARMS)
                    .await?;
                Some(match self.read_alarms(&names).await {
                    Ok(alarms) => AlarmsRead::Read(alarms),
                    Err(e) if self.plan.ignore_alarm_read_failure => AlarmsRead::Unread(e.message),
                    Err(e) => return Err(e),
                })
            }
            None => None,
        };
        Ok(Observation {
            stack,
            targets,
            alarms,
        })
    }

    /// The names (or ARNs) a selection means: those given, or the physical
    /// ids of the stack's resources of `resource_type`, at least one and at
    /// most `max`.
    async fn resolve(
        &self,
        selection: &Selection,
        resource_type: &str,
        what: &str,
        field: &str,
        max: usize,
    ) -> Result<Vec<String>, SignalError> {
        let stack = match (selection, &self.plan.stack) {
            (Selection::Named(names), _) => return Ok(names.clone()),
            (Selection::Stack, Some(stack)) => stack,
            // The plan refuses "stack" without a stack.
            (Selection::Stack, None) => return Ok(Vec::new()),
        };
        let ids = self.ports.resources(stack, resource_type).await?;
        if ids.is_empty() {
            return Err(SignalError::configuration(format!(
                "stack {stack} has no {what} ({resource_type}) for {field} \"stack\" to check"
            )));
        }
        if ids.len() > max {
            return Err(SignalError::configuration(format!(
                "stack {stack} has {} {what}; the gate reads at most {max}: name those to check in {field}",
                ids.len()
            )));
        }
        Ok(ids)
    }

    /// Every alarm named, in order; one that does not exist is an error.
    async fn read_alarms(&self, names: &[String]) -> Result<Vec<Alarm>, SignalError> {
        let found = self.ports.alarms(names).await?;
        let mut alarms = Vec::with_capacity(names.len());
        let mut missing = Vec::new();
        for name in names {
            match found.iter().find(|a| &a.name == name) {
                Some(alarm) => alarms.push(alarm.clone()),
                None => missing.push(name.as_str()),
            }
        }
        if missing.is_empty() {
            Ok(alarms)
        } else {
            Err(SignalError::configuration(format!(
                "no such alarm: {} (CloudWatch DescribeAlarms)",
                missing.join(", ")
            )))
        }
    }
}
