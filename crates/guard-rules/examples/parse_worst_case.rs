//! How long `GuardRules::parse` takes on the costliest rules texts within
//! the caps (400 KB, nesting 16, query filters nested 3 deep, 100 regexes
//! each compiling within 256 KiB), for the README's "Limits":
//!
//! `cargo run --release -p guard-rules --example parse_worst_case`
//!
//! Each shape fills the size cap with copies of one construct; the parse
//! tree's handover costs size x depth, filters 2^depth, regexes their
//! compilation (twice: the check, then Guard's parser).

use std::time::{Duration, Instant};

use guard_rules::{GuardRules, MAX_NESTING, MAX_RULES_BYTES, limits};

/// Copies of `unit(i)` after `head`, as many as fit in the size cap.
fn fill(head: &str, unit: impl Fn(usize) -> String, tail: &str) -> String {
    let mut text = head.to_string();
    for i in 0.. {
        let next = unit(i);
        if text.len() + next.len() + tail.len() > MAX_RULES_BYTES {
            break;
        }
        text.push_str(&next);
    }
    text + tail
}

/// `inner` inside `depth` nested query filters.
fn filters(depth: usize, inner: String) -> String {
    (0..depth).fold(inner, |inner, _| format!("P.*[ {inner} ] exists"))
}

fn shapes() -> Vec<(&'static str, String)> {
    let filter_depth = limits::MAX_FILTER_NESTING;
    // The rule's own brace, then blocks to the nesting cap.
    let whens = MAX_NESTING - 1;
    vec![
        (
            "plain clauses",
            fill(
                "rule R {\n",
                |i| format!("Resources.*.A{i} exists\n"),
                "}\n",
            ),
        ),
        (
            "clauses joined by or",
            fill(
                "rule R {\n",
                |i| format!("Resources.*.A{i} exists or\n"),
                "B exists }\n",
            ),
        ),
        (
            "filters nested 3 deep",
            fill(
                "",
                |i| {
                    format!(
                        "rule R{i} {{ {} }}\n",
                        filters(filter_depth, format!("T{i} exists"))
                    )
                },
                "",
            ),
        ),
        (
            "when blocks nested 15 deep",
            fill(
                "",
                |i| {
                    format!(
                        "rule R{i} {{ {}A exists{} }}\n",
                        "when B exists { ".repeat(whens),
                        " }".repeat(whens)
                    )
                },
                "",
            ),
        ),
        (
            "when blocks 12 deep in filters 3 deep",
            fill(
                "",
                |i| {
                    let inner = format!(
                        "{}T{i} exists{}",
                        "when B exists { ".repeat(whens - 3),
                        " }".repeat(whens - 3)
                    );
                    format!("rule R{i} {{ {} }}\n", filters(filter_depth, inner))
                },
                "",
            ),
        ),
        ("100 regexes near the compile cap, then clauses", {
            let regexes: String = (0..limits::MAX_REGEXES)
                .map(|i| format!("Resources.*.A{i} == /[a-z]{{1,200}}{i}/\n"))
                .collect();
            fill(
                &format!("rule R {{\n{regexes}"),
                |i| format!("Resources.*.B{i} exists\n"),
                "}\n",
            )
        }),
    ]
}

fn main() {
    let mut worst = (Duration::ZERO, "");
    for (name, text) in shapes() {
        let started = Instant::now();
        let parsed = GuardRules::parse(&text);
        let took = started.elapsed();
        println!(
            "{name:<48} {:>7} bytes  {:>8.2?}  {}",
            text.len(),
            took,
            match &parsed {
                Ok(rules) => format!("{} rules", rules.rule_names().len()),
                Err(e) => format!("refused: {e}"),
            }
        );
        if took > worst.0 {
            worst = (took, name);
        }
    }
    println!("worst: {:.2?} ({})", worst.0, worst.1);
}
