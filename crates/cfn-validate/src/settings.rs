//! The function's settings, from its environment.

use template_rules::Thresholds;

/// What the function is configured with (`RULES_TABLE`, and optionally
/// `RISK_FLAG_AT` and `RISK_FAIL_AT`, defaults 5 and 50).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub rules_table: String,
    pub thresholds: Thresholds,
}

impl Settings {
    /// Reads the settings. A problem is kept, not fatal: every job then
    /// fails with a configuration error that says what to fix, instead of
    /// the function failing to start and the jobs hanging unreported.
    pub fn from_env() -> Result<Settings, String> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let rules_table = var("RULES_TABLE")
            .filter(|t| !t.trim().is_empty())
            .ok_or("the function's RULES_TABLE environment variable is not set")?;
        let number = |name: &str, default: u64| -> Result<u64, String> {
            match var(name) {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|_| {
                    format!(
                        "the function's {name} environment variable is not a whole number: \"{v}\""
                    )
                }),
            }
        };
        let defaults = Thresholds::default();
        let thresholds = Thresholds::new(
            number("RISK_FLAG_AT", defaults.flag_at())?,
            number("RISK_FAIL_AT", defaults.fail_at())?,
        )?;
        Ok(Settings {
            rules_table,
            thresholds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, String> {
        Settings::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_table_is_required_and_thresholds_default_to_5_and_50() {
        assert_eq!(
            settings(&[]).unwrap_err(),
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
            settings(&[("RULES_TABLE", "rules"), ("RISK_FAIL_AT", "lots")]).unwrap_err(),
            "the function's RISK_FAIL_AT environment variable is not a whole number: \"lots\""
        );
        assert!(settings(&[("RULES_TABLE", "rules"), ("RISK_FLAG_AT", "80")]).is_err());
    }
}
