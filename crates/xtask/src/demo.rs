//! `cargo xtask demo` (`make demo`): the pipeline's two custom stages at
//! work on one machine.
//!
//! Starts moto (S3, DynamoDB, CloudFormation, EC2, ELBv2, CloudWatch), the
//! fake CodePipeline job API and the calculator on free loopback ports,
//! runs the real `cfn-validate` and `service-status` binaries under a local
//! Lambda Runtime API, and plays CodePipeline: it sends each stage real job
//! events (re-invoking with the continuation token when a stage asks for
//! it) and prints each action as CodePipeline records it. The story is the
//! original project's, and the health gate's:
//!
//! 1. Static_Check passes the calculator's template;
//! 2. Static_Check fails a template with SSH open to the world, naming the
//!    rule and the resource;
//! 3. Static_Check fails a template with a public bucket that declares no
//!    encryption, on the standard policy pack's rules, saying for each what
//!    to change;
//! 4. Service_Status passes the test stack: complete, both targets behind
//!    its load balancer healthy, its alarms OK, the calculator answering
//!    three times in a row;
//! 5. Service_Status waits out a test stack still coming up (its load
//!    balancer answers 502 until CodeDeploy is done) and passes it, with no
//!    false failure;
//! 6. Service_Status fails the calculator started on the wrong port;
//! 7. Service_Status does not pass a release that answers 200 through its
//!    load balancer while one of its instances is stopped (the target
//!    `unused`, `Target.InvalidState`) and its 5xx alarm is in `ALARM`;
//! 8. Service_Status passes the same release once it is healthy again.
//!
//! Everything it starts stops when it ends, Ctrl-C included.

use std::time::{Duration, Instant};

use harness::calculator::Calculator;
use harness::codepipeline::{FakeCodePipeline, JobReport};
use harness::events::JobEvent;
use harness::runtime_api::Invocation;
use harness::server::ServerThread;
use harness::stage::{Function, Stage};
use harness::zip::make_zip;
use harness::{binary, free_port, http_client, workspace_root};
use serde_json::json;

const BUCKET: &str = "cicd-artifactbucket";
const TABLE: &str = "CICD-Rules";
const TEST_STACK: &str = "CICD-test-stack";
/// Actions the demo plays.
const ACTIONS: usize = 8;

/// A load balancer in front of the calculator while CodeDeploy installs it:
/// `502 Bad Gateway` until `ready`, then each request forwarded.
fn load_balancer(target: String, ready: Instant) -> ServerThread {
    use axum::http::{StatusCode, Uri};

    let forward = move |uri: Uri| {
        let url = format!("{target}{uri}");
        async move {
            if Instant::now() < ready {
                return (StatusCode::BAD_GATEWAY, "502 Bad Gateway".to_string());
            }
            let answer =
                tokio::task::spawn_blocking(move || http_client::get(&url, Duration::from_secs(5)))
                    .await;
            match answer {
                Ok(Ok(r)) => (
                    StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY),
                    String::from_utf8_lossy(&r.body).into_owned(),
                ),
                _ => (StatusCode::BAD_GATEWAY, "502 Bad Gateway".to_string()),
            }
        }
    };
    ServerThread::start("load-balancer", 0, axum::Router::new().fallback(forward))
}

/// One GET of `url` and its status, or why there is none.
fn answer(url: &str) -> String {
    match http_client::get(url, Duration::from_secs(5)) {
        Ok(response) => format!("GET {url} → {}", response.status),
        Err(e) => format!("GET {url} → no answer: {e}"),
    }
}

