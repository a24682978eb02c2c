//! What the Hook's tests share: the fixture events, a Hook over in-memory
//! ports, and one invocation of it.

#![allow(dead_code)] // each test file uses its part

use std::time::{Duration, Instant};

use cfn_hook::fetch::FetchError;
use cfn_hook::{GivenPayload, Hook, HookAnswer, HookSettings};
use harness::workspace_root;
use pipeline_job::Invocation;
use rules_table::MemoryRules;
use serde_json::{Value, json};
use template_rules::{RuleItem, RuleSet};

/// The rules table's name in messages.
pub const TABLE: &str = "cicd-rules";

/// A fixture event, `tests/fixtures/events/cfn-hook-<name>.json`.
pub fn event(name: &str) -> Value {
    let path = workspace_root().join(format!("tests/fixtures/events/cfn-hook-{name}.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// A file of the workspace, as text.
pub fn text(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path)).unwrap()
}

/// A stack payload holding `template` (and no previous one).
pub fn stack_payload(template: &str) -> Vec<u8> {
    json!({"template": template, "previousTemplate": ""})
        .to_string()
        .into_bytes()
}

/// A change set payload: `template` and the changes, each
/// `(action, logical id, type)`.
pub fn change_set_payload(template: &str, changes: &[(&str, &str, &str)]) -> Vec<u8> {
    let changes: Vec<Value> = changes
        .iter()
        .map(|(action, id, kind)| {
            json!({"action": action, "beforeContext": null, "afterContext": "{\"Properties\":{}}",
                   "lineNumber": 1, "logicalResourceId": id, "resourceType": kind})
        })
        .collect();
    json!({"template": template, "changedResources": changes})
        .to_string()
        .into_bytes()
}

/// The rules of `tests/fixtures/rules/all-active.yaml`: the defaults,
/// every one active (AllowHttp risk 3, ForbiddenAMIs risk 10).
pub fn all_active() -> Vec<RuleItem> {
    RuleSet::items_from_str(&text("tests/fixtures/rules/all-active.yaml")).unwrap()
}

/// Settings from `vars`, `RULES_TABLE` given.
pub fn settings(vars: &[(&str, &str)]) -> HookSettings {
    HookSettings::from_lookup(|name| {
        if name == "RULES_TABLE" {
            return Some(TABLE.to_string());
        }
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .unwrap()
}

/// A Hook with `rules`, whose every payload is `payload`.
pub fn hook(
    rules: Vec<RuleItem>,
    payload: Result<Vec<u8>, FetchError>,
    vars: &[(&str, &str)],
) -> Hook<MemoryRules, GivenPayload> {
    Hook::new(
        MemoryRules::new(TABLE, rules),
        GivenPayload(payload),
        settings(vars),
    )
    .with_guard_worker(guard_worker())
}

/// Guard's workers in process: the `cfn-hook` binary serves them.
pub fn guard_worker() -> guard_worker::Worker {
    guard_worker::Worker::of_program(env!("CARGO_BIN_EXE_cfn-hook"))
}

/// One invocation of `hook` with `event`, 25 s to go.
pub async fn answer<R, P>(hook: &Hook<R, P>, event: Value) -> HookAnswer
where
    R: rules_table::RulesSource,
    P: cfn_hook::PayloadSource,
{
    let invocation = Invocation::new(
        "test-request",
        Some(Instant::now() + Duration::from_secs(25)),
    );
    hook.answer(event, invocation).await
}

/// `event` with `requestData.<key>` set to `value`.
pub fn with_request(mut event: Value, key: &str, value: Value) -> Value {
    event["requestData"][key] = value;
    event
}
