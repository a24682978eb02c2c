//! The Static_Check stage: scores the CloudFormation template in the job's
//! input artifact against the rules table, and reports the verdict.
//!
//! 1. Read `UserParameters` (`input`, `file`, optional `output` bucket and
//!    `baseline` stack).
//! 2. Read the input artifact with the job's artifact credentials and the
//!    template out of it (both capped).
//! 3. Load the rules from the [`RulesSource`] (in Lambda, the `RULES_TABLE`
//!    DynamoDB table, seeded with the defaults when empty), and, for a
//!    baseline, the template the stack was deployed with
//!    ([`DeployedTemplates`]: CloudFormation's `GetTemplate`).
//! 4. Parse the template, build the rules and evaluate with
//!    `template-rules` (through `scoring`, which cfn-hook shares), and the
//!    baseline's template too, each finding then new or existing (only new
//!    ones count): CPU-bound, so on a blocking thread
//!    ([`Invocation::spawn_blocking`]), under a budget that gives up when
//!    the runner stops the handler. Guard items run in worker processes of
//!    this binary (`guard-worker`), within the memory [`guard_memory`] gives
//!    them and killed when the budget is spent. [`decision::decide`] turns
//!    the report into the result to report.
//! 5. For a template that may go on, write each declared output artifact
//!    (the template unchanged plus `validation-report.json`) and, when
//!    `output` names a bucket, `valid.template.zip` or `flagged.template.zip`
//!    there, with the function's own credentials.
//!
//! The handler knows the rules, the artifacts and the deployed stacks only
//! through their ports ([`RulesSource`], [`JobStores`], [`ArtifactStore`],
//! [`DeployedTemplates`]): DynamoDB, S3 and CloudFormation in Lambda
//! ([`Validator::from_sdk`]), memory in tests. The runner in
//! `pipeline-job` reports the result, exactly once.
//!
//! Start with [`Validator::validate`], then [`decision::decide`].

#![warn(missing_docs)]

pub mod decision;
pub mod deployed;
pub mod params;

use std::path::Path;
use std::sync::Arc;

use artifacts::{ArtifactStore, JobStores, MAX_ARTIFACT_BYTES, S3Store, S3Stores, archive};
use aws_config::SdkConfig;
use guard_worker::Worker;
use pipeline_job::event::S3Location;
use pipeline_job::{Invocation, Job, JobError, Outcome};
use rules_table::{RulesSource, RulesTable, TableError};
use scoring::{Earlier, ScoreError};
use template_rules::{
    CLOUDFORMATION_MAX_TEMPLATE_BYTES, EvaluateOptions, Report, RuleSet, TemplateReport,
    Thresholds, ValidationReport, Verdict,
};
use tracing::{info, warn};

pub use deployed::{CloudFormationTemplates, DeployedTemplates, MemoryStacks, NoStacks};
pub use params::Params;
// The settings and Guard's memory are shared with cfn-hook (crate `scoring`).
pub use scoring::{Settings, SettingsError, guard_memory, settings};

/// The name of the report file in the output artifact.
pub const REPORT_FILE: &str = "validation-report.json";
/// The copy left in the `output` bucket for a template that passed.
pub const VALID_COPY: &str = "valid.template.zip";
/// The copy left in the `output` bucket for a template flagged for approval.
pub const FLAGGED_COPY: &str = "flagged.template.zip";

/// The Static_Check handler: its rules, thresholds, artifact stores and
/// the deployed stacks a job may name as its baseline.
#[derive(Debug, Clone)]
pub struct Validator<R, J, O, D = NoStacks> {
    rules: R,
    thresholds: Thresholds,
    /// Makes the store for each job's artifacts, with its credentials.
    job_stores: J,
    /// The function's own store, for the copy in the `output` bucket.
    own_store: O,
    /// Memory one Guard item may take (see [`guard_memory`]).
    guard_memory_limit: usize,
    /// Where Guard runs: always a bounded worker process.
    guard: Worker,
    /// Where a baseline stack's template is read.
    deployed: D,
}

/// The validator Lambda runs: DynamoDB rules, S3 artifacts, CloudFormation
/// stacks.
pub type AwsValidator = Validator<RulesTable, S3Stores, S3Store, CloudFormationTemplates>;

