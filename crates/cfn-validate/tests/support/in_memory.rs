//! The handler in process, with its ports in memory: rules in a
//! `MemoryRules`, the pipeline's artifact bucket and the function's own
//! S3 access in two `MemoryStore`s. No emulator, no network.

use std::collections::BTreeMap;

use artifacts::MemoryStore;
use cfn_validate::Validator;
use harness::events::JobEvent;
use harness::zip::{make_zip, read_zip};
use pipeline_job::event::S3Location;
use pipeline_job::{Invocation, Job, JobError, Outcome};
use rules_table::{MemoryRules, RulesSource};
use serde_json::json;
use template_rules::{RuleItem, RuleSet, Thresholds};

use super::{APP_TEMPLATE, OUTPUT_KEY, SOURCE_KEY};

/// The pipeline's artifact bucket.
pub const BUCKET: &str = "codepipeline-artifacts";
/// The bucket `UserParameters.output` names for the copies.
pub const COPIES: &str = "template-copies";
/// The rules table's name, as the messages show it.
pub const TABLE: &str = "cicd-rules";
/// A template with nothing in it to find.
pub const NO_RESOURCES: &[u8] = b"{\"Resources\": {}}";

/// The stores a validator is given, kept to look into afterwards.
pub struct InMemory {
    /// What the job's artifact credentials reach.
    pub artifacts: MemoryStore,
    /// What the function's own credentials reach.
    pub own: MemoryStore,
}

impl InMemory {
    pub fn new() -> InMemory {
        InMemory {
            artifacts: MemoryStore::new(),
            own: MemoryStore::new(),
        }
    }

    /// Stores whose source artifact holds `template` as the app template.
    pub fn with_app_template(template: &[u8]) -> InMemory {
        let stage = InMemory::new();
        stage.source(&[(APP_TEMPLATE, template)]);
        stage
    }

    /// Puts a source artifact holding `files` (zipped by the harness).
    pub fn source(&self, files: &[(&str, &[u8])]) {
        self.artifacts
            .insert(&S3Location::new(BUCKET, SOURCE_KEY), make_zip(files));
    }

    /// The job event the Static_Check action sends.
    pub fn event(&self, user_parameters: &str) -> JobEvent {
        JobEvent::new()
            .user_parameters(user_parameters)
            .input_artifact("SourceArtifact", BUCKET, SOURCE_KEY)
            .output_artifact("ValidatedTemplate", BUCKET, OUTPUT_KEY)
    }

    /// Parameters for `file`, with the copy bucket.
    pub fn parameters(file: &str) -> String {
        json!({"input": "SourceArtifact", "file": file, "output": COPIES}).to_string()
    }

    pub fn app_parameters() -> String {
        InMemory::parameters(APP_TEMPLATE)
    }

    pub fn validator<R: RulesSource>(&self, rules: R) -> Validator<R, MemoryStore, MemoryStore> {
        self.validator_with(rules, Thresholds::default())
    }

    /// A validator with these thresholds (and unresolved-findings policy).
    pub fn validator_with<R: RulesSource>(
        &self,
        rules: R,
        thresholds: Thresholds,
    ) -> Validator<R, MemoryStore, MemoryStore> {
        Validator::new(rules, thresholds, self.artifacts.clone(), self.own.clone())
            // Guard in workers of the real binary: this test binary cannot
            // serve them.
            .with_guard_worker(guard_worker::Worker::of_program(env!(
                "CARGO_BIN_EXE_cfn-validate"
            )))
    }

    /// Runs the handler on `event` with `rules`.
    pub async fn validate_with<R: RulesSource>(
        &self,
        rules: R,
        event: &JobEvent,
    ) -> Result<Outcome, JobError> {
        self.validator(rules)
            .validate(job(event), invocation())
            .await
    }

    /// Runs the handler on `event` with the default rules.
    pub async fn validate(&self, event: &JobEvent) -> Result<Outcome, JobError> {
        self.validate_with(default_rules(), event).await
    }

    /// Runs the handler on the app template's job with the default rules.
    pub async fn validate_app(&self) -> Result<Outcome, JobError> {
        self.validate(&self.event(&InMemory::app_parameters()))
            .await
    }

    /// Runs the handler on the app template's job with `rules`.
    pub async fn validate_app_with<R: RulesSource>(&self, rules: R) -> Result<Outcome, JobError> {
        self.validate_with(rules, &self.event(&InMemory::app_parameters()))
            .await
    }

    /// Runs the handler on a job event as given (one the builder cannot
    /// make), with the default rules.
    pub async fn validate_raw(&self, event: &serde_json::Value) -> Result<Outcome, JobError> {
        let job = Job::decode(event).expect("a job event");
        self.validator(default_rules())
            .validate(job, invocation())
            .await
    }

    /// The output artifact's files, if it was written.
    pub fn output(&self) -> Option<BTreeMap<String, Vec<u8>>> {
        self.artifacts
            .object(&S3Location::new(BUCKET, OUTPUT_KEY))
            .map(|o| read_zip(&o.zip))
    }

    /// The copy `key` in the copy bucket, if it was written.
    pub fn copy(&self, key: &str) -> Option<BTreeMap<String, Vec<u8>>> {
        self.own
            .object(&S3Location::new(COPIES, key))
            .map(|o| read_zip(&o.zip))
    }
}

pub fn job(event: &JobEvent) -> Job {
    Job::decode(&event.build()).expect("the harness builds valid events")
}

pub fn invocation() -> Invocation {
    Invocation::new("req-cfn-validate", None)
}

pub fn default_rules() -> MemoryRules {
    MemoryRules::new(TABLE, RuleSet::default_items())
}

/// Every rule in `tests/fixtures/rules/all-active.yaml`.
pub fn all_active_rules() -> MemoryRules {
    let path = harness::workspace_root().join("tests/fixtures/rules/all-active.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    MemoryRules::new(TABLE, RuleSet::items_from_str(&text).unwrap())
}

pub fn rules(items: Vec<RuleItem>) -> MemoryRules {
    MemoryRules::new(TABLE, items)
}

/// The summary and output variables of a success; panics otherwise.
pub fn passed(result: Result<Outcome, JobError>) -> (String, BTreeMap<String, String>) {
    match result {
        Ok(Outcome::Success {
            summary,
            output_variables,
        }) => (summary, output_variables),
        other => panic!("expected a success, got {other:?}"),
    }
}

/// The failure type and message of an error; panics otherwise.
pub fn failed(result: Result<Outcome, JobError>) -> (String, String) {
    match result {
        Err(error) => (error.kind.to_string(), error.message),
        other => panic!("expected a failure, got {other:?}"),
    }
}
