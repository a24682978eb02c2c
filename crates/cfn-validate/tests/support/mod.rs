//! What the cfn-validate tests need: [`memory`] runs the handler in
//! process with its ports in memory; [`Stage`] runs it end to end, against
//! moto (S3, DynamoDB) and the fake CodePipeline, through the runner as the
//! binary runs it.

#![allow(dead_code)]

pub mod memory;

use cfn_validate::{Settings, Validator};
use harness::codepipeline::{FakeCodePipeline, JobReport};
use harness::events::JobEvent;
use harness::moto::MotoServer;
use harness::zip::{make_zip, read_zip};
use harness::{unique_name, workspace_root};
use lambda_runtime::{Context, LambdaEvent};
use pipeline_job::{JobReporter, Runner, aws};
use rules_table::RulesTable;
use serde_json::json;
use template_rules::Thresholds;

/// A bucket and an empty rules table in the shared moto, and a fake CodePipeline.
pub struct Stage {
    pub moto: &'static MotoServer,
    pub pipeline: FakeCodePipeline,
    pub bucket: String,
    pub table: String,
}

pub const SOURCE_KEY: &str = "pipeline/SourceArti/source.zip";
pub const OUTPUT_KEY: &str = "pipeline/ValidatedT/validated.zip";
pub const APP_TEMPLATE: &str = "cloudformation/application.json";

impl Stage {
    pub async fn new() -> Stage {
        let moto = MotoServer::shared();
        let bucket = unique_name("artifacts");
        let table = unique_name("rules");
        moto.create_bucket(&bucket).await;
        moto.create_rules_table(&table).await;
        Stage {
            moto,
            pipeline: FakeCodePipeline::start(),
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
            guard_memory_limit: cfn_validate::memory::guard_memory_limit(None),
        };
        let validator = Validator::from_sdk(&self.moto.sdk_config(), settings);
        let answer = runner(&self.pipeline)
            .run(lambda_event(event, None), |job, inv| async move {
                validator.validate(job, inv).await
            })
            .await
            .unwrap();
        let reports = self.pipeline.reports();
        assert_eq!(
            reports.len(),
            1,
            "exactly one report; calls: {:?}",
            self.pipeline.calls()
        );
        assert_eq!(self.pipeline.calls().len(), 1);
        assert_eq!(reports[0].job_id(), event.job_id);
        assert_eq!(answer["reported"], true);
        reports.into_iter().next().unwrap()
    }

    pub async fn object(&self, key: &str) -> Option<std::collections::BTreeMap<String, Vec<u8>>> {
        self.moto
            .get_object(&self.bucket, key)
            .await
            .map(|zip| read_zip(&zip))
    }
}

/// A runner reporting to `pipeline`, as the binary's does.
pub fn runner(pipeline: &FakeCodePipeline) -> Runner {
    let config = pipeline
        .sdk_config()
        .into_builder()
        .timeout_config(aws::timeouts())
        .build();
    Runner::new(JobReporter::new(aws::codepipeline_client(&config)))
}

/// The invocation of `event` (request id `req-cfn-validate`), with a
/// Lambda deadline `timeout` from now, if any.
pub fn lambda_event(
    event: &JobEvent,
    timeout: Option<std::time::Duration>,
) -> LambdaEvent<serde_json::Value> {
    let mut context = Context::default();
    context.request_id = "req-cfn-validate".into();
    if let Some(timeout) = timeout {
        let deadline = std::time::SystemTime::now() + timeout;
        context.deadline = deadline
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
    }
    LambdaEvent::new(event.build(), context)
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
            external_execution_id,
            ..
        } => {
            assert_eq!(external_execution_id.as_deref(), Some("req-cfn-validate"));
            (summary.unwrap_or_default(), output_variables)
        }
        other => panic!("expected a success, got {other:?}"),
    }
}

pub fn failure(report: JobReport) -> (String, String) {
    match report {
        JobReport::Failure { kind, message, .. } => (kind, message),
        other => panic!("expected a failure, got {other:?}"),
    }
}
