//! The plan's fields as given ([`PlanSpec`]: the JSON form of
//! `UserParameters`, or `cicd health`'s options), and the checks that make
//! a [`Plan`] of them: unknown fields are refused, numbers must be in
//! range, a field that would have no effect is refused too (a plan that
//! says `min_healthy_targets` but reads no targets is a mistake, not a
//! choice), and every error names its field.

use std::fmt;
use std::time::Duration;

use health_check::{Backoff, Expectation};
use serde::Deserialize;
use serde::de::{self, SeqAccess, Visitor};

use super::{
    DEFAULT_CONSECUTIVE_SUCCESSES, DEFAULT_DEADLINE, DEFAULT_EXPECT_TEXT,
    DEFAULT_MIN_HEALTHY_TARGETS, DEFAULT_OUTPUT, DEFAULT_PROBE_INTERVAL, DEFAULT_TIMEOUT,
    ExtraCheck, InsufficientData, MAX_ALARMS, MAX_CHECKS, MAX_CONSECUTIVE_SUCCESSES, MAX_DEADLINE,
    MAX_LATENCY_P95_MS, MAX_MIN_HEALTHY_TARGETS, MAX_PROBE_INTERVAL, MAX_TARGET_GROUPS,
    MAX_TIMEOUT, Plan, PlanError, Selection, Source,
};

/// The plan's fields as given; `None` takes the default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // each field is documented in the README's table of the plan
pub struct PlanSpec {
    pub url: Option<String>,
    pub stack: Option<String>,
    pub output: Option<String>,
    pub path: Option<String>,
    pub expect_status: Option<u16>,
    pub expect_text: Option<String>,
    pub case_sensitive: Option<bool>,
    pub deadline_seconds: Option<f64>,
    pub timeout_seconds: Option<f64>,
    pub backoff_seconds: Option<f64>,
    pub max_backoff_seconds: Option<f64>,
    pub checks: Option<Vec<CheckSpec>>,
    pub consecutive_successes: Option<u32>,
    pub probe_interval_seconds: Option<f64>,
    pub latency_p95_ms: Option<u64>,
    pub targets: Option<SelectionSpec>,
    pub min_healthy_targets: Option<u32>,
    pub alarms: Option<SelectionSpec>,
    pub insufficient_data: Option<InsufficientData>,
    pub ignore_alarm_read_failure: Option<bool>,
}

/// An extra check as given.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CheckSpec {
    pub path: String,
    pub expect_status: Option<u16>,
    pub expect_text: Option<String>,
}

/// `"stack"` or a list of names, as given (the word is checked in
/// [`Plan::from_spec`], where the field's name is known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectionSpec {
    /// A single word: `"stack"` is the only one allowed.
    Word(String),
    /// A list of ARNs or names.
    List(Vec<String>),
}

impl<'de> Deserialize<'de> for SelectionSpec {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SelectionVisitor;

        impl<'de> Visitor<'de> for SelectionVisitor {
            type Value = SelectionSpec;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"stack\" or a list of names")
            }

            fn visit_str<E: de::Error>(self, word: &str) -> Result<SelectionSpec, E> {
                Ok(SelectionSpec::Word(word.to_string()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SelectionSpec, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                Ok(SelectionSpec::List(names))
            }
        }

        deserializer.deserialize_any(SelectionVisitor)
    }
}

