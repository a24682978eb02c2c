//! `cargo xtask bench` (`make bench`): what the functions and the CLI cost.
//! Figures that are compared are measured in this one run, on this machine.
//!
//! - the arm64 zip of each function (`make build`; the functions are the
//!   workspace's, see `functions`);
//! - init time: from starting the (native, release) binary to its first
//!   request for work from the Lambda Runtime API, median of cold starts;
//! - peak resident memory after handling one real job (cfn-hook: one Hook
//!   event), and cfn-validate's on its worst inputs against its
//!   `MemorySize` (see `memory_bench`); cfn-hook's warm answer on
//!   application.json;
//! - what the standard policy pack adds to a job, and what it takes on a
//!   1 MiB template (see `pack_bench`);
//! - the rule engine (the release `cicd validate`, process start included)
//!   against the original Python evaluation, on the same 1 MB template
//!   (tests/bench/old_evaluator.py writes and times it);
//! - `cicd validate DIR` on 500 templates, on one thread and on all CPUs
//!   (see `cli_bench`);
//! - then the criterion benchmarks: the rule engine's (`cargo bench -p
//!   template-rules`: ordinary templates, the worst cases of its generator,
//!   and its `guard` bench with 200 realistic Guard items), and
//!   guard-rules' (Guard alone, with and without its shortcuts, and the
//!   `cfn-guard validate` CLI side by side when it is installed).
//!
//! `cargo xtask bench cli` runs the `cicd validate DIR` part alone, `cargo
//! xtask bench pack` the pack's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_s3::presigning::PresigningConfig;
use harness::calculator::Calculator;
use harness::events::JobEvent;
use harness::moto::MotoServer;
use harness::stage::Stage;
use harness::zip::make_zip;
use harness::{target_dir, workspace_root};
use serde_json::{Value, json};

use crate::functions::Function;
use crate::measure::{median, ms, release_binary};

/// Each timed command runs this many times; the median is reported.
const RUNS: usize = 21;
const COLD_STARTS: usize = 9;

fn zip_sizes(functions: &[Function]) {
    println!("arm64 zips (make build):");
    for name in functions.iter().map(|f| f.name.as_str()) {
        let zip = target_dir().join("lambda").join(name).join("bootstrap.zip");
        match std::fs::metadata(&zip) {
            Ok(m) => println!(
                "  {name:<15} {:>9} bytes ({:.2} MiB)",
                m.len(),
                m.len() as f64 / 1048576.0
            ),
            Err(_) => println!("  {name:<15} not built (run make build)"),
        }
    }
}

fn init_times(functions: &[Function]) {
    println!(
        "init time, process start to first poll of the Runtime API (native release build, median of {COLD_STARTS} cold starts):"
    );
    for function in functions {
        let name = function.name.as_str();
        let binary = release_binary(name);
        // The environment it is deployed with.
        let stage = function
            .deploy_env()
            .fold(Stage::new(), |stage, (k, v)| stage.env(k, v));
        let mut times = Vec::new();
        for _ in 0..COLD_STARTS {
            let started = stage.spawn(&binary);
            let first = started
                .api()
                .wait_first_poll(Duration::from_secs(10))
                .expect("the function polls the Runtime API");
            times.push(first.duration_since(started.process().spawned_at()));
        }
        let (min, max) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
        println!(
            "  {name:<15} {} (min {}, max {})",
            ms(median(times)),
            ms(min),
            ms(max)
        );
    }
}

/// The event each function handles for its peak memory: a real job of its
/// stage, or for cfn-hook the stack fixture with application.json behind a
/// presigned URL of moto's S3. A function with none here still gets a job
/// (which it refuses, having no parameters), so every function is measured.
async fn bench_event(
    name: &str,
    moto: &MotoServer,
    bucket: &str,
    calculator: &Calculator,
) -> Value {
    match name {
        "cfn-validate" => JobEvent::new()
            .user_parameters(
                json!({"input": "Source", "file": "cloudformation/application.json"}).to_string(),
            )
            .input_artifact("Source", bucket, "src.zip")
            .build(),
        "service-status" => JobEvent::new().user_parameters(calculator.url()).build(),
        "cfn-hook" => {
            let template = std::fs::read_to_string(
                workspace_root().join("calculator/cloudformation/application.json"),
            )
            .expect("template");
            let payload = json!({"template": template, "previousTemplate": ""}).to_string();
            moto.put_object(bucket, "hook-payload.json", payload).await;
            let url = moto
                .s3()
                .get_object()
                .bucket(bucket)
                .key("hook-payload.json")
                .presigned(PresigningConfig::expires_in(Duration::from_secs(900)).expect("900 s"))
                .await
                .expect("a presigned URL")
                .uri()
                .to_string();
            let fixture = workspace_root().join("tests/fixtures/events/cfn-hook-stack-create.json");
            let mut event: Value =
                serde_json::from_slice(&std::fs::read(fixture).expect("fixture")).expect("JSON");
            event["requestData"]["payload"] = json!(url);
            event
        }
        _ => JobEvent::new().build(),
    }
}

/// cfn-hook answers again this many times, warm, for its latency.
const WARM_ANSWERS: usize = 21;

