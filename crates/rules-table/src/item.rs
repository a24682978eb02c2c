//! Rule items as DynamoDB attribute maps.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;
use template_rules::RuleItem;

/// An item as stored, in the engine's item shape. Strings stay strings,
/// numbers become numbers; any other attribute type is kept as a
/// description, so the engine can say what is wrong with it.
pub fn from_attributes(attributes: &HashMap<String, AttributeValue>) -> RuleItem {
    let field = |name: &str| attributes.get(name).map(value_of);
    RuleItem {
        rule: field("rule"),
        category: field("category"),
        ruletype: field("ruletype"),
        ruledata: field("ruledata"),
        riskvalue: field("riskvalue"),
        active: field("active"),
        suppressible: field("suppressible"),
        suppression: field("suppression"),
        remediation: field("remediation"),
        link: field("link"),
        frameworks: field("frameworks"),
    }
}

fn value_of(attribute: &AttributeValue) -> Value {
    match attribute {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => serde_json::from_str::<serde_json::Number>(n)
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(n.clone())),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        // `frameworks`: a list of strings (or a string set, written by hand).
        AttributeValue::L(items) => Value::Array(items.iter().map(value_of).collect()),
        AttributeValue::Ss(items) => {
            Value::Array(items.iter().cloned().map(Value::String).collect())
        }
        other => Value::Array(vec![Value::String(format!(
            "unsupported DynamoDB type {other:?}"
        ))]),
    }
}

/// The attributes to store for an item: `riskvalue` as a number,
/// `frameworks` as a list of strings, the rest as strings, as the original
/// function wrote them (flags as `Y`/`N`).
pub fn to_attributes(item: &RuleItem) -> HashMap<String, AttributeValue> {
    let mut attributes = HashMap::new();
    for (name, value) in item.fields() {
        let Some(value) = value else { continue };
        let attribute = match (name, value) {
            ("riskvalue", Value::Number(n)) => AttributeValue::N(n.to_string()),
            ("riskvalue", Value::String(s)) if s.trim().parse::<u64>().is_ok() => {
                AttributeValue::N(s.trim().to_string())
            }
            (_, Value::String(s)) => AttributeValue::S(s.clone()),
            ("active" | "suppressible", Value::Bool(flag)) => {
                AttributeValue::S(if *flag { "Y" } else { "N" }.into())
            }
            ("frameworks", Value::Array(ids)) => AttributeValue::L(
                ids.iter()
                    .map(|id| match id {
                        Value::String(s) => AttributeValue::S(s.clone()),
                        other => AttributeValue::S(other.to_string()),
                    })
                    .collect(),
            ),
            (_, other) => AttributeValue::S(other.to_string()),
        };
        attributes.insert(name.to_string(), attribute);
    }
    attributes
}

/// The largest item DynamoDB stores: 400 KB, attribute names included.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// An item's size as DynamoDB counts it against [`MAX_ITEM_BYTES`]: each
/// attribute's name and value in UTF-8 bytes (a number at most 21 bytes, a
/// flag 1, a list 3 bytes plus 1 and its size per element).
pub fn item_size(attributes: &HashMap<String, AttributeValue>) -> usize {
    attributes
        .iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len().min(21),
        AttributeValue::L(items) => 3 + items.iter().map(|i| 1 + value_size(i)).sum::<usize>(),
        AttributeValue::Ss(items) => items.iter().map(String::len).sum(),
        _ => 1,
    }
}
