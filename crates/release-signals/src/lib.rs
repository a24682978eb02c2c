//! A release's signals read from AWS, for the health gate: the ports of
//! `health-gate` implemented with the AWS SDK.
//!
//! - [`cloudformation`]: the stack's state and outputs (`DescribeStacks`),
//!   its target groups and alarms (`DescribeStackResources`);
//! - [`elbv2`]: each target group's target health (`DescribeTargetHealth`);
//! - [`cloudwatch`]: alarms (`DescribeAlarms`).
//!
//! Every error is sorted by [`aws_errors::classify`], as the other AWS
//! calls of the workspace are, into a [`health_gate::SignalError`]: a
//! missing resource is the plan's to fix, a denied call the role's, and
//! anything else (after the SDK's retries) a failure.
//!
//! Start with [`AwsSignals::from_sdk`].

#![warn(missing_docs)]

pub mod cloudformation;
pub mod cloudwatch;
pub mod elbv2;

use aws_config::SdkConfig;
use health_gate::{Alarm, Alarms, SignalError, StackState, Stacks, TargetGroups, TargetHealth};

/// The three clients the gate reads through.
#[derive(Debug, Clone)]
pub struct AwsSignals {
    /// CloudFormation: the stack.
    pub cloudformation: aws_sdk_cloudformation::Client,
    /// ELBv2: target health.
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    /// CloudWatch: alarms.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

impl AwsSignals {
    /// Clients made from one SDK configuration (its region, credentials
    /// and endpoints: `AWS_ENDPOINT_URL` and the per-service ones).
    pub fn from_sdk(sdk: &SdkConfig) -> AwsSignals {
        AwsSignals {
            cloudformation: aws_sdk_cloudformation::Client::new(sdk),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::new(sdk),
            cloudwatch: aws_sdk_cloudwatch::Client::new(sdk),
        }
    }
}

impl Stacks for AwsSignals {
    async fn stack(&self, name: &str) -> Result<StackState, SignalError> {
        cloudformation::stack(&self.cloudformation, name).await
    }

    async fn resources(&self, name: &str, resource_type: &str) -> Result<Vec<String>, SignalError> {
        cloudformation::resources(&self.cloudformation, name, resource_type).await
    }
}

impl TargetGroups for AwsSignals {
    async fn target_health(&self, arn: &str) -> Result<Vec<TargetHealth>, SignalError> {
        elbv2::target_health(&self.elbv2, arn).await
    }
}

impl Alarms for AwsSignals {
    async fn alarms(&self, names: &[String]) -> Result<Vec<Alarm>, SignalError> {
        cloudwatch::alarms(&self.cloudwatch, names).await
    }
}
