//! Parses and evaluates one template with the default rules (every rule
//! active), and prints the report as JSON; exit 2 when it cannot be read.
//! Used to measure the time and peak memory of one check:
//!
//! ```sh
//! cargo build --release -p template-rules --example check
//! /usr/bin/time -v target/release/examples/check template.yaml
//! ```

use std::process::ExitCode;
use std::time::Instant;

use template_rules::{RuleSet, Template, Thresholds, evaluate};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check TEMPLATE");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let rules = RuleSet::from_items(RuleSet::default_items().into_iter().map(|mut item| {
        item.active = Some("Y".into());
        item
    }));
    let start = Instant::now();
    let template = match Template::parse(&bytes) {
        Ok(template) => template,
        Err(e) => {
            eprintln!("{path}: {e} ({:?})", start.elapsed());
            return ExitCode::from(2);
        }
    };
    let report = evaluate(&template, &rules, &Thresholds::default()).unwrap();
    let elapsed = start.elapsed();
    match serde_json::to_string_pretty(&report) {
        Ok(json) => println!("{json}"),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    }
    eprintln!("{path}: {} in {elapsed:?}", report.verdict);
    ExitCode::SUCCESS
}