impl Plan {
    /// The plan `spec` describes, or what is wrong with it.
    pub fn from_spec(spec: PlanSpec) -> Result<Plan, PlanError> {
        let stack = match spec.stack {
            Some(stack) if stack.trim().is_empty() => {
                return Err(error("UserParameters.stack is empty"));
            }
            stack => stack.map(|s| s.trim().to_string()),
        };
        let source = match (spec.url, &stack, spec.output) {
            (Some(_), _, Some(_)) => {
                return Err(error(
                    "UserParameters: give either url or output (of the stack), not both",
                ));
            }
            (Some(url), _, None) => Source::Url(url),
            (None, Some(stack), output) => Source::StackOutput {
                stack: stack.clone(),
                output: output.unwrap_or_else(|| DEFAULT_OUTPUT.to_string()),
            },
            (None, None, Some(_)) => {
                return Err(error("UserParameters.output needs a stack to read it from"));
            }
            (None, None, None) => {
                return Err(error(
                    "UserParameters: say where to look, with url or with stack (and output)",
                ));
            }
        };
        let case_sensitive = spec.case_sensitive.unwrap_or(false);
        let expect = Expectation {
            status: status("expect_status", spec.expect_status)?,
            text: Some(
                spec.expect_text
                    .unwrap_or_else(|| DEFAULT_EXPECT_TEXT.to_string()),
            )
            .filter(|t| !t.is_empty()),
            case_sensitive,
        };
        let checks = spec.checks.unwrap_or_default();
        if checks.len() > MAX_CHECKS {
            return Err(error(format!(
                "UserParameters.checks has {} checks; at most {MAX_CHECKS} are allowed",
                checks.len()
            )));
        }
        let checks = checks
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
            .collect::<Result<Vec<_>, PlanError>>()?;
        let defaults = Backoff::default();
        let initial = seconds("backoff_seconds", spec.backoff_seconds, defaults.initial)?;
        let max = seconds(
            "max_backoff_seconds",
            spec.max_backoff_seconds,
            defaults.max,
        )?;
        let timeout = seconds("timeout_seconds", spec.timeout_seconds, DEFAULT_TIMEOUT)?;
        if timeout.is_zero() || timeout > MAX_TIMEOUT {
            return Err(error(format!(
                "UserParameters.timeout_seconds must be more than 0 and at most {}",
                MAX_TIMEOUT.as_secs()
            )));
        }
        if initial.is_zero() || max < initial {
            return Err(error(
                "UserParameters: backoff_seconds must be more than 0, and max_backoff_seconds at least as much",
            ));
        }
        let consecutive_successes = spec
            .consecutive_successes
            .unwrap_or(DEFAULT_CONSECUTIVE_SUCCESSES);
        if !(1..=MAX_CONSECUTIVE_SUCCESSES).contains(&consecutive_successes) {
            return Err(error(format!(
                "UserParameters.consecutive_successes must be from 1 to {MAX_CONSECUTIVE_SUCCESSES}, not {consecutive_successes}"
            )));
        }
        let probe_interval = seconds(
            "probe_interval_seconds",
            spec.probe_interval_seconds,
            DEFAULT_PROBE_INTERVAL,
        )?;
        if probe_interval > MAX_PROBE_INTERVAL {
            return Err(error(format!(
                "UserParameters.probe_interval_seconds must be at most {}",
                MAX_PROBE_INTERVAL.as_secs()
            )));
        }
        let latency_p95 = match spec.latency_p95_ms {
            Some(ms) if ms == 0 || ms > MAX_LATENCY_P95_MS => {
                return Err(error(format!(
                    "UserParameters.latency_p95_ms must be from 1 to {MAX_LATENCY_P95_MS}, not {ms}"
                )));
            }
            ms => ms.map(Duration::from_millis),
        };
        let targets = selection(
            "targets",
            "target group ARNs",
            spec.targets,
            stack.is_some(),
            MAX_TARGET_GROUPS,
        )?;
        let min_healthy_targets = match spec.min_healthy_targets {
            Some(_) if targets.is_none() => {
                return Err(error(
                    "UserParameters.min_healthy_targets has no effect without targets",
                ));
            }
            Some(n) if n == 0 || n > MAX_MIN_HEALTHY_TARGETS => {
                return Err(error(format!(
                    "UserParameters.min_healthy_targets must be from 1 to {MAX_MIN_HEALTHY_TARGETS}, not {n}"
                )));
            }
            n => n.unwrap_or(DEFAULT_MIN_HEALTHY_TARGETS),
        };
        let alarms = selection(
            "alarms",
            "alarm names",
            spec.alarms,
            stack.is_some(),
            MAX_ALARMS,
        )?;
        for (field, given) in [
            ("insufficient_data", spec.insufficient_data.is_some()),
            (
                "ignore_alarm_read_failure",
                spec.ignore_alarm_read_failure.is_some(),
            ),
        ] {
            if given && alarms.is_none() {
                return Err(error(format!(
                    "UserParameters.{field} has no effect without alarms"
                )));
            }
        }
        Ok(Plan {
            source,
            stack,
            path: spec.path,
            expect,
            checks,
            deadline: seconds("deadline_seconds", spec.deadline_seconds, DEFAULT_DEADLINE)?,
            timeout,
            backoff: Backoff { initial, max },
            consecutive_successes,
            probe_interval,
            latency_p95,
            targets,
            min_healthy_targets,
            alarms,
            insufficient_data: spec.insufficient_data.unwrap_or_default(),
            ignore_alarm_read_failure: spec.ignore_alarm_read_failure.unwrap_or(false),
        })
    }
}

