//! What the gate reads from AWS, behind three small ports: the stack
//! (CloudFormation), target health (ELBv2) and alarms (CloudWatch). The
//! `release-signals` crate implements them with the AWS SDK; tests
//! implement them in process, for states AWS's emulators cannot produce.

use std::future::Future;

use crate::alarms::Alarm;
use crate::error::SignalError;
use crate::stack::StackState;
use crate::targets::TargetHealth;

/// The resource type of a target group, as CloudFormation names it.
pub const TARGET_GROUP_TYPE: &str = "AWS::ElasticLoadBalancingV2::TargetGroup";
/// The resource type of a CloudWatch alarm, as CloudFormation names it.
pub const ALARM_TYPE: &str = "AWS::CloudWatch::Alarm";

/// CloudFormation stacks.
pub trait Stacks: Send + Sync {
    /// The stack `name`: its status, reason and outputs.
    fn stack(&self, name: &str) -> impl Future<Output = Result<StackState, SignalError>> + Send;

    /// The physical ids of the stack's resources of `resource_type` (a
    /// target group's ARN, an alarm's name), in the stack's order.
    fn resources(
        &self,
        name: &str,
        resource_type: &str,
    ) -> impl Future<Output = Result<Vec<String>, SignalError>> + Send;
}

/// Load balancer target groups.
pub trait TargetGroups: Send + Sync {
    /// The health of every target registered in the target group `arn`.
    fn target_health(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Vec<TargetHealth>, SignalError>> + Send;
}

/// CloudWatch alarms.
pub trait Alarms: Send + Sync {
    /// The alarms among `names` that exist (an alarm that does not is left
    /// out, as `DescribeAlarms` does).
    fn alarms(
        &self,
        names: &[String],
    ) -> impl Future<Output = Result<Vec<Alarm>, SignalError>> + Send;
}
