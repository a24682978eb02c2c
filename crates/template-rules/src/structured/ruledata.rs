//! Reading a structured kind's `ruledata`: YAML or JSON text (an item
//! stores it as a string), into typed fields that refuse unknown keys.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Largest `ruledata` a structured kind reads.
const MAX_RULEDATA: usize = 64 * 1024;

/// `ruledata` as a YAML or JSON value.
pub(crate) fn document(ruledata: &str) -> Result<Value, String> {
    if ruledata.len() > MAX_RULEDATA {
        return Err(format!(
            "ruledata is {} bytes; a structured rule's is at most {MAX_RULEDATA}",
            ruledata.len()
        ));
    }
    cfn_template::parse_document(ruledata.as_bytes())
        .map_err(|e| format!("ruledata is not YAML or JSON: {e}"))
}

/// `value` as `T`; the error names `what` and says what serde found wrong
/// (an unknown key lists the ones expected).
pub(crate) fn typed<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| format!("{what}: {e}"))
}

/// The value of `value` one line, as an item stores it: compact JSON.
pub(crate) fn one_line(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Checks resource types such as `AWS::S3::Bucket` (a misspelt key is
/// caught by the key checks; a type written wrong would match nothing).
pub(crate) fn resource_types(types: &[String], field: &str) -> Result<(), String> {
    if types.is_empty() {
        return Err(format!("{field} lists no resource type"));
    }
    for t in types {
        let parts: Vec<&str> = t.split("::").collect();
        let well_formed = (2..=4).contains(&parts.len())
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
        if !well_formed {
            return Err(format!(
                "{field}: \"{t}\" is not a resource type such as AWS::S3::Bucket"
            ));
        }
    }
    Ok(())
}
