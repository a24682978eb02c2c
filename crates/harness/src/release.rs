//! A release on moto, for the health gate: a CloudFormation stack whose
//! URL output points at a service of the test's, with a target group, EC2
//! instances registered in it, and the release's two CloudWatch alarms.
//!
//! What moto does with them (moto 5.2.5): a registered running instance is
//! `healthy`; a stopped one `unused` (`Target.InvalidState`); a terminated
//! one is deregistered; it never reports `unhealthy`, `initial` or
//! `draining` (tests reach those through the gate's ports). An alarm starts `OK` and moves with
//! [`MotoServer::set_alarm_state`]. moto's CloudFormation does not model
//! `AWS::CloudWatch::Alarm` (`DescribeStackResources` lists it without a
//! type or id), so the alarms are made with CloudWatch's API and named
//! after the stack, as `application.json` names its own.
//!
//! EC2 is spoken to with its query API by hand ([`MotoServer::ec2_action`]):
//! the EC2 SDK is the largest AWS crate, and starting and stopping an
//! instance are two small requests.

use std::time::Duration;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic};
use aws_sdk_elasticloadbalancingv2::types::TargetDescription;

use crate::moto::{ACCESS_KEY_ID, MotoServer, REGION, error_text};

/// An AMI moto knows (one of its default images).
pub const MOTO_AMI: &str = "ami-12c6146b";

/// A release on moto: its stack, target group, instances and alarms.
#[derive(Debug, Clone)]
pub struct ReleaseStack {
    /// The stack's name.
    pub name: String,
    /// The target group's ARN.
    pub target_group: String,
    /// The instances registered in it, on port 8080.
    pub instances: Vec<String>,
    /// The alarm on the targets' 5xx answers: `<stack>-target-5xx`.
    pub target_5xx_alarm: String,
    /// The alarm on unhealthy hosts: `<stack>-unhealthy-hosts`.
    pub unhealthy_hosts_alarm: String,
}

impl ReleaseStack {
    /// Both alarms' names.
    pub fn alarms(&self) -> Vec<String> {
        vec![
            self.target_5xx_alarm.clone(),
            self.unhealthy_hosts_alarm.clone(),
        ]
    }
}

impl MotoServer {
    /// An ELBv2 client.
    pub fn elbv2(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        aws_sdk_elasticloadbalancingv2::Client::new(&self.sdk_config())
    }

    /// A CloudWatch client.
    pub fn cloudwatch(&self) -> aws_sdk_cloudwatch::Client {
        aws_sdk_cloudwatch::Client::new(&self.sdk_config())
    }

