//! The JSON form of `UserParameters`, as the pipeline writes it, and the
//! checks on each field: unknown fields are refused (a typo is not
//! silently ignored), numbers must be in range, and every error names its
//! field.

use std::time::Duration;

use health_check::{Backoff, Expectation};
use pipeline_job::{JobError, params};
use serde::Deserialize;

use super::{
    DEFAULT_DEADLINE, DEFAULT_EXPECT_TEXT, DEFAULT_OUTPUT, DEFAULT_TIMEOUT, ExtraCheck, MAX_CHECKS,
    MAX_DEADLINE, MAX_TIMEOUT, Params, Source,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonParams {
    url: Option<String>,
    stack: Option<String>,
    output: Option<String>,
    path: Option<String>,
    #[serde(default = "default_status")]
    expect_status: u16,
    expect_text: Option<String>,
    #[serde(default)]
    case_sensitive: bool,
    deadline_seconds: Option<f64>,
    timeout_seconds: Option<f64>,
    backoff_seconds: Option<f64>,
    max_backoff_seconds: Option<f64>,
    #[serde(default)]
    checks: Vec<JsonCheck>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonCheck {
    path: String,
    #[serde(default = "default_status")]
    expect_status: u16,
    expect_text: Option<String>,
}

fn default_status() -> u16 {
    200
}

/// Reads `UserParameters` given as a JSON object.
pub(super) fn parse(text: &str) -> Result<Params, JobError> {
    let json: JsonParams = params::json(text)?;
    let source = match (json.url, json.stack, json.output) {
        (Some(url), None, None) => Source::Url(url),
        (None, Some(stack), output) => {
            let stack = stack.trim().to_string();
            if stack.is_empty() {
                return Err(JobError::configuration("UserParameters.stack is empty"));
            }
            Source::Stack {
                stack,
                output: output.unwrap_or_else(|| DEFAULT_OUTPUT.to_string()),
            }
        }
        (Some(_), Some(_), _) => {
            return Err(JobError::configuration(
                "UserParameters: give either url or stack, not both",
            ));
        }
        (Some(_), None, Some(_)) | (None, None, Some(_)) => {
            return Err(JobError::configuration(
                "UserParameters.output needs a stack to read it from",
            ));
        }
        (None, None, None) => {
            return Err(JobError::configuration(
                "UserParameters: say where to look, with url or with stack (and output)",
            ));
        }
    };
    let case_sensitive = json.case_sensitive;
    let expect = Expectation {
        status: status("expect_status", json.expect_status)?,
        text: Some(
            json.expect_text
                .unwrap_or_else(|| DEFAULT_EXPECT_TEXT.to_string()),
        )
        .filter(|t| !t.is_empty()),
        case_sensitive,
    };
    if json.checks.len() > MAX_CHECKS {
        return Err(JobError::configuration(format!(
            "UserParameters.checks has {} checks; at most {MAX_CHECKS} are allowed",
            json.checks.len()
        )));
    }
    let checks = json
        .checks
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(ExtraCheck {
                path: c.path,
                expect: Expectation {
                    status: status(&format!("checks[{i}].expect_status"), c.expect_status)?,
                    text: c.expect_text.filter(|t| !t.is_empty()),
                    case_sensitive,
                },
            })
        })
        .collect::<Result<Vec<_>, JobError>>()?;
    let defaults = Backoff::default();
    let initial = seconds("backoff_seconds", json.backoff_seconds, defaults.initial)?;
    let max = seconds(
        "max_backoff_seconds",
        json.max_backoff_seconds,
        defaults.max,
    )?;
    let timeout = seconds("timeout_seconds", json.timeout_seconds, DEFAULT_TIMEOUT)?;
    if timeout.is_zero() || timeout > MAX_TIMEOUT {
        return Err(JobError::configuration(format!(
            "UserParameters.timeout_seconds must be more than 0 and at most {}",
            MAX_TIMEOUT.as_secs()
        )));
    }
    if initial.is_zero() || max < initial {
        return Err(JobError::configuration(
            "UserParameters: backoff_seconds must be more than 0, and max_backoff_seconds at least as much",
        ));
    }
    Ok(Params {
        source,
        path: json.path,
        expect,
        checks,
        deadline: seconds("deadline_seconds", json.deadline_seconds, DEFAULT_DEADLINE)?,
        timeout,
        backoff: Backoff { initial, max },
    })
}

fn status(field: &str, value: u16) -> Result<u16, JobError> {
    if (100..=599).contains(&value) {
        Ok(value)
    } else {
        Err(JobError::configuration(format!(
            "UserParameters.{field} must be an HTTP status (100 to 599), not {value}"
        )))
    }
}

