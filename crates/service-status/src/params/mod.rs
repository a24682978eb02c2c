//! The action's `UserParameters`: where to look and what to expect. The
//! JSON form is read in `params/json.rs`; [`crate::checks`] builds the
//! checks to make from the parameters once the URL is known.
//!
//! Either a plain URL (what cicd.yaml passes: `#{TestStackOutput.Url}`), or
//! a JSON object:
//!
//! ```json
//! {"url": "http://…", "path": "/", "expect_status": 200,
//!  "expect_text": "Simple Calculator Service", "case_sensitive": false,
//!  "deadline_seconds": 600, "timeout_seconds": 10,
//!  "backoff_seconds": 1, "max_backoff_seconds": 15,
//!  "checks": [{"path": "/add?a=2&b=3", "expect_text": "5"}]}
//! ```
//!
//! with `"stack": "CICD-test-stack", "output": "Url"` in place of `url` to
//! read the URL from a CloudFormation stack's output. Every field but the
//! URL (or stack) has a default, and the defaults do what the old function
//! did: one URL, status 200, the calculator's title in the page. An empty
//! `expect_text` checks the status only. Unknown fields are refused, so a
//! typo is not silently ignored.

mod json;

use std::time::Duration;

use health_check::{Backoff, Expectation};
use pipeline_job::{Job, JobError, params};

/// The default overall deadline: long enough for CodeDeploy to finish on a
/// fresh stack.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(600);
/// The default total timeout of one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a single request may be given.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest overall deadline (a day: CodePipeline gives up sooner).
pub const MAX_DEADLINE: Duration = Duration::from_secs(86_400);
/// The most extra checks.
pub const MAX_CHECKS: usize = 10;
/// The output the URL is read from when only `stack` is given.
pub const DEFAULT_OUTPUT: &str = "Url";
/// The text a healthy page contains unless `expect_text` says otherwise:
/// the calculator's page title, what the old function required.
pub const DEFAULT_EXPECT_TEXT: &str = "Simple Calculator Service";

/// Where the URL comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A URL given as it is.
    Url(String),
    /// A CloudFormation stack's output.
    Stack {
        /// The stack's name.
        stack: String,
        /// The output holding the URL.
        output: String,
    },
}

/// An extra check: a path (resolved against the URL) and its expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraCheck {
    /// The path, relative to the URL.
    pub path: String,
    /// What it should answer.
    pub expect: Expectation,
}

/// The parameters, with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Where the URL comes from.
    pub source: Source,
    /// Checked instead of the URL itself, resolved against it.
    pub path: Option<String>,
    /// What a healthy answer looks like.
    pub expect: Expectation,
    /// More URLs that must be healthy too, in the same attempt.
    pub checks: Vec<ExtraCheck>,
    /// How long the service has to become healthy, across invocations.
    pub deadline: Duration,
    /// How long one probe may take.
    pub timeout: Duration,
    /// How long to wait between attempts.
    pub backoff: Backoff,
}

impl Params {
    /// Reads the job's `UserParameters`; any problem is a configuration
    /// error naming the field.
    pub fn read(job: &Job) -> Result<Params, JobError> {
        Params::parse(params::raw(job)?)
    }

    /// Parses `UserParameters` text: JSON if it starts with `{`, else a URL.
    pub fn parse(text: &str) -> Result<Params, JobError> {
        let text = text.trim();
        if text.starts_with('{') {
            json::parse(text)
        } else {
            Ok(Params::for_url(text))
        }
    }

    /// A plain URL with every default: what the old function did.
    pub fn for_url(url: &str) -> Params {
        Params {
            source: Source::Url(url.to_string()),
            path: None,
            expect: Expectation {
                status: 200,
                text: Some(DEFAULT_EXPECT_TEXT.to_string()),
                case_sensitive: false,
            },
            checks: Vec::new(),
            deadline: DEFAULT_DEADLINE,
            timeout: DEFAULT_TIMEOUT,
            backoff: Backoff::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_url_gets_the_old_behaviour() {
        let params = Params::parse(" http://calc.example.com \n").unwrap();
        assert_eq!(params, Params::for_url("http://calc.example.com"));
        assert_eq!(
            params.expect.text.as_deref(),
            Some("Simple Calculator Service")
        );
        assert_eq!(params.expect.status, 200);
        assert!(!params.expect.case_sensitive);
        assert_eq!(params.deadline, Duration::from_secs(600));
    }
}
