//! 200 realistic Guard items on a realistic template of about 100 KB and
//! about 1 MiB (CloudFormation's limit), in process, with and without the
//! shortcuts; and, side by side, the `cfn-guard validate` CLI on the same
//! rules and templates when it is installed
//! (`cargo install cfn-guard --version =3.2.1 --locked`).
//!
//! `cargo bench -p guard-rules --bench evaluate`
//!
//! Published rules can be measured too, never copied into the repository:
//! `GUARD_RULES_DIR=/path/to/rules cargo bench -p guard-rules --bench evaluate`
//! evaluates every `.guard` file under that directory (those this crate
//! refuses are counted and left out).

mod realistic;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use guard_rules::{GuardData, GuardRules, Options, evaluate_all_with, evaluate_with};
use serde_json::Value;

const SIZES: &[(&str, usize)] = &[("100KB", 100 * 1024), ("1MiB", 1024 * 1024 - 4 * 1024)];

const NARROW_ONLY: Options = Options {
    skip_absent_types: false,
    ..Options::DEFAULT
};

/// Prepares the template and evaluates every item: what one run of the
/// gate does with its Guard items. Returns the number of failures.
fn run(items: &[GuardRules], template: &Value, options: Options) -> usize {
    let data = GuardData::from_json(template).expect("the template is prepared");
    let items: Vec<&GuardRules> = items.iter().collect();
    evaluate_all_with(&items, &data, options)
        .into_iter()
        .map(|result| result.expect("the item evaluates").failures.len())
        .sum()
}

/// The same, one item at a time.
fn run_one_by_one(items: &[GuardRules], template: &Value, options: Options) -> usize {
    let data = GuardData::from_json(template).expect("the template is prepared");
    items
        .iter()
        .map(|rules| {
            evaluate_with(rules, &data, options)
                .expect("the item evaluates")
                .failures
                .len()
        })
        .sum()
}

fn parse_all(texts: &[String]) -> Vec<GuardRules> {
    texts
        .iter()
        .map(|text| GuardRules::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}")))
        .collect()
}

fn bench(c: &mut Criterion) {
    let texts = realistic::items();
    let items = parse_all(&texts);
    let selecting = items
        .iter()
        .filter(|r| r.selected_types().is_some())
        .count();
    eprintln!(
        "{} items, {selecting} with known selected types",
        items.len()
    );

    let mut group = c.benchmark_group("200 items");
    group.sample_size(10);
    group.bench_function("parse", |b| b.iter(|| parse_all(black_box(&texts))));
    for &(size, bytes) in SIZES {
        let template = realistic::template(bytes);
        let data = GuardData::from_json(&template).unwrap();
        let skipped = items.iter().filter(|r| r.skips(&data)).count();
        let narrowed = items.iter().filter(|r| r.narrows_on(&data)).count();
        let failures = run(&items, &template, Options::DEFAULT);
        assert_eq!(failures, run(&items, &template, NARROW_ONLY));
        assert_eq!(
            failures,
            run_one_by_one(&items, &template, Options::DEFAULT)
        );
        eprintln!(
            "{size}: {} bytes, {} resources; {skipped} items skipped, {narrowed} narrowed; {failures} failures",
            data.json().len(),
            data.resource_count()
        );
        group.bench_with_input(BenchmarkId::new("skip+narrow", size), &template, |b, t| {
            b.iter(|| run(&items, t, Options::DEFAULT))
        });
        group.bench_with_input(BenchmarkId::new("narrow only", size), &template, |b, t| {
            b.iter(|| run(&items, t, NARROW_ONLY))
        });
        group.bench_with_input(
            BenchmarkId::new("skip+narrow, one call per item", size),
            &template,
            |b, t| b.iter(|| run_one_by_one(&items, t, Options::DEFAULT)),
        );
    }
    // Guard on the whole template for every item: the reference, which
    // takes minutes on the larger template (see `whole_template`).
    let template = realistic::template(SIZES[0].1);
    assert_eq!(
        run(&items, &template, Options::DEFAULT),
        run(&items, &template, Options::REFERENCE)
    );
    group.bench_with_input(
        BenchmarkId::new("whole template", SIZES[0].0),
        &template,
        |b, t| b.iter(|| run(&items, t, Options::REFERENCE)),
    );
    group.finish();

    // `cargo test --benches` runs each benchmark once, to check it works;
    // the timed runs below are for `cargo bench` only.
    if std::env::args().any(|a| a == "--bench") {
        whole_template_and_cli(&texts, &items);
    }
    published(c);
}

