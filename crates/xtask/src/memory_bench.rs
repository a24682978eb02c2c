//! cfn-validate's peak memory on its worst inputs (issue 13 §7), one fresh
//! process per input, as Lambda configures it (`MemorySize` from the
//! crate's `[package.metadata.lambda.deploy]`): a zip at the artifact size
//! cap, each 1 MiB template built to cost the parser and the engine the
//! most (template-rules' `tests/support/worst_cases.rs`), Guard items on a
//! 1 MiB estate (guard-rules' realistic policy, and one item that reads
//! every resource), and the Guard items that need the most (issue 19 item
//! 2: `guard-worker`'s `tests/support/hungry.rs`). Reports, for each, the
//! function's peak and its largest Guard worker's (from the function's
//! debug log), and the time the job took; then the worst peak of function
//! and worker together against `MemorySize`, which must stay at least 40 %
//! above it.

#[path = "../../template-rules/tests/support/worst_cases.rs"]
mod worst_cases;

#[path = "../../guard-rules/benches/evaluate/realistic.rs"]
mod realistic;

#[path = "../../guard-worker/tests/support/hungry.rs"]
mod hungry;

use std::time::{Duration, Instant};

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
        name: "ten guard rules failing on every resource, 1 MiB".into(),
        zip: zip_of(&estate),
        rules: near,
    });
    // What Guard needs most: 180 MB, 2.4 GB and over 6 GB in process.
    for (name, id, rules, template) in [
        (
            "S3 encryption rule, 900 kB of buckets",
            "S3Encrypted",
            hungry::S3_ENCRYPTION.to_string(),
            hungry::buckets(900_000),
        ),
        (
            "a let in a type block, 1 000 groups",
            "GroupsLet",
            hungry::LET_IN_TYPE_BLOCK.to_string(),
            hungry::groups(1_000),
        ),
        (
            "400 KB of failing clauses, 20 kB of buckets",
            "ManyClauses",
            hungry::many_clauses(400 * 1000),
            hungry::buckets(20_000),
        ),
    ] {
        let mut items = RuleSet::default_items();
        items.push(guard_item(id, &rules));
        inputs.push(Input {
            name: name.into(),
            zip: zip_of(template.as_bytes()),
            rules: items,
        });
    }
    inputs
}

/// The largest peak (MiB) of the Guard workers the function logged, and
/// how many it ran.
fn workers(logs: &[String]) -> (u64, usize) {
    let runs: Vec<u64> = logs
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "Guard worker")
        .map(|line| line["fields"]["peak_mib"].as_u64().unwrap_or(0))
        .collect();
    (runs.iter().copied().max().unwrap_or(0), runs.len())
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
        "cfn-validate peak resident memory (VmHWM), one process per input, AWS_LAMBDA_FUNCTION_MEMORY_SIZE={memory}; its largest Guard worker's (ru_maxrss); the job's time:"
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
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory.to_string())
            // The workers' peaks are in the function's debug log.
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("RUST_LOG", "info,guard_worker=debug");
        let function = stage.spawn(&binary);
        let job = JobEvent::new()
            .user_parameters(json!({"input": "Source", "file": "template.yaml"}).to_string())
            .input_artifact("Source", &bucket, &key);
        let started = Instant::now();
        let answer = function
            .invoke_async(job.build(), Duration::from_secs(120))
            .await
            .expect_response();
        let took = started.elapsed();
        let rss = function.process().peak_rss_kib().unwrap_or(0);
        let (worker_mib, runs) = workers(&function.process().logs());
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
            "  {:<52} {:>7.1} MiB  worker {:>4} MiB ({runs} runs)  {:>5.1} s  {}",
            input.name,
            rss as f64 / 1024.0,
            worker_mib,
            took.as_secs_f64(),
            if answer["reported"] == true {
                reported.chars().take(100).collect::<String>()
            } else {
                format!("NOT REPORTED: {answer}")
            }
        );
        // One worker at a time, next to the function.
        let together = rss + worker_mib * 1024;
        if together > worst.0 {
            worst = (together, input.name.clone());
        }
    }
    let peak = worst.0 as f64 / 1024.0;
    println!(
        "  worst, function and worker together: {peak:.1} MiB ({}); MemorySize {memory} MiB is {:.0} % above it (at least 40 % wanted)",
        worst.1,
        (memory as f64 / peak - 1.0) * 100.0
    );
    Ok(())
}