impl AwsValidator {
    /// The rules table named in `settings`, and S3, through clients made
    /// from `sdk`.
    pub fn from_sdk(sdk: &SdkConfig, settings: Settings) -> AwsValidator {
        Validator::new(
            RulesTable::new(aws_sdk_dynamodb::Client::new(sdk), settings.rules_table),
            settings.thresholds,
            S3Stores::new(sdk),
            S3Store::new(artifacts::s3::own_client(sdk)),
        )
        .with_guard_memory_limit(settings.guard_memory_limit)
        .with_deployed(CloudFormationTemplates::new(
            aws_sdk_cloudformation::Client::new(sdk),
        ))
    }
}

impl<R, J, O> Validator<R, J, O>
where
    R: RulesSource,
    J: JobStores,
    O: ArtifactStore,
{
    /// A validator over these ports: its rules, the thresholds of its
    /// verdicts, the stores for each job's artifacts and its own store (for the
    /// copy in the `output` bucket). It reads no stacks until given
    /// [`Validator::with_deployed`].
    pub fn new(rules: R, thresholds: Thresholds, job_stores: J, own_store: O) -> Self {
        Validator {
            rules,
            thresholds,
            job_stores,
            own_store,
            guard_memory_limit: EvaluateOptions::default().guard_memory_limit,
            guard: Worker::new(),
            deployed: NoStacks,
        }
    }
}

impl<R, J, O, D> Validator<R, J, O, D>
where
    R: RulesSource,
    J: JobStores,
    O: ArtifactStore,
    D: DeployedTemplates,
{
    /// The same validator, reading a baseline stack's template from `deployed`.
    pub fn with_deployed<E: DeployedTemplates>(self, deployed: E) -> Validator<R, J, O, E> {
        Validator {
            rules: self.rules,
            thresholds: self.thresholds,
            job_stores: self.job_stores,
            own_store: self.own_store,
            guard_memory_limit: self.guard_memory_limit,
            guard: self.guard,
            deployed,
        }
    }

    /// The memory one Guard item may take, in bytes.
    pub fn with_guard_memory_limit(mut self, limit: usize) -> Self {
        self.guard_memory_limit = limit;
        self
    }

    /// The Guard workers to run items in: by default this executable's
    /// (the `cfn-validate` binary serves them); tests of the handler in
    /// process give the binary's.
    pub fn with_guard_worker(mut self, worker: Worker) -> Self {
        self.guard = worker;
        self
    }

    /// The Static_Check handler: steps 1 to 5 of the crate documentation.
    pub async fn validate(&self, job: Job, invocation: Invocation) -> Result<Outcome, JobError> {
        let params = Params::read(&job)?;
        info!(input = %params.input, file = %params.file, output = params.output.as_deref().unwrap_or(""), "validating");

        let location = job.data.input_artifact(&params.input)?.s3_location()?;
        let credentials = job.data.artifact_credentials.as_ref().ok_or_else(|| {
            JobError::configuration(
                "the job has no artifact credentials to read its input artifact with",
            )
        })?;
        let store = self.job_stores.for_job(credentials);
        let zip = store.get(location, MAX_ARTIFACT_BYTES).await?;
        let template = Arc::new(archive::read_file(
            &zip,
            &params.file,
            CLOUDFORMATION_MAX_TEMPLATE_BYTES as u64,
            &params.input,
        )?);
        let table = self.rules.name().to_string();
        let items = self.rules.items().await.map_err(table_error)?;
        let baseline = match &params.baseline {
            Some(baseline) => {
                let stack = baseline.stack.clone();
                let deployed = self.deployed.original_template(&stack).await?;
                info!(stack = %stack, exists = deployed.is_some(), "read the baseline stack's template");
                Some(DeployedBaseline {
                    stack,
                    template: deployed,
                })
            }
            None => None,
        };

        let report = {
            let (template, file, thresholds) =
                (Arc::clone(&template), params.file.clone(), self.thresholds);
            // Guard runs items in chunks: the runner names them if it stops
            // the handler while one runs (the worker is then killed).
            scoring::on_blocking_thread(
                &invocation,
                self.guard_memory_limit,
                self.guard.clone(),
                move |options| {
                    let rules = scoring::rule_set(&table, items).map_err(score_error)?;
                    let mut report =
                        scoring::score(&template, &file, &table, &rules, &thresholds, options)
                            .map_err(score_error)?;
                    if let Some(baseline) = baseline {
                        compare(&mut report, baseline, &table, &rules, &thresholds, options)?;
                    }
                    Ok::<_, JobError>(report)
                },
            )
            .await?
        };
        info!(verdict = %report.verdict, risk = report.risk, findings = report.findings.len(), new = report.new_count(), existing = report.existing_count(), unresolved = report.unresolved_count(), suppressed = report.suppressed_count(), "evaluated");
        for warning in &report.warnings {
            warn!(%warning, "template warning");
        }

        // A template that fails goes no further: nothing is written.
        let outcome = decision::decide(&params.file, &report, &self.thresholds)?;
        self.write_outputs(&job, &params, &store, &template, report)
            .await?;
        Ok(outcome)
    }

    /// Writes what a template that may go on leaves behind: each output
    /// artifact (with the job's store), and the copy in the `output` bucket
    /// (with the function's own), named by the verdict.
    async fn write_outputs(
        &self,
        job: &Job,
        params: &Params,
        store: &J::Store,
        template: &[u8],
        report: Report,
    ) -> Result<(), JobError> {
        let verdict = report.verdict;
        let report_json = serde_json::to_vec_pretty(&ValidationReport {
            templates: vec![TemplateReport {
                path: params.file.clone(),
                report,
            }],
        })
        .map_err(|e| JobError::failed(format!("could not write the validation report: {e}")))?;

        let output = archive::write_zip(&[
            (params.file.as_str(), template),
            (REPORT_FILE, &report_json),
        ])?;
        let kms_key = job.data.encryption_key.as_ref().map(|k| k.id.as_str());
        for artifact in &job.data.output_artifacts {
            let location = artifact.s3_location()?;
            store.put(location, output.clone(), kms_key).await?;
            info!(artifact = %artifact.name, %location, "wrote the output artifact");
        }

        let Some(bucket) = &params.output else {
            return Ok(());
        };
        let name = Path::new(&params.file)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(params.file.as_str());
        let copy = archive::write_zip(&[(name, template), (REPORT_FILE, &report_json)])?;
        // A failed template never gets here (its decision is an error).
        let key = match verdict {
            Verdict::Pass => VALID_COPY,
            Verdict::Flagged | Verdict::Fail => FLAGGED_COPY,
        };
        let location = S3Location::new(bucket, key);
        self.own_store
            .put(&location, copy, None)
            .await
            .map_err(|e| {
                JobError::from(e).with_context("writing the copy to UserParameters.output")
            })?;
        info!(%location, "wrote the template copy");
        Ok(())
    }
}

