//! Evaluates Guard rules files on a template and prints Guard's verdicts
//! and the failures, as the rule engine would see them.
//!
//! `cargo run -p guard-rules --example evaluate -- TEMPLATE RULES.guard…`
//! (the template in JSON or YAML).

use std::process::ExitCode;

use guard_rules::{GuardData, GuardRules, evaluate};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((template, rules_files)) = args.split_first() else {
        eprintln!("usage: evaluate TEMPLATE RULES.guard…");
        return ExitCode::from(2);
    };
    let data = match std::fs::read(template)
        .map_err(|e| e.to_string())
        .and_then(|bytes| cfn_template::parse_document(&bytes).map_err(|e| e.to_string()))
        .and_then(|value| GuardData::from_json(&value).map_err(|e| e.to_string()))
    {
        Ok(data) => data,
        Err(e) => {
            eprintln!("{template}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut failed = false;
    for file in rules_files {
        let rules = match std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|text| GuardRules::parse(&text).map_err(|e| e.to_string()))
        {
            Ok(rules) => rules,
            Err(e) => {
                eprintln!("{file}: {e}");
                return ExitCode::from(2);
            }
        };
        let evaluation = match evaluate(&rules, &data) {
            Ok(evaluation) => evaluation,
            Err(e) => {
                eprintln!("{file}: {e}");
                return ExitCode::from(2);
            }
        };
        println!(
            "{file}: selects {:?}{}",
            rules.selected_types(),
            if evaluation.skipped { " (skipped)" } else { "" }
        );
        for verdict in &evaluation.verdicts {
            println!("  {} {}", verdict.status.as_str(), verdict.rule);
        }
        for failure in &evaluation.failures {
            failed = true;
            println!(
                "  {:?} {}: {}",
                failure.kind,
                failure.resource.as_deref().unwrap_or("(template)"),
                failure.message
            );
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
