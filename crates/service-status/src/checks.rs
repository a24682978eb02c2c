//! The checks to make, built from the parameters once the URL is known
//! (given, or read from the stack): the main one, then the extra ones, each
//! target validated against the checker's policy.

use health_check::{Check, Target, TargetPolicy};
use pipeline_job::JobError;

use crate::params::Params;

impl Params {
    /// The checks to make once the URL is known: the main one (the URL, or
    /// `path` resolved against it), then the extra ones. `from` says where
    /// the URL came from, for messages.
    pub fn checks(
        &self,
        url: &str,
        from: &str,
        policy: TargetPolicy,
    ) -> Result<Vec<Check>, JobError> {
        let invalid =
            |e: health_check::TargetError| JobError::configuration(format!("{from}: {e}"));
        let base = Target::parse(url, policy).map_err(invalid)?;
        let main = match &self.path {
            Some(path) => base.join(path, policy).map_err(invalid)?,
            None => base.clone(),
        };
        let mut checks = vec![Check {
            target: main,
            expect: self.expect.clone(),
        }];
        for extra in &self.checks {
            checks.push(Check {
                target: base.join(&extra.path, policy).map_err(invalid)?,
                expect: extra.expect.clone(),
            });
        }
        Ok(checks)
    }
}

#[cfg(test)]
mod tests {
    use pipeline_job::FailureKind;

    use super::*;

    #[test]
    fn checks_resolve_paths_against_the_url_and_validate_every_target() {
        let params = Params::parse(
            r#"{"url": "http://calc.test/app/", "path": "/", "checks": [{"path": "add?a=2&b=3"}]}"#,
        )
        .unwrap();
        let checks = params
            .checks(
                "http://calc.test/app/",
                "UserParameters.url",
                TargetPolicy::default(),
            )
            .unwrap();
        let urls: Vec<&str> = checks.iter().map(|c| c.target.url().as_str()).collect();
        assert_eq!(
            urls,
            ["http://calc.test/", "http://calc.test/app/add?a=2&b=3"]
        );
        // As shown: the query hidden.
        assert_eq!(checks[1].target.to_string(), "http://calc.test/app/add?***");

        let error = Params::for_url("http://169.254.169.254/")
            .checks(
                "http://169.254.169.254/",
                "UserParameters",
                TargetPolicy::default(),
            )
            .unwrap_err();
        assert_eq!(error.kind, FailureKind::ConfigurationError);
        assert!(
            error
                .message
                .starts_with("UserParameters: refused to check http://169.254.169.254/: 169.254.169.254 is the instance metadata address"),
            "{}",
            error.message
        );
        let error = Params::for_url("calc.test")
            .checks("calc.test", "UserParameters", TargetPolicy::default())
            .unwrap_err();
        assert_eq!(
            error.message,
            "UserParameters: \"calc.test\" is not a URL: it must start with http:// or https://"
        );
    }
}
