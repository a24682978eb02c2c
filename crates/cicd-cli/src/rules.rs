//! `cicd rules`: look at and change the rules table cfn-validate reads,
//! with the same code the function uses (`rules-table`, `template-rules`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rules_table::{RulesTable, SyncReport};
use template_rules::{RuleItem, RuleSet};

use crate::Status;
use crate::aws::{self, Endpoint};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
    /// The DynamoDB rules table (cicd.yaml's RulesTable).
    #[arg(long, global = true, value_name = "NAME", env = "RULES_TABLE")]
    table: Option<String>,
    #[command(flatten)]
    endpoint: Endpoint,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Show the rules, and what is wrong with any of them.
    List {
        /// `json` prints a rules file (`{"rules": [...]}`) that `put` and `sync` read back.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Write the default rules that are missing (never overwrites a rule).
    Seed,
    /// Add or replace the rules in a file (leaves other rules alone).
    Put {
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Switch a rule on.
    Enable { rule: String },
    /// Switch a rule off.
    Disable { rule: String },
    /// Make the table hold exactly the rules in a file, and say what changed.
    Sync {
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// Only say what would change.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

pub async fn run(args: &Args) -> Result<Status> {
    let Some(name) = &args.table else {
        bail!("which table? Give --table NAME (or set RULES_TABLE)");
    };
    let table = RulesTable::new(aws::dynamodb(&args.endpoint).await, name);
    match &args.action {
        Action::List { format } => list(&table, *format).await,
        Action::Seed => {
            let seeded = table.seed_defaults().await?;
            println!("wrote: {}", names(&seeded.written));
            println!("already there: {}", names(&seeded.already_present));
            Ok(Status::Success)
        }
        Action::Put { file } => {
            let items = read_valid(file)?;
            for item in &items {
                table.put(item).await?;
                println!("put {}", item.id().unwrap_or_default());
            }
            Ok(Status::Success)
        }
        Action::Enable { rule } | Action::Disable { rule } => {
            let active = matches!(args.action, Action::Enable { .. });
            table.set_active(rule, active).await?;
            println!(
                "{rule} is now {}",
                if active { "active" } else { "inactive" }
            );
            Ok(Status::Success)
        }
        Action::Sync { file, dry_run } => {
            let items = read_valid(file)?;
            let report = table.sync(&items, !dry_run).await?;
            print_sync(&report, *dry_run);
            Ok(Status::Success)
        }
    }
}

/// Prints the rules; exits 1 when an active rule cannot be applied (so a
/// CI job can check the table the pipeline will use).
async fn list(table: &RulesTable, format: ListFormat) -> Result<Status> {
    let items = table.scan().await?;
    let rules = RuleSet::from_items(items.clone());
    match format {
        ListFormat::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({"rules": items}))?
            );
        }
        ListFormat::Text => {
            if items.is_empty() {
                println!(
                    "the table {} is empty (cfn-validate seeds the defaults on its first job; or run `cicd rules seed`)",
                    table.name()
                );
            }
            let text = |v: &Option<serde_json::Value>| match v {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => "-".to_string(),
            };
            let rows: Vec<[String; 7]> = items
                .iter()
                .map(|i| {
                    [
                        text(&i.rule),
                        text(&i.category),
                        text(&i.ruletype),
                        text(&i.active),
                        // What applies: an item without the field may be suppressed.
                        match &i.suppressible {
                            None => "Y".to_string(),
                            some => text(some),
                        },
                        text(&i.riskvalue),
                        text(&i.ruledata),
                    ]
                })
                .collect();
            let header = [
                "RULE",
                "CATEGORY",
                "RULETYPE",
                "ACTIVE",
                "SUPPRESSIBLE",
                "RISK",
                "RULEDATA",
            ]
            .map(String::from);
            let last = header.len() - 1;
            let widths: Vec<usize> = (0..last)
                .map(|c| {
                    rows.iter()
                        .chain([&header])
                        .map(|r| r[c].chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for row in [&header].into_iter().chain(&rows) {
                let cells: Vec<String> = (0..last)
                    .map(|c| format!("{:<w$}", row[c], w = widths[c]))
                    .collect();
                println!("{}  {}", cells.join("  "), row[last]);
            }
        }
    }
    for note in rules.notes() {
        eprintln!("note: {note}");
    }
    for error in rules.errors() {
        let state = if error.blocking {
            "error"
        } else {
            "warning (inactive)"
        };
        eprintln!("{state}: {error}");
    }
    Ok(if rules.check_usable().is_err() {
        Status::Failed
    } else {
        Status::Success
    })
}

/// The items of a rules file; refused whole if any item is not a valid rule.
fn read_valid(path: &Path) -> Result<Vec<RuleItem>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("rules file {}", path.display()))?;
    let items =
        RuleSet::items_from_str(&text).with_context(|| format!("rules file {}", path.display()))?;
    let rules = RuleSet::from_items(items.clone());
    if !rules.errors().is_empty() {
        let errors: Vec<String> = rules.errors().iter().map(|e| format!("  {e}")).collect();
        bail!(
            "rules file {} has rules that cannot be applied; nothing was written:\n{}",
            path.display(),
            errors.join("\n")
        );
    }
    Ok(items)
}

fn print_sync(report: &SyncReport, dry_run: bool) {
    let verb = |done: &str, would: &str| {
        if dry_run {
            would.to_string()
        } else {
            done.to_string()
        }
    };
    println!("{}: {}", verb("added", "would add"), names(&report.added));
    println!(
        "{}: {}",
        verb("changed", "would change"),
        names(&report.changed)
    );
    println!(
        "{}: {}",
        verb("removed", "would remove"),
        names(&report.removed)
    );
    println!("unchanged: {}", names(&report.unchanged));
    if report.is_noop() {
        println!("the table already matches the file");
    }
}

fn names(ids: &[String]) -> String {
    if ids.is_empty() {
        "-".to_string()
    } else {
        ids.join(", ")
    }
}
