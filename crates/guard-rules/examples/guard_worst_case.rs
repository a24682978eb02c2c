//! Time and memory of Guard evaluations at the edges, for the README.
//! Run under `/usr/bin/time -v` for the peak memory:
//!
//! `cargo run --release -p guard-rules --example guard_worst_case -- MODE KIB [N]`
//!
//! - `realistic KIB`: the benchmark's 200 items on its template of KIB KiB;
//! - `failing KIB N`: one item of N rules that look at every resource and
//!   fail on each, so that Guard reports every resource N times;
//! - `largest KIB`: as many such rules as fit in the size cap (400 KB);
//! - `file KIB PATH…`: the rules files at PATH…

#[path = "../benches/evaluate/realistic.rs"]
mod realistic;

use std::time::Instant;

use guard_rules::{GuardData, GuardRules, MAX_RULES_BYTES, evaluate};

fn failing_rules(n: usize) -> String {
    (0..n)
        .map(|i| format!("rule R{i} {{ Resources.*.Properties.Missing{i} exists }}\n"))
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str).unwrap_or("realistic");
    let kib: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1024);
    let template = realistic::template(kib * 1024 - 4 * 1024);
    let texts = match mode {
        "realistic" => realistic::items(),
        "failing" => vec![failing_rules(
            args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10),
        )],
        "largest" => {
            let mut n = MAX_RULES_BYTES / 50;
            while failing_rules(n).len() > MAX_RULES_BYTES {
                n -= 10;
            }
            vec![failing_rules(n)]
        }
        "file" => args[2..]
            .iter()
            .map(|path| std::fs::read_to_string(path).unwrap())
            .collect(),
        _ => panic!("mode: realistic, failing, largest or file"),
    };
    let start = Instant::now();
    let data = GuardData::from_json(&template).unwrap();
    if std::env::var_os("ONE_BY_ONE").is_none() {
        let items: Vec<GuardRules> = texts
            .iter()
            .map(|t| GuardRules::parse(t).unwrap())
            .collect();
        let refs: Vec<&GuardRules> = items.iter().collect();
        let estimate = items
            .iter()
            .map(|r| r.memory_estimate(&data))
            .max()
            .unwrap_or(0);
        println!("largest memory estimate: {} MB", estimate / 1_000_000);
        let results = guard_rules::evaluate_all(&refs, &data);
        let failures: usize = results.iter().flatten().map(|e| e.failures.len()).sum();
        let errors = results.iter().filter(|r| r.is_err()).count();
        println!(
            "{mode} on {} bytes, {} resources: {} items together, {failures} failures, {errors} errors, {:.2?}",
            data.json().len(),
            data.resource_count(),
            texts.len(),
            start.elapsed()
        );
        return;
    }
    let (mut failures, mut errors) = (0, 0);
    let mut slowest = Vec::new();
    for text in &texts {
        let item = Instant::now();
        let parsed = GuardRules::parse(text);
        match parsed.clone().and_then(|rules| evaluate(&rules, &data)) {
            Ok(evaluation) => failures += evaluation.failures.len(),
            Err(e) => {
                errors += 1;
                eprintln!("{e}");
            }
        }
        if let Ok(rules) = parsed {
            let narrowed = rules.narrows_on(&data);
            slowest.push((item.elapsed(), rules.rule_names()[0].clone(), narrowed));
        }
    }
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    let (whole, narrowed): (Vec<_>, Vec<_>) = slowest.iter().partition(|s| !s.2);
    println!(
        "items on the whole template: {} taking {:.2?}; narrowed or skipped: {} taking {:.2?}",
        whole.len(),
        whole.iter().map(|s| s.0).sum::<std::time::Duration>(),
        narrowed.len(),
        narrowed.iter().map(|s| s.0).sum::<std::time::Duration>(),
    );
    for (elapsed, name, narrowed) in slowest.iter().take(12) {
        println!(
            "  {elapsed:>10.2?} {name}{}",
            if *narrowed { "" } else { " (whole template)" }
        );
    }
    println!(
        "{mode} on {} bytes, {} resources: {} items, {} bytes of rules, {failures} failures, {errors} errors, {:.2?}",
        data.json().len(),
        data.resource_count(),
        texts.len(),
        texts.iter().map(String::len).sum::<usize>(),
        start.elapsed()
    );
}
