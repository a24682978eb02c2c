//! The invocation CloudFormation sends a Lambda Hook, read as data. Pure:
//! nothing is fetched here.
//!
//! ```json
//! {"clientRequestToken": "…", "awsAccountId": "…", "stackId": "arn:…",
//!  "changeSetId": null, "hookTypeName": "…", "hookTypeVersion": "…",
//!  "hookModel": {"LambdaFunction": "arn:…"},
//!  "actionInvocationPoint": "CREATE_PRE_PROVISION",
//!  "requestData": {"targetName": "STACK", "targetType": "STACK",
//!                  "targetLogicalId": "my-stack", "payload": "https://…"},
//!  "requestContext": {"invocation": 1, "callbackContext": null}}
//! ```
//!
//! - `targetType` `STACK` and `CHANGE_SET` carry `requestData.payload`, a
//!   presigned S3 URL to fetch the template (and the change set's changes)
//!   from (see [`crate::payload`]);
//! - any other `targetType` is a resource type (`AWS::EC2::SecurityGroup`;
//!   `RESOURCE` with the type in `targetName` is read too), with its
//!   properties in `requestData.targetModel.resourceProperties` (and
//!   `previousResourceProperties` on an update).
//!
//! AWS's documentation spells two keys two ways (`clientRequestToken` and
//! `clientRequesttoken`, `stackId` and `stackID`): both are read. Other
//! keys CloudFormation adds are ignored. The token is read on its own
//! first, so that an event malformed elsewhere is still answered with it.

use serde_json::{Map, Value};

/// Where in the operation CloudFormation asks: before it creates, updates
/// or deletes the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationPoint {
    /// `CREATE_PRE_PROVISION`.
    Create,
    /// `UPDATE_PRE_PROVISION`.
    Update,
    /// `DELETE_PRE_PROVISION`: nothing is provisioned, nothing to judge.
    Delete,
}

impl InvocationPoint {
    /// As CloudFormation writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            InvocationPoint::Create => "CREATE_PRE_PROVISION",
            InvocationPoint::Update => "UPDATE_PRE_PROVISION",
            InvocationPoint::Delete => "DELETE_PRE_PROVISION",
        }
    }
}

/// What the Hook is asked about.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A stack operation: the template is at the payload URL.
    Stack {
        /// The presigned URL (never shown: its query is a credential).
        payload: Option<String>,
    },
    /// A change set: the template and the changes are at the payload URL.
    ChangeSet {
        /// The presigned URL (never shown: its query is a credential).
        payload: Option<String>,
    },
    /// One resource, with its properties as CloudFormation resolved them.
    Resource {
        /// `AWS::EC2::SecurityGroup`.
        resource_type: String,
        /// Its logical id in the stack's template.
        logical_id: String,
        /// `resourceProperties` (left out by CloudFormation on some deletes).
        properties: Option<Map<String, Value>>,
    },
}

impl Target {
    /// `STACK`, `CHANGE_SET` or `RESOURCE`.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Stack { .. } => "STACK",
            Target::ChangeSet { .. } => "CHANGE_SET",
            Target::Resource { .. } => "RESOURCE",
        }
    }
}

/// One Hook invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct HookEvent {
    /// Echoed in the answer.
    pub client_request_token: Option<String>,
    /// The stack's ARN (`stackId` or `stackID`), for the logs.
    pub stack_id: Option<String>,
    /// The change set's ARN, on a change set's invocation.
    pub change_set_id: Option<String>,
    /// `targetLogicalId`: the stack's name, the change set's ARN, or the
    /// resource's logical id.
    pub target_logical_id: Option<String>,
    /// Create, update or delete.
    pub invocation_point: InvocationPoint,
    /// What is asked about.
    pub target: Target,
}

