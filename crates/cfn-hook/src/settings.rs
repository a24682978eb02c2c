//! The function's settings, from its environment: cfn-validate's (shared,
//! `scoring::Settings`) and the Hook's own.

use scoring::{Settings, SettingsError};

use crate::decision::Flagged;
use crate::judge::HookBaseline;
use crate::payload_url::UrlPolicy;

/// What the function is configured with: `RULES_TABLE`, `RISK_FLAG_AT`,
/// `RISK_FAIL_AT`, `UNRESOLVED` and Lambda's memory as cfn-validate reads
/// them, and
///
/// - `HOOK_FLAGGED`: what a flagged verdict does, `warn` (the default: the
///   operation goes on) or `fail`;
/// - `HOOK_PAYLOAD_ALLOW_LOOPBACK`: `true` lets the payload come from a
///   loopback address (tests only); `false` or unset does not;
/// - `HOOK_BASELINE`: `off` (the default: every finding counts) or
///   `previous` (a stack's update counts only the findings its previous
///   template did not have; see [`HookBaseline`]).
///
/// Settings that cannot be used do not stop the function: every invocation
/// is then answered `FAILED`/`InternalFailure` with the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSettings {
    /// What the verdict counts, the table, Guard's memory.
    pub scoring: Settings,
    /// `HOOK_FLAGGED`.
    pub flagged: Flagged,
    /// `HOOK_PAYLOAD_ALLOW_LOOPBACK`.
    pub url_policy: UrlPolicy,
    /// `HOOK_BASELINE`.
    pub baseline: HookBaseline,
}

impl HookSettings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<HookSettings, SettingsError> {
        HookSettings::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`HookSettings::from_env`] with the variables read through `var`.
    pub fn from_lookup(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<HookSettings, SettingsError> {
        let scoring = Settings::from_lookup(&var)?;
        let flagged = match var("HOOK_FLAGGED").as_deref().map(str::trim) {
            None => Flagged::default(),
            Some(v) if v.eq_ignore_ascii_case("warn") => Flagged::Warn,
            Some(v) if v.eq_ignore_ascii_case("fail") => Flagged::Fail,
            Some(v) => {
                return Err(SettingsError::new(format!(
                    "the function's HOOK_FLAGGED environment variable is \"{v}\"; it must be warn or fail (what a template flagged for a person to look at does to the operation)"
                )));
            }
        };
        let allow_loopback = match var("HOOK_PAYLOAD_ALLOW_LOOPBACK").as_deref().map(str::trim) {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("false") || v.is_empty() => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) => {
                return Err(SettingsError::new(format!(
                    "the function's HOOK_PAYLOAD_ALLOW_LOOPBACK environment variable is \"{v}\"; it must be true or false"
                )));
            }
        };
        let baseline = match var("HOOK_BASELINE").as_deref().map(str::trim) {
            None => HookBaseline::default(),
            Some(v) if v.eq_ignore_ascii_case("off") => HookBaseline::Off,
            Some(v) if v.eq_ignore_ascii_case("previous") => HookBaseline::Previous,
            Some(v) => {
                return Err(SettingsError::new(format!(
                    "the function's HOOK_BASELINE environment variable is \"{v}\"; it must be off or previous (whether a stack's update counts only the findings its previous template did not have)"
                )));
            }
        };
        Ok(HookSettings {
            scoring,
            flagged,
            url_policy: UrlPolicy { allow_loopback },
            baseline,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<HookSettings, SettingsError> {
        HookSettings::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn flagged_templates_warn_and_loopback_is_refused_unless_asked() {
        let s = settings(&[("RULES_TABLE", "rules")]).unwrap();
        assert_eq!(s.flagged, Flagged::Warn);
        assert!(!s.url_policy.allow_loopback);
        assert_eq!(s.baseline, HookBaseline::Off);
        assert_eq!(s.scoring.rules_table, "rules");
        let s = settings(&[
            ("RULES_TABLE", "rules"),
            ("HOOK_FLAGGED", "FAIL"),
            ("HOOK_PAYLOAD_ALLOW_LOOPBACK", "true"),
            ("HOOK_BASELINE", "previous"),
        ])
        .unwrap();
        assert_eq!(s.flagged, Flagged::Fail);
        assert!(s.url_policy.allow_loopback);
        assert_eq!(s.baseline, HookBaseline::Previous);
        let s = settings(&[("RULES_TABLE", "rules"), ("HOOK_BASELINE", " Off ")]).unwrap();
        assert_eq!(s.baseline, HookBaseline::Off);
    }

    #[test]
    fn settings_that_cannot_be_used_say_what_to_fix() {
        assert_eq!(
            settings(&[]).unwrap_err().to_string(),
            "the function's RULES_TABLE environment variable is not set"
        );
        assert_eq!(
            settings(&[("RULES_TABLE", "r"), ("HOOK_FLAGGED", "block")])
                .unwrap_err()
                .to_string(),
            "the function's HOOK_FLAGGED environment variable is \"block\"; it must be warn or fail (what a template flagged for a person to look at does to the operation)"
        );
        assert_eq!(
            settings(&[("RULES_TABLE", "r"), ("HOOK_PAYLOAD_ALLOW_LOOPBACK", "yes")])
                .unwrap_err()
                .to_string(),
            "the function's HOOK_PAYLOAD_ALLOW_LOOPBACK environment variable is \"yes\"; it must be true or false"
        );
        for value in ["new", ""] {
            assert_eq!(
                settings(&[("RULES_TABLE", "r"), ("HOOK_BASELINE", value)])
                    .unwrap_err()
                    .to_string(),
                format!(
                    "the function's HOOK_BASELINE environment variable is \"{value}\"; it must be off or previous (whether a stack's update counts only the findings its previous template did not have)"
                )
            );
        }
    }
}
