//! Whether a rule set may be used for a check.

use std::fmt;

use super::set::{RuleError, RuleSet};

/// Active rules that cannot be applied; Display lists them, one a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnusableRules {
    /// Each rule that was meant to be applied and cannot be.
    pub errors: Vec<RuleError>,
}

impl fmt::Display for UnusableRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl RuleSet {
    /// Whether the set may be used for a check: not when a rule that was
    /// meant to be applied cannot be, since a check that skips it proves
    /// nothing. Errors in inactive rules do not block (they deserve a
    /// warning). The Lambda and the CLI both apply this policy.
    pub fn check_usable(&self) -> Result<(), UnusableRules> {
        let errors: Vec<RuleError> = self.blocking_errors().cloned().collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(UnusableRules { errors })
        }
    }
}

#[cfg(test)]
mod check_usable_tests {
    use super::*;
    use crate::rules::RuleItem;

    fn item(id: &str, ruletype: &str, active: &str) -> RuleItem {
        serde_json::from_value(serde_json::json!({
            "rule": id, "category": "SecurityGroup", "ruletype": ruletype,
            "ruledata": "all", "riskvalue": 5, "active": active
        }))
        .unwrap()
    }

    #[test]
    fn only_active_rules_that_cannot_be_applied_block() {
        assert_eq!(RuleSet::defaults().check_usable(), Ok(()));
        let inactive_broken = RuleSet::from_items([item("Off", "glob", "N")]);
        assert_eq!(inactive_broken.errors().len(), 1);
        assert_eq!(inactive_broken.check_usable(), Ok(()));

        let set = RuleSet::from_items([
            item("Open", "open-ingress", "Y"),
            item("Glob", "glob", "Y"),
            item("Off", "glob", "N"),
            item("Unsure", "glob", "maybe"),
        ]);
        let unusable = set.check_usable().unwrap_err();
        let blocking: Vec<&str> = unusable.errors.iter().map(|e| e.rule.as_str()).collect();
        assert_eq!(blocking, ["Glob", "Unsure"]);
        assert_eq!(
            unusable.to_string(),
            format!("{}\n{}", unusable.errors[0], unusable.errors[1])
        );
        assert!(
            unusable
                .to_string()
                .starts_with("rule Glob: unknown ruletype \"glob\"")
        );
    }
}
