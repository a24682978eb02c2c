//! The action's `UserParameters`: the gate's plan (see `health_gate::plan`),
//! either a plain URL (what the old function took, and still does as it
//! did) or a JSON object, whose fields the README's plan table lists.

use health_gate::{Plan, PlanSpec};
use pipeline_job::{Job, JobError, params};

/// Reads the job's `UserParameters`; any problem is a configuration error
/// naming the field.
pub fn read(job: &Job) -> Result<Plan, JobError> {
    parse(params::raw(job)?)
}

/// Parses `UserParameters` text: JSON if it starts with `{`, else a URL.
pub fn parse(text: &str) -> Result<Plan, JobError> {
    let text = text.trim();
    if Plan::is_json(text) {
        let spec: PlanSpec = params::json(text)?;
        Plan::from_spec(spec).map_err(|e| JobError::configuration(e.0))
    } else {
        Ok(Plan::for_url(text))
    }
}

#[cfg(test)]
mod tests {
    use pipeline_job::FailureKind;

    use super::*;

    #[test]
    fn a_plain_url_is_the_old_plan_and_json_is_read_field_by_field() {
        assert_eq!(
            parse(" http://calc.example.com \n").unwrap(),
            Plan::for_url("http://calc.example.com")
        );
        let plan = parse(r#"{"stack": "CICD-test-stack", "targets": "stack", "alarms": "stack"}"#)
            .unwrap();
        assert_eq!(plan.stack.as_deref(), Some("CICD-test-stack"));
        assert_eq!(plan.consecutive_successes, 3);
        for (text, message) in [
            (
                r#"{"url": "http://a", "expect_txt": "x"}"#,
                "UserParameters.expect_txt: unknown field `expect_txt`",
            ),
            (
                r#"{"url": "http://a", "deadline_seconds": "soon"}"#,
                "UserParameters.deadline_seconds: invalid type: string \"soon\"",
            ),
            (
                r#"{"url": "http://a", "deadline_seconds": -1}"#,
                "UserParameters.deadline_seconds must be a number of seconds from 0 to 86400, not -1",
            ),
            ("{not json", "UserParameters are not valid JSON"),
        ] {
            let error = parse(text).unwrap_err();
            assert_eq!(error.kind, FailureKind::ConfigurationError, "{text}");
            assert!(
                error.message.starts_with(message),
                "{text}: {}",
                error.message
            );
        }
    }
}
