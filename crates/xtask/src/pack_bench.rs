//! What the standard policy pack costs (issue 20 §6), measured in this one
//! run, with the pack's rule count:
//!
//! - on `calculator/cloudformation/application.json`: a cfn-validate job
//!   (the release function under the local Runtime API, warm, moto for S3
//!   and DynamoDB) with a table of the default rules, and with the defaults
//!   and the pack (what an empty table is seeded with); and the rule engine
//!   alone, the release `cicd validate --jobs 1` (process included) without
//!   and with the pack. The pack should add under 50 ms to the function's
//!   time;
//! - on a 1 MiB template of the pack's own test cases ([`pack_estate`]),
//!   the release `cicd validate --jobs 1` with every default rule active,
//!   without and with the pack: the whole should take under 3 s of CPU
//!   time (one core's worth); and on the relation kind's worst case, a
//!   template of buckets and as many bucket policies that may each name
//!   any of them (template-rules' `tests/support/relation_worst.rs`),
//!   which the template's work allowance cuts short.
//!
//! Each is given in wall time and in CPU time (user and system, every
//! thread counted): on a machine shared with other work the CPU time is
//! the steadier figure, and the one a single core bounds.
//!
//! Its memory on that template is in `memory_bench`, against cfn-validate's
//! `MemorySize`.
//!
//! [`pack_estate`]: crate::pack_estate

#[path = "../../template-rules/tests/support/relation_worst.rs"]
mod relation_worst;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use harness::events::JobEvent;
use harness::stage::Stage;
use harness::zip::make_zip;
use harness::{target_dir, unique_name, workspace_root};
use policy_pack::Pack;
use rules_table::RulesTable;
use serde_json::json;
use template_rules::{RuleItem, RuleSet};

use crate::measure::{Run, median, ms, release_binary, timed};

/// Each timed command runs this many times; the median is reported.
const RUNS: usize = 21;
/// Runs on the 1 MiB template, which take longer.
const LARGE_RUNS: usize = 7;
/// The size of the large template.
pub const LARGE: usize = 1024 * 1024;

/// The most the pack may add to a job on application.json, and the most
/// the pack and the native rules may take on 1 MiB (issue 20 §6).
const ADDED_BUDGET: Duration = Duration::from_millis(50);
const LARGE_BUDGET: Duration = Duration::from_secs(3);

/// The 1 MiB template of the pack's test cases, written under target/, and
/// its resource count.
pub fn large_template() -> Result<(PathBuf, usize), String> {
    let cases = workspace_root().join("crates/policy-pack/standard/tests");
    let (text, resources) = crate::pack_estate::template(&cases, LARGE)?;
    let path = target_dir().join("bench-pack-1mib.json");
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok((path, resources))
}

/// The default rules, every one active: the native rules of this bench.
fn native_rules() -> Vec<RuleItem> {
    RuleSet::default_items()
        .into_iter()
        .map(|mut item| {
            item.active = Some("Y".into());
            item
        })
        .collect()
}

/// The medians of wall and CPU time of `cicd validate --jobs 1 --format
/// json ARGS`, over `runs` runs.
fn cicd(args: &[&str], runs: usize) -> Run {
    let cicd = release_binary("cicd");
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    for _ in 0..runs {
        let mut command = Command::new(&cicd);
        command
            .args(["validate", "--jobs", "1", "--format", "json"])
            .args(args);
        let (took, code) = timed(&mut command).expect("cicd runs");
        assert!(
            matches!(code, 0 | 1),
            "cicd validate {args:?} could not check the template (exit {code})"
        );
        walls.push(took.wall);
        cpus.push(took.cpu);
    }
    Run {
        wall: median(walls),
        cpu: median(cpus),
    }
}

/// A cfn-validate job on application.json with a table of `rules`, warm
/// (after one job not counted): the median wall time of a job (moto's
/// time to answer included), and the function's CPU time per job (moto's
/// not included; the mean of `RUNS`, as the kernel counts it in ticks).
async fn job(rules: &[RuleItem]) -> Run {
    let stage = Stage::with_moto();
    let moto = stage.moto();
    let bucket = unique_name("bench");
    moto.create_bucket(&bucket).await;
    let table = unique_name("rules");
    moto.create_rules_table(&table).await;
    let rules_table = RulesTable::new(moto.dynamodb(), &table);
    for item in rules {
        rules_table.put(item).await.expect("a rule item is written");
    }
    let template =
        std::fs::read(workspace_root().join("calculator/cloudformation/application.json"))
            .expect("the application template");
    moto.put_object(
        &bucket,
        "src.zip",
        make_zip(&[("cloudformation/application.json", &template)]),
    )
    .await;
    let stage = stage.env("RULES_TABLE", table);
    let function = stage.spawn(release_binary("cfn-validate"));
    let event = || {
        JobEvent::new()
            .user_parameters(
                json!({"input": "Source", "file": "cloudformation/application.json"}).to_string(),
            )
            .input_artifact("Source", &bucket, "src.zip")
    };
    let mut times = Vec::new();
    let mut cpu_before = Duration::ZERO;
    for run in 0..=RUNS {
        if run == 1 {
            cpu_before = function.process().cpu_time().unwrap_or_default();
        }
        let event = event();
        let started = Instant::now();
        let report = function.job_async(&event, Duration::from_secs(60)).await;
        let took = started.elapsed();
        assert_eq!(
            report.status(),
            "Succeeded",
            "application.json passes: {:?}",
            report.message()
        );
        if run > 0 {
            times.push(took);
        }
    }
    let cpu = function
        .process()
        .cpu_time()
        .unwrap_or_default()
        .saturating_sub(cpu_before);
    Run {
        wall: median(times),
        cpu: cpu / u32::try_from(RUNS).unwrap_or(1),
    }
}

