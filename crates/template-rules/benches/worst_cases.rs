//! Parse + evaluate on the worst cases of `tests/support/worst_cases.rs`:
//! alias amplification, long `Fn::Join`/`Fn::Sub` chains, `Fn::If` inside
//! `Fn::Join`, wide mappings, lookups that fan out, unions of many sources,
//! loops that generate a lot, containers written as `Fn::If`, standalone
//! rules whose group is not known with thousands of groups, aliased
//! lookups, decoys before an open group. Each is at most 1 MiB and must
//! end within a second (`tests/worst_cases.rs` checks what each concludes).
//!
//! `cargo bench -p template-rules --bench worst_cases`

#[path = "../tests/support/worst_cases.rs"]
mod worst_cases;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use template_rules::{Template, Thresholds, evaluate};

fn bench(c: &mut Criterion) {
    let rules = worst_cases::rules();
    let mut group = c.benchmark_group("worst-case");
    group.sample_size(10);
    for case in worst_cases::cases() {
        let text = case.text();
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(case.name), &text, |b, text| {
            b.iter(|| match Template::parse(black_box(text.as_bytes())) {
                Ok(template) => Some(
                    evaluate(&template, &rules, &Thresholds::default())
                        .unwrap()
                        .risk,
                ),
                Err(_) => None,
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
