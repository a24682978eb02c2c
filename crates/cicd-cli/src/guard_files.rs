//! Guard rules files (`.guard`) as rules-table items: what `cicd rules
//! import-guard` puts in the table and what `cicd validate --rules` reads
//! directly.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use guard_rules::GuardRules;
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
    let shown = path.display();
    // Not opened unless it is a regular file (a FIFO would block); too
    // large is said by Guard's parser, of what read_capped reads.
    let file =
        reading::open_regular(path, None).with_context(|| format!("{shown}: cannot read"))?;
    let bytes = reading::read_capped(file, guard_rules::MAX_RULES_BYTES)
        .with_context(|| format!("{shown}: cannot read"))?;
    let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{shown}: not valid UTF-8"))?;
    let rules = GuardRules::parse(&text).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
    let id = match &settings.id {
        Some(id) => id.clone(),
        None => match rules.rule_names().first() {
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