/// Plays CodePipeline for one action: invokes the function with the job,
/// and again with the continuation token while it reports "in progress".
async fn run_action(
    action: &str,
    (name, function): &(&str, Function<'_>),
    pipeline: &FakeCodePipeline,
    mut event: JobEvent,
) {
    println!("\n▶ {action} — {name} ({})", event.user_parameters_text());
    let started = Instant::now();
    loop {
        let seen = pipeline.reports().len();
        match function
            .invoke_async(event.build(), Duration::from_secs(60))
            .await
        {
            Invocation::Response { .. } => {}
            other => println!("  the function did not answer normally: {other:?}"),
        }
        let Some(report) = pipeline
            .reports()
            .into_iter()
            .skip(seen)
            .find(|r| r.job_id() == event.job_id)
        else {
            println!("  CodePipeline received no report (the action would wait for its timeout)");
            return;
        };
        print_report(&report, started.elapsed());
        match report {
            JobReport::Success {
                continuation_token: Some(token),
                ..
            } => event = event.continuation_token(token),
            _ => return,
        }
    }
}

fn print_report(report: &JobReport, elapsed: Duration) {
    let status = report.status();
    let mark = match status {
        "Succeeded" => "✔",
        "Failed" => "✘",
        _ => "…",
    };
    let kind = match report {
        JobReport::Failure { kind, .. } => format!(" ({kind})"),
        _ => String::new(),
    };
    println!(
        "  {mark} {status}{kind} after {:.1} s",
        elapsed.as_secs_f64()
    );
    for line in report.message().unwrap_or("").lines() {
        println!("      {line}");
    }
    if let JobReport::Success {
        output_variables, ..
    } = report
        && !output_variables.is_empty()
    {
        let vars: Vec<String> = output_variables
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!("      output variables: {}", vars.join(", "));
    }
}

/// What the demo prints of the parameters it sends.
trait Shown {
    fn user_parameters_text(&self) -> String;
}

impl Shown for JobEvent {
    fn user_parameters_text(&self) -> String {
        let built = self.build();
        let text = built["CodePipeline.job"]["data"]["actionConfiguration"]["configuration"]["UserParameters"]
            .as_str()
            .unwrap_or("")
            .to_string();
        format!("UserParameters {text}")
    }
}

async fn demo() {
    let root = workspace_root();
    println!(
        "Starting moto (S3, DynamoDB, CloudFormation, EC2, ELBv2, CloudWatch), the fake CodePipeline and the calculator…"
    );
    let stage = Stage::with_moto().env("RULES_TABLE", TABLE);
    let (moto, pipeline) = (stage.moto(), &stage.pipeline);
    let calculator = Calculator::start();
    println!("  moto              {}", moto.endpoint());
    println!("  CodePipeline API  {}", pipeline.endpoint());
    println!("  calculator        {}", calculator.url());

    // The pipeline's artifact bucket holds the source artifact; the rules
    // table is empty, as after `make stack` (the first job seeds it with
    // the default rules and the standard policy pack).
    moto.create_bucket(BUCKET).await;
    moto.create_rules_table(TABLE).await;
    let app_template = std::fs::read(root.join("calculator/cloudformation/application.json"))
        .expect("calculator template");
    let bastion = std::fs::read(root.join("tests/fixtures/templates/bastion-ssh-open.yaml"))
        .expect("fixture template");
    let public_bucket = std::fs::read(root.join("tests/fixtures/templates/public-bucket.yaml"))
        .expect("fixture template");
    let source_key = "CICD/SourceArti/demo.zip";
    moto.put_object(
        BUCKET,
        source_key,
        make_zip(&[
            ("cloudformation/application.json", &app_template),
            ("cloudformation/bastion.yaml", &bastion),
            ("cloudformation/assets.yaml", &public_bucket),
        ]),
    )
    .await;
    // The test stack as Test_Stack leaves it: its load balancer (here, a
    // forwarder to the calculator) in its Url output, two instances behind
    // its target group, its two alarms OK.
    let stack_balancer = load_balancer(calculator.url(), Instant::now());
    let stack_url = format!("http://{}/", stack_balancer.addr());
    let release = moto.create_release_stack(TEST_STACK, &stack_url, 2).await;
    // The pipeline's plan, with the alarms by name (moto's CloudFormation
    // does not list a stack's alarms) and a quicker probe interval.
    let gate = || {
        JobEvent::new().function_name("CICD-service-status").user_parameters(
            json!({"stack": TEST_STACK, "targets": "stack", "alarms": release.alarms(), "probe_interval_seconds": 1})
                .to_string(),
        )
    };

    let cfn_validate = ("cfn-validate", stage.spawn(binary("cfn-validate")));
    // The demo's calculator and load balancer are on this machine: loopback,
    // which the function refuses unless told (in Lambda it is the Runtime API).
    let service_status = (
        "service-status",
        stage.spawn_with(
            binary("service-status"),
            &[("HEALTH_CHECK_ALLOW_LOOPBACK", "true")],
        ),
    );

    let static_check = |file: &str| {
        JobEvent::new()
            .function_name("CICD-cfn-validate")
            .user_parameters(
                json!({"input": "SourceArtifact", "file": file, "output": BUCKET}).to_string(),
            )
            .input_artifact("SourceArtifact", BUCKET, source_key)
            .output_artifact("ValidatedTemplate", BUCKET, "CICD/ValidatedT/demo.zip")
    };
    run_action(
        "Static_Check: the calculator's template",
        &cfn_validate,
        pipeline,
        static_check("cloudformation/application.json"),
    )
    .await;
    run_action(
        "Static_Check: a template with SSH open to the world",
        &cfn_validate,
        pipeline,
        static_check("cloudformation/bastion.yaml"),
    )
    .await;
    run_action(
        "Static_Check: a public bucket without encryption declared (the standard policy pack)",
        &cfn_validate,
        pipeline,
        static_check("cloudformation/assets.yaml"),
    )
    .await;

    run_action(
        "Service_Status: the test stack (its state, its targets, its alarms, its Url three times)",
        &service_status,
        pipeline,
        gate(),
    )
    .await;

    // A fresh test stack: its load balancer answers 502 until CodeDeploy
    // has installed the app on the instances behind it.
    let coming_up = Duration::from_secs(4);
    let balancer = load_balancer(calculator.url(), Instant::now() + coming_up);
    println!(
        "\n  (now a fresh test stack: its load balancer at http://{} answers 502 for {} s while CodeDeploy installs the app)",
        balancer.addr(),
        coming_up.as_secs()
    );
    run_action(
        "Service_Status: a test stack still coming up",
        &service_status,
        pipeline,
        JobEvent::new()
            .function_name("CICD-service-status")
            .user_parameters(format!("http://{}/", balancer.addr())),
    )
    .await;
    drop(balancer);

    // The original walkthrough's broken release: service.js listens on the
    // wrong port, so the load balancer's port has nobody behind it.
    let load_balancer_port = free_port();
    println!(
        "\n  (now the calculator is 'deployed' listening on port {} while the load balancer forwards to {load_balancer_port};\n   the check is given a 6 s deadline so the demo does not wait the usual 10 minutes)",
        calculator.port()
    );
    run_action(
        "Service_Status: the calculator started on the wrong port",
        &service_status,
        pipeline,
        JobEvent::new().function_name("CICD-service-status").user_parameters(
            json!({"url": format!("http://127.0.0.1:{load_balancer_port}/"), "deadline_seconds": 6}).to_string(),
        ),
    ).await;

    // A release that answers 200 through its load balancer, one of whose
    // instances is stopped, while its targets' 5xx alarm fires.
    moto.stop_instances(&release.instances[1..]);
    moto.set_alarm_state(
        &release.target_5xx_alarm,
        "ALARM",
        "Threshold Crossed: 2 datapoints [12.0, 9.0] were greater than the threshold (5.0).",
    )
    .await;
    println!(
        "\n  (now instance {} of the release is stopped and alarm {} is in ALARM;\n   through its load balancer, {})",
        release.instances[1],
        release.target_5xx_alarm,
        answer(&stack_url)
    );
    run_action(
        "Service_Status: a release answering 200 with a stopped instance and a firing alarm",
        &service_status,
        pipeline,
        gate(),
    )
    .await;

    moto.start_instances(&release.instances[1..]);
    moto.set_alarm_state(
        &release.target_5xx_alarm,
        "OK",
        "Threshold Crossed: no datapoints were greater than the threshold (5.0).",
    )
    .await;
    println!("\n  (the instance started again, the alarm back to OK)");
    run_action(
        "Service_Status: the same release, healthy",
        &service_status,
        pipeline,
        gate(),
    )
    .await;
    drop(stack_balancer);

    println!(
        "\nCodePipeline recorded {} reports for {ACTIONS} actions:",
        pipeline.reports().len()
    );
    for report in pipeline.reports() {
        let first = report
            .message()
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        println!("  {:<10} {}", report.status(), first);
    }
    println!("\nStopping everything the demo started.");
}

/// Builds the two functions (unless `build` is false), then plays the story.
pub fn run(build: bool) -> Result<(), String> {
    if build {
        crate::cargo(&[
            "build",
            "--quiet",
            "--locked",
            "-p",
            "cfn-validate",
            "-p",
            "service-status",
        ])?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        tokio::select! {
            () = demo() => {}
            _ = tokio::signal::ctrl_c() => {
                // Children die with this process (the harness gives them PDEATHSIG).
                println!("\nInterrupted: stopping everything the demo started.");
            }
        }
    });
    Ok(())
}
