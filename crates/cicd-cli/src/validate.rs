//! `cicd validate`: the Static_Check stage's rules, run on local files,
//! directories of templates or standard input.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use guard_worker::Worker;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use rules_table::{RulesSource, RulesTable};
use template_rules::{
    Baseline, BaselinePolicy, EvaluateOptions, EvaluationError, Limits, Report, RuleItem, RuleSet,
    Template, TemplateReport, Thresholds, UnresolvedPolicy, Verdict, evaluate_with,
};

use crate::Status;
use crate::aws::{self, Endpoint};
use crate::baseline::{Baselines, Earlier};
use crate::guard_files::{self, ItemSettings};
use crate::inputs::{self, Input};
use crate::output::{self, Checked, Format, locate};
use crate::reading::{self, Reading};

#[derive(clap::Args)]
pub struct Args {
    /// Rules to apply instead of the built-in ones: a rules file (YAML or
    /// JSON, in the rules table's item shape, guard items included), a
    /// Guard rules file (`.guard`: one active item named after its first
    /// rule), or a directory of `.guard` files. Repeat to combine.
    #[arg(long, value_name = "FILE", conflicts_with = "table")]
    rules: Vec<PathBuf>,
    /// The policy pack applied with the rules: `standard` (with the default
    /// rules when neither --rules nor --table is given) or `none`. With
    /// --rules, a pack named here is added to the rules files.
    #[arg(long, value_name = "PACK", conflicts_with = "table", value_parser = pack_names())]
    pack: Option<String>,
    /// The risk of each item made of a `.guard` file given to --rules.
    #[arg(long, value_name = "N", default_value_t = 100)]
    guard_risk: u64,
    /// Memory, in MiB, Guard may take for the items it runs at once on one
    /// template (a process of its own, bounded); an item that needs more is
    /// an unresolved finding. Templates are evaluated in parallel (--jobs),
    /// each with its own.
    #[arg(long, value_name = "MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    guard_memory: u64,
    /// Time, in seconds, Guard may take for the items it runs at once (up to
    /// 8; one when it runs an item again alone); an item that takes longer
    /// is an unresolved finding.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    guard_timeout: u64,
    /// Evaluate against the rules in this DynamoDB rules table, as the pipeline does (read only).
    #[arg(long, value_name = "NAME")]
    table: Option<String>,
    #[command(flatten)]
    endpoint: Endpoint,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Total risk from which a template is flagged for manual approval.
    #[arg(long, value_name = "N", default_value_t = 5)]
    flag_at: u64,
    /// Total risk from which a template fails.
    #[arg(long, value_name = "N", default_value_t = 50)]
    fail_at: u64,
    /// What findings on values the check cannot resolve (a parameter
    /// without a Default, an SSM parameter, Fn::ImportValue, ...) do:
    /// `pass` shows them only, `flag` flags the template at least (a person
    /// approves), `fail` counts their risk like any other finding's.
    #[arg(long, value_enum, value_name = "POLICY", default_value_t = Unresolved::Flag)]
    unresolved: Unresolved,
    /// Templates evaluated at once (default: one per CPU).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Also list the files in the directories that are not checked, and why.
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Treat named files like files found in a directory: skip those that are
    /// not CloudFormation templates, and finding none is no error (for hooks
    /// that pass every changed .json/.yaml file).
    #[arg(long)]
    only_templates: bool,
    /// Compare with an earlier report (`--format json`): a finding it holds
    /// for the same template path is existing, shown apart and (by
    /// default) left out of the verdict.
    #[arg(long, value_name = "REPORT.json", conflicts_with = "baseline_ref")]
    baseline: Option<PathBuf>,
    /// Compare with the same files at this git revision (a commit, branch
    /// or tag): a file that was not there has no baseline.
    #[arg(long, value_name = "GIT_REV")]
    baseline_ref: Option<String>,
    /// What existing findings do: `new-only` (the default) leaves them out
    /// of the verdict; `count` counts them too.
    #[arg(long, value_enum, value_name = "POLICY")]
    baseline_policy: Option<Policy>,
    /// Templates (JSON or YAML), directories to search for templates, or `-` for standard input.
    #[arg(required = true, value_name = "PATH")]
    templates: Vec<PathBuf>,
}

