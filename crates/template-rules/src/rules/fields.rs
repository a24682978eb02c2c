//! An item's fields, read one at a time: each error names the field.

use serde_json::Value;

/// A field that must be a string.
pub(super) fn required_text(value: Option<&Value>, field: &str) -> Result<String, String> {
    match value {
        None | Some(Value::Null) => Err(format!("the item has no {field}")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("{field} must be a string, not {other}")),
    }
}

/// `riskvalue`: a whole number from 0 up, written as a number or as text.
pub(super) fn parse_risk(value: Option<&Value>) -> Result<u64, String> {
    let text = match value {
        None | Some(Value::Null) => return Err("the item has no riskvalue".to_string()),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(other) => return Err(format!("riskvalue must be a number, not {other}")),
    };
    text.parse::<u64>()
        .map_err(|_| format!("riskvalue \"{text}\" is not a whole number from 0 up"))
}

/// `active`, which every item must have.
pub(super) fn parse_active(value: Option<&Value>) -> Result<bool, String> {
    match value {
        None | Some(Value::Null) => Err("the item has no active flag (Y or N)".to_string()),
        Some(value) => parse_flag(value, "active"),
    }
}

/// `Y`/`N` (or yes/no, true/false, in any case), as stored.
pub(super) fn parse_flag(value: &Value, field: &str) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" | "true" => Ok(true),
            "n" | "no" | "false" => Ok(false),
            _ => Err(format!("{field} \"{s}\" is not Y or N")),
        },
        other => Err(format!("{field} must be Y or N, not {other}")),
    }
}
