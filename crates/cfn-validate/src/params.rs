//! The action's `UserParameters`:
//! `{"input": "SourceArtifact", "file": "cloudformation/application.json", "output": "<bucket>",
//! "baseline": {"stack": "<stack>"}}`.

use pipeline_job::{Job, JobError, params};
use serde::Deserialize;

/// The Static_Check action's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The input artifact holding the template.
    pub input: String,
    /// The template's path inside the artifact.
    pub file: String,
    /// A bucket to also receive `valid.template.zip` or `flagged.template.zip`.
    #[serde(default)]
    pub output: Option<String>,
    /// What the template is compared with: only the findings it adds count.
    #[serde(default)]
    pub baseline: Option<BaselineParams>,
}

/// `UserParameters.baseline`: the deployed stack whose template is the
/// baseline (production's, say), so that the check fails only on what a
/// commit adds over it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineParams {
    /// The stack's name (or id).
    pub stack: String,
}

impl Params {
    /// Reads and checks the job's `UserParameters`; a configuration error
    /// names the field that is wrong.
    pub fn read(job: &Job) -> Result<Params, JobError> {
        let params: Params = params::json(params::raw(job)?)?;
        for (name, value) in [("input", &params.input), ("file", &params.file)] {
            if value.trim().is_empty() {
                return Err(JobError::configuration(format!(
                    "UserParameters.{name} is empty"
                )));
            }
        }
        if params
            .output
            .as_deref()
            .is_some_and(|b| b.trim().is_empty())
        {
            return Err(JobError::configuration(
                "UserParameters.output is empty (leave it out for no copy)",
            ));
        }
        if params
            .baseline
            .as_ref()
            .is_some_and(|b| b.stack.trim().is_empty())
        {
            return Err(JobError::configuration(
                "UserParameters.baseline.stack is empty (leave baseline out to count every finding)",
            ));
        }
        Ok(params)
    }
}
