//! The function's settings, from its environment.

use template_rules::Thresholds;

/// What the function is configured with (`RULES_TABLE`, and optionally
/// `RISK_FLAG_AT` and `RISK_FAIL_AT`, defaults 5 and 50).
///
/// Settings that cannot be used do not stop the function: the runner then
/// reports every job as a `ConfigurationError` that says what to fix,
/// instead of the jobs hanging unreported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub rules_table: String,
    pub thresholds: Thresholds,
}

/// A setting that cannot be used; the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Settings, SettingsError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

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
        Ok(Settings {
            rules_table,
            thresholds,
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
}
