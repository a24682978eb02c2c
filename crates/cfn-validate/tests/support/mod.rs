//! What the cfn-validate tests need: [`in_memory`] runs the handler in
//! process with its ports in memory; [`Stage`] runs it end to end, against
//! moto (S3, DynamoDB) and the fake CodePipeline (`harness::stage`),
//! through the runner as the binary runs it.

#![allow(dead_code)]

pub mod in_memory;

use cfn_validate::{Settings, Validator};
use harness::codepipeline::JobReport;
use harness::events::JobEvent;
use harness::moto::MotoServer;
use harness::unique_name;
use harness::workspace_root;
use harness::zip::{make_zip, read_zip};
use pipeline_job::Runner;
use rules_table::RulesTable;
use serde_json::json;
use template_rules::Thresholds;

/// The stage rig with moto, a bucket and an empty rules table in it.
pub struct Stage {
    pub rig: harness::stage::Stage,
    pub moto: &'static MotoServer,
    pub bucket: String,
    pub table: String,
}

pub const SOURCE_KEY: &str = "pipeline/SourceArti/source.zip";
pub const OUTPUT_KEY: &str = "pipeline/ValidatedT/validated.zip";
pub const APP_TEMPLATE: &str = "cloudformation/application.json";

impl Stage {
    pub async fn new() -> Stage {
        let rig = harness::stage::Stage::with_moto();
        let moto = rig.moto();
        let bucket = unique_name("artifacts");
        let table = unique_name("rules");
        moto.create_bucket(&bucket).await;
        moto.create_rules_table(&table).await;
        Stage {
            rig,
            moto,
            bucket,
            table,
        }
    }

    /// Puts a source artifact holding `files`.
    pub async fn source(&self, files: &[(&str, &[u8])]) {
        self.moto
            .put_object(&self.bucket, SOURCE_KEY, make_zip(files))
            .await;
    }

    pub async fn rules(&self, items: Vec<template_rules::RuleItem>) {
        let table = RulesTable::new(self.moto.dynamodb(), &self.table);
        for item in items {
            table.put(&item).await.unwrap();
        }
    }

    /// The job event the Static_Check action sends.
    pub fn event(&self, user_parameters: &str) -> JobEvent {
        JobEvent::new()
            .user_parameters(user_parameters)
            .input_artifact("SourceArtifact", &self.bucket, SOURCE_KEY)
            .output_artifact("ValidatedTemplate", &self.bucket, OUTPUT_KEY)
    }

    pub fn parameters(&self) -> String {
        json!({"input": "SourceArtifact", "file": APP_TEMPLATE, "output": self.bucket}).to_string()
    }

    /// Runs the handler as the binary wires it (`Validator::from_sdk`),
    /// through the runner, and returns the one report CodePipeline
    /// received.
    pub async fn run(&self, event: &JobEvent) -> JobReport {
        let settings = Settings {
            rules_table: self.table.clone(),
            thresholds: Thresholds::default(),
            guard_memory_limit: cfn_validate::guard_memory::limit(None),
        };
        let validator = Validator::from_sdk(&self.moto.sdk_config(), settings);
        let runner = runner(&self.rig.pipeline);
        self.rig
            .run(event, None, |lambda_event| {
                runner.run(lambda_event, |job, inv| async move {
                    validator.validate(job, inv).await
                })
            })
            .await
    }

    pub async fn object(&self, key: &str) -> Option<std::collections::BTreeMap<String, Vec<u8>>> {
        self.moto
            .get_object(&self.bucket, key)
            .await
            .map(|zip| read_zip(&zip))
    }
}

/// A runner reporting to `pipeline`, as the binary's does.
pub fn runner(pipeline: &harness::codepipeline::FakeCodePipeline) -> Runner {
    Runner::from_sdk(&pipeline.sdk_config())
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(workspace_root().join("tests/fixtures/templates").join(name)).unwrap()
}

pub fn success(report: JobReport) -> (String, std::collections::BTreeMap<String, String>) {
    match report {
        JobReport::Success {
            summary,
            output_variables,
            continuation_token: None,
            ..
        } => (summary.unwrap_or_default(), output_variables),
        other => panic!("expected a success, got {other:?}"),
    }
}

pub fn failure(report: JobReport) -> (String, String) {
    match report {
        JobReport::Failure { kind, message, .. } => (kind, message),
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// A deployed template (a baseline, `UserParameters.baseline`): two groups,
/// the web tier open on port 80 to the world, the admin group to the
/// office only.
pub const DEPLOYED: &str = r#"{
  "Resources": {
    "WebSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "web",
      "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"}]}},
    "AdminSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "admin",
      "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "CidrIp": "10.0.0.0/8"}]}}
  }
}"#;

/// The same, as YAML and reordered, with one more port (8443, which only
/// the rule about all traffic is about) on the admin group open to the
/// world.
pub const ONE_MORE_PORT: &str = "Resources:
  AdminSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: admin
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 3389, ToPort: 3389, CidrIp: 10.0.0.0/8}
        - {IpProtocol: tcp, FromPort: 8443, ToPort: 8443, CidrIp: 0.0.0.0/0}
  WebSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      SecurityGroupIngress:
        - {CidrIp: 0.0.0.0/0, IpProtocol: tcp, ToPort: 80, FromPort: 80}
      GroupDescription: web
";
