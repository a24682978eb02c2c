//! One item read into a rule, or the reason it cannot be.

use std::sync::Arc;

use guard_rules::GuardRules;
use serde_json::Value;

use super::fields::{parse_active, parse_flag, parse_risk, required_text};
use super::guidance::Guidance;
use super::item::RuleItem;
use super::legacy;
use super::rule::{GUARD, Rule, RuleKind, SuppressionPolicy};
use crate::category::{Category, GUARD_CATEGORY};
use crate::kind::Categories;
use crate::kinds::{self, KINDS};

impl Rule {
    /// Validates one item. Returns the rule and, for an upgraded legacy
    /// item, a note saying so.
    pub fn from_item(item: &RuleItem) -> Result<(Rule, Option<String>), String> {
        let id = required_text(item.rule.as_ref(), "rule")?;
        if id.trim().is_empty() {
            return Err("the rule id is empty".to_string());
        }
        let mut ruletype = required_text(item.ruletype.as_ref(), "ruletype")?;
        let mut ruledata = required_text(item.ruledata.as_ref(), "ruledata")?;
        let risk = parse_risk(item.riskvalue.as_ref())?;
        let active = parse_active(item.active.as_ref())?;
        let suppressible = match item.suppressible.as_ref() {
            None | Some(Value::Null) => true,
            Some(value) => parse_flag(value, "suppressible")?,
        };
        let suppression = match item.suppression.as_ref() {
            None | Some(Value::Null) => SuppressionPolicy::Reason,
            Some(value) => parse_suppression(value)?,
        };
        let guidance = Guidance::read(
            item.remediation.as_ref(),
            item.link.as_ref(),
            item.frameworks.as_ref(),
        )?;
        let rule = |category, kind| Rule {
            id: id.clone(),
            category,
            kind,
            risk,
            active,
            suppressible,
            suppression,
            guidance: guidance.clone(),
        };
        if ruletype == GUARD {
            let category = match item.category.as_ref() {
                None | Some(Value::Null) => GUARD_CATEGORY.to_string(),
                Some(_) => required_text(item.category.as_ref(), "category")?,
            };
            let rules = GuardRules::parse(&ruledata).map_err(|e| e.to_string())?;
            let kind = RuleKind::Guard(Arc::new(rules));
            return Ok((rule(Category::Label(category), kind), None));
        }
        let category_text = required_text(item.category.as_ref(), "category")?;
        let note = match legacy::upgrade(&id, &ruletype, &ruledata) {
            Some((new_type, new_data, note)) => {
                ruletype = new_type.to_string();
                ruledata = new_data.to_string();
                Some(note)
            }
            None => None,
        };
        let kind = kinds::find(&ruletype);
        let categories = kind.map(|k| k.describe().categories);
        let category = match (&categories, Category::known(&category_text)) {
            (Some(Categories::Label), _) => Category::Label(category_text),
            (_, Some(known)) => known,
            (_, None) => return Err(unknown_category(&category_text)),
        };
        let Some(kind) = kind else {
            return Err(format!(
                "unknown ruletype \"{ruletype}\" (expected {})",
                ruletypes()
            ));
        };
        let check = kind.parse(&ruledata)?;
        if let Some(Categories::Only(expected)) = categories
            && expected != category
        {
            return Err(format!(
                "ruletype {ruletype} applies to category {}, not {}",
                expected.name(),
                category.name()
            ));
        }
        Ok((rule(category, RuleKind::Native(check)), note))
    }
}

/// `suppression`: `reason` or `reason+expiry`.
fn parse_suppression(value: &Value) -> Result<SuppressionPolicy, String> {
    match value {
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "reason" => Ok(SuppressionPolicy::Reason),
            "reason+expiry" => Ok(SuppressionPolicy::ReasonAndExpiry),
            _ => Err(format!(
                "suppression \"{s}\" is not reason or reason+expiry"
            )),
        },
        other => Err(format!(
            "suppression must be reason or reason+expiry, not {other}"
        )),
    }
}

/// "unknown category ... (expected SecurityGroup or EC2Instance; free text
/// for ruletype guard)": said of an item whose kind takes a category with
/// resource types of its own.
fn unknown_category(category: &str) -> String {
    format!(
        "unknown category \"{category}\" (expected SecurityGroup or EC2Instance; free text for ruletype {GUARD})"
    )
}

/// "open-ingress, forbidden-ami, regex, property, policy, relation or guard".
fn ruletypes() -> String {
    let all: Vec<&str> = KINDS
        .iter()
        .map(|k| k.describe().ruletype)
        .chain([GUARD])
        .collect();
    listed(&all)
}

/// "a, b or c".
fn listed(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
