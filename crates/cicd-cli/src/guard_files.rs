//! Guard rules files (`.guard`) as rules-table items: what `cicd rules
//! import-guard` puts in the table and what `cicd validate --rules` reads
//! directly.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use guard_rules::{GuardError, GuardRules};
use guard_worker::Worker;
use serde_json::Value;
use template_rules::RuleItem;

use crate::reading;

/// Extensions of Guard rules files (what `cfn-guard` itself reads).
const EXTENSIONS: [&str; 2] = ["guard", "ruleset"];

/// Whether `path` names a Guard rules file.
pub fn is_guard_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Every Guard rules file under `dir` (its subdirectories too, hidden ones
/// aside), in path order: a published collection such as the AWS Guard
/// Rules Registry's `rules/` directory.
pub fn guard_files_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in ignore::WalkBuilder::new(dir).require_git(false).build() {
        let entry = entry.with_context(|| format!("cannot walk {}", dir.display()))?;
        if entry.file_type().is_some_and(|t| t.is_file()) && is_guard_file(entry.path()) {
            found.push(entry.into_path());
        }
    }
    found.sort();
    Ok(found)
}

/// How an item is made of a Guard rules file.
#[derive(Debug, Clone)]
pub struct ItemSettings {
    /// The item's id; by default the file's first named rule.
    pub id: Option<String>,
    pub risk: u64,
    pub category: String,
    pub active: bool,
}

/// The item for the Guard rules in `path`, checked as cfn-validate will
/// check it; an error names the file and carries Guard's message (with
/// its line).
pub fn item(path: &Path, settings: &ItemSettings) -> anyhow::Result<RuleItem> {
    let (shown, text) = read(path)?;
    let rules = GuardRules::parse(&text).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
    let names = rules.rule_names().to_vec();
    made_of(&shown, text, &names, settings)
}

/// [`item`], parsed in a worker process within [`PARSE_BUDGET`] first
/// (see [`parse_in_time`]): what `cicd rules import-guard` writes.
pub fn item_parsed_in_time(path: &Path, settings: &ItemSettings) -> anyhow::Result<RuleItem> {
    let (shown, text) = read(path)?;
    let names = parse_in_time(&text).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
    made_of(&shown, text, &names, settings)
}

/// The file's name as shown, and its text.
fn read(path: &Path) -> anyhow::Result<(String, String)> {
    let shown = path.display().to_string();
    // Not opened unless it is a regular file (a FIFO would block); too
    // large is said by Guard's parser, of what read_capped reads.
    let file =
        reading::open_regular(path, None).with_context(|| format!("{shown}: cannot read"))?;
    let bytes = reading::read_capped(file, guard_rules::MAX_RULES_BYTES)
        .with_context(|| format!("{shown}: cannot read"))?;
    let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{shown}: not valid UTF-8"))?;
    Ok((shown, text))
}

/// The item of a rules text whose rules are `names`.
fn made_of(
    shown: &str,
    text: String,
    names: &[String],
    settings: &ItemSettings,
) -> anyhow::Result<RuleItem> {
    let id = match &settings.id {
        Some(id) => id.clone(),
        None => match names.first() {
            Some(name) => name.clone(),
            None => bail!("{shown}: the Guard rules name no rule"),
        },
    };
    Ok(RuleItem {
        rule: Some(Value::String(id)),
        category: Some(Value::String(settings.category.clone())),
        ruletype: Some(Value::String("guard".to_string())),
        ruledata: Some(Value::String(text)),
        riskvalue: Some(settings.risk.into()),
        active: Some(Value::String(
            if settings.active { "Y" } else { "N" }.into(),
        )),
        ..RuleItem::default()
    })
}

/// How long parsing one Guard rules text may take before it is refused:
/// cfn-validate parses every item of the table for every job.
pub const PARSE_BUDGET: Duration = Duration::from_secs(2);

/// Memory a parse may take (Guard's parse tree of 400 KB of rules takes
/// about 140 MB).
const PARSE_MEMORY: usize = 512 << 20;

/// The rule names of a Guard rules text, parsed in a worker process within
/// [`PARSE_BUDGET`]: a text that cannot be, or that Guard refuses, is an
/// error saying so.
pub fn parse_in_time(text: &str) -> Result<Vec<String>, String> {
    Worker::new()
        .parse(text, PARSE_MEMORY, PARSE_BUDGET)
        .map_err(|e| match e {
            GuardError::TimedOut { .. } => format!(
                "the Guard rules cannot be parsed within {} s, and cfn-validate parses them for every job: shorten or flatten them",
                PARSE_BUDGET.as_secs()
            ),
            other => other.to_string(),
        })
}
