//! What the payload URL returns, read as data. Pure.
//!
//! - a stack: `{"template": "…", "previousTemplate": "…"}`, the templates
//!   as text (JSON or YAML), `previousTemplate` empty on a create;
//! - a change set: `{"template": "…", "changedResources": [{"action",
//!   "beforeContext", "afterContext", "lineNumber", "logicalResourceId",
//!   "resourceType"}]}`, where the contexts are JSON text in which numbers
//!   and booleans are strings. The verdict judges the template (as
//!   Static_Check does); the changes say which of its resources count.
//!
//! A template given as a JSON object instead of text is taken too (as its
//! JSON). Other keys are ignored. What the verdict needs and is missing
//! (no template, a change without its resource) makes the payload
//! unreadable: the answer is then a failure, never a pass.

use serde_json::{Map, Value};

use crate::event::kind;

/// A stack operation's payload.
#[derive(Debug, Clone, PartialEq)]
pub struct StackPayload {
    /// The template the operation provisions.
    pub template: String,
    /// The stack's template before it (empty on a create).
    pub previous_template: String,
}

/// A change set's payload.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeSetPayload {
    /// The template the change set provisions.
    pub template: String,
    /// What it does to each resource.
    pub changed_resources: Vec<ChangedResource>,
}

/// One resource a change set changes.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedResource {
    /// Its logical id.
    pub logical_id: String,
    /// Its type, when given.
    pub resource_type: Option<String>,
    /// What the change set does to it.
    pub action: ChangeAction,
    /// The line it starts on in the template, when given.
    pub line: Option<usize>,
}

/// What a change set does to a resource, as Hooks and the CloudFormation
/// API spell it (`CREATE`/`Add`, `UPDATE`/`Modify`, `DELETE`/`Remove`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeAction {
    /// Created.
    Create,
    /// Changed in place or replaced.
    Update,
    /// Deleted: nothing is provisioned.
    Delete,
    /// Brought under the stack's management.
    Import,
    /// Cannot be known before the change set runs.
    Dynamic,
    /// Any other action, as written.
    Other(String),
}

impl ChangeAction {
    fn read(text: &str) -> ChangeAction {
        match text.to_ascii_uppercase().as_str() {
            "CREATE" | "ADD" => ChangeAction::Create,
            "UPDATE" | "MODIFY" => ChangeAction::Update,
            "DELETE" | "REMOVE" => ChangeAction::Delete,
            "IMPORT" => ChangeAction::Import,
            "DYNAMIC" => ChangeAction::Dynamic,
            _ => ChangeAction::Other(text.to_string()),
        }
    }

    /// Whether findings on the resource count toward the verdict: every
    /// action but a deletion (an action not known counts: failing closed).
    pub fn counts(&self) -> bool {
        !matches!(self, ChangeAction::Delete)
    }
}

/// Why a payload cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the payload cannot be read: {0}")]
pub struct PayloadError(String);

/// Reads a stack operation's payload.
pub fn stack(bytes: &[u8]) -> Result<StackPayload, PayloadError> {
    let object = document(bytes)?;
    Ok(StackPayload {
        template: template(&object, "template")?
            .ok_or_else(|| PayloadError("it has no template".to_string()))?,
        previous_template: template(&object, "previousTemplate")?.unwrap_or_default(),
    })
}

/// Reads a change set's payload.
pub fn change_set(bytes: &[u8]) -> Result<ChangeSetPayload, PayloadError> {
    let object = document(bytes)?;
    let template = template(&object, "template")?
        .ok_or_else(|| PayloadError("it has no template".to_string()))?;
    let changes = match object.get("changedResources") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(changes)) => changes.clone(),
        Some(other) => {
            return Err(PayloadError(format!(
                "changedResources is {}, not a list",
                kind(other)
            )));
        }
    };
    let changed_resources = changes
        .iter()
        .enumerate()
        .map(|(i, change)| changed_resource(i, change))
        .collect::<Result<_, _>>()?;
    Ok(ChangeSetPayload {
        template,
        changed_resources,
    })
}

fn document(bytes: &[u8]) -> Result<Map<String, Value>, PayloadError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(other) => Err(PayloadError(format!(
            "it is {}, not a JSON object",
            kind(&other)
        ))),
        Err(e) => Err(PayloadError(format!("it is not JSON ({e})"))),
    }
}

/// The template under `key`: text, or a JSON object taken as its JSON;
/// `None` when absent, null or empty.
fn template(object: &Map<String, Value>, key: &str) -> Result<Option<String>, PayloadError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(Value::Object(template)) => Ok(Some(Value::Object(template.clone()).to_string())),
        Some(other) => Err(PayloadError(format!(
            "{key} is {}, not a template",
            kind(other)
        ))),
    }
}