async fn peak_memory(functions: &[Function]) {
    println!("peak resident memory (VmHWM) after one job:");
    let stage = Stage::with_moto().env("RULES_TABLE", "bench-rules");
    let moto = stage.moto();
    let calculator = Calculator::start();
    let bucket = harness::unique_name("bench");
    moto.create_bucket(&bucket).await;
    moto.create_rules_table("bench-rules").await;
    let template =
        std::fs::read(workspace_root().join("calculator/cloudformation/application.json"))
            .expect("template");
    moto.put_object(
        &bucket,
        "src.zip",
        make_zip(&[("cloudformation/application.json", &template)]),
    )
    .await;
    for name in functions.iter().map(|f| f.name.as_str()) {
        // cfn-hook's payload comes from moto, on loopback.
        let function = stage.spawn_with(
            release_binary(name),
            &[("HOOK_PAYLOAD_ALLOW_LOOPBACK", "true")],
        );
        let event = bench_event(name, moto, &bucket, &calculator).await;
        let answer = function
            .invoke_async(event.clone(), Duration::from_secs(30))
            .await
            .expect_response();
        let rss = function.process().peak_rss_kib().unwrap_or(0);
        let status = answer.get("status").unwrap_or(&answer["hookStatus"]);
        println!(
            "  {name:<15} {:>6} KiB ({:.1} MiB), answer {status}",
            rss,
            rss as f64 / 1024.0,
        );
        if name == "cfn-hook" {
            let mut times = Vec::new();
            for _ in 0..WARM_ANSWERS {
                let started = Instant::now();
                function
                    .invoke_async(event.clone(), Duration::from_secs(30))
                    .await
                    .expect_response();
                times.push(started.elapsed());
            }
            println!(
                "  cfn-hook answers application.json (payload from moto's S3, rules from its DynamoDB) warm in {} (median of {WARM_ANSWERS})",
                ms(median(times))
            );
        }
    }
}

fn engine_against_python() {
    let path = target_dir().join("bench-template-1mb.json");
    let python = workspace_root().join(".venv/bin/python");
    let python = if python.is_file() {
        python
    } else {
        PathBuf::from("python3")
    };
    let out = Command::new(python)
        .arg(workspace_root().join("tests/bench/old_evaluator.py"))
        .arg(&path)
        .output()
        .expect("python runs");
    let line = String::from_utf8_lossy(&out.stdout).to_string();
    let old_ms: f64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "unexpected output from old_evaluator.py: {line}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let size = std::fs::metadata(Path::new(&path))
        .map(|m| m.len())
        .expect("the generated template");
    let cicd = release_binary("cicd");
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let out = Command::new(&cicd)
            .args(["validate", "--format", "json"])
            .arg(&path)
            .output()
            .expect("cicd runs");
        times.push(started.elapsed());
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "cicd validate could not read the template: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let ours = median(times);
    println!(
        "rule engine on the same {size} byte JSON template ({}):",
        line.trim()
    );
    println!(
        "  original Python evaluation {old_ms:.1} ms, `cicd validate` (release, process included) {}: {:.1}x faster",
        ms(ours),
        old_ms / (ours.as_secs_f64() * 1000.0)
    );
}

/// Builds what is measured (unless `build` is false), then measures it
/// (only `cicd validate DIR` when `cli_only`).
pub fn run(build: bool, cli_only: bool) -> Result<(), String> {
    if build && cli_only {
        return crate::cargo(&["build", "--release", "--locked", "-p", "cicd-cli"])
            .map(|()| crate::cli_bench::run());
    }
    if cli_only {
        crate::cli_bench::run();
        return Ok(());
    }
    let functions = crate::functions::functions()?;
    if build {
        // The functions on their own, so that no other package's features
        // reach them (cargo unifies features across one build).
        let mut args = vec!["build", "--release", "--locked"];
        for function in &functions {
            args.extend(["-p", function.name.as_str()]);
        }
        crate::cargo(&args)?;
        crate::cargo(&["build", "--release", "--locked", "-p", "cicd-cli"])?;
    }
    zip_sizes(&functions);
    init_times(&functions);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?
        .block_on(async {
            peak_memory(&functions).await;
            crate::memory_bench::run().await?;
            crate::pack_bench::run().await
        })?;
    engine_against_python();
    crate::cli_bench::run();
    for (package, bench) in [
        ("template-rules", "evaluate"),
        ("template-rules", "worst_cases"),
        ("template-rules", "guard"),
        ("guard-rules", "evaluate"),
    ] {
        crate::cargo(&[
            "bench", "--locked", "-p", package, "--bench", bench, "--", "--noplot",
        ])?;
    }
    Ok(())
}

/// cfn-validate's peak memory on its worst inputs alone (`cargo xtask
/// bench memory`).
pub fn memory(build: bool) -> Result<(), String> {
    if build {
        crate::cargo(&["build", "--release", "--locked", "-p", "cfn-validate"])?;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?
        .block_on(crate::memory_bench::run())
}

/// What the standard policy pack costs alone (`cargo xtask bench pack`).
pub fn pack(build: bool) -> Result<(), String> {
    if build {
        crate::cargo(&["build", "--release", "--locked", "-p", "cfn-validate"])?;
        crate::cargo(&["build", "--release", "--locked", "-p", "cicd-cli"])?;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?
        .block_on(crate::pack_bench::run())
}