/// `--unresolved`, as clap lists and completes it.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Unresolved {
    Pass,
    Flag,
    Fail,
}

/// `--baseline-policy`, as clap lists and completes it.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Policy {
    NewOnly,
    Count,
}

impl From<Policy> for BaselinePolicy {
    fn from(value: Policy) -> Self {
        match value {
            Policy::NewOnly => BaselinePolicy::NewOnly,
            Policy::Count => BaselinePolicy::Count,
        }
    }
}

impl From<Unresolved> for UnresolvedPolicy {
    fn from(value: Unresolved) -> Self {
        match value {
            Unresolved::Pass => UnresolvedPolicy::Pass,
            Unresolved::Flag => UnresolvedPolicy::Flag,
            Unresolved::Fail => UnresolvedPolicy::Fail,
        }
    }
}

/// Show a progress bar from this many templates on (on a terminal only).
const PROGRESS_FROM: usize = 51;

pub fn run(args: &Args, runtime: &tokio::runtime::Runtime) -> anyhow::Result<Status> {
    let thresholds = Thresholds::new(args.flag_at, args.fail_at)
        .map_err(anyhow::Error::msg)?
        .with_unresolved(args.unresolved.into());
    if args.endpoint.endpoint_url.is_some() && args.table.is_none() {
        bail!("--endpoint-url only applies to --table");
    }
    if args
        .templates
        .iter()
        .filter(|p| p.as_os_str() == "-")
        .count()
        > 1
    {
        bail!("standard input (-) can be read only once");
    }
    let baselines = match (&args.baseline, &args.baseline_ref) {
        (Some(report), _) => Some(Baselines::from_report(report)?),
        (None, Some(rev)) => Some(Baselines::from_git(rev)?),
        (None, None) if args.baseline_policy.is_some() => {
            bail!("--baseline-policy only applies to --baseline or --baseline-ref")
        }
        (None, None) => None,
    };
    let compare = baselines.as_ref().map(|baselines| Comparison {
        baselines,
        policy: args
            .baseline_policy
            .map_or(BaselinePolicy::default(), Into::into),
    });
    let rules = match &args.table {
        Some(table) => {
            let items = runtime.block_on(table_items(table, &args.endpoint))?;
            usable(items, &format!("rules table {table}")).map_err(anyhow::Error::msg)?
        }
        None => load_rules(&args.rules, args.pack.as_deref(), args.guard_risk)?,
    };
    let (inputs, skipped) = inputs::collect(&args.templates, args.only_templates);

    // Guard in child processes of this binary, within --guard-memory and
    // --guard-timeout.
    let worker = Worker::new().with_time_limit(Duration::from_secs(args.guard_timeout));
    let options = EvaluateOptions {
        guard_memory_limit: usize::try_from(args.guard_memory.saturating_mul(1 << 20))
            .unwrap_or(usize::MAX),
        guard: &worker,
        ..EvaluateOptions::default()
    };
    let checked = check_all(
        &inputs,
        &rules,
        &thresholds,
        &options,
        compare.as_ref(),
        args.jobs,
    )?;
    // A template the rules could not be evaluated on has no verdict: the
    // run cannot be trusted, as with rules that cannot be applied; nor has
    // one whose baseline could not be read.
    let (checked, failed): (Vec<_>, Vec<_>) = checked.into_iter().partition(Result::is_ok);
    let (mut not_evaluated, mut no_baseline) = (Vec::<String>::new(), Vec::<String>::new());
    for (path, e) in failed.into_iter().filter_map(Result::err) {
        let (list, e) = match e {
            NotChecked::Rules(e) => (&mut not_evaluated, e.to_string()),
            NotChecked::Baseline(e) => (&mut no_baseline, format!("{e:#}")),
        };
        list.push(format!(
            "{path}: {}",
            e.replace('\n', &format!("\n{path}: "))
        ));
    }
    if !not_evaluated.is_empty() {
        bail!(
            "the rules could not be evaluated, so there is no verdict:\n{}",
            not_evaluated.join("\n")
        );
    }
    if !no_baseline.is_empty() {
        bail!(
            "the baseline could not be read, so there is no verdict:\n{}",
            no_baseline.join("\n")
        );
    }
    let examined: Vec<Examined> = checked.into_iter().filter_map(Result::ok).collect();
    if args.verbose {
        for skip in &skipped {
            note!("cicd validate: skipped {}: {}", skip.shown, skip.why);
        }
        for (input, examined) in inputs.iter().zip(&examined) {
            if let Examined::NotATemplate(why) = examined {
                note!("cicd validate: skipped {}: {why}", input.shown);
            }
        }
    }
    let checked: Vec<Checked> = examined
        .into_iter()
        .filter_map(|examined| match examined {
            Examined::Checked(checked) => Some(checked),
            Examined::NotATemplate(_) => None,
        })
        .collect();
    // Nothing to check is an error, unless asked to skip what is not a
    // template (a hook given only other files): then the report is empty.
    if checked.is_empty() && !args.only_templates {
        bail!(
            "no CloudFormation templates found in {} (looked for *.json, *.yaml, *.yml, *.template; --verbose lists what was skipped)",
            args.templates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for entry in &checked {
        if let Checked::Unreadable { path, error } = entry {
            note!("{path}:{}", locate(error));
        }
    }
    output::print(args.format, &checked, &rules, &thresholds)?;

    Ok(if checked.iter().any(|c| matches!(c, Checked::Unreadable { .. })) {
        Status::Unusable
    } else if checked
        .iter()
        .any(|c| matches!(c, Checked::Evaluated { report, .. } if report.report.verdict == Verdict::Fail))
    {
        Status::Failed
    } else {
        Status::Success
    })
}

/// What became of one input: examined, or the path of a template with no
/// verdict, and why.
type CheckResult = Result<Examined, (String, NotChecked)>;

/// Why a template has no verdict.
enum NotChecked {
    /// The rules could not be evaluated on it (or on its baseline).
    Rules(EvaluationError),
    /// Its baseline could not be read (git failed, say).
    Baseline(anyhow::Error),
}

/// `--baseline` or `--baseline-ref`, with `--baseline-policy`.
struct Comparison<'a> {
    baselines: &'a Baselines,
    policy: BaselinePolicy,
}

/// An input read, and checked if it is a template.
enum Examined {
    Checked(Checked),
    /// A file found in a directory that is not a template, and why.
    NotATemplate(&'static str),
}

/// Reads, parses and evaluates every input on `jobs` threads; the results
/// keep the inputs' (sorted) order.
fn check_all(
    inputs: &[Input],
    rules: &RuleSet,
    thresholds: &Thresholds,
    options: &EvaluateOptions,
    compare: Option<&Comparison>,
    jobs: Option<u16>,
) -> anyhow::Result<Vec<CheckResult>> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = jobs {
        pool = pool.num_threads(usize::from(jobs));
    }
    let pool = pool
        .build()
        .context("cannot start the threads that evaluate templates")?;
    let progress = progress_bar(inputs.len());
    let checked = pool.install(|| {
        inputs
            .par_iter()
            .map(|input| {
                let checked = check(input, rules, thresholds, options, compare);
                progress.inc(1);
                checked
            })
            .collect()
    });
    progress.finish_and_clear();
    Ok(checked)
}

/// One template: read, parsed, evaluated.
fn check(
    input: &Input,
    rules: &RuleSet,
    thresholds: &Thresholds,
    options: &EvaluateOptions,
    compare: Option<&Comparison>,
) -> CheckResult {
    let unreadable = |error| {
        Ok(Examined::Checked(Checked::Unreadable {
            path: input.shown.clone(),
            error,
        }))
    };
    let bytes = match reading::read(input) {
        Reading::Template(bytes) => bytes,
        Reading::NotATemplate(why) => return Ok(Examined::NotATemplate(why)),
        Reading::Unreadable(error) => return unreadable(error),
    };
    let template = match reading::parse(input, &bytes) {
        Ok(Some(template)) => template,
        Ok(None) => return Ok(Examined::NotATemplate(reading::OTHER_DOCUMENT)),
        Err(error) => return unreadable(error),
    };
    let mut report = evaluate_with(&template, rules, thresholds, options)
        .map_err(|e| (input.shown.clone(), NotChecked::Rules(e)))?;
    if let Some(compare) = compare {
        compared(&mut report, input, compare, rules, thresholds, options)
            .map_err(|e| (input.shown.clone(), e))?;
    }
    // Whether a guard item applies is told without running Guard: one
    // with a finding applied whatever its types ("must have a trail"). A
    // finding of a rule the engine applies itself (`(unseen)`) is reported
    // like the others' (a JUnit test case of its own).
    let mut rules_applied: Vec<String> = rules
        .active()
        .filter(|rule| {
            rule.applies_to(&template) || report.findings.iter().any(|f| f.rule == rule.id)
        })
        .map(|rule| rule.id.clone())
        .collect();
    for finding in &report.findings {
        if !rules_applied.contains(&finding.rule) {
            rules_applied.push(finding.rule.clone());
        }
    }
    Ok(Examined::Checked(Checked::Evaluated {
        report: TemplateReport {
            path: input.shown.clone(),
            report,
        },
        rules: rules_applied,
    }))
}

/// `report` (of `input`) compared with its baseline: findings marked new or
/// existing, judged again under the policy. An earlier version of the file
/// is evaluated with the same rules; one that is no template then has
/// nothing to compare with (every finding is new, and the report says why).
fn compared(
    report: &mut Report,
    input: &Input,
    compare: &Comparison,
    rules: &RuleSet,
    thresholds: &Thresholds,
    options: &EvaluateOptions,
) -> Result<(), NotChecked> {
    let earlier = compare
        .baselines
        .earlier(input)
        .map_err(NotChecked::Baseline)?;
    let (baseline, against) = match earlier {
        Earlier::Findings(baseline, against) => (baseline, against),
        Earlier::None(against) => (Baseline::empty(), against),
        Earlier::Template(bytes, against) => match Template::parse(&bytes) {
            Ok(template) => {
                let earlier = evaluate_with(&template, rules, thresholds, options)
                    .map_err(NotChecked::Rules)?;
                // Made here: every fingerprint is of this version.
                let baseline = Baseline::of(&earlier)
                    .map_err(|e| NotChecked::Baseline(anyhow::Error::new(e)))?;
                (baseline, against)
            }
            Err(e) => (
                Baseline::empty(),
                format!("{against}, where it is no template that can be read ({e})"),
            ),
        },
    };
    report.compare(&baseline, compare.policy, thresholds, against);
    Ok(())
}

/// A bar on stderr for many templates, when stderr is a terminal; hidden otherwise.
fn progress_bar(templates: usize) -> ProgressBar {
    if templates < PROGRESS_FROM || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(templates as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} templates ({elapsed})") {
        bar.set_style(style);
    }
    bar
}

