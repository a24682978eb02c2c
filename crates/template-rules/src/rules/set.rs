//! A rule set: the rules, and the items that could not be made into rules.

use std::collections::HashSet;
use std::fmt;

use super::fields::parse_active;
use super::item::RuleItem;
use super::rule::Rule;

/// A rule that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The rule's id, or "item N" when it has none.
    pub rule: String,
    /// What is wrong with it.
    pub message: String,
    /// Whether the rule was meant to be applied (active, or unknown). An
    /// active rule that cannot be applied means the check cannot be trusted.
    pub blocking: bool,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule {}: {}", self.rule, self.message)
    }
}

/// A rule set, with the items that could not be made into rules.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    errors: Vec<RuleError>,
    notes: Vec<String>,
}

impl RuleSet {
    /// Builds a rule set. Never fails: invalid items become [`RuleError`]s.
    pub fn from_items(items: impl IntoIterator<Item = RuleItem>) -> RuleSet {
        let mut set = RuleSet::default();
        let mut ids = HashSet::new();
        for (index, item) in items.into_iter().enumerate() {
            let label = item
                .id()
                .map_or_else(|| format!("item {}", index + 1), str::to_string);
            match Rule::from_item(&item) {
                Ok((rule, note)) => {
                    if !ids.insert(rule.id.clone()) {
                        set.errors.push(RuleError {
                            rule: label,
                            message: "the same rule id appears twice".to_string(),
                            blocking: rule.active,
                        });
                        continue;
                    }
                    if let Some(note) = note {
                        set.notes.push(note);
                    }
                    set.rules.push(rule);
                }
                Err(message) => set.errors.push(RuleError {
                    rule: label,
                    message,
                    blocking: !matches!(parse_active(item.active.as_ref()), Ok(false)),
                }),
            }
        }
        set
    }

    /// Every rule, active or not, in the order of the items.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rules that are applied.
    pub fn active(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.active)
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Items that could not be made into rules.
    pub fn errors(&self) -> &[RuleError] {
        &self.errors
    }

    /// Errors in rules that were meant to be applied.
    pub fn blocking_errors(&self) -> impl Iterator<Item = &RuleError> {
        self.errors.iter().filter(|e| e.blocking)
    }

    /// Things worth telling whoever maintains the rules (e.g. a legacy regex
    /// replaced by its structured equivalent).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
}
