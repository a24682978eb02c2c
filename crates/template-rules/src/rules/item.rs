//! A rule as stored: in DynamoDB, a rules file or the defaults.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::rule::{Rule, RuleKind, SuppressionPolicy};

/// A rule as stored: every field optional, so that a missing one is an error
/// that names it rather than a failure to read the whole table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleItem {
    /// The rule's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Value>,
    /// `SecurityGroup`, `EC2Instance`, or a label (see [`super::Category`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Value>,
    /// The kind of rule (see [`crate::kinds::KINDS`]), or `guard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ruletype: Option<Value>,
    /// What the kind looks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ruledata: Option<Value>,
    /// The risk a finding adds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub riskvalue: Option<Value>,
    /// `Y` or `N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<Value>,
    /// `Y` (the default when absent) or `N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressible: Option<Value>,
    /// What a suppression must give: `reason` (the default when absent) or
    /// `reason+expiry`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Value>,
    /// Optional: what to change, in one or two sentences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Value>,
    /// Optional: where to read more (a URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Value>,
    /// Optional: the controls the rule serves, a list of ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frameworks: Option<Value>,
}

impl RuleItem {
    /// The id, when it is there, for messages.
    pub fn id(&self) -> Option<&str> {
        self.rule.as_ref().and_then(Value::as_str)
    }

    /// The item's fields, by name, in the order they are shown (DynamoDB
    /// stores `riskvalue` as a number, `frameworks` as a list, the rest as
    /// strings).
    pub fn fields(&self) -> Vec<(&'static str, Option<&Value>)> {
        vec![
            ("rule", self.rule.as_ref()),
            ("category", self.category.as_ref()),
            ("ruletype", self.ruletype.as_ref()),
            ("ruledata", self.ruledata.as_ref()),
            ("riskvalue", self.riskvalue.as_ref()),
            ("active", self.active.as_ref()),
            ("suppressible", self.suppressible.as_ref()),
            ("suppression", self.suppression.as_ref()),
            ("remediation", self.remediation.as_ref()),
            ("link", self.link.as_ref()),
            ("frameworks", self.frameworks.as_ref()),
        ]
    }
}

impl From<&Rule> for RuleItem {
    fn from(rule: &Rule) -> Self {
        let data = match &rule.kind {
            RuleKind::Guard(rules) => rules.text().to_string(),
            RuleKind::Native(check) => check.ruledata(),
        };
        RuleItem {
            rule: Some(rule.id.clone().into()),
            category: Some(rule.category.name().into()),
            ruletype: Some(rule.kind.type_name().into()),
            ruledata: Some(data.into()),
            riskvalue: Some(rule.risk.into()),
            active: Some(if rule.active { "Y" } else { "N" }.into()),
            // Written only when it is not the default, so that items
            // without the field read and write back unchanged.
            suppressible: (!rule.suppressible).then(|| "N".into()),
            suppression: (rule.suppression != SuppressionPolicy::Reason)
                .then(|| rule.suppression.as_str().into()),
            remediation: rule.guidance.remediation.clone().map(Value::from),
            link: rule.guidance.link.clone().map(Value::from),
            frameworks: (!rule.guidance.frameworks.is_empty())
                .then(|| Value::from(rule.guidance.frameworks.clone())),
        }
    }
}