/// An event that cannot be read: the message says what is wrong, and the
/// token (when it could be read) is echoed all the same.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the Hook's event cannot be read: {message}")]
pub struct EventError {
    /// The event's `clientRequestToken`, if it has a readable one.
    pub client_request_token: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// The `clientRequestToken` of `event`, in either spelling, when it is a
/// string.
pub fn client_request_token(event: &Value) -> Option<String> {
    either(event, "clientRequestToken", "clientRequesttoken")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Reads `event`.
pub fn decode(event: &Value) -> Result<HookEvent, EventError> {
    let client_request_token = client_request_token(event);
    let error = |message: String| EventError {
        client_request_token: client_request_token.clone(),
        message,
    };
    let Some(object) = event.as_object() else {
        return Err(error(format!("it is {}, not a JSON object", kind(event))));
    };
    let point = match object.get("actionInvocationPoint") {
        Some(Value::String(p)) => match p.as_str() {
            "CREATE_PRE_PROVISION" => InvocationPoint::Create,
            "UPDATE_PRE_PROVISION" => InvocationPoint::Update,
            "DELETE_PRE_PROVISION" => InvocationPoint::Delete,
            other => {
                return Err(error(format!(
                    "actionInvocationPoint \"{}\" is none of CREATE_PRE_PROVISION, UPDATE_PRE_PROVISION, DELETE_PRE_PROVISION",
                    shown(other)
                )));
            }
        },
        Some(other) => {
            return Err(error(format!(
                "actionInvocationPoint is {}, not a string",
                kind(other)
            )));
        }
        None => return Err(error("it has no actionInvocationPoint".to_string())),
    };
    let request = match object.get("requestData") {
        Some(Value::Object(request)) => request,
        Some(other) => {
            return Err(error(format!(
                "requestData is {}, not an object",
                kind(other)
            )));
        }
        None => return Err(error("it has no requestData".to_string())),
    };
    let text = |key: &str| -> Result<Option<String>, EventError> {
        match request.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(error(format!(
                "requestData.{key} is {}, not a string",
                kind(other)
            ))),
        }
    };
    let target_type =
        text("targetType")?.ok_or_else(|| error("it has no requestData.targetType".to_string()))?;
    let target_name = text("targetName")?;
    let target_logical_id = text("targetLogicalId")?;
    let target = match target_type.as_str() {
        "STACK" => Target::Stack {
            payload: text("payload")?,
        },
        "CHANGE_SET" => Target::ChangeSet {
            payload: text("payload")?,
        },
        other => {
            let resource_type = if other == "RESOURCE" {
                target_name.unwrap_or_default()
            } else {
                other.to_string()
            };
            if !is_resource_type(&resource_type) {
                return Err(error(format!(
                    "requestData.targetType \"{}\" is neither STACK, CHANGE_SET nor a resource type (Service::Provider::Resource)",
                    shown(other)
                )));
            }
            let logical_id = target_logical_id.clone().ok_or_else(|| {
                error("the resource's requestData.targetLogicalId is missing".to_string())
            })?;
            let properties = match request.get("targetModel") {
                None | Some(Value::Null) => None,
                Some(Value::Object(model)) => match model.get("resourceProperties") {
                    None | Some(Value::Null) => None,
                    Some(Value::Object(properties)) => Some(properties.clone()),
                    Some(other) => {
                        return Err(error(format!(
                            "requestData.targetModel.resourceProperties is {}, not an object",
                            kind(other)
                        )));
                    }
                },
                Some(other) => {
                    return Err(error(format!(
                        "requestData.targetModel is {}, not an object",
                        kind(other)
                    )));
                }
            };
            Target::Resource {
                resource_type,
                logical_id,
                properties,
            }
        }
    };
    let id = |a: &str, b: &str| {
        either(event, a, b)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(HookEvent {
        client_request_token,
        stack_id: id("stackId", "stackID"),
        change_set_id: id("changeSetId", "changeSetID"),
        target_logical_id,
        invocation_point: point,
        target,
    })
}

/// The value under `key`, else under `other` (the same key spelt as some
/// of AWS's documentation spells it).
fn either<'v>(event: &'v Value, key: &str, other: &str) -> Option<&'v Value> {
    event
        .get(key)
        .filter(|v| !v.is_null())
        .or_else(|| event.get(other).filter(|v| !v.is_null()))
}

