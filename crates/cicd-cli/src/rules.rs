//! `cicd rules`: look at and change the rules table cfn-validate reads,
//! with the same code the function uses (`rules-table`, `template-rules`).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rules_table::{RulesTable, SyncReport};
use template_rules::{Categories, GUARD, GUARD_CATEGORY, RuleItem, RuleSet};

use crate::Status;
use crate::aws::{self, Endpoint};
use crate::guard_files::{self, ItemSettings};
use crate::reading;

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
    /// Show the kinds of rule (each `ruletype`), what their `ruledata`
    /// holds and an example of each. Needs no table.
    Kinds,
    /// Show the rules, and what is wrong with any of them; with --pack, a
    /// policy pack's rules (no table needed).
    List {
        /// `json` prints a rules file (`{"rules": [...]}`) that `put` and `sync` read back.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// List this policy pack (each rule's service, risk, frameworks and
        /// remediation) instead of the table.
        #[arg(long, value_name = "PACK", value_parser = clap::builder::PossibleValuesParser::new(policy_pack::Pack::names()))]
        pack: Option<String>,
    },
    /// Write the default rules and the standard pack's that are missing
    /// (never overwrites a rule).
    Seed,
    /// Add or replace the rules in a file (leaves other rules alone).
    Put {
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Add or replace one guard item per Guard rules file (its id: the
    /// file's first named rule). Nothing is written if any file does not
    /// parse.
    ImportGuard {
        #[arg(required = true, value_name = "FILE.guard")]
        files: Vec<PathBuf>,
        /// The items' risk value.
        #[arg(long, value_name = "N", default_value_t = 100)]
        risk: u64,
        /// The items' category (free text, for grouping).
        #[arg(long, value_name = "C", default_value = GUARD_CATEGORY)]
        category: String,
        /// Write the items switched off.
        #[arg(long)]
        inactive: bool,
        /// The item's id instead of its first rule's name (one file only).
        #[arg(long, value_name = "ID")]
        id: Option<String>,
    },
    /// Switch a rule on.
    Enable { rule: String },
    /// Switch a rule off.
    Disable { rule: String },
    /// Make the table hold exactly the rules in a file (--file), or add and
    /// update a policy pack's rules leaving every other rule alone (--pack),
    /// and say what changed.
    #[command(group(clap::ArgGroup::new("source").required(true).args(["file", "pack"])))]
    Sync {
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// The policy pack whose rules to add or update.
        #[arg(long, value_name = "PACK", value_parser = clap::builder::PossibleValuesParser::new(policy_pack::Pack::names()))]
        pack: Option<String>,
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
    if let Action::Kinds = args.action {
        say!("{}", kinds().trim_end_matches('\n'));
        return Ok(Status::Success);
    }
    if let Action::List {
        format,
        pack: Some(pack),
    } = &args.action
    {
        return list_pack(pack, *format);
    }
    let Some(name) = &args.table else {
        bail!("which table? Give --table NAME (or set RULES_TABLE)");
    };
    let table = RulesTable::new(aws::dynamodb(&args.endpoint).await, name);
    match &args.action {
        Action::Kinds => unreachable!("answered without a table"),
        Action::List { format, .. } => list(&table, *format).await,
        Action::Seed => {
            let seeded = table.seed_defaults().await?;
            say!("wrote: {}", names(&seeded.written));
            say!("already there: {}", names(&seeded.already_present));
            Ok(Status::Success)
        }
        Action::Put { file } => {
            let items = read_valid(file)?;
            put_all(&table, &items).await
        }
        Action::ImportGuard {
            files,
            risk,
            category,
            inactive,
            id,
        } => {
            if id.is_some() && files.len() > 1 {
                bail!("--id names one item: give one file with it");
            }
            let settings = ItemSettings {
                id: id.clone(),
                risk: *risk,
                category: category.clone(),
                active: !inactive,
            };
            let mut items = Vec::new();
            let mut errors = Vec::new();
            for file in files {
                match guard_files::item_parsed_in_time(file, &settings) {
                    Ok(item) => items.push(item),
                    Err(e) => errors.push(format!("  {e:#}")),
                }
            }
            if !errors.is_empty() {
                bail!(
                    "Guard rules files that cannot be used; nothing was written:\n{}",
                    errors.join("\n")
                );
            }
            check_items(&items, "the Guard rules files")?;
            put_all(&table, &items).await
        }
        Action::Enable { rule } | Action::Disable { rule } => {
            let active = matches!(args.action, Action::Enable { .. });
            table.set_active(rule, active).await?;
            say!(
                "{rule} is now {}",
                if active { "active" } else { "inactive" }
            );
            Ok(Status::Success)
        }
        Action::Sync {
            file,
            pack,
            dry_run,
        } => {
            if let Some(name) = pack {
                let items = pack_items(name)?;
                check_items(&items, &format!("the {name} pack"))?;
                check_sizes(&table, &items)?;
                let report = table.merge(&items, !dry_run).await?;
                print_sync(&report, *dry_run, Some(name));
                return Ok(Status::Success);
            }
            let Some(file) = file else {
                bail!("give --file FILE or --pack PACK");
            };
            let items = read_valid(file)?;
            check_sizes(&table, &items)?;
            let report = table.sync(&items, !dry_run).await?;
            print_sync(&report, *dry_run, None);
            Ok(Status::Success)
        }
    }
}

/// Refuses `items` whole when one is over DynamoDB's item limit.
fn check_sizes(table: &RulesTable, items: &[RuleItem]) -> Result<()> {
    for item in items {
        table
            .check_size(item)
            .map_err(|e| anyhow::anyhow!("{e}; nothing was written"))?;
    }
    Ok(())
}

/// Writes `items`, each checked against DynamoDB's item limit before any
/// is written.
async fn put_all(table: &RulesTable, items: &[RuleItem]) -> Result<Status> {
    check_sizes(table, items)?;
    for item in items {
        table.put(item).await?;
        say!("put {}", item.id().unwrap_or_default());
    }
    Ok(Status::Success)
}

/// Prints the rules; exits 1 when an active rule cannot be applied (so a
/// CI job can check the table the pipeline will use).
async fn list(table: &RulesTable, format: ListFormat) -> Result<Status> {
    let items = table.scan().await?;
    let rules = RuleSet::from_items(items.clone());
    match format {
        ListFormat::Json => {
            say!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({"rules": items}))?
            );
        }
        ListFormat::Text => {
            if items.is_empty() {
                say!(
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
                        ruledata(i, &rules),
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
                say!("{}  {}", cells.join("  "), row[last]);
            }
        }
    }
    for note in rules.notes() {
        note!("note: {note}");
    }
    for error in rules.errors() {
        let state = if error.blocking {
            "error"
        } else {
            "warning (inactive)"
        };
        note!("{state}: {error}");
    }
    Ok(if rules.check_usable().is_err() {
        Status::Failed
    } else {
        Status::Success
    })
}

/// The items of the pack `name`.
fn pack_items(name: &str) -> Result<Vec<RuleItem>> {
    match policy_pack::Pack::find(name) {
        Some(pack) => Ok(pack.items()),
        None => bail!("there is no pack {name}"),
    }
}

/// Prints a pack's rules: as a rules file (`json`), or a line per rule with
/// its service, risk and band, whether it is on, and its frameworks, then
/// its remediation and link.
fn list_pack(name: &str, format: ListFormat) -> Result<Status> {
    let Some(pack) = policy_pack::Pack::find(name) else {
        bail!("there is no pack {name}");
    };
    let items = pack.items();
    if let ListFormat::Json = format {
        say!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"rules": items}))?
        );
        return Ok(Status::Success);
    }
    let rules = RuleSet::from_items(items);
    let header = ["RULE", "SERVICE", "RISK", "ACTIVE", "FRAMEWORKS"].map(String::from);
    let mut rows = Vec::new();
    for (service, _) in pack.services() {
        for item in pack.service_items(service).unwrap_or_default() {
            let Some(rule) = item.id().and_then(|id| rules.get(id)) else {
                continue;
            };
            let band = if rule.risk >= 50 { "fails" } else { "flags" };
            let frameworks = match rule.guidance.frameworks.as_slice() {
                [] => "-".to_string(),
                ids => ids.join(", "),
            };
            let mut fix = rule.guidance.remediation.clone().unwrap_or_default();
            if let Some(link) = &rule.guidance.link {
                fix.push_str(&format!(" {link}"));
            }
            rows.push((
                [
                    rule.id.clone(),
                    service.to_string(),
                    format!("{} ({band})", rule.risk),
                    if rule.active { "Y" } else { "N" }.to_string(),
                    frameworks,
                ],
                fix,
            ));
        }
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|(r, _)| &r[c])
                .chain([&header[c]])
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String; 5]| -> String {
        let cells: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        cells.join("  ").trim_end().to_string()
    };
    say!("{}", line(&header));
    for (cells, fix) in &rows {
        say!("{}", line(cells));
        say!("    {fix}");
    }
    say!(
        "{} rules in the {name} pack (risk from 50 fails a template with the default thresholds; below, flags it for approval)",
        rows.len()
    );
    Ok(Status::Success)
}

