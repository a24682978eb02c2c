//! Target health: the load balancer's own view of the release. When every
//! target of an Application Load Balancer is unhealthy, it fails open and
//! routes to all of them, so a 200 through it proves little; its targets'
//! health says what a single answer cannot.
//!
//! Every registered target must be `healthy`, and each target group needs
//! at least `min_healthy_targets` of them. Any other state (`initial`,
//! `unhealthy`, `draining`, `unused`, `unavailable`, ...) keeps the gate
//! from passing, and the report names each such target with its state and
//! AWS's reason code; none fails the gate at once, since each may clear
//! (a target still registering, an instance being replaced).

use std::fmt;

use crate::judgement::Judgement;

/// The one state that counts as healthy.
pub const HEALTHY: &str = "healthy";

/// One target as `DescribeTargetHealth` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetHealth {
    /// The instance id, IP address or Lambda ARN.
    pub id: String,
    /// The port it is registered on, if any.
    pub port: Option<i32>,
    /// `TargetHealth.State`: `healthy`, `initial`, `unhealthy`, `unused`,
    /// `draining`, `unavailable`, ...
    pub state: String,
    /// `TargetHealth.Reason`, e.g. `Target.InvalidState`.
    pub reason: Option<String>,
    /// `TargetHealth.Description`.
    pub description: Option<String>,
}

impl TargetHealth {
    /// Whether the load balancer counts it as healthy.
    pub fn healthy(&self) -> bool {
        self.state == HEALTHY
    }
}

impl fmt::Display for TargetHealth {
    /// "i-0abc:8080 unused (Target.InvalidState: Target is in the stopped state)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, " {}", self.state)?;
        let description = self.description.as_deref().filter(|d| !d.trim().is_empty());
        match (self.reason.as_deref(), description) {
            (Some(reason), Some(description)) => write!(f, " ({reason}: {})", description.trim()),
            (Some(reason), None) => write!(f, " ({reason})"),
            (None, Some(description)) => write!(f, " ({})", description.trim()),
            (None, None) => Ok(()),
        }
    }
}

/// The targets of one target group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGroupHealth {
    /// The target group's ARN.
    pub arn: String,
    /// Its registered targets.
    pub targets: Vec<TargetHealth>,
}

impl TargetGroupHealth {
    /// The group as messages name it: `targetgroup/NAME/ID`, the part of
    /// its ARN after the account (the whole ARN if it has no such part).
    pub fn short_name(&self) -> &str {
        self.arn
            .find("targetgroup/")
            .map(|at| &self.arn[at..])
            .unwrap_or(&self.arn)
    }

    /// Its healthy targets.
    pub fn healthy(&self) -> usize {
        self.targets.iter().filter(|t| t.healthy()).count()
    }

    /// What the group says about the release: wait unless every
    /// registered target is healthy and there are at least `min` of them.
    pub fn judge(&self, min: u32) -> Judgement {
        let healthy = self.healthy();
        let not_healthy: Vec<String> = self
            .targets
            .iter()
            .filter(|t| !t.healthy())
            .map(ToString::to_string)
            .collect();
        if not_healthy.is_empty() && healthy >= min as usize {
            return Judgement::Pass;
        }
        let mut why = format!("{self}");
        if healthy < min as usize {
            why.push_str(&format!(" (at least {min} needed)"));
        }
        if !not_healthy.is_empty() {
            why.push_str(&format!(": {}", not_healthy.join(", ")));
        }
        Judgement::Wait(why)
    }
}

impl fmt::Display for TargetGroupHealth {
    /// "target group targetgroup/NAME/ID: 1 of 2 targets healthy".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "target group {}: ", self.short_name())?;
        match self.targets.len() {
            0 => f.write_str("no registered targets"),
            1 => write!(f, "{} of 1 target healthy", self.healthy()),
            n => write!(f, "{} of {n} targets healthy", self.healthy()),
        }
    }
}