/// `b - a`, which may be negative, in milliseconds.
fn added(a: Duration, b: Duration) -> String {
    format!("{:+.1} ms", (b.as_secs_f64() - a.as_secs_f64()) * 1000.0)
}

fn within(took: Duration, budget: Duration) -> &'static str {
    if took <= budget { "within" } else { "OVER" }
}

/// `a` and `b` (wall, then CPU time), and what `b` adds.
fn compared(a: Run, b: Run) -> String {
    format!(
        "wall {} and {} ({}), CPU {} and {} ({})",
        ms(a.wall),
        ms(b.wall),
        added(a.wall, b.wall),
        ms(a.cpu),
        ms(b.cpu),
        added(a.cpu, b.cpu)
    )
}

/// Measures the pack (see the module documentation).
pub async fn run() -> Result<(), String> {
    let pack = Pack::standard().items();
    let services = Pack::standard().services().count();
    println!(
        "the standard policy pack: {} rules in {services} service files (without, then with the pack):",
        pack.len()
    );

    let defaults = RuleSet::default_items();
    let mut seeded = defaults.clone();
    seeded.extend(pack.iter().cloned());
    let without = job(&defaults).await;
    let with = job(&seeded).await;
    println!(
        "  cfn-validate job on application.json (release, warm; median wall of {RUNS} jobs, moto answering as S3 and DynamoDB; the function's mean CPU): {}: the pack adds {} of the function's CPU time ({} the {} ms wanted)",
        compared(without, with),
        added(without.cpu, with.cpu),
        within(with.cpu.saturating_sub(without.cpu), ADDED_BUDGET),
        ADDED_BUDGET.as_millis()
    );

    let application = workspace_root().join("calculator/cloudformation/application.json");
    let application = application.to_string_lossy();
    let without = cicd(&["--pack", "none", &application], RUNS);
    let with = cicd(&[&application], RUNS);
    println!(
        "  cicd validate --jobs 1 on application.json (release, process included; medians of {RUNS}): {}",
        compared(without, with)
    );

    let (large, resources) = large_template()?;
    let size = std::fs::metadata(&large).map_err(|e| e.to_string())?.len();
    let rules = target_dir().join("bench-pack-native-rules.json");
    std::fs::write(
        &rules,
        serde_json::to_string(&native_rules()).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("cannot write {}: {e}", rules.display()))?;
    let (rules, large) = (rules.to_string_lossy(), large.to_string_lossy());
    let without = cicd(&["--rules", &rules, "--pack", "none", &large], LARGE_RUNS);
    let with = cicd(
        &["--rules", &rules, "--pack", "standard", &large],
        LARGE_RUNS,
    );
    println!(
        "  cicd validate --jobs 1 on {size} bytes of the pack's test cases ({resources} resources; release, process included; medians of {LARGE_RUNS}), the {} default rules all active: {}: the whole takes {} of CPU ({} the {} s wanted)",
        native_rules().len(),
        compared(without, with),
        ms(with.cpu),
        within(with.cpu, LARGE_BUDGET),
        LARGE_BUDGET.as_secs()
    );

    let worst = target_dir().join("bench-pack-relation-worst.yaml");
    let n = 2900;
    let text = relation_worst::may_name_any(n);
    std::fs::write(&worst, &text).map_err(|e| format!("cannot write {}: {e}", worst.display()))?;
    let worst = worst.to_string_lossy();
    let without = cicd(&["--rules", &rules, "--pack", "none", &worst], LARGE_RUNS);
    let with = cicd(
        &["--rules", &rules, "--pack", "standard", &worst],
        LARGE_RUNS,
    );
    println!(
        "  the same on the relation kind's worst case, {n} buckets and {n} policies that may each name any of them ({} bytes, {} comparisons for one rule, cut short at the template's work allowance): {}: the whole takes {} of CPU ({} the {} s wanted)",
        text.len(),
        n * n,
        compared(without, with),
        ms(with.cpu),
        within(with.cpu, LARGE_BUDGET),
        LARGE_BUDGET.as_secs()
    );
    Ok(())
}
