//! Reading the signals a plan asks for, through the ports: once per
//! invocation, which target groups and alarms `"stack"` means; then, each
//! round, the stack's state, the targets' health and the alarms.
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
    target_groups: Vec<String>,
    alarms: Vec<String>,
}

impl<'a, P: Stacks + TargetGroups + Alarms> Observer<'a, P> {
    /// An observer of `plan`'s signals, with `"stack"` resolved to the
    /// stack's target groups and alarms.
    pub async fn new(plan: &'a Plan, ports: &'a P) -> Result<Observer<'a, P>, SignalError> {
        let target_groups = match (&plan.targets, &plan.stack) {
            (Some(Selection::Named(arns)), _) => arns.clone(),
            (Some(Selection::Stack), Some(stack)) => {
                of_stack(
                    ports,
                    stack,
                    TARGET_GROUP_TYPE,
                    "target groups",
                    "targets",
                    MAX_TARGET_GROUPS,
                )
                .await?
            }
            _ => Vec::new(),
        };
        let alarms = match (&plan.alarms, &plan.stack) {
            (Some(Selection::Named(names)), _) => names.clone(),
            (Some(Selection::Stack), Some(stack)) => {
                of_stack(ports, stack, ALARM_TYPE, "alarms", "alarms", MAX_ALARMS).await?
            }
            _ => Vec::new(),
        };
        Ok(Observer {
            plan,
            ports,
            target_groups,
            alarms,
        })
    }

    /// The target groups read each round.
    pub fn target_groups(&self) -> &[String] {
        &self.target_groups
    }

    /// The alarms read each round.
    pub fn alarm_names(&self) -> &[String] {
        &self.alarms
    }

    /// Reads every signal the plan asks for, once.
    pub async fn observe(&self) -> Result<Observation, SignalError> {
        let stack = match &self.plan.stack {
            Some(name) => Some(self.ports.stack(name).await?),
            None => None,
        };
        let targets = match self.plan.targets {
            Some(_) => {
                let mut groups = Vec::with_capacity(self.target_groups.len());
                for arn in &self.target_groups {
                    groups.push(TargetGroupHealth {
                        arn: arn.clone(),
                        targets: self.ports.target_health(arn).await?,
                    });
                }
                Some(groups)
            }
            None => None,
        };
        let alarms = match self.plan.alarms {
            Some(_) => Some(match self.read_alarms().await {
                Ok(alarms) => AlarmsRead::Read(alarms),
                Err(e) if self.plan.ignore_alarm_read_failure => AlarmsRead::Unread(e.message),
                Err(e) => return Err(e),
            }),
            None => None,
        };
        Ok(Observation {
            stack,
            targets,
            alarms,
        })
    }

    /// Every alarm named, in order; one that does not exist is an error.
    async fn read_alarms(&self) -> Result<Vec<Alarm>, SignalError> {
        let found = self.ports.alarms(&self.alarms).await?;
        let mut alarms = Vec::with_capacity(self.alarms.len());
        let mut missing = Vec::new();
        for name in &self.alarms {
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

/// The physical ids of `stack`'s resources of `resource_type`: at least
/// one, at most `max`.
async fn of_stack<P: Stacks>(
    ports: &P,
    stack: &str,
    resource_type: &str,
    what: &str,
    field: &str,
    max: usize,
) -> Result<Vec<String>, SignalError> {
    let ids = ports.resources(stack, resource_type).await?;
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