/// One timed run each, where criterion's ten samples would take minutes:
/// every item on the whole 1 MiB template, and Guard's CLI on both
/// templates, against the in-process evaluation in the same run.
fn whole_template_and_cli(texts: &[String], items: &[GuardRules]) {
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        start.elapsed()
    };
    let (size, bytes) = SIZES[1];
    let template = realistic::template(bytes);
    let fast = best_of(3, &mut || {
        black_box(run(items, &template, Options::DEFAULT));
    });
    let whole = time(&mut || {
        black_box(run(items, &template, Options::REFERENCE));
    });
    eprintln!(
        "200 items/{size}: in process {fast:.2?}; Guard on the whole template for every item {whole:.2?} ({:.0}x)",
        whole.as_secs_f64() / fast.as_secs_f64()
    );

    if Command::new("cfn-guard").arg("--version").output().is_err() {
        eprintln!(
            "cfn-guard CLI: not installed, skipped (cargo install cfn-guard --version =3.2.1 --locked)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rules_dir = dir.path().join("rules");
    std::fs::create_dir(&rules_dir).unwrap();
    for (n, text) in texts.iter().enumerate() {
        std::fs::write(rules_dir.join(format!("item{n:03}.guard")), text).unwrap();
    }
    for &(size, bytes) in SIZES {
        let template = realistic::template(bytes);
        let path = dir.path().join(format!("template-{size}.json"));
        std::fs::write(&path, serde_json::to_string(&template).unwrap()).unwrap();
        let fast = best_of(3, &mut || {
            black_box(run(items, &template, Options::DEFAULT));
        });
        let cli = time(&mut || cfn_guard_validate(&rules_dir, &path));
        eprintln!(
            "200 items/{size}: in process {fast:.2?}; cfn-guard validate CLI {cli:.2?} ({:.0}x)",
            cli.as_secs_f64() / fast.as_secs_f64()
        );
    }
}

fn best_of(n: usize, f: &mut dyn FnMut()) -> Duration {
    (0..n)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// `cfn-guard validate` as a pipeline would run it, its report discarded.
fn cfn_guard_validate(rules: &Path, data: &Path) {
    let status = Command::new("cfn-guard")
        .args([
            "validate",
            "--structured",
            "--output-format",
            "json",
            "--show-summary",
            "none",
        ])
        .arg("--rules")
        .arg(rules)
        .arg("--data")
        .arg(data)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("cfn-guard runs");
    // 19: some rule failed, as expected of this estate.
    assert!(matches!(status.code(), Some(0 | 19)), "cfn-guard: {status}");
}

/// Published rules from `GUARD_RULES_DIR`, when given.
fn published(c: &mut Criterion) {
    let Ok(dir) = std::env::var("GUARD_RULES_DIR") else {
        eprintln!("published rules: GUARD_RULES_DIR not set, skipped");
        return;
    };
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::from(&dir)];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "guard") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut items = Vec::new();
    let mut refused = Vec::new();
    for file in &files {
        match std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|text| GuardRules::parse(&text).map_err(|e| e.to_string()))
        {
            Ok(rules) => items.push(rules),
            Err(e) => refused.push(format!("{}: {e}", file.display())),
        }
    }
    eprintln!(
        "published rules: {} files, {} parsed, {} refused",
        files.len(),
        items.len(),
        refused.len()
    );
    for line in refused.iter().take(20) {
        eprintln!("  {line}");
    }
    let mut group = c.benchmark_group(format!("{} published items", items.len()));
    group.sample_size(10);
    for &(size, bytes) in SIZES {
        let template = realistic::template(bytes);
        let data = GuardData::from_json(&template).unwrap();
        let errors = items
            .iter()
            .filter(|r| evaluate_with(r, &data, Options::DEFAULT).is_err())
            .count();
        eprintln!("published rules on {size}: {errors} items fail to evaluate");
        group.bench_with_input(BenchmarkId::new("skip+narrow", size), &template, |b, t| {
            b.iter(|| {
                let data = GuardData::from_json(t).unwrap();
                items
                    .iter()
                    .filter_map(|r| evaluate_with(r, &data, Options::DEFAULT).ok())
                    .count()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