/// A number of seconds (fractions allowed, for tests and quick checks).
fn seconds(field: &str, value: Option<f64>, default: Duration) -> Result<Duration, JobError> {
    let Some(value) = value else {
        return Ok(default);
    };
    if !value.is_finite() || value < 0.0 || value > MAX_DEADLINE.as_secs_f64() {
        return Err(JobError::configuration(format!(
            "UserParameters.{field} must be a number of seconds from 0 to {}, not {value}",
            MAX_DEADLINE.as_secs()
        )));
    }
    Ok(Duration::from_secs_f64(value))
}

#[cfg(test)]
mod tests {
    use pipeline_job::FailureKind;

    use super::*;

    fn config_error(text: &str) -> String {
        let error = parse(text).unwrap_err();
        assert_eq!(error.kind, FailureKind::ConfigurationError, "{text}");
        error.message
    }

    #[test]
    fn json_with_a_url_and_everything_set() {
        let params = parse(
            r#"{"url": "http://calc.test", "path": "/health", "expect_status": 204,
                "expect_text": "", "case_sensitive": true, "deadline_seconds": 30,
                "timeout_seconds": 2.5, "backoff_seconds": 0.2, "max_backoff_seconds": 1,
                "checks": [{"path": "/add?a=2&b=3", "expect_text": "5"}, {"path": "/x", "expect_status": 404}]}"#,
        )
        .unwrap();
        assert_eq!(params.source, Source::Url("http://calc.test".to_string()));
        assert_eq!(params.path.as_deref(), Some("/health"));
        assert_eq!(
            params.expect,
            Expectation {
                status: 204,
                text: None,
                case_sensitive: true
            }
        );
        assert_eq!(params.deadline, Duration::from_secs(30));
        assert_eq!(params.timeout, Duration::from_millis(2500));
        assert_eq!(
            params.backoff,
            Backoff {
                initial: Duration::from_millis(200),
                max: Duration::from_secs(1)
            }
        );
        assert_eq!(params.checks.len(), 2);
        assert_eq!(params.checks[0].expect.text.as_deref(), Some("5"));
        assert!(params.checks[0].expect.case_sensitive);
        assert_eq!(params.checks[1].expect.status, 404);
        assert_eq!(params.checks[1].expect.text, None);
    }

    #[test]
    fn json_with_a_stack_defaults_the_output_to_url() {
        let params = parse(r#"{"stack": "CICD-test-stack"}"#).unwrap();
        assert_eq!(
            params.source,
            Source::Stack {
                stack: "CICD-test-stack".to_string(),
                output: "Url".to_string()
            }
        );
        assert_eq!(
            params.expect.text.as_deref(),
            Some("Simple Calculator Service")
        );
    }

    #[test]
    fn the_source_must_be_one_url_or_one_stack() {
        assert_eq!(
            config_error(r#"{"url": "http://a", "stack": "s"}"#),
            "UserParameters: give either url or stack, not both"
        );
        assert_eq!(
            config_error(r#"{"output": "Url"}"#),
            "UserParameters.output needs a stack to read it from"
        );
        assert_eq!(
            config_error(r#"{"expect_text": "x"}"#),
            "UserParameters: say where to look, with url or with stack (and output)"
        );
        assert_eq!(
            config_error(r#"{"stack": " "}"#),
            "UserParameters.stack is empty"
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let typo = config_error(r#"{"url": "http://a", "expect_txt": "x"}"#);
        assert!(typo.contains("unknown field `expect_txt`"), "{typo}");
        assert!(
            config_error(r#"{"url": "http://a", "deadline_seconds": "soon"}"#)
                .starts_with("UserParameters.deadline_seconds: invalid type: string \"soon\""),
        );
        assert_eq!(
            config_error(r#"{"url": "http://a", "deadline_seconds": -1}"#),
            "UserParameters.deadline_seconds must be a number of seconds from 0 to 86400, not -1"
        );
        assert_eq!(
            config_error(r#"{"url": "http://a", "timeout_seconds": 0}"#),
            "UserParameters.timeout_seconds must be more than 0 and at most 60"
        );
        assert_eq!(
            config_error(r#"{"url": "http://a", "expect_status": 42}"#),
            "UserParameters.expect_status must be an HTTP status (100 to 599), not 42"
        );
        assert_eq!(
            config_error(
                r#"{"url": "http://a", "checks": [{"path": "/", "expect_status": 1000}]}"#
            ),
            "UserParameters.checks[0].expect_status must be an HTTP status (100 to 599), not 1000"
        );
        assert_eq!(
            config_error(r#"{"url": "http://a", "backoff_seconds": 2, "max_backoff_seconds": 1}"#),
            "UserParameters: backoff_seconds must be more than 0, and max_backoff_seconds at least as much"
        );
        assert!(config_error("{not json").starts_with("UserParameters are not valid JSON"));
    }
}
