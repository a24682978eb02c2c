//! CodePipeline's job-worker API as the fake reads and answers it: the
//! awsJson1.1 wire format (`POST /`, `X-Amz-Target:
//! CodePipeline_20150709.<Operation>`), and `PutJobSuccessResult` and
//! `PutJobFailureResult` validated with the service's documented
//! constraints, in its own words.

use std::collections::BTreeMap;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The `X-Amz-Target` prefix of the 2015-07-09 API version.
pub const TARGET_PREFIX: &str = "CodePipeline_20150709.";

/// The values the service accepts for `failureDetails.type`.
pub const FAILURE_TYPES: [&str; 6] = [
    "JobFailed",
    "ConfigurationError",
    "PermissionError",
    "RevisionOutOfSync",
    "RevisionUnavailable",
    "SystemUnavailable",
];

/// An accepted job report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobReport {
    /// `PutJobSuccessResult`: final, or in progress with a continuation
    /// token. The fields are the request's, by their API names.
    #[allow(missing_docs)]
    Success {
        job_id: String,
        summary: Option<String>,
        external_execution_id: Option<String>,
        percent_complete: Option<i64>,
        output_variables: BTreeMap<String, String>,
        continuation_token: Option<String>,
    },
    /// `PutJobFailureResult`. The fields are the request's, by their API
    /// names.
    #[allow(missing_docs)]
    Failure {
        job_id: String,
        /// `failureDetails.type`, e.g. `JobFailed`.
        kind: String,
        message: String,
        external_execution_id: Option<String>,
    },
}

impl JobReport {
    /// The job reported on.
    pub fn job_id(&self) -> &str {
        match self {
            JobReport::Success { job_id, .. } | JobReport::Failure { job_id, .. } => job_id,
        }
    }

    /// A success report (final or in progress).
    pub fn is_success(&self) -> bool {
        matches!(self, JobReport::Success { .. })
    }

    /// A `PutJobFailureResult`.
    pub fn is_failure(&self) -> bool {
        matches!(self, JobReport::Failure { .. })
    }

    /// A success with a continuation token: the job goes on.
    pub fn is_in_progress(&self) -> bool {
        matches!(
            self,
            JobReport::Success {
                continuation_token: Some(_),
                ..
            }
        )
    }

    /// `Succeeded`, `Failed` or `InProgress` (a success with a continuation token).
    pub fn status(&self) -> &'static str {
        match self {
            JobReport::Failure { .. } => "Failed",
            _ if self.is_in_progress() => "InProgress",
            JobReport::Success { .. } => "Succeeded",
        }
    }

    /// The summary of a success, the message of a failure.
    pub fn message(&self) -> Option<&str> {
        match self {
            JobReport::Success { summary, .. } => summary.as_deref(),
            JobReport::Failure { message, .. } => Some(message),
        }
    }

    /// The external execution id (the invocation's request id, from our runner).
    pub fn external_execution_id(&self) -> Option<&str> {
        match self {
            JobReport::Success {
                external_execution_id,
                ..
            }
            | JobReport::Failure {
                external_execution_id,
                ..
            } => external_execution_id.as_deref(),
        }
    }

    /// The report as JSON: the variant's fields in snake_case plus
    /// `"status"` (see [`JobReport::status`]). This is what `GET /_reports`
    /// serves.
    pub fn to_json(&self) -> Value {
        match self {
            JobReport::Success {
                job_id,
                summary,
                external_execution_id,
                percent_complete,
                output_variables,
                continuation_token,
            } => json!({
                "status": self.status(),
                "job_id": job_id,
                "summary": summary,
                "external_execution_id": external_execution_id,
                "percent_complete": percent_complete,
                "output_variables": output_variables,
                "continuation_token": continuation_token,
            }),
            JobReport::Failure {
                job_id,
                kind,
                message,
                external_execution_id,
            } => json!({
                "status": self.status(),
                "job_id": job_id,
                "kind": kind,
                "message": message,
                "external_execution_id": external_execution_id,
            }),
        }
    }
}

impl serde::Serialize for JobReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// The report a request makes, or the error document to answer it with
/// (400): an unknown operation, a body that is not JSON, a request the
/// service would refuse.
pub(super) fn read_report(target: &str, body: Option<&Value>) -> Result<JobReport, Value> {
    let Some(operation) = target.strip_prefix(TARGET_PREFIX) else {
        return Err(error_body(
            "UnknownOperationException",
            &format!("missing or unknown X-Amz-Target {target:?}"),
        ));
    };
    let Some(request) = body else {
        return Err(error_body(
            "SerializationException",
            "request body is not JSON",
        ));
    };
    let checked = match operation {
        "PutJobSuccessResult" => parse_success(request),
        "PutJobFailureResult" => parse_failure(request),
        _ => {
            return Err(error_body(
                "UnknownOperationException",
                &format!("the fake does not implement {operation}"),
            ));
        }
    };
    checked.map_err(|message| error_body("ValidationException", &message))
}

/// An awsJson1.1 answer.
pub(super) fn aws_response(status: u16, body: &Value) -> Response {
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [
            (
                header::CONTENT_TYPE,
                "application/x-amz-json-1.1".to_string(),
            ),
            (
                header::HeaderName::from_static("x-amzn-requestid"),
                crate::uuid_v4(),
            ),
        ],
        body.to_string(),
    )
        .into_response();
    if let Some(kind) = body.get("__type").and_then(Value::as_str)
        && let Ok(value) = kind.parse()
    {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static("x-amzn-errortype"), value);
    }
    response
}

