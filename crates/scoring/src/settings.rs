//! The function's settings, from its environment.

use template_rules::{Thresholds, UnresolvedPolicy};

/// What the function is configured with (`RULES_TABLE`, and optionally
/// `RISK_FLAG_AT` and `RISK_FAIL_AT`, defaults 5 and 50, and `UNRESOLVED`,
/// what unresolved findings do: `pass`, `flag` (the default) or `fail`),
/// and what Lambda says of it (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, which
/// bounds the memory of Guard items: see [`crate::guard_memory`]).
///
/// Settings that cannot be used do not stop the function: the runner then
/// reports every job as a `ConfigurationError` that says what to fix,
/// instead of the jobs hanging unreported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `RULES_TABLE`: the DynamoDB table of rules.
    pub rules_table: String,
    /// `FLAG_AT`, `FAIL_AT` and `UNRESOLVED`: what the verdict counts.
    pub thresholds: Thresholds,
    /// Memory one Guard item may take, in bytes.
    pub guard_memory_limit: usize,
}

/// A setting that cannot be used; the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

impl SettingsError {
    /// A setting of the function's own that cannot be used, saying what
    /// to fix.
    pub fn new(message: impl Into<String>) -> SettingsError {
        SettingsError(message.into())
    }
}

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Settings, SettingsError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Settings::from_env`] with the variables read through `var` (tests).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let rules_table = var("RULES_TABLE")
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| {
                SettingsError(
                    "the function's RULES_TABLE environment variable is not set".to_string(),
                )
            })?;
        let number = |name: &str, default: u64| -> Result<u64, SettingsError> {
            match var(name) {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|_| {
                    SettingsError(format!(
                        "the function's {name} environment variable is not a whole number: \"{v}\""
                    ))
                }),
            }
        };
        let defaults = Thresholds::default();
        let thresholds = Thresholds::new(
            number("RISK_FLAG_AT", defaults.flag_at())?,
            number("RISK_FAIL_AT", defaults.fail_at())?,
        )
        .map_err(SettingsError)?;
        let unresolved = match var("UNRESOLVED") {
            None => UnresolvedPolicy::default(),
            Some(v) => v.parse().map_err(|_| {
                SettingsError(format!(
                    "the function's UNRESOLVED environment variable is \"{v}\"; it must be pass, flag or fail (what findings on values the check cannot resolve do to the verdict)"
                ))
            })?,
        };
        let thresholds = thresholds.with_unresolved(unresolved);
        let memory = match var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") {
            None => None,
            Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
                SettingsError(format!(
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE is not a whole number of MiB: \"{v}\""
                ))
            })?),
        };
        Ok(Settings {
            rules_table,
            thresholds,
            guard_memory_limit: crate::guard_memory::limit(memory),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_table_is_required_and_thresholds_default_to_5_and_50() {
        assert_eq!(
            settings(&[]).unwrap_err().to_string(),
            "the function's RULES_TABLE environment variable is not set"
        );
        let s = settings(&[("RULES_TABLE", "rules")]).unwrap();
        assert_eq!(s.thresholds, Thresholds::default());
        assert_eq!(
            s.guard_memory_limit,
            1 << 30,
            "Guard's default outside Lambda"
        );
        let s = settings(&[
            ("RULES_TABLE", "rules"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024"),
        ])
        .unwrap();
        assert_eq!(s.guard_memory_limit, crate::guard_memory::limit(Some(1024)));
        assert!(
            settings(&[
                ("RULES_TABLE", "rules"),
                ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "lots")
            ])
            .is_err()
        );
        let s = settings(&[
            ("RULES_TABLE", "rules"),
            ("RISK_FLAG_AT", "1"),
            ("RISK_FAIL_AT", "10"),
        ])
        .unwrap();
        assert_eq!((s.thresholds.flag_at(), s.thresholds.fail_at()), (1, 10));
        assert_eq!(
            settings(&[("RULES_TABLE", "rules"), ("RISK_FAIL_AT", "lots")])
                .unwrap_err()
                .to_string(),
            "the function's RISK_FAIL_AT environment variable is not a whole number: \"lots\""
        );
        assert!(settings(&[("RULES_TABLE", "rules"), ("RISK_FLAG_AT", "80")]).is_err());
    }

    #[test]
    fn unresolved_findings_flag_unless_unresolved_says_otherwise() {
        let policy = |value: Option<&str>| {
            let mut vars = vec![("RULES_TABLE", "rules"), ("RISK_FAIL_AT", "40")];
            vars.extend(value.map(|v| ("UNRESOLVED", v)));
            settings(&vars).map(|s| s.thresholds)
        };
        assert_eq!(policy(None).unwrap().unresolved(), UnresolvedPolicy::Flag);
        for (value, expected) in [
            ("pass", UnresolvedPolicy::Pass),
            ("flag", UnresolvedPolicy::Flag),
            ("FAIL", UnresolvedPolicy::Fail),
            (" fail\n", UnresolvedPolicy::Fail),
        ] {
            let thresholds = policy(Some(value)).unwrap();
            assert_eq!(thresholds.unresolved(), expected, "{value:?}");
            assert_eq!(thresholds.fail_at(), 40, "the other settings stay");
        }
        for bad in ["", "warn", "flagged", "0"] {
            assert_eq!(
                policy(Some(bad)).unwrap_err().to_string(),
                format!(
                    "the function's UNRESOLVED environment variable is \"{bad}\"; it must be pass, flag or fail (what findings on values the check cannot resolve do to the verdict)"
                )
            );
        }
    }
}
