//! cfn-validate's peak memory on its worst inputs (issue 13 §7), one fresh
//! process per input, as Lambda configures it (`MemorySize` from the
//! crate's `[package.metadata.lambda.deploy]`): a zip at the artifact size
//! cap, each 1 MiB template built to cost the parser and the engine the
//! most (template-rules' `tests/support/worst_cases.rs`), and Guard items on
//! a 1 MiB estate (guard-rules' realistic policy, and one item that reads
//! every resource). Reports the worst peak against `MemorySize`, which must
//! stay at least 40 % above it.

#[path = "../../template-rules/tests/support/worst_cases.rs"]
mod worst_cases;

#[path = "../../guard-rules/benches/evaluate/realistic.rs"]
mod realistic;

use std::time::Duration;

use harness::events::JobEvent;
use harness::moto::MotoServer;
use harness::stage::Stage;
use harness::zip::make_zip;
use harness::{unique_name, workspace_root};
use rules_table::RulesTable;
use serde_json::json;
use template_rules::{RuleItem, RuleSet};

/// One input: a name, the zip the job reads, and the rules in the table.
struct Input {
    name: String,
    zip: Vec<u8>,
    rules: Vec<RuleItem>,
}

/// `MemorySize` of cfn-validate, from its deploy metadata (cicd.yaml's is
/// checked equal by tools/test_templates.py).
fn memory_size() -> Result<u64, String> {
    crate::functions::function("cfn-validate")?
        .memory_mb()
        .ok_or_else(|| {
            "cfn-validate has no memory = N in [package.metadata.lambda.deploy]".to_string()
        })
}

fn zip_of(template: &[u8]) -> Vec<u8> {
    make_zip(&[("template.yaml", template)])
}

fn guard_item(id: &str, text: &str) -> RuleItem {
    serde_json::from_value(json!({
        "rule": id, "category": "Bench", "ruletype": "guard",
        "ruledata": text, "riskvalue": 1, "active": "Y"
    }))
    .expect("a guard item")
}

fn inputs() -> Vec<Input> {
    let defaults = RuleSet::default_items();
    let application =
        std::fs::read(workspace_root().join("calculator/cloudformation/application.json"))
            .expect("the application template");
    let mut inputs = vec![Input {
        name: "application.json".into(),
        zip: zip_of(&application),
        rules: defaults.clone(),
    }];

    // A zip at the artifact cap: the template, and incompressible bytes.
    let cap = usize::try_from(artifacts_cap()).expect("the cap fits");
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut noise = Vec::with_capacity(cap);
    while noise.len() < cap - 64 * 1024 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        noise.extend_from_slice(&state.to_le_bytes());
    }
    let zip = make_zip(&[("template.yaml", &application), ("noise.bin", &noise)]);
    inputs.push(Input {
        name: format!("zip at the cap ({} bytes)", zip.len()),
        zip,
        rules: defaults,
    });

    // 1 MiB templates at every parser cap, with every native rule type.
    let native: Vec<RuleItem> = worst_cases::rules()
        .rules()
        .iter()
        .map(RuleItem::from)
        .collect();
    for case in worst_cases::cases() {
        inputs.push(Input {
            name: case.name.to_string(),
            zip: zip_of(case.text().as_bytes()),
            rules: native.clone(),
        });
    }

    // Guard items on a 1 MiB estate.
    let estate = serde_json::to_vec(&realistic::template(1024 * 1024 - 4 * 1024)).unwrap();
    let mut policy = RuleSet::default_items();
    policy.extend(
        realistic::items()
            .iter()
            .enumerate()
            .map(|(n, text)| guard_item(&format!("item{n:03}"), text)),
    );
    inputs.push(Input {
        name: "200 guard items, 1 MiB estate".into(),
        zip: zip_of(&estate),
        rules: policy,
    });
    let mut heavy = RuleSet::default_items();
    heavy.push(guard_item(
        "EveryResource",
        "rule EVERY_RESOURCE_TAGGED { Resources.*.Properties.Tags exists }",
    ));
    inputs.push(Input {
        name: "a guard item reading every resource, 1 MiB estate".into(),
        zip: zip_of(&estate),
        rules: heavy,
    });
    // The most one item may take: ten queries from the root failing on
    // every resource, an estimate just under the limit this `MemorySize`
    // gives Guard (at 1024 MiB; over it, the item would not run at all).
    let mut near = RuleSet::default_items();
    let text: String = (0..10)
        .map(|i| {
            format!("rule FAILS_EVERYWHERE_{i} {{ Resources.*.Properties.Missing{i} exists }}\n")
        })
        .collect();
    near.push(guard_item("NearTheLimit", &text));
    inputs.push(Input {
        name: "a guard item near the memory limit, 1 MiB estate".into(),
        zip: zip_of(&estate),
        rules: near,
    });
    inputs
}

fn artifacts_cap() -> u64 {
    // artifacts::MAX_ARTIFACT_BYTES, without linking the crate.
    64 * 1024 * 1024
}

/// Measures cfn-validate's peak memory on each input (see the module
/// documentation).
pub async fn run() -> Result<(), String> {
    let memory = memory_size()?;
    println!(
        "cfn-validate peak resident memory (VmHWM), one process per input, AWS_LAMBDA_FUNCTION_MEMORY_SIZE={memory}:"
    );
    let moto = MotoServer::shared();
    let bucket = unique_name("bench");
    moto.create_bucket(&bucket).await;
    let binary = crate::measure::release_binary("cfn-validate");
    let mut worst: (u64, String) = (0, String::new());
    for input in inputs() {
        let table = unique_name("rules");
        moto.create_rules_table(&table).await;
        let rules = RulesTable::new(moto.dynamodb(), &table);
        for item in &input.rules {
            rules.put(item).await.expect("a rule item is written");
        }
        let key = format!("{}.zip", unique_name("input"));
        moto.put_object(&bucket, &key, &input.zip).await;
        let stage = Stage::with_moto()
            .env("RULES_TABLE", table)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory.to_string());
        let function = stage.spawn(&binary);
        let job = JobEvent::new()
            .user_parameters(json!({"input": "Source", "file": "template.yaml"}).to_string())
            .input_artifact("Source", &bucket, &key);
        let answer = function
            .invoke_async(job.build(), Duration::from_secs(120))
            .await
            .expect_response();
        let rss = function.process().peak_rss_kib().unwrap_or(0);
        let reported = stage
            .pipeline
            .reports()
            .last()
            .map(|r| {
                format!(
                    "{} {}",
                    r.status(),
                    r.message()
                        .unwrap_or_default()
                        .lines()
                        .next()
                        .unwrap_or_default()
                )
            })
            .unwrap_or_default();
        println!(
            "  {:<52} {:>7.1} MiB  {}",
            input.name,
            rss as f64 / 1024.0,
            if answer["reported"] == true {
                reported.chars().take(100).collect::<String>()
            } else {
                format!("NOT REPORTED: {answer}")
            }
        );
        if rss > worst.0 {
            worst = (rss, input.name.clone());
        }
    }
    let peak = worst.0 as f64 / 1024.0;
    println!(
        "  worst: {peak:.1} MiB ({}); MemorySize {memory} MiB is {:.0} % above it (at least 40 % wanted)",
        worst.1,
        (memory as f64 / peak - 1.0) * 100.0
    );
    Ok(())
}
