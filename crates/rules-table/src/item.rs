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
        other => Value::Array(vec![Value::String(format!(
            "unsupported DynamoDB type {other:?}"
        ))]),
    }
}

/// The attributes to store for an item: `riskvalue` as a number, the rest
/// as strings, as the original function wrote them (flags as `Y`/`N`).
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
/// flag 1).
pub fn item_size(attributes: &HashMap<String, AttributeValue>) -> usize {
    attributes
        .iter()
        .map(|(name, value)| {
            name.len()
                + match value {
                    AttributeValue::S(s) => s.len(),
                    AttributeValue::N(n) => n.len().min(21),
                    _ => 1,
                }
        })
        .sum()
}
