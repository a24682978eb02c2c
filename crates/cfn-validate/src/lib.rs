//! The Static_Check stage: scores the CloudFormation template in the job's
//! input artifact against the rules table, and reports the verdict.
//!
//! 1. Read `UserParameters` (`input`, `file`, optional `output` bucket).
//! 2. Download the input artifact with the job's artifact credentials and
//!    read the template out of it (both capped).
//! 3. Load the rules from the `RULES_TABLE` DynamoDB table, seeding the
//!    defaults into an empty table.
//! 4. Evaluate with `template-rules`; [`decision::decide`] turns the report
//!    into the outcome.
//! 5. For a template that may go on, write each declared output artifact
//!    (the template unchanged plus `validation-report.json`) and, when
//!    `output` names a bucket, `valid.template.zip` or `flagged.template.zip`.
//!
//! The runner in `pipeline-job` reports the outcome, exactly once.

pub mod decision;
pub mod params;
pub mod settings;

use std::path::Path;

use artifacts::{ArtifactStore, JobStores, MAX_ARTIFACT_BYTES, S3Store, S3Stores, archive};
use aws_config::SdkConfig;
use pipeline_job::event::S3Location;
use pipeline_job::{Invocation, Job, JobError, Outcome};
use rules_table::{RulesTable, TableError};
use template_rules::{
    CLOUDFORMATION_MAX_TEMPLATE_BYTES, RuleSet, TemplateReport, ValidationReport, evaluate,
};
use tracing::{info, warn};

pub use params::Params;
pub use settings::Settings;

/// The name of the report file in the output artifact.
pub const REPORT_FILE: &str = "validation-report.json";

/// The Static_Check handler, with the clients it uses.
#[derive(Debug, Clone)]
pub struct Validator {
    /// Region, endpoints and timeouts, for the per-job artifact client.
    sdk: SdkConfig,
    /// The function's own S3 access, for the copy in the `output` bucket.
    s3: aws_sdk_s3::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    settings: Result<Settings, String>,
}

impl Validator {
    pub fn new(sdk: &SdkConfig, settings: Result<Settings, String>) -> Self {
        Validator::with_clients(
            sdk,
            artifacts::s3::own_client(sdk),
            aws_sdk_dynamodb::Client::new(sdk),
            settings,
        )
    }

    /// With given clients for the output bucket and the rules table (tests
    /// use this for answers no emulator gives, such as throttling).
    pub fn with_clients(
        sdk: &SdkConfig,
        s3: aws_sdk_s3::Client,
        dynamodb: aws_sdk_dynamodb::Client,
        settings: Result<Settings, String>,
    ) -> Self {
        Validator {
            sdk: sdk.clone(),
            s3,
            dynamodb,
            settings,
        }
    }

    pub async fn validate(&self, job: Job, _invocation: Invocation) -> Result<Outcome, JobError> {
        let settings = self
            .settings
            .as_ref()
            .map_err(|e| JobError::configuration(e.clone()))?;
        let params = Params::read(&job)?;
        info!(input = %params.input, file = %params.file, output = params.output.as_deref().unwrap_or(""), "validating");

        let input = job.data.input_artifact(&params.input)?;
        let location = input.s3_location()?;
        let credentials = job.data.artifact_credentials.as_ref().ok_or_else(|| {
            JobError::configuration(
                "the job has no artifact credentials to read its input artifact with",
            )
        })?;
        let store = S3Stores::new(&self.sdk).for_job(credentials);
        let zip = store.get(location, MAX_ARTIFACT_BYTES).await?;
        let template_bytes = archive::read_file(
            &zip,
            &params.file,
            CLOUDFORMATION_MAX_TEMPLATE_BYTES as u64,
            &params.input,
        )?;

        let template = template_rules::Template::parse(&template_bytes).map_err(|e| {
            JobError::failed(format!(
                "{} cannot be read as a CloudFormation template: {e}",
                params.file
            ))
        })?;
        let rules = self.rules(&settings.rules_table).await?;
        let report = evaluate(&template, &rules, &settings.thresholds);
        info!(verdict = %report.verdict, risk = report.risk, findings = report.findings.len(), "evaluated");
        for warning in &report.warnings {
            warn!(%warning, "template warning");
        }

        let decision = decision::decide(&params.file, &report, &settings.thresholds);
        let Some(copy_key) = decision.copy_key else {
            return Ok(decision.outcome);
        };
        let report_json = serde_json::to_vec_pretty(&ValidationReport {
            templates: vec![TemplateReport {
                path: params.file.clone(),
                report,
            }],
        })
        .map_err(|e| JobError::failed(format!("could not write the validation report: {e}")))?;

        let output = archive::write_zip(&[
            (params.file.as_str(), &template_bytes),
            (REPORT_FILE, &report_json),
        ])?;
        let kms_key = job.data.encryption_key.as_ref().map(|k| k.id.as_str());
        for artifact in &job.data.output_artifacts {
            let location = artifact.s3_location()?;
            store.put(location, output.clone(), kms_key).await?;
            info!(artifact = %artifact.name, %location, "wrote the output artifact");
        }
        if let Some(bucket) = &params.output {
            let name = Path::new(&params.file)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or(params.file.as_str());
            let copy = archive::write_zip(&[(name, &template_bytes), (REPORT_FILE, &report_json)])?;
            let location = S3Location::new(bucket, copy_key);
            S3Store::new(self.s3.clone())
                .put(&location, copy, None)
                .await
                .map_err(|e| {
                    JobError::from(e).with_context("writing the copy to UserParameters.output")
                })?;
            info!(%location, "wrote the template copy");
        }
        Ok(decision.outcome)
    }

    /// The rule set from the table; an active rule that cannot be applied
    /// is a configuration error, since a check that skips it proves nothing.
    async fn rules(&self, table: &str) -> Result<RuleSet, JobError> {
        let loaded = RulesTable::new(self.dynamodb.clone(), table)
            .load()
            .await
            .map_err(table_error)?;
        let rules = RuleSet::from_items(loaded.items);
        for note in rules.notes() {
            info!(table, %note, "rule note");
        }
        rules.check_usable().map_err(|unusable| {
            JobError::configuration(format!(
                "the rules table {table} has active rules that cannot be applied:\n{unusable}"
            ))
        })?;
        for error in rules.errors() {
            warn!(table, %error, "inactive rule cannot be applied");
        }
        Ok(rules)
    }
}

fn table_error(e: TableError) -> JobError {
    match e {
        TableError::Missing { .. } => JobError::configuration(e.to_string()),
        TableError::AccessDenied { .. } => JobError::permission(e.to_string()),
        _ => JobError::failed(e.to_string()),
    }
}
