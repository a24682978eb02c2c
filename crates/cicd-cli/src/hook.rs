//! `cicd hook EVENT.json`: the answer cfn-hook would give to a
//! CloudFormation Hook event, from a terminal — for trying rules on one.
//!
//! The function's own code answers it (`cfn_hook::Hook`, under its runner's
//! deadline), configured as the function is, from the same environment
//! variables (`RISK_FLAG_AT`, `RISK_FAIL_AT`, `UNRESOLVED`, `HOOK_FLAGGED`,
//! `HOOK_PAYLOAD_ALLOW_LOOPBACK`), with the rules of `--table` (read as the
//! function reads it), of `--rules` files, or those an empty table stands
//! for (the default rules and the standard pack). The
//! payload is fetched from the event's URL as the function fetches it, or
//! taken from `--payload` (or, for a stack, built from `--template`).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use cfn_hook::runner::HookRunner;
use cfn_hook::{GivenPayload, Hook, HookAnswer, HookSettings, HttpPayloads, PayloadSource};
use rules_table::{MemoryRules, RulesSource, RulesTable};
use serde_json::{Value, json};
use template_rules::RuleSet;

use crate::Status;
use crate::aws::{self, Endpoint};
use crate::reading;

#[derive(clap::Args)]
pub struct Args {
    /// The Hook's event, as CloudFormation sends it (JSON; `-` for
    /// standard input).
    #[arg(value_name = "EVENT")]
    event: PathBuf,
    /// Judge with the rules in this DynamoDB rules table, as the function
    /// does (read only; an empty table stands for the default rules and the
    /// standard pack it is seeded with).
    #[arg(long, value_name = "NAME")]
    table: Option<String>,
    #[command(flatten)]
    endpoint: Endpoint,
    /// Judge with the rules of these rules files (YAML or JSON, the rules
    /// table's item shape) instead of the default rules and the standard
    /// pack.
    #[arg(long, value_name = "FILE", conflicts_with = "table")]
    rules: Vec<PathBuf>,
    /// The payload (`{"template", "previousTemplate"}` or `{"template",
    /// "changedResources"}`), instead of fetching the event's URL.
    #[arg(long, value_name = "FILE")]
    payload: Option<PathBuf>,
    /// For a stack's event: the template, as its payload, instead of
    /// fetching the event's URL.
    #[arg(long, value_name = "FILE", conflicts_with = "payload")]
    template: Option<PathBuf>,
}

/// The largest event Lambda passes a function (6 MB).
const MAX_EVENT_BYTES: usize = 6 << 20;

pub fn run(args: &Args, runtime: &tokio::runtime::Runtime) -> anyhow::Result<Status> {
    let event: Value = serde_json::from_slice(&read(&args.event, MAX_EVENT_BYTES)?)
        .with_context(|| format!("{} is not a JSON event", args.event.display()))?;
    let settings = settings(args.table.as_deref())?;
    let given = match (&args.payload, &args.template) {
        (Some(path), _) => Some(read(path, cfn_hook::fetch::MAX_PAYLOAD_BYTES)?),
        (None, Some(path)) => {
            let template =
                String::from_utf8(read(path, template_rules::Limits::default().max_bytes)?)
                    .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
            Some(
                json!({"template": template, "previousTemplate": ""})
                    .to_string()
                    .into_bytes(),
            )
        }
        (None, None) => None,
    };
    let answer = runtime.block_on(async move {
        match (&args.table, given) {
            (Some(table), given) => {
                let table = RulesTable::new(aws::dynamodb(&args.endpoint).await, table.clone())
                    .read_as_seeded();
                with_payload(table, given, settings, event).await
            }
            (None, given) => {
                let rules = MemoryRules::new("--rules", rule_items(&args.rules)?);
                with_payload(rules, given, settings, event).await
            }
        }
    })?;
    say!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(match answer.status() {
        "SUCCESS" => Status::Success,
        "FAILED/NonCompliant" => Status::Failed,
        _ => Status::Unusable,
    })
}

/// The function's settings from this environment, `--table` as its
/// `RULES_TABLE` (a name is needed only to read a table).
fn settings(table: Option<&str>) -> anyhow::Result<HookSettings> {
    HookSettings::from_lookup(|name| match name {
        "RULES_TABLE" => Some(table.unwrap_or("--rules").to_string()),
        _ => std::env::var(name).ok(),
    })
    .map_err(anyhow::Error::msg)
}

/// The answer, with the payload `given`, else fetched as the function
/// fetches it.
async fn with_payload<R: RulesSource + 'static>(
    rules: R,
    given: Option<Vec<u8>>,
    settings: HookSettings,
    event: Value,
) -> anyhow::Result<HookAnswer> {
    match given {
        Some(bytes) => Ok(answer(rules, GivenPayload(Ok(bytes)), settings, event).await),
        None => {
            let payloads = HttpPayloads::new(settings.url_policy).map_err(anyhow::Error::msg)?;
            Ok(answer(rules, payloads, settings, event).await)
        }
    }
}

async fn answer<R: RulesSource + 'static, P: PayloadSource + 'static>(
    rules: R,
    payloads: P,
    settings: HookSettings,
    event: Value,
) -> HookAnswer {
    let hook = std::sync::Arc::new(Hook::new(rules, payloads, settings));
    HookRunner::new()
        .run_local(event, move |event, invocation| async move {
            hook.answer(event, invocation).await
        })
        .await
}

/// The items of `--rules` files; without any, those an empty table stands
/// for (the default rules and the standard pack).
fn rule_items(paths: &[PathBuf]) -> anyhow::Result<Vec<template_rules::RuleItem>> {
    if paths.is_empty() {
        return Ok(rules_table::seed_items());
    }
    let mut items = Vec::new();
    for path in paths {
        let text = String::from_utf8(read(path, template_rules::Limits::default().max_bytes)?)
            .with_context(|| format!("rules file {}: not valid UTF-8", path.display()))?;
        items.extend(
            RuleSet::items_from_str(&text)
                .map_err(|e| anyhow::anyhow!("rules file {}: {e}", path.display()))?,
        );
    }
    Ok(items)
}

/// A regular file (or `-`, standard input) of at most `limit` bytes.
fn read(path: &Path, limit: usize) -> anyhow::Result<Vec<u8>> {
    let shown = path.display();
    let bytes = if path.as_os_str() == "-" {
        reading::read_capped(std::io::stdin().lock(), limit)
    } else {
        let file = reading::open_regular(path, Some(limit as u64))
            .with_context(|| format!("cannot read {shown}"))?;
        reading::read_capped(file, limit)
    }
    .with_context(|| format!("cannot read {shown}"))?;
    if bytes.len() > limit {
        bail!("{shown} is larger than {limit} bytes");
    }
    Ok(bytes)
}