/// The items of the pipeline's rules table, read only (never seeded).
///
/// This is the one place `cicd validate` loads the table: it reads it as
/// cfn-validate does (`RulesTable::scan`: paginated, consistent, capped).
/// An empty table gets the rules it is seeded with, which is what
/// cfn-validate writes into it on its first job.
async fn table_items(
    table: &str,
    endpoint: &Endpoint,
) -> anyhow::Result<Vec<template_rules::RuleItem>> {
    // Read as cfn-validate reads it, but never written: no seeding.
    let table = RulesTable::new(aws::dynamodb(endpoint).await, table).read_as_seeded();
    let read = table.read().await?;
    if read.seed_stood_in {
        note!(
            "cicd validate: note: the rules table {} is empty; using the default rules and the standard pack, which cfn-validate writes into it on its first job",
            table.name()
        );
    }
    Ok(read.items)
}

/// `--pack`'s values: every pack, and `none`.
fn pack_names() -> clap::builder::PossibleValuesParser {
    let mut names = policy_pack::Pack::names();
    names.push(NO_PACK);
    clap::builder::PossibleValuesParser::new(names)
}

/// `--pack none`.
const NO_PACK: &str = "none";

/// The rule set of `--rules` and `--pack` (without --rules, the built-in
/// rules and the standard pack unless `--pack none`), with what is wrong in
/// it said on stderr. Rules that were meant to be applied but cannot be
/// make the whole run unusable.
fn load_rules(paths: &[PathBuf], pack: Option<&str>, guard_risk: u64) -> anyhow::Result<RuleSet> {
    let pack = match (pack, paths.is_empty()) {
        (Some(NO_PACK), _) | (None, false) => None,
        (Some(name), _) => Some(name),
        (None, true) => Some(policy_pack::STANDARD),
    };
    let pack_items = match pack {
        Some(name) => match policy_pack::Pack::find(name) {
            Some(pack) => pack.items(),
            None => bail!("--pack {name}: there is no such pack"),
        },
        None => Vec::new(),
    };
    if paths.is_empty() {
        let mut items = RuleSet::default_items();
        items.extend(pack_items);
        return usable(items, "the built-in rules").map_err(anyhow::Error::msg);
    }
    let settings = ItemSettings {
        id: None,
        risk: guard_risk,
        category: template_rules::GUARD_CATEGORY.to_string(),
        active: true,
    };
    let mut items: Vec<RuleItem> = Vec::new();
    for path in paths {
        if path.is_dir() {
            let found = guard_files::guard_files_in(path)?;
            if found.is_empty() {
                bail!("--rules {}: no .guard files in it", path.display());
            }
            for file in found {
                items.push(guard_files::item(&file, &settings).context("Guard rules file")?);
            }
        } else if guard_files::is_guard_file(path) {
            items.push(guard_files::item(path, &settings).context("Guard rules file")?);
        } else {
            let shown = path.display();
            let bytes =
                read_capped(path).map_err(|e| anyhow::anyhow!("rules file {shown}: {e}"))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| anyhow::anyhow!("rules file {shown}: not valid UTF-8"))?;
            items.extend(
                RuleSet::items_from_str(&text)
                    .map_err(|e| anyhow::anyhow!("rules file {shown}: {e}"))?,
            );
        }
    }
    let shown = match (paths, pack) {
        ([one], None) if !guard_files::is_guard_file(one) && !one.is_dir() => {
            format!("rules file {}", one.display())
        }
        _ => "--rules".to_string(),
    };
    items.extend(pack_items);
    usable(items, &shown).map_err(anyhow::Error::msg)
}

