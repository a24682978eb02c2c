//! The action's `UserParameters`: a string, often JSON, set in the pipeline.

use serde::de::DeserializeOwned;

use crate::event::Job;
use crate::outcome::JobError;

/// CodePipeline accepts at most this many characters of `UserParameters`.
pub const MAX_USER_PARAMETERS: usize = 1000;

/// The action's `UserParameters`; missing, blank or over-long ones are a
/// configuration error.
pub fn raw(job: &Job) -> Result<&str, JobError> {
    let text = job
        .user_parameters()
        .ok_or_else(|| JobError::configuration("the action has no UserParameters"))?;
    if text.trim().is_empty() {
        return Err(JobError::configuration(
            "the action's UserParameters are empty",
        ));
    }
    let length = text.chars().count();
    if length > MAX_USER_PARAMETERS {
        return Err(JobError::configuration(format!(
            "UserParameters are {length} characters long; CodePipeline allows at most {MAX_USER_PARAMETERS}"
        )));
    }
    Ok(text)
}

/// Decodes `UserParameters` as a JSON object; errors name the field that is
/// missing or malformed (`UserParameters.file: invalid type: ...`).
pub fn json<T: DeserializeOwned>(text: &str) -> Result<T, JobError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| JobError::configuration(format!("UserParameters are not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(JobError::configuration(format!(
            "UserParameters must be a JSON object, not {}",
            kind(&value)
        )));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." {
            String::new()
        } else {
            format!(".{path}")
        };
        JobError::configuration(format!("UserParameters{at}: {}", e.inner()))
    })
}

fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
