//! Parses and evaluates one of the worst cases of `tests/support/worst_cases.rs`,
//! in a process of its own, so that its peak memory can be measured:
//!
//! ```sh
//! cargo build --release -p template-rules --example worst_case
//! for case in $(target/release/examples/worst_case --list); do
//!     /usr/bin/time -f "$case %e s %M KiB" target/release/examples/worst_case "$case"
//! done
//! ```

#[path = "../tests/support/worst_cases.rs"]
mod worst_cases;

use std::process::ExitCode;
use std::time::Instant;

use template_rules::{Template, Thresholds, evaluate};

fn main() -> ExitCode {
    let Some(name) = std::env::args().nth(1) else {
        eprintln!("usage: worst_case NAME | --list");
        return ExitCode::from(2);
    };
    let cases = worst_cases::cases();
    if name == "--list" {
        for case in &cases {
            println!("{}", case.name);
        }
        return ExitCode::SUCCESS;
    }
    let Some(case) = cases.into_iter().find(|c| c.name == name) else {
        eprintln!("no worst case named {name}");
        return ExitCode::from(2);
    };
    let rules = worst_cases::rules();
    let text = case.text();
    let start = Instant::now();
    let outcome = match Template::parse(text.as_bytes()) {
        Ok(template) => {
            let report = evaluate(&template, &rules, &Thresholds::default()).unwrap();
            format!(
                "{} ({} findings, {} unresolved)",
                report.verdict,
                report.findings.len(),
                report.unresolved_count()
            )
        }
        Err(e) => format!("refused: {e}"),
    };
    let elapsed = start.elapsed();
    println!("{name}: {} bytes, {outcome}, in {elapsed:?}", text.len());
    ExitCode::SUCCESS
}