/// What the target groups say together: the first wait of each group.
pub fn judge(groups: &[TargetGroupHealth], min: u32) -> Judgement {
    let waits: Vec<String> = groups
        .iter()
        .filter_map(|g| match g.judge(min) {
            Judgement::Pass => None,
            Judgement::Wait(why) | Judgement::Fail(why) => Some(why),
        })
        .collect();
    if waits.is_empty() {
        Judgement::Pass
    } else {
        Judgement::Wait(waits.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/CICD-TG/6d0ecf831eec9f09";

    fn target(
        id: &str,
        state: &str,
        reason: Option<&str>,
        description: Option<&str>,
    ) -> TargetHealth {
        TargetHealth {
            id: id.to_string(),
            port: Some(8080),
            state: state.to_string(),
            reason: reason.map(str::to_string),
            description: description.map(str::to_string),
        }
    }

    fn group(targets: Vec<TargetHealth>) -> TargetGroupHealth {
        TargetGroupHealth {
            arn: ARN.to_string(),
            targets,
        }
    }

    #[test]
    fn every_registered_target_healthy_and_enough_of_them_passes() {
        let two = group(vec![
            target("i-1", "healthy", None, None),
            target("i-2", "healthy", None, None),
        ]);
        assert_eq!(two.judge(1), Judgement::Pass);
        assert_eq!(two.judge(2), Judgement::Pass);
        assert_eq!(
            two.judge(3),
            Judgement::Wait(
                "target group targetgroup/CICD-TG/6d0ecf831eec9f09: 2 of 2 targets healthy (at least 3 needed)"
                    .to_string()
            )
        );
        assert_eq!(
            group(Vec::new()).judge(1),
            Judgement::Wait(
                "target group targetgroup/CICD-TG/6d0ecf831eec9f09: no registered targets (at least 1 needed)"
                    .to_string()
            )
        );
    }

    #[test]
    fn any_target_not_healthy_waits_and_is_named_with_its_state_and_reason() {
        for state in [
            "initial",
            "unhealthy",
            "draining",
            "unused",
            "unavailable",
            "unhealthy.draining",
        ] {
            let judged = group(vec![
                target("i-1", "healthy", None, None),
                target("i-2", state, Some("Elb.Reason"), None),
            ])
            .judge(1);
            assert_eq!(
                judged,
                Judgement::Wait(format!(
                    "target group targetgroup/CICD-TG/6d0ecf831eec9f09: 1 of 2 targets healthy: i-2:8080 {state} (Elb.Reason)"
                )),
                "{state}"
            );
        }
        let stopped = group(vec![
            target("i-1", "healthy", None, None),
            target(
                "i-2",
                "unused",
                Some("Target.InvalidState"),
                Some("Target is in the stopped state"),
            ),
            target(
                "10.0.0.7",
                "unhealthy",
                Some("Target.ResponseCodeMismatch"),
                Some("Health checks failed with these codes: [502]"),
            ),
        ]);
        assert_eq!(
            judge(&[stopped], 1),
            Judgement::Wait(
                "target group targetgroup/CICD-TG/6d0ecf831eec9f09: 1 of 3 targets healthy: i-2:8080 unused (Target.InvalidState: Target is in the stopped state), 10.0.0.7:8080 unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [502])"
                    .to_string()
            )
        );
    }

    #[test]
    fn groups_are_judged_each_and_named_by_the_end_of_their_arn() {
        let healthy = group(vec![target("i-1", "healthy", None, None)]);
        let other = TargetGroupHealth {
            arn: "tg-without-the-usual-form".to_string(),
            targets: vec![target(
                "i-9",
                "initial",
                Some("Elb.RegistrationInProgress"),
                None,
            )],
        };
        assert_eq!(judge(std::slice::from_ref(&healthy), 1), Judgement::Pass);
        assert_eq!(
            judge(&[healthy, other], 1),
            Judgement::Wait(
                "target group tg-without-the-usual-form: 0 of 1 target healthy (at least 1 needed): i-9:8080 initial (Elb.RegistrationInProgress)"
                    .to_string()
            )
        );
    }
}