/// An awsJson1.1 error document.
pub(super) fn error_body(kind: &str, message: &str) -> Value {
    json!({ "__type": kind, "message": message })
}

/// Reads an optional string member, rejecting other JSON types.
fn opt_str(object: &Value, name: &str, path: &str) -> Result<Option<String>, String> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("{path}{name} must be a string, got {other}")),
    }
}

/// Checks a length constraint the way the service phrases it.
fn check_len(value: &Option<String>, name: &str, min: usize, max: usize) -> Result<(), String> {
    if let Some(v) = value {
        let len = v.chars().count();
        if len < min || len > max {
            return Err(format!(
                "1 validation error detected: Value at '{name}' failed to satisfy constraint: Member must have length {}",
                if len < min {
                    format!("greater than or equal to {min}")
                } else {
                    format!("less than or equal to {max}")
                }
            ));
        }
    }
    Ok(())
}

fn job_id(request: &Value) -> Result<String, String> {
    let id = opt_str(request, "jobId", "")?
        .ok_or("1 validation error detected: Value null at 'jobId' failed to satisfy constraint: Member must not be null")?;
    if !crate::is_uuid(&id) {
        return Err(format!(
            "1 validation error detected: Value '{id}' at 'jobId' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}"
        ));
    }
    Ok(id)
}

fn parse_success(request: &Value) -> Result<JobReport, String> {
    let job_id = job_id(request)?;
    let continuation_token = opt_str(request, "continuationToken", "")?;
    check_len(&continuation_token, "continuationToken", 1, 2048)?;

    let details = request
        .get("executionDetails")
        .cloned()
        .unwrap_or(Value::Null);
    let summary = opt_str(&details, "summary", "executionDetails.")?;
    check_len(&summary, "executionDetails.summary", 1, 2048)?;
    let external_execution_id = opt_str(&details, "externalExecutionId", "executionDetails.")?;
    check_len(
        &external_execution_id,
        "executionDetails.externalExecutionId",
        1,
        1500,
    )?;
    let percent_complete = match details.get("percentComplete") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(p) if (0..=100).contains(&p) => Some(p),
            _ => {
                return Err(format!(
                    "1 validation error detected: Value '{v}' at 'executionDetails.percentComplete' failed to satisfy constraint: Member must have value between 0 and 100"
                ));
            }
        },
    };

    if let Some(revision) = request.get("currentRevision").filter(|v| !v.is_null()) {
        for (name, max) in [("revision", 1500), ("changeIdentifier", 100)] {
            let value = opt_str(revision, name, "currentRevision.")?;
            if value.is_none() {
                return Err(format!(
                    "1 validation error detected: Value null at 'currentRevision.{name}' failed to satisfy constraint: Member must not be null"
                ));
            }
            check_len(&value, &format!("currentRevision.{name}"), 1, max)?;
        }
    }

    let mut output_variables = BTreeMap::new();
    match request.get("outputVariables") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            if continuation_token.is_some() && !map.is_empty() {
                return Err(
                    "outputVariables can only be included when there is no continuation token"
                        .to_string(),
                );
            }
            for (key, value) in map {
                let key_ok = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '@' | '-' | '_'));
                if !key_ok {
                    return Err(format!(
                        "1 validation error detected: Value '{key}' at 'outputVariables' failed to satisfy constraint: Map keys must satisfy regular expression pattern: [A-Za-z0-9@\\-_]+"
                    ));
                }
                let Value::String(value) = value else {
                    return Err(format!("outputVariables.{key} must be a string"));
                };
                check_len(
                    &Some(value.clone()),
                    &format!("outputVariables.{key}"),
                    1,
                    1000,
                )?;
                output_variables.insert(key.clone(), value.clone());
            }
        }
        Some(other) => return Err(format!("outputVariables must be a map, got {other}")),
    }

    Ok(JobReport::Success {
        job_id,
        summary,
        external_execution_id,
        percent_complete,
        output_variables,
        continuation_token,
    })
}

fn parse_failure(request: &Value) -> Result<JobReport, String> {
    let job_id = job_id(request)?;
    let details = match request.get("failureDetails") {
        Some(d @ Value::Object(_)) => d.clone(),
        _ => {
            return Err("1 validation error detected: Value null at 'failureDetails' failed to satisfy constraint: Member must not be null".to_string());
        }
    };
    let kind = opt_str(&details, "type", "failureDetails.")?.unwrap_or_default();
    if !FAILURE_TYPES.contains(&kind.as_str()) {
        return Err(format!(
            "1 validation error detected: Value '{kind}' at 'failureDetails.type' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            FAILURE_TYPES.join(", ")
        ));
    }
    let message = opt_str(&details, "message", "failureDetails.")?;
    if message.is_none() {
        return Err("1 validation error detected: Value null at 'failureDetails.message' failed to satisfy constraint: Member must not be null".to_string());
    }
    check_len(&message, "failureDetails.message", 1, 5000)?;
    let external_execution_id = opt_str(&details, "externalExecutionId", "failureDetails.")?;
    check_len(
        &external_execution_id,
        "failureDetails.externalExecutionId",
        1,
        1500,
    )?;
    Ok(JobReport::Failure {
        job_id,
        kind,
        message: message.unwrap_or_default(),
        external_execution_id,
    })
}
