//! Reporting a job's result to CodePipeline.
//!
//! CodePipeline limits what a report may carry; a report that breaks a limit
//! is refused, which would leave the job hanging. So every text is cut to
//! its limit here (ending in "…") instead of being sent and rejected.

use aws_sdk_codepipeline::error::SdkError;
use aws_sdk_codepipeline::types::{ExecutionDetails, FailureDetails, FailureType};
use aws_smithy_types::error::display::DisplayErrorContext;
use codepipeline_types::limits::valid_variable_name;
use codepipeline_types::{FailureKind, JobError, Outcome};

// The limits are CodePipeline's, as data: a stage's decision keeps to them
// too, without the SDK.
pub use codepipeline_types::limits::{
    MAX_CONTINUATION_TOKEN, MAX_EXTERNAL_ID, MAX_MESSAGE, MAX_SUMMARY, MAX_VARIABLE_VALUE, truncate,
};

/// What happened to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    /// CodePipeline took it.
    Accepted,
    /// CodePipeline already had a result for this job (a retried or
    /// duplicated invocation): nothing more to do.
    AlreadyReported,
}

/// A report CodePipeline did not take, after the SDK's retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CodePipeline did not accept the report for job {job_id}: {message}")]
pub struct ReportError {
    /// The job the report was for.
    pub job_id: String,
    /// Why it was not accepted (the SDK's error, or no answer in time).
    pub message: String,
}

/// Reports job results through `aws-sdk-codepipeline`.
#[derive(Debug, Clone)]
pub struct JobReporter {
    client: aws_sdk_codepipeline::Client,
}

impl JobReporter {
    /// A reporter through `client`.
    pub fn new(client: aws_sdk_codepipeline::Client) -> Self {
        JobReporter { client }
    }

    /// A reporter through a client made from `sdk` with this crate's
    /// timeouts and retries ([`crate::aws::codepipeline_client`]).
    pub fn from_sdk(sdk: &aws_config::SdkConfig) -> Self {
        JobReporter::new(crate::aws::codepipeline_client(sdk))
    }

    /// Sends `result` for `job_id`: a success or continuation, or a
    /// failure. `external_id` (the Lambda request id) lets a person find
    /// this invocation's logs from the pipeline.
    pub async fn report(
        &self,
        job_id: &str,
        external_id: &str,
        result: &Result<Outcome, JobError>,
    ) -> Result<Reported, ReportError> {
        let external_id = truncate(external_id, MAX_EXTERNAL_ID);
        match result {
            Ok(Outcome::Success {
                summary,
                output_variables,
            }) => {
                let mut request = self
                    .client
                    .put_job_success_result()
                    .job_id(job_id)
                    .set_execution_details(details(summary, &external_id));
                for (key, value) in output_variables {
                    if valid_variable_name(key) && !value.is_empty() {
                        request =
                            request.output_variables(key, truncate(value, MAX_VARIABLE_VALUE));
                    }
                }
                let result = request.send().await.map(drop);
                settle(job_id, result, |e| e.is_invalid_job_state_exception())
            }
            Ok(Outcome::Continue { token, summary }) => {
                let result = self
                    .client
                    .put_job_success_result()
                    .job_id(job_id)
                    .continuation_token(truncate(token, MAX_CONTINUATION_TOKEN))
                    .set_execution_details(details(summary, &external_id))
                    .send()
                    .await
                    .map(drop);
                settle(job_id, result, |e| e.is_invalid_job_state_exception())
            }
            Err(error) => {
                let message = if error.message.trim().is_empty() {
                    "the job failed".to_string()
                } else {
                    truncate(&error.message, MAX_MESSAGE)
                };
                let failure = FailureDetails::builder()
                    .r#type(failure_type(error.kind))
                    .message(message)
                    .set_external_execution_id((!external_id.is_empty()).then_some(external_id))
                    .build()
                    .map_err(|e| ReportError {
                        job_id: job_id.to_string(),
                        message: e.to_string(),
                    })?;
                let result = self
                    .client
                    .put_job_failure_result()
                    .job_id(job_id)
                    .failure_details(failure)
                    .send()
                    .await
                    .map(drop);
                settle(job_id, result, |e| e.is_invalid_job_state_exception())
            }
        }
    }
}

/// An accepted report, an "already reported" answer, or an error.
fn settle<E, R>(
    job_id: &str,
    result: Result<(), SdkError<E, R>>,
    already: fn(&E) -> bool,
) -> Result<Reported, ReportError>
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(()) => Ok(Reported::Accepted),
        Err(e) if e.as_service_error().is_some_and(already) => Ok(Reported::AlreadyReported),
        Err(e) => Err(ReportError {
            job_id: job_id.to_string(),
            message: DisplayErrorContext(&e).to_string(),
        }),
    }
}

fn details(summary: &str, external_id: &str) -> Option<ExecutionDetails> {
    let summary = summary.trim();
    if summary.is_empty() && external_id.is_empty() {
        return None;
    }
    Some(
        ExecutionDetails::builder()
            .set_summary((!summary.is_empty()).then(|| truncate(summary, MAX_SUMMARY)))
            .set_external_execution_id((!external_id.is_empty()).then(|| external_id.to_string()))
            .build(),
    )
}

fn failure_type(kind: FailureKind) -> FailureType {
    match kind {
        FailureKind::JobFailed => FailureType::JobFailed,
        FailureKind::ConfigurationError => FailureType::ConfigurationError,
        FailureKind::PermissionError => FailureType::PermissionError,
    }
}
