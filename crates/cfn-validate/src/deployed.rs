//! The deployed stack a job's template is compared with
//! (`UserParameters.baseline.stack`): the port in front of CloudFormation's
//! `GetTemplate`.
//!
//! The handler knows it only as [`DeployedTemplates`]: CloudFormation in
//! Lambda ([`CloudFormationTemplates`]), memory in tests
//! ([`MemoryStacks`]). A stack that does not exist has no template, and
//! every finding is new; what else goes wrong is reported, never read as
//! "everything is existing":
//!
//! | what happened | failure type |
//! |---|---|
//! | the stack does not exist | none: no baseline, every finding new |
//! | a malformed stack name | `ConfigurationError`, naming the stack |
//! | access denied | `PermissionError` |
//! | throttling past the SDK's retries | `JobFailed`, saying so |
//! | anything else (network, server errors) after the SDK's retries | `JobFailed` |
//! | no template in the answer | `ConfigurationError` |
//! | a template that cannot be read (see [`crate::Validator::validate`]) | `ConfigurationError` |

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_errors::ErrorKind;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::types::TemplateStage;
use pipeline_job::JobError;

/// The templates stacks were deployed with.
pub trait DeployedTemplates: Send + Sync {
    /// The template `stack` was last deployed with, as it was written
    /// (CloudFormation's original template, before transforms), or `None`
    /// when there is no such stack.
    fn original_template(
        &self,
        stack: &str,
    ) -> impl Future<Output = Result<Option<String>, JobError>> + Send;
}

/// CloudFormation's `GetTemplate` (template stage `Original`).
#[derive(Debug, Clone)]
pub struct CloudFormationTemplates {
    client: Client,
}

impl CloudFormationTemplates {
    /// Stacks read through `client`.
    pub fn new(client: Client) -> Self {
        CloudFormationTemplates { client }
    }
}

impl DeployedTemplates for CloudFormationTemplates {
    async fn original_template(&self, stack: &str) -> Result<Option<String>, JobError> {
        let answer = self
            .client
            .get_template()
            .stack_name(stack)
            .template_stage(TemplateStage::Original)
            .send()
            .await;
        match answer {
            Ok(answer) => match answer.template_body {
                Some(body) => Ok(Some(body)),
                None => Err(JobError::configuration(format!(
                    "CloudFormation returned no template for stack {stack} (UserParameters.baseline)"
                ))),
            },
            Err(error) => get_template_error(stack, &error),
        }
    }
}

/// Sorts a `GetTemplate` error (see the module documentation).
/// CloudFormation answers a missing or malformed stack name with a
/// `ValidationError`, so that code and its message are read here; the rest
/// is sorted by [`aws_errors::classify`], like every other AWS error.
pub fn get_template_error<E, R>(
    stack: &str,
    error: &SdkError<E, R>,
) -> Result<Option<String>, JobError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = aws_errors::message(error);
    if error.code() == Some("ValidationError") {
        return if message.contains("does not exist") {
            Ok(None)
        } else {
            Err(JobError::configuration(format!(
                "cannot read the template of stack {stack} (UserParameters.baseline): {message}"
            )))
        };
    }
    Err(match aws_errors::classify(error) {
        ErrorKind::AccessDenied => JobError::permission(format!(
            "not allowed to read the template of stack {stack} (cloudformation:GetTemplate), the baseline: {message}"
        )),
        ErrorKind::Throttled => JobError::failed(format!(
            "CloudFormation kept throttling GetTemplate for stack {stack} (the baseline) after retries: {message}"
        )),
        ErrorKind::NotFound | ErrorKind::Other => JobError::failed(format!(
            "could not read the template of stack {stack} (the baseline): {}",
            DisplayErrorContext(error)
        )),
    })
}

/// No stack can be read: a job that names a baseline stack is a
/// configuration error. What a validator built without a CloudFormation
/// client has.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoStacks;

impl DeployedTemplates for NoStacks {
    async fn original_template(&self, stack: &str) -> Result<Option<String>, JobError> {
        Err(JobError::configuration(format!(
            "UserParameters.baseline names stack {stack}, but this function reads no stacks"
        )))
    }
}

/// Stacks in memory, for tests: a stack's template, or the error reading
/// it gives.
#[derive(Debug, Clone, Default)]
pub struct MemoryStacks {
    stacks: Arc<Mutex<HashMap<String, Result<String, JobError>>>>,
}

impl MemoryStacks {
    /// No stacks.
    pub fn new() -> Self {
        MemoryStacks::default()
    }

    /// `stack`, deployed with `template`.
    pub fn with(self, stack: &str, template: impl Into<String>) -> Self {
        self.lock().insert(stack.to_string(), Ok(template.into()));
        self
    }

    /// `stack`, whose template cannot be read: reading it gives `error`.
    pub fn failing(self, stack: &str, error: JobError) -> Self {
        self.lock().insert(stack.to_string(), Err(error));
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Result<String, JobError>>> {
        self.stacks.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl DeployedTemplates for MemoryStacks {
    async fn original_template(&self, stack: &str) -> Result<Option<String>, JobError> {
        self.lock().get(stack).cloned().transpose()
    }
}
