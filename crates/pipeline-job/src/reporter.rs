//! Reporting a job's result to CodePipeline.
//!
//! CodePipeline limits what a report may carry; a report that breaks a limit
//! is refused, which would leave the job hanging. So every text is cut to
//! its limit here (ending in "…") instead of being sent and rejected.

use aws_sdk_codepipeline::error::SdkError;
use aws_sdk_codepipeline::types::{ExecutionDetails, FailureDetails, FailureType};
use aws_smithy_types::error::display::DisplayErrorContext;

use crate::outcome::{FailureKind, JobError, Outcome};

/// `executionDetails.summary`: at most 2048 characters.
pub const MAX_SUMMARY: usize = 2048;
/// `failureDetails.message`: at most 5000 characters.
pub const MAX_MESSAGE: usize = 5000;
/// `continuationToken`: at most 2048 characters.
pub const MAX_CONTINUATION_TOKEN: usize = 2048;
/// `externalExecutionId`: at most 1500 characters.
pub const MAX_EXTERNAL_ID: usize = 1500;
/// An output variable's value: kept to 1000 characters.
pub const MAX_VARIABLE_VALUE: usize = 1000;

/// What happened to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    Accepted,
    /// CodePipeline already had a result for this job (a retried or
    /// duplicated invocation): nothing more to do.
    AlreadyReported,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CodePipeline did not accept the report for job {job_id}: {message}")]
pub struct ReportError {
    pub job_id: String,
    pub message: String,
}

/// Reports job results through `aws-sdk-codepipeline`.
#[derive(Debug, Clone)]
pub struct JobReporter {
    client: aws_sdk_codepipeline::Client,
}

impl JobReporter {
    pub fn new(client: aws_sdk_codepipeline::Client) -> Self {
        JobReporter { client }
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

/// CodePipeline's pattern for output variable names: `[A-Za-z0-9@\-_]+`.
fn valid_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@-_".contains(&b))
}

/// `text` cut to at most `max` characters, ending in "…" when it was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_to_the_limit_in_characters() {
        assert_eq!(truncate("short", 10), "short");
        let long = "é".repeat(3000);
        let cut = truncate(&long, MAX_SUMMARY);
        assert_eq!(cut.chars().count(), MAX_SUMMARY);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn variable_names_follow_codepipelines_pattern() {
        assert!(valid_variable_name("verdict"));
        assert!(valid_variable_name("risk-total_2@x"));
        assert!(!valid_variable_name("has space"));
        assert!(!valid_variable_name(""));
    }
}