/// The template a baseline stack was deployed with, `None` when the stack
/// does not exist (yet).
struct DeployedBaseline {
    stack: String,
    template: Option<String>,
}

/// Marks the findings of `report` new or existing against the findings of
/// the baseline stack's template (evaluated with the same rules and
/// options, `scoring::compare_with_earlier`, as cfn-hook does with a
/// stack's previous template), and judges again: only new ones count. A
/// stack that does not exist has none: every finding is new. Its template
/// is the stage's setup: one that cannot be read, or that the rules cannot
/// be evaluated on, is a `ConfigurationError`.
fn compare(
    report: &mut Report,
    baseline: DeployedBaseline,
    table: &str,
    rules: &RuleSet,
    thresholds: &Thresholds,
    options: &EvaluateOptions,
) -> Result<(), JobError> {
    let DeployedBaseline { stack, template } = baseline;
    let against = match template {
        Some(_) => format!("stack {stack}"),
        None => format!("stack {stack}, which does not exist yet"),
    };
    let earlier = Earlier {
        template: template.as_deref().map(str::as_bytes),
        file: &format!("the template of stack {stack} (UserParameters.baseline)"),
        against: &against,
    };
    scoring::compare_with_earlier(report, earlier, table, rules, thresholds, options).map_err(|e| {
        match e {
            ScoreError::Stopped { .. } => JobError::failed(e.to_string()),
            ScoreError::Unreadable { .. }
            | ScoreError::UnusableRules { .. }
            | ScoreError::NotEvaluated { .. } => JobError::configuration(e.to_string()),
        }
    })
}

/// A check that cannot be trusted is never a verdict: a template that
/// cannot be read, or an evaluation stopped before its end, is a failed
/// check; rules that cannot be applied, or that Guard failed on, are the
/// table's to fix (a `ConfigurationError` naming them, with Guard's
/// message).
fn score_error(e: ScoreError) -> JobError {
    match e {
        ScoreError::Unreadable { .. } | ScoreError::Stopped { .. } => {
            JobError::failed(e.to_string())
        }
        ScoreError::UnusableRules { .. } | ScoreError::NotEvaluated { .. } => {
            JobError::configuration(e.to_string())
        }
    }
}

fn table_error(e: TableError) -> JobError {
    match e {
        TableError::Missing { .. } => JobError::configuration(e.to_string()),
        TableError::AccessDenied { .. } => JobError::permission(e.to_string()),
        _ => JobError::failed(e.to_string()),
    }
}
