//! The checks to make, built from the plan once the URL is known (given,
//! or read from the stack): the main one, then the extra ones, each target
//! validated against the checker's policy.

use health_check::{Check, Target, TargetPolicy};

use super::{Plan, PlanError};

impl Plan {
    /// The checks to make once the URL is known: the main one (the URL, or
    /// `path` resolved against it), then the extra ones. `from` says where
    /// the URL came from, for messages (empty: the message says nothing of
    /// it).
    pub fn checks(
        &self,
        url: &str,
        from: &str,
        policy: TargetPolicy,
    ) -> Result<Vec<Check>, PlanError> {
        let invalid = |e: health_check::TargetError| {
            PlanError(if from.is_empty() {
                e.to_string()
            } else {
                format!("{from}: {e}")
            })
        };
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
    use super::*;
    use crate::plan::{ExtraCheck, PlanSpec};

    #[test]
    fn checks_resolve_paths_against_the_url_and_validate_every_target() {
        let plan = Plan::from_spec(PlanSpec {
            url: Some("http://calc.test/app/".to_string()),
            path: Some("/".to_string()),
            ..PlanSpec::default()
        })
        .unwrap();
        let plan = Plan {
            checks: vec![ExtraCheck {
                path: "add?a=2&b=3".to_string(),
                expect: plan.expect.clone(),
            }],
            ..plan
        };
        let checks = plan
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

        let error = Plan::for_url("http://169.254.169.254/")
            .checks(
                "http://169.254.169.254/",
                "UserParameters",
                TargetPolicy::default(),
            )
            .unwrap_err();
        assert!(
            error
                .0
                .starts_with("UserParameters: refused to check http://169.254.169.254/: 169.254.169.254 is the instance metadata address"),
            "{error}"
        );
        let error = Plan::for_url("calc.test")
            .checks("calc.test", "UserParameters", TargetPolicy::default())
            .unwrap_err();
        assert_eq!(
            error.0,
            "UserParameters: \"calc.test\" is not a URL: it must start with http:// or https://"
        );
    }
}
