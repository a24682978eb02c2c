//! `--baseline REPORT.json` and `--baseline-ref GIT_REV`: what each
//! template is compared with, so that only the findings a change adds
//! count (see `template_rules::Baseline`).
//!
//! A template's baseline is always its own path's: the entry of an earlier
//! `--format json` report with the same path (as shown), or the same file
//! at a git revision. A template without one (not in the report, not in
//! that revision, standard input) has an empty baseline: every finding is
//! new. What cannot be trusted stops the run: a report that is not one, or
//! whose findings have no fingerprints of this version; a revision that
//! does not exist; git that cannot be run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::Value;
use template_rules::{Baseline, Finding, Limits};

use crate::inputs::{Input, Source};
use crate::reading;

/// The largest report read as a baseline: a report lists each finding's
/// reason (a few hundred bytes), so this holds hundreds of thousands.
const MAX_REPORT_BYTES: usize = 64 << 20;

/// Where the baselines come from.
pub enum Baselines {
    /// An earlier report's findings, by template path.
    Report {
        shown: String,
        by_path: HashMap<String, Baseline>,
    },
    /// The same files at a git revision.
    Git { rev: String },
}

/// One template's baseline: findings to compare with, or a template to
/// evaluate first (the file at a revision), with what it is, for people.
pub enum Earlier {
    Findings(Baseline, String),
    Template(Vec<u8>, String),
    /// Nothing: every finding is new.
    None(String),
}

impl Baselines {
    /// The findings of the report at `path` (`--format json`), refused when
    /// it is not one or has findings without fingerprints of this version.
    pub fn from_report(path: &Path) -> anyhow::Result<Baselines> {
        let shown = path.display().to_string();
        let file = reading::open_regular(path, Some(MAX_REPORT_BYTES as u64))
            .with_context(|| format!("--baseline {shown}: cannot read it"))?;
        let bytes = reading::read_capped(file, MAX_REPORT_BYTES)
            .with_context(|| format!("--baseline {shown}: cannot read it"))?;
        if bytes.len() > MAX_REPORT_BYTES {
            bail!("--baseline {shown}: larger than {MAX_REPORT_BYTES} bytes");
        }
        let document: Value = serde_json::from_slice(&bytes).with_context(|| {
            format!("--baseline {shown}: not a report of `cicd validate --format json`")
        })?;
        let Some(templates) = document.get("templates").and_then(Value::as_array) else {
            bail!(
                "--baseline {shown}: not a report of `cicd validate --format json` (no \"templates\" list)"
            );
        };
        let mut by_path = HashMap::new();
        for entry in templates {
            let Some(template) = entry.get("path").and_then(Value::as_str) else {
                bail!("--baseline {shown}: a template entry has no path");
            };
            // A template that could not be read then has no findings.
            let Some(findings) = entry.get("findings") else {
                continue;
            };
            let findings: Vec<Finding> = serde_json::from_value(findings.clone())
                .with_context(|| format!("--baseline {shown}: the findings of {template}"))?;
            let baseline = Baseline::new(findings)
                .with_context(|| format!("--baseline {shown}: {template}"))?;
            by_path.insert(template.to_string(), baseline);
        }
        Ok(Baselines::Report { shown, by_path })
    }

    /// The files at git revision `rev`, which must exist (in the repository
    /// of the current directory).
    pub fn from_git(rev: &str) -> anyhow::Result<Baselines> {
        if rev.is_empty() || rev.starts_with('-') {
            bail!("--baseline-ref {rev:?}: not a git revision");
        }
        let commit = format!("{rev}^{{commit}}");
        let verified = git(
            Path::new("."),
            &["rev-parse", "--verify", "--quiet", &commit],
        )?;
        if !verified.status.success() {
            bail!("--baseline-ref {rev}: no such commit in this git repository");
        }
        Ok(Baselines::Git {
            rev: rev.to_string(),
        })
    }

    /// What `input` is compared with.
    pub fn earlier(&self, input: &Input) -> anyhow::Result<Earlier> {
        match self {
            Baselines::Report { shown, by_path } => Ok(match by_path.get(&input.shown) {
                Some(baseline) => Earlier::Findings(baseline.clone(), shown.clone()),
                None => Earlier::None(format!("{shown}, which does not list it")),
            }),
            Baselines::Git { rev } => {
                let path = match &input.source {
                    Source::File(path) | Source::Found(path) => path,
                    Source::Stdin => bail!(
                        "--baseline-ref {rev}: standard input has no path to look up at that revision"
                    ),
                    Source::WalkError { .. } => return Ok(Earlier::None(format!("git {rev}"))),
                };
                file_at(rev, path)
            }
        }
    }
}

/// `path` as it was at `rev`: its blob, or nothing when it was not there.
fn file_at(rev: &str, path: &Path) -> anyhow::Result<Earlier> {
    let against = format!("git {rev}");
    let (dir, name) = match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => (
            if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            },
            PathBuf::from(name),
        ),
        _ => bail!("--baseline-ref {rev}: {} is no file's path", path.display()),
    };
    let name = name.to_string_lossy().into_owned();
    // The entry, if any: `ls-tree` lists nothing for a path not there.
    let listed = git(dir, &["ls-tree", "-z", rev, "--", &name])?;
    if !listed.status.success() {
        bail!(
            "--baseline-ref {rev}: cannot list {} at it: {}",
            path.display(),
            String::from_utf8_lossy(&listed.stderr).trim()
        );
    }
    let entry = String::from_utf8_lossy(&listed.stdout);
    let Some((meta, _)) = entry.split_once('\t') else {
        return Ok(Earlier::None(format!("{against}, where it does not exist")));
    };
    let mut fields = meta.split(' ');
    let (kind, id) = (
        fields.nth(1).unwrap_or_default(),
        fields.next().unwrap_or_default(),
    );
    if kind != "blob" {
        return Ok(Earlier::None(format!("{against}, where it is no file")));
    }
    let size = git(dir, &["cat-file", "-s", id])?;
    let size: u64 = String::from_utf8_lossy(&size.stdout)
        .trim()
        .parse()
        .with_context(|| format!("--baseline-ref {rev}: the size of {}", path.display()))?;
    let limit = Limits::default().max_bytes as u64;
    if size > limit {
        // No template then: nothing it held can be existing now.
        return Ok(Earlier::None(format!(
            "{against}, where it is larger than {limit} bytes"
        )));
    }
    let blob = git(dir, &["cat-file", "blob", id])?;
    if !blob.status.success() {
        bail!(
            "--baseline-ref {rev}: cannot read {} at it: {}",
            path.display(),
            String::from_utf8_lossy(&blob.stderr).trim()
        );
    }
    Ok(Earlier::Template(blob.stdout, against))
}

/// `git ARGS` in `dir`, its output captured; an error when git cannot be
/// run at all.
fn git(dir: &Path, args: &[&str]) -> anyhow::Result<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .context("--baseline-ref: cannot run git")
}