fn changed_resource(i: usize, change: &Value) -> Result<ChangedResource, PayloadError> {
    let at = format!("changedResources[{i}]");
    let Some(change) = change.as_object() else {
        return Err(PayloadError(format!(
            "{at} is {}, not an object",
            kind(change)
        )));
    };
    let text = |key: &str| -> Result<Option<String>, PayloadError> {
        match change.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(PayloadError(format!(
                "{at}.{key} is {}, not a string",
                kind(other)
            ))),
        }
    };
    let logical_id = text("logicalResourceId")?
        .filter(|id| !id.is_empty())
        .ok_or_else(|| PayloadError(format!("{at} has no logicalResourceId")))?;
    let action = text("action")?
        .ok_or_else(|| PayloadError(format!("{at} ({logical_id}) has no action")))?;
    Ok(ChangedResource {
        logical_id,
        resource_type: text("resourceType")?,
        action: ChangeAction::read(&action),
        // A number, or (as CloudFormation writes numbers in contexts) text.
        line: match change.get("lineNumber") {
            Some(Value::Number(n)) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_stack_payload_is_its_two_templates() {
        let bytes = json!({"template": "Resources: {}", "previousTemplate": ""}).to_string();
        assert_eq!(
            stack(bytes.as_bytes()).unwrap(),
            StackPayload {
                template: "Resources: {}".into(),
                previous_template: String::new()
            }
        );
        let object = json!({"template": {"Resources": {}}}).to_string();
        assert_eq!(
            stack(object.as_bytes()).unwrap().template,
            r#"{"Resources":{}}"#
        );
    }

    #[test]
    fn a_change_set_payload_is_its_template_and_changes_in_either_spelling() {
        let bytes = json!({
            "template": "{}",
            "changedResources": [
                {"action": "CREATE", "beforeContext": null,
                 "afterContext": "{\"Properties\":{\"FromPort\":\"22\",\"Enabled\":\"true\"}}",
                 "lineNumber": 5, "logicalResourceId": "Sg", "resourceType": "AWS::EC2::SecurityGroup"},
                {"action": "Modify", "logicalResourceId": "Topic"},
                {"action": "DELETE", "logicalResourceId": "Old"},
                {"action": "Remove", "logicalResourceId": "Older"},
                {"action": "SomethingNew", "logicalResourceId": "Unknown"}
            ]
        })
        .to_string();
        let payload = change_set(bytes.as_bytes()).unwrap();
        let actions: Vec<(&str, bool)> = payload
            .changed_resources
            .iter()
            .map(|c| (c.logical_id.as_str(), c.action.counts()))
            .collect();
        assert_eq!(
            actions,
            [
                ("Sg", true),
                ("Topic", true),
                ("Old", false),
                ("Older", false),
                ("Unknown", true)
            ]
        );
        assert_eq!(payload.changed_resources[0].action, ChangeAction::Create);
        assert_eq!(payload.changed_resources[0].line, Some(5));
        assert_eq!(payload.changed_resources[1].line, None);
        assert_eq!(payload.changed_resources[1].action, ChangeAction::Update);
        assert_eq!(
            payload.changed_resources[4].action,
            ChangeAction::Other("SomethingNew".into())
        );
    }

    #[test]
    fn a_payload_without_what_the_verdict_needs_cannot_be_read() {
        let cases = [
            (json!([]).to_string(), "it is a list, not a JSON object"),
            (json!({"template": ""}).to_string(), "it has no template"),
            (
                json!({"template": 3}).to_string(),
                "template is a number, not a template",
            ),
            (
                json!({"template": "{}", "changedResources": {}}).to_string(),
                "changedResources is an object, not a list",
            ),
            (
                json!({"template": "{}", "changedResources": [{"action": "CREATE"}]}).to_string(),
                "changedResources[0] has no logicalResourceId",
            ),
            (
                json!({"template": "{}", "changedResources": [{"logicalResourceId": "A"}]})
                    .to_string(),
                "changedResources[0] (A) has no action",
            ),
        ];
        for (bytes, message) in cases {
            let result = if bytes.contains("changedResources") {
                change_set(bytes.as_bytes()).map(drop)
            } else {
                stack(bytes.as_bytes()).map(drop)
            };
            assert_eq!(
                result.unwrap_err().to_string(),
                format!("the payload cannot be read: {message}")
            );
        }
        assert!(
            stack(b"{\"template\": \"Resources\"")
                .unwrap_err()
                .to_string()
                .starts_with("the payload cannot be read: it is not JSON (EOF while parsing")
        );
    }
}