fn error(message: impl Into<String>) -> PlanError {
    PlanError(message.into())
}

fn status(field: &str, value: Option<u16>) -> Result<u16, PlanError> {
    match value.unwrap_or(200) {
        value @ 100..=599 => Ok(value),
        value => Err(error(format!(
            "UserParameters.{field} must be an HTTP status (100 to 599), not {value}"
        ))),
    }
}

/// A number of seconds (fractions allowed, for tests and quick checks).
fn seconds(field: &str, value: Option<f64>, default: Duration) -> Result<Duration, PlanError> {
    let Some(value) = value else {
        return Ok(default);
    };
    if !value.is_finite() || value < 0.0 || value > MAX_DEADLINE.as_secs_f64() {
        return Err(error(format!(
            "UserParameters.{field} must be a number of seconds from 0 to {}, not {value}",
            MAX_DEADLINE.as_secs()
        )));
    }
    Ok(Duration::from_secs_f64(value))
}

/// `"stack"` (which needs a stack) or a list of 1 to `max` non-empty,
/// distinct names.
fn selection(
    field: &str,
    what: &str,
    given: Option<SelectionSpec>,
    has_stack: bool,
    max: usize,
) -> Result<Option<Selection>, PlanError> {
    match given {
        None => Ok(None),
        Some(SelectionSpec::Word(word)) if word == "stack" => {
            if has_stack {
                Ok(Some(Selection::Stack))
            } else {
                Err(error(format!(
                    "UserParameters.{field} \"stack\" needs a stack: add \"stack\": NAME"
                )))
            }
        }
        Some(SelectionSpec::Word(word)) => Err(error(format!(
            "UserParameters.{field} must be \"stack\" or a list of {what}, not {word:?}"
        ))),
        Some(SelectionSpec::List(names)) => {
            if names.is_empty() || names.len() > max {
                return Err(error(format!(
                    "UserParameters.{field} must list 1 to {max} {what}, not {}",
                    names.len()
                )));
            }
            let mut seen = std::collections::BTreeSet::new();
            for (i, name) in names.iter().enumerate() {
                if name.trim().is_empty() {
                    return Err(error(format!("UserParameters.{field}[{i}] is empty")));
                }
                if !seen.insert(name.as_str()) {
                    return Err(error(format!(
                        "UserParameters.{field}[{i}] repeats {name:?}"
                    )));
                }
            }
            Ok(Some(Selection::Named(names)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Plan, PlanError> {
        let spec: PlanSpec = serde_json::from_str(text).map_err(|e| error(e.to_string()))?;
        Plan::from_spec(spec)
    }

    fn refused(text: &str) -> String {
        parse(text).unwrap_err().0
    }

    #[test]
    fn json_with_a_url_and_everything_set() {
        let plan = parse(
            r#"{"url": "http://calc.test", "path": "/health", "expect_status": 204,
                "expect_text": "", "case_sensitive": true, "deadline_seconds": 30,
                "timeout_seconds": 2.5, "backoff_seconds": 0.2, "max_backoff_seconds": 1,
                "checks": [{"path": "/add?a=2&b=3", "expect_text": "5"}, {"path": "/x", "expect_status": 404}],
                "consecutive_successes": 5, "probe_interval_seconds": 0.5, "latency_p95_ms": 250,
                "targets": ["arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/a/1"],
                "min_healthy_targets": 2, "alarms": ["a-5xx", "a-unhealthy"],
                "insufficient_data": "fail", "ignore_alarm_read_failure": true}"#,
        )
        .unwrap();
        assert_eq!(plan.source, Source::Url("http://calc.test".to_string()));
        assert_eq!(plan.stack, None);
        assert_eq!(plan.path.as_deref(), Some("/health"));
        assert_eq!(
            plan.expect,
            Expectation {
                status: 204,
                text: None,
                case_sensitive: true
            }
        );
        assert_eq!(plan.deadline, Duration::from_secs(30));
        assert_eq!(plan.timeout, Duration::from_millis(2500));
        assert_eq!(
            plan.backoff,
            Backoff {
                initial: Duration::from_millis(200),
                max: Duration::from_secs(1)
            }
        );
        assert_eq!(plan.checks.len(), 2);
        assert_eq!(plan.checks[0].expect.text.as_deref(), Some("5"));
        assert!(plan.checks[0].expect.case_sensitive);
        assert_eq!(plan.checks[1].expect.status, 404);
        assert_eq!(plan.checks[1].expect.text, None);
        assert_eq!(plan.consecutive_successes, 5);
        assert_eq!(plan.probe_interval, Duration::from_millis(500));
        assert_eq!(plan.latency_p95, Some(Duration::from_millis(250)));
        assert_eq!(
            plan.targets,
            Some(Selection::Named(vec![
                "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/a/1".to_string()
            ]))
        );
        assert_eq!(plan.min_healthy_targets, 2);
        assert_eq!(
            plan.alarms,
            Some(Selection::Named(vec![
                "a-5xx".to_string(),
                "a-unhealthy".to_string()
            ]))
        );
        assert_eq!(plan.insufficient_data, InsufficientData::Fail);
        assert!(plan.ignore_alarm_read_failure);
        assert!(plan.reads_aws() && !plan.is_plain());
    }

    #[test]
    fn json_defaults_ask_for_three_successes_in_a_row_and_nothing_from_aws() {
        let plan = parse(r#"{"url": "http://calc.test"}"#).unwrap();
        assert_eq!(plan.consecutive_successes, 3);
        assert_eq!(plan.probe_interval, Duration::from_secs(5));
        assert_eq!(plan.latency_p95, None);
        assert_eq!((plan.targets, plan.alarms), (None, None));
        assert_eq!(plan.insufficient_data, InsufficientData::Wait);
        assert_eq!(
            plan.expect.text.as_deref(),
            Some("Simple Calculator Service")
        );
        let one = parse(r#"{"url": "http://calc.test", "consecutive_successes": 1}"#).unwrap();
        assert!(one.is_plain());
    }

    #[test]
    fn a_stack_is_judged_and_gives_the_url_unless_one_is_given() {
        let plan =
            parse(r#"{"stack": " CICD-test-stack ", "targets": "stack", "alarms": "stack"}"#)
                .unwrap();
        assert_eq!(
            plan.source,
            Source::StackOutput {
                stack: "CICD-test-stack".to_string(),
                output: "Url".to_string()
            }
        );
        assert_eq!(plan.stack.as_deref(), Some("CICD-test-stack"));
        assert_eq!(plan.targets, Some(Selection::Stack));
        assert_eq!(plan.alarms, Some(Selection::Stack));
        assert_eq!(plan.min_healthy_targets, 1);
        let given = parse(r#"{"url": "http://calc.test", "stack": "s"}"#).unwrap();
        assert_eq!(given.source, Source::Url("http://calc.test".to_string()));
        assert_eq!(given.stack.as_deref(), Some("s"));
    }

    #[test]
    fn the_source_must_be_a_url_or_a_stack() {
        assert_eq!(
            refused(r#"{"url": "http://a", "stack": "s", "output": "Url"}"#),
            "UserParameters: give either url or output (of the stack), not both"
        );
        assert_eq!(
            refused(r#"{"output": "Url"}"#),
            "UserParameters.output needs a stack to read it from"
        );
        assert_eq!(
            refused(r#"{"expect_text": "x"}"#),
            "UserParameters: say where to look, with url or with stack (and output)"
        );
        assert_eq!(
            refused(r#"{"stack": " "}"#),
            "UserParameters.stack is empty"
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let typo = refused(r#"{"url": "http://a", "expect_txt": "x"}"#);
        assert!(typo.contains("unknown field `expect_txt`"), "{typo}");
        let typo = refused(r#"{"url": "http://a", "consecutive_sucesses": 2}"#);
        assert!(
            typo.contains("unknown field `consecutive_sucesses`"),
            "{typo}"
        );
        for (text, message) in [
            (
                r#"{"url": "http://a", "deadline_seconds": -1}"#,
                "UserParameters.deadline_seconds must be a number of seconds from 0 to 86400, not -1",
            ),
            (
                r#"{"url": "http://a", "timeout_seconds": 0}"#,
                "UserParameters.timeout_seconds must be more than 0 and at most 60",
            ),
            (
                r#"{"url": "http://a", "expect_status": 42}"#,
                "UserParameters.expect_status must be an HTTP status (100 to 599), not 42",
            ),
            (
                r#"{"url": "http://a", "checks": [{"path": "/", "expect_status": 1000}]}"#,
                "UserParameters.checks[0].expect_status must be an HTTP status (100 to 599), not 1000",
            ),
            (
                r#"{"url": "http://a", "backoff_seconds": 2, "max_backoff_seconds": 1}"#,
                "UserParameters: backoff_seconds must be more than 0, and max_backoff_seconds at least as much",
            ),
            (
                r#"{"url": "http://a", "consecutive_successes": 0}"#,
                "UserParameters.consecutive_successes must be from 1 to 20, not 0",
            ),
            (
                r#"{"url": "http://a", "consecutive_successes": 21}"#,
                "UserParameters.consecutive_successes must be from 1 to 20, not 21",
            ),
            (
                r#"{"url": "http://a", "probe_interval_seconds": 301}"#,
                "UserParameters.probe_interval_seconds must be at most 300",
            ),
            (
                r#"{"url": "http://a", "latency_p95_ms": 0}"#,
                "UserParameters.latency_p95_ms must be from 1 to 60000, not 0",
            ),
        ] {
            assert_eq!(refused(text), message, "{text}");
        }
    }

    #[test]
    fn targets_and_alarms_are_the_stacks_or_a_short_list_of_distinct_names() {
        for (text, message) in [
            (
                r#"{"url": "http://a", "targets": "stack"}"#,
                "UserParameters.targets \"stack\" needs a stack: add \"stack\": NAME",
            ),
            (
                r#"{"url": "http://a", "alarms": "stack"}"#,
                "UserParameters.alarms \"stack\" needs a stack: add \"stack\": NAME",
            ),
            (
                r#"{"stack": "s", "targets": "stak"}"#,
                "UserParameters.targets must be \"stack\" or a list of target group ARNs, not \"stak\"",
            ),
            (
                r#"{"stack": "s", "alarms": []}"#,
                "UserParameters.alarms must list 1 to 100 alarm names, not 0",
            ),
            (
                r#"{"stack": "s", "alarms": ["a", ""]}"#,
                "UserParameters.alarms[1] is empty",
            ),
            (
                r#"{"stack": "s", "alarms": ["a", "a"]}"#,
                "UserParameters.alarms[1] repeats \"a\"",
            ),
            (
                r#"{"stack": "s", "min_healthy_targets": 2}"#,
                "UserParameters.min_healthy_targets has no effect without targets",
            ),
            (
                r#"{"stack": "s", "targets": "stack", "min_healthy_targets": 0}"#,
                "UserParameters.min_healthy_targets must be from 1 to 1000, not 0",
            ),
            (
                r#"{"stack": "s", "insufficient_data": "ok"}"#,
                "UserParameters.insufficient_data has no effect without alarms",
            ),
            (
                r#"{"stack": "s", "ignore_alarm_read_failure": true}"#,
                "UserParameters.ignore_alarm_read_failure has no effect without alarms",
            ),
        ] {
            assert_eq!(refused(text), message, "{text}");
        }
        let eleven: Vec<String> = (0..11).map(|i| format!("arn:tg/{i}")).collect();
        assert_eq!(
            refused(&serde_json::json!({"url": "http://a", "targets": eleven}).to_string()),
            "UserParameters.targets must list 1 to 10 target group ARNs, not 11"
        );
        let wrong = refused(r#"{"stack": "s", "alarms": 3}"#);
        assert!(
            wrong.contains("expected \"stack\" or a list of names"),
            "{wrong}"
        );
        let unknown = refused(r#"{"stack": "s", "alarms": "stack", "insufficient_data": "maybe"}"#);
        assert!(
            unknown.contains("unknown variant `maybe`, expected one of `ok`, `wait`, `fail`"),
            "{unknown}"
        );
    }
}