    /// Creates a release: a stack `name` (a VPC, a subnet, `instances`
    /// instances, a target group; output `Url` = `url`), the instances
    /// registered in the target group on port 8080, and its two alarms,
    /// `OK`. Panics on failure.
    pub async fn create_release_stack(
        &self,
        name: &str,
        url: &str,
        instances: usize,
    ) -> ReleaseStack {
        let mut resources = serde_json::json!({
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24"}},
            "TargetGroup": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
                "Port": 8080, "Protocol": "HTTP", "VpcId": {"Ref": "Vpc"}, "HealthCheckPath": "/"}},
        });
        for i in 0..instances {
            resources[format!("Instance{i}")] = serde_json::json!({
                "Type": "AWS::EC2::Instance",
                "Properties": {"ImageId": MOTO_AMI, "InstanceType": "t3.micro", "SubnetId": {"Ref": "Subnet"}}
            });
        }
        let template = serde_json::json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": resources,
            "Outputs": {"Url": {"Value": url}},
        });
        let cfn = self.cloudformation();
        cfn.create_stack()
            .stack_name(name)
            .template_body(template.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("create stack {name}: {}", error_text(&e)));
        let listed = cfn
            .describe_stack_resources()
            .stack_name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("describe resources of {name}: {}", error_text(&e)));
        let id_of = |logical: &str| {
            listed
                .stack_resources()
                .iter()
                .find(|r| r.logical_resource_id() == Some(logical))
                .and_then(|r| r.physical_resource_id())
                .unwrap_or_else(|| panic!("stack {name} has no {logical}: {listed:?}"))
                .to_string()
        };
        let target_group = id_of("TargetGroup");
        let instances: Vec<String> = (0..instances)
            .map(|i| id_of(&format!("Instance{i}")))
            .collect();
        if !instances.is_empty() {
            let targets: Vec<TargetDescription> = instances
                .iter()
                .map(|id| TargetDescription::builder().id(id).port(8080).build())
                .collect();
            self.elbv2()
                .register_targets()
                .target_group_arn(&target_group)
                .set_targets(Some(targets))
                .send()
                .await
                .unwrap_or_else(|e| panic!("register targets in {name}: {}", error_text(&e)));
        }
        let release = ReleaseStack {
            name: name.to_string(),
            target_group,
            instances,
            target_5xx_alarm: format!("{name}-target-5xx"),
            unhealthy_hosts_alarm: format!("{name}-unhealthy-hosts"),
        };
        for (alarm, metric) in [
            (&release.target_5xx_alarm, "HTTPCode_Target_5XX_Count"),
            (&release.unhealthy_hosts_alarm, "UnHealthyHostCount"),
        ] {
            self.cloudwatch()
                .put_metric_alarm()
                .alarm_name(alarm)
                .namespace("AWS/ApplicationELB")
                .metric_name(metric)
                .dimensions(
                    Dimension::builder()
                        .name("TargetGroup")
                        .value(&release.target_group)
                        .build(),
                )
                .statistic(Statistic::Maximum)
                .period(60)
                .evaluation_periods(1)
                .threshold(1.0)
                .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
                .send()
                .await
                .unwrap_or_else(|e| panic!("put alarm {alarm}: {}", error_text(&e)));
        }
        release
    }

    /// Sets the alarm `name` to `state` (`OK`, `ALARM`,
    /// `INSUFFICIENT_DATA`) with `reason`; panics on failure.
    pub async fn set_alarm_state(&self, name: &str, state: &str, reason: &str) {
        self.cloudwatch()
            .set_alarm_state()
            .alarm_name(name)
            .state_value(StateValue::from(state))
            .state_reason(reason)
            .send()
            .await
            .unwrap_or_else(|e| panic!("set alarm {name} to {state}: {}", error_text(&e)));
    }

    /// Stops the instances `ids`; panics on failure.
    pub fn stop_instances(&self, ids: &[String]) {
        self.ec2_instances_action("StopInstances", ids);
    }

    /// Starts the instances `ids`; panics on failure.
    pub fn start_instances(&self, ids: &[String]) {
        self.ec2_instances_action("StartInstances", ids);
    }

    fn ec2_instances_action(&self, action: &str, ids: &[String]) {
        let params: Vec<(String, String)> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (format!("InstanceId.{}", i + 1), id.clone()))
            .collect();
        self.ec2_action(action, &params);
    }

    /// Sends an EC2 query-API request (`Action=…&Version=2016-11-15&…`) to
    /// moto and returns the XML answer; panics unless it succeeds. moto
    /// picks the service from the credential scope of the `Authorization`
    /// header, and checks no signature.
    pub fn ec2_action(&self, action: &str, params: &[(String, String)]) -> String {
        let mut body = format!("Action={action}&Version=2016-11-15");
        for (key, value) in params {
            body.push_str(&format!("&{}={}", form_encode(key), form_encode(value)));
        }
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20240101/{REGION}/ec2/aws4_request, SignedHeaders=host, Signature=0"
        );
        let response = crate::http_client::request(
            "POST",
            &format!("{}/", self.endpoint()),
            &[
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                ("Authorization", &authorization),
            ],
            body.as_bytes(),
            Duration::from_secs(10),
        )
        .unwrap_or_else(|e| panic!("EC2 {action}: {e}"));
        let text = response.text();
        assert_eq!(response.status, 200, "EC2 {action}: {text}");
        text
    }
}

/// `application/x-www-form-urlencoded` for the characters instance ids and
/// parameter names may hold.
fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