/// Every native kind as it describes itself, then guard items.
fn kinds() -> String {
    let mut out = String::new();
    for kind in template_rules::kinds::KINDS {
        let d = kind.describe();
        let categories = match &d.categories {
            Categories::Only(category) => category.name().to_string(),
            Categories::AnyKnown => {
                "SecurityGroup or EC2Instance (the resources it reads)".to_string()
            }
            Categories::Label => "free text, for grouping".to_string(),
        };
        let example = &d.example;
        out.push_str(&format!(
            "{}: {}\n  ruledata: {}\n  category: {categories}\n  example:  category {}, ruledata {}\n    fires on: {}\n    not on:   {}\n",
            d.ruletype,
            d.summary,
            d.ruledata,
            example.category,
            example.ruledata,
            one_line(example.fires),
            one_line(example.passes),
        ));
    }
    out.push_str(&format!(
        "{GUARD}: CloudFormation Guard rules, evaluated by AWS's cfn-guard on the whole template\n  ruledata: a Guard rules file (its lets and one or more named rules)\n  category: free text, for grouping ({GUARD_CATEGORY} when absent)\n"
    ));
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the RULEDATA column shows: the data, in one line; for a guard item
/// its named rules (the first is its default id), not its text.
fn ruledata(item: &RuleItem, rules: &RuleSet) -> String {
    let guard = item.ruletype.as_ref().and_then(|t| t.as_str()) == Some(GUARD);
    let parsed = item.id().and_then(|id| rules.get(id));
    match (guard, parsed) {
        (true, Some(rule)) => format!(
            "Guard rules {} ({} bytes)",
            rule.kind.summary(),
            item.ruledata
                .as_ref()
                .and_then(|d| d.as_str())
                .map_or(0, str::len)
        ),
        (true, None) => "Guard rules that cannot be applied (see below)".to_string(),
        (false, _) => match &item.ruledata {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => "-".to_string(),
        },
    }
}

/// The items of a rules file; refused whole if any item is not a valid rule
/// or is too large for DynamoDB.
fn read_valid(path: &Path) -> Result<Vec<RuleItem>> {
    let shown = || format!("rules file {}", path.display());
    // Not opened unless it is a regular file: a FIFO would block.
    let mut file = reading::open_regular(path, None).with_context(shown)?;
    let mut text = String::new();
    file.read_to_string(&mut text).with_context(shown)?;
    let items =
        RuleSet::items_from_str(&text).with_context(|| format!("rules file {}", path.display()))?;
    check_parse_times(&items, &format!("rules file {}", path.display()))?;
    check_items(&items, &format!("rules file {}", path.display()))?;
    Ok(items)
}

/// Refuses `items` whole when a guard item's rules cannot be parsed within
/// [`guard_files::PARSE_BUDGET`] (in a worker process, before they are
/// parsed here): cfn-validate parses them for every job.
fn check_parse_times(items: &[RuleItem], shown: &str) -> Result<()> {
    let slow: Vec<String> = items
        .iter()
        .filter(|item| item.ruletype.as_ref().and_then(|t| t.as_str()) == Some("guard"))
        .filter_map(|item| {
            let text = item.ruledata.as_ref()?.as_str()?;
            let e = guard_files::parse_in_time(text).err()?;
            Some(format!("  rule {}: {e}", item.id().unwrap_or_default()))
        })
        .collect();
    if !slow.is_empty() {
        bail!(
            "{shown} has rules that cannot be applied; nothing was written:\n{}",
            slow.join("\n")
        );
    }
    Ok(())
}

/// Refuses `items` whole when any is not a valid rule, or two share an id.
fn check_items(items: &[RuleItem], shown: &str) -> Result<()> {
    let rules = RuleSet::from_items(items.to_vec());
    if !rules.errors().is_empty() {
        let errors: Vec<String> = rules.errors().iter().map(|e| format!("  {e}")).collect();
        bail!(
            "{shown} has rules that cannot be applied; nothing was written:\n{}",
            errors.join("\n")
        );
    }
    Ok(())
}

/// What a sync did (or would do); `pack` names the pack of a merge, which
/// removes nothing.
fn print_sync(report: &SyncReport, dry_run: bool, pack: Option<&str>) {
    let verb = |done: &str, would: &str| {
        if dry_run {
            would.to_string()
        } else {
            done.to_string()
        }
    };
    say!("{}: {}", verb("added", "would add"), names(&report.added));
    say!(
        "{}: {}",
        verb("changed", "would change"),
        names(&report.changed)
    );
    if pack.is_none() {
        say!(
            "{}: {}",
            verb("removed", "would remove"),
            names(&report.removed)
        );
    }
    say!("unchanged: {}", names(&report.unchanged));
    match pack {
        Some(name) if report.is_noop() => {
            say!("the table already holds the {name} pack; other rules are left alone")
        }
        Some(_) => say!("other rules are left alone"),
        None if report.is_noop() => say!("the table already matches the file"),
        None => {}
    }
}

fn names(ids: &[String]) -> String {
    if ids.is_empty() {
        "-".to_string()
    } else {
        ids.join(", ")
    }
}