/// `Service::Provider::Resource`: three parts of letters and digits.
fn is_resource_type(name: &str) -> bool {
    let parts: Vec<&str> = name.split("::").collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| (2..=64).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// "a string", "a number", … for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A value from the event shown in a message: at most 64 characters, so
/// that no large input is echoed back.
fn shown(text: &str) -> String {
    pipeline_job::limits::truncate(text, 64)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stack(token_key: &str, stack_key: &str) -> Value {
        let mut event = json!({
            "awsAccountId": "123456789012",
            "changeSetId": null,
            "hookTypeName": "Private::Cicd::RulesTable",
            "actionInvocationPoint": "CREATE_PRE_PROVISION",
            "requestData": {"targetName": "STACK", "targetType": "STACK",
                            "targetLogicalId": "my-stack", "payload": "https://b.s3.amazonaws.com/k?X-Amz-Signature=s"},
            "requestContext": {"invocation": 1, "callbackContext": null}
        });
        event[token_key] = json!("token-1");
        event[stack_key] = json!("arn:aws:cloudformation:us-east-1:123456789012:stack/my-stack/1");
        event
    }

    #[test]
    fn both_spellings_of_the_token_and_the_stack_id_are_read() {
        for (token, stack_id) in [
            ("clientRequestToken", "stackId"),
            ("clientRequesttoken", "stackID"),
        ] {
            let event = decode(&stack(token, stack_id)).unwrap();
            assert_eq!(event.client_request_token.as_deref(), Some("token-1"));
            assert_eq!(
                event.stack_id.as_deref(),
                Some("arn:aws:cloudformation:us-east-1:123456789012:stack/my-stack/1")
            );
            assert_eq!(event.invocation_point, InvocationPoint::Create);
            assert_eq!(
                event.target,
                Target::Stack {
                    payload: Some("https://b.s3.amazonaws.com/k?X-Amz-Signature=s".into())
                }
            );
            assert_eq!(event.target_logical_id.as_deref(), Some("my-stack"));
        }
    }

    #[test]
    fn a_resource_is_its_type_logical_id_and_properties() {
        let event = json!({
            "clientRequestToken": "t",
            "actionInvocationPoint": "UPDATE_PRE_PROVISION",
            "requestData": {"targetName": "AWS::EC2::SecurityGroup", "targetType": "AWS::EC2::SecurityGroup",
                            "targetLogicalId": "Sg",
                            "targetModel": {"resourceProperties": {"GroupDescription": "g"},
                                            "previousResourceProperties": {}}}
        });
        let decoded = decode(&event).unwrap();
        assert_eq!(decoded.invocation_point, InvocationPoint::Update);
        let Target::Resource {
            resource_type,
            logical_id,
            properties,
        } = decoded.target
        else {
            panic!()
        };
        assert_eq!(
            (resource_type.as_str(), logical_id.as_str()),
            ("AWS::EC2::SecurityGroup", "Sg")
        );
        assert_eq!(properties.unwrap()["GroupDescription"], "g");
        // RESOURCE, with the type in targetName.
        let mut event = event;
        event["requestData"]["targetType"] = json!("RESOURCE");
        assert!(matches!(
            decode(&event).unwrap().target,
            Target::Resource { resource_type, .. } if resource_type == "AWS::EC2::SecurityGroup"
        ));
    }

    #[test]
    fn what_cannot_be_read_is_named_and_the_token_still_echoed() {
        let cases = [
            (json!("just a string"), "it is a string, not a JSON object"),
            (
                json!({"clientRequesttoken": "t", "requestData": {}}),
                "it has no actionInvocationPoint",
            ),
            (
                json!({"clientRequestToken": "t", "actionInvocationPoint": "CREATE_POST_PROVISION", "requestData": {}}),
                "actionInvocationPoint \"CREATE_POST_PROVISION\" is none of CREATE_PRE_PROVISION, UPDATE_PRE_PROVISION, DELETE_PRE_PROVISION",
            ),
            (
                json!({"clientRequestToken": "t", "actionInvocationPoint": "CREATE_PRE_PROVISION", "requestData": []}),
                "requestData is a list, not an object",
            ),
            (
                json!({"clientRequestToken": "t", "actionInvocationPoint": "CREATE_PRE_PROVISION", "requestData": {"targetType": 7}}),
                "requestData.targetType is a number, not a string",
            ),
            (
                json!({"clientRequestToken": "t", "actionInvocationPoint": "CREATE_PRE_PROVISION", "requestData": {"targetType": "STACKS"}}),
                "requestData.targetType \"STACKS\" is neither STACK, CHANGE_SET nor a resource type (Service::Provider::Resource)",
            ),
            (
                json!({"clientRequestToken": "t", "actionInvocationPoint": "CREATE_PRE_PROVISION", "requestData": {"targetType": "AWS::S3::Bucket"}}),
                "the resource's requestData.targetLogicalId is missing",
            ),
            (
                json!({"clientRequestToken": "t", "actionInvocationPoint": "CREATE_PRE_PROVISION",
                       "requestData": {"targetType": "AWS::S3::Bucket", "targetLogicalId": "B", "targetModel": {"resourceProperties": "{}"}}}),
                "requestData.targetModel.resourceProperties is a string, not an object",
            ),
        ];
        for (event, message) in cases {
            let e = decode(&event).unwrap_err();
            assert_eq!(e.message, message, "{event}");
            let token = event
                .get("clientRequestToken")
                .or(event.get("clientRequesttoken"));
            assert_eq!(
                e.client_request_token.as_deref(),
                token.and_then(Value::as_str)
            );
        }
        let long = "X".repeat(10_000);
        let e = decode(&json!({"actionInvocationPoint": long, "requestData": {}})).unwrap_err();
        assert!(e.message.chars().count() < 200, "{}", e.message);
    }
}