/// The rule set of `items`, with what is wrong in it said on stderr. Rules
/// that were meant to be applied but cannot be make the whole run unusable.
fn usable(items: Vec<template_rules::RuleItem>, shown: &str) -> Result<RuleSet, String> {
    let rules = RuleSet::from_items(items);
    for note in rules.notes() {
        note!("cicd validate: note: {note}");
    }
    if let Err(unusable) = rules.check_usable() {
        let listed: Vec<String> = unusable.errors.iter().map(|e| format!("  {e}")).collect();
        return Err(format!(
            "{shown} has active rules that cannot be applied:\n{}",
            listed.join("\n")
        ));
    }
    for error in rules.errors() {
        note!("cicd validate: warning: {shown}: inactive {error}");
    }
    Ok(rules)
}

/// A rules file, refused without being read when it is over the cap (or
/// not a regular file).
fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    let limit = Limits::default().max_bytes;
    let too_large = || format!("larger than {limit} bytes (CloudFormation accepts at most 1 MiB)");
    let file = reading::open_regular(path, Some(limit as u64)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::FileTooLarge {
            too_large()
        } else {
            format!("cannot read: {e}")
        }
    })?;
    let bytes = reading::read_capped(file, limit).map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > limit {
        return Err(too_large());
    }
    Ok(bytes)
}
