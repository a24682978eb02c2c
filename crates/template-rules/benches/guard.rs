//! The gate with Guard items, end to end in process: parse the template,
//! hand it to Guard, evaluate 200 realistic guard items (in chunks, as the
//! engine does) next to the native rules, judge. The same estate and policy
//! as guard-rules' benchmark (`crates/guard-rules/benches/evaluate`), whose
//! figures are for Guard alone and whose run also times the `cfn-guard`
//! CLI side by side.
//!
//! Guard in process (what tests use), and in worker processes as the
//! binaries run it (`guard-worker`: a process per chunk of items, bounded in
//! memory): this bench binary serves the workers itself.
//!
//! `cargo bench -p template-rules --bench guard`. Targets (issue 12): under
//! 500 ms on ~100 KB, under 5 s on ~1 MiB.

#[path = "../../guard-rules/benches/evaluate/realistic.rs"]
mod realistic;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group};
use guard_worker::Worker;
use serde_json::json;
use template_rules::{EvaluateOptions, RuleItem, RuleSet, Template, Thresholds, evaluate_with};

const SIZES: &[(&str, usize)] = &[("100KB", 100 * 1024), ("1MiB", 1024 * 1024 - 4 * 1024)];

/// The native defaults and the 200 realistic guard items.
fn rule_set() -> RuleSet {
    let mut items = RuleSet::default_items();
    for (n, text) in realistic::items().into_iter().enumerate() {
        let item: RuleItem = serde_json::from_value(json!({
            "rule": format!("item{n:03}"), "category": "Bench", "ruletype": "guard",
            "ruledata": text, "riskvalue": 1, "active": "Y"
        }))
        .expect("an item");
        items.push(item);
    }
    let rules = RuleSet::from_items(items);
    assert_eq!(rules.check_usable(), Ok(()));
    rules
}

/// Parse + evaluate: what one job of the gate does. Returns the findings.
fn check(text: &str, rules: &RuleSet, options: &EvaluateOptions) -> usize {
    let template = Template::parse(text.as_bytes()).expect("the template parses");
    evaluate_with(&template, rules, &Thresholds::default(), options)
        .expect("the rules evaluate")
        .findings
        .len()
}

fn bench(c: &mut Criterion) {
    let rules = rule_set();
    let native = RuleSet::defaults();
    let in_process = EvaluateOptions::default();
    let worker = Worker::new();
    // What cfn-validate gives its workers at 1024 MiB.
    let bounded = EvaluateOptions {
        guard: &worker,
        guard_memory_limit: 571 << 20,
        ..EvaluateOptions::default()
    };
    let mut group = c.benchmark_group("parse+evaluate with 200 guard items");
    group.sample_size(10);
    for &(size, bytes) in SIZES {
        let text = serde_json::to_string(&realistic::template(bytes)).unwrap();
        let findings = check(&text, &rules, &in_process);
        assert_eq!(check(&text, &rules, &bounded), findings);
        eprintln!(
            "{size}: {} bytes; {findings} findings with the guard items",
            text.len()
        );
        group.bench_with_input(
            BenchmarkId::new("native + 200 guard", size),
            &text,
            |b, t| b.iter(|| check(black_box(t), &rules, &in_process)),
        );
        group.bench_with_input(
            BenchmarkId::new("native + 200 guard, workers", size),
            &text,
            |b, t| b.iter(|| check(black_box(t), &rules, &bounded)),
        );
        group.bench_with_input(BenchmarkId::new("native only", size), &text, |b, t| {
            b.iter(|| check(black_box(t), &native, &in_process))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    // This binary is the workers' too: serve one and exit when started as
    // one.
    guard_worker::serve_if_worker();
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
