//! `cicd health`: the Service_Status check from a terminal, against the real
//! calculator and tiny local servers.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use harness::calculator::Calculator;
use harness::server::{Reply, TestServer};

/// Runs `cicd health ARGS` with a clean environment plus `env`, allowing
/// loopback targets (the test servers are there).
fn cicd(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut with_loopback = vec![("HEALTH_CHECK_ALLOW_LOOPBACK", "true")];
    with_loopback.extend_from_slice(env);
    strict(args, &with_loopback)
}

/// Runs `cicd health ARGS` with a clean environment plus `env` only.
fn strict(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cicd"));
    command.arg("health").args(args).env_clear();
    command.env("PATH", std::env::var_os("PATH").unwrap_or_default());
    command.envs(env.iter().copied());
    command.output().expect("cicd runs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The stdout lines with every "N ms" latency replaced by "T".
fn lines(o: &Output) -> Vec<String> {
    out(o)
        .lines()
        .map(|l| {
            let mut words: Vec<String> = l.split(' ').map(str::to_string).collect();
            for i in 1..words.len() {
                if words[i].starts_with("ms") && words[i - 1].chars().all(|c| c.is_ascii_digit()) {
                    words[i - 1] = "T".to_string();
                }
            }
            words.join(" ").replace("T ms", "T")
        })
        .collect()
}

#[test]
fn the_healthy_calculator_exits_0_after_printing_the_attempt() {
    let calculator = Calculator::start();
    let output = cicd(&[&calculator.url()], &[]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        out(&output),
        err(&output)
    );
    let url = format!("{}/", calculator.url());
    assert_eq!(
        lines(&output),
        [
            format!("attempt 1: GET {url} → 200 OK in T"),
            format!("healthy: {url} answered 200 OK in T (attempt 1)"),
        ]
    );
}

#[test]
fn a_missing_text_exits_1_with_what_came_instead() {
    let calculator = Calculator::start();
    let output = cicd(
        &[&calculator.url(), "--expect-text", "Scientific Calculator"],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let url = format!("{}/", calculator.url());
    let lines = lines(&output);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!(
            "attempt 1: GET {url} → 200 OK in T, but the body does not contain \"Scientific Calculator\" (ignoring case); body: \"<!"
        )),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        format!("unhealthy: {url} did not answer as expected (1 attempt)")
    );
}

#[test]
fn bad_gateways_then_ok_exit_0_within_the_deadline() {
    let bad_gateway = Reply::html(502, "Bad Gateway");
    let server = TestServer::script(vec![
        bad_gateway.clone(),
        bad_gateway,
        Reply::html(200, "ok"),
    ]);
    let url = server.url("/");
    let output = cicd(&[&url, "--expect-text", "", "--deadline", "20"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", out(&output));
    assert_eq!(
        lines(&output),
        [
            format!(
                "attempt 1: GET {url} → 502 Bad Gateway in T, expected 200; body: \"Bad Gateway\""
            ),
            format!(
                "attempt 2: GET {url} → 502 Bad Gateway in T, expected 200; body: \"Bad Gateway\""
            ),
            format!("attempt 3: GET {url} → 200 OK in T"),
            format!("healthy: {url} answered 200 OK in T (attempt 3)"),
        ]
    );
    assert_eq!(server.requests(), 3);
}

#[test]
fn a_closed_port_exits_1_after_retrying_until_the_deadline() {
    let url = format!("http://127.0.0.1:{}/", harness::free_port());
    let started = Instant::now();
    let output = cicd(&[&url, "--deadline", "1.5"], &[]);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(1));
    let lines = lines(&output);
    // Attempts at 0, 1 and (the wait cut to the deadline) 1.5 s.
    assert_eq!(lines.len(), 4, "{lines:?}");
    for (i, line) in lines[..3].iter().enumerate() {
        assert_eq!(
            line,
            &format!(
                "attempt {}: GET {url} → cannot connect (after T): tcp connect error: Connection refused (os error 111)",
                i + 1
            )
        );
    }
    assert_eq!(
        lines[3],
        format!("unhealthy: {url} did not answer as expected within 1.5 s (3 attempts)")
    );
}

/// Arguments, environment, and the expected error message.
type Case = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static str,
);

#[test]
fn unusable_urls_and_settings_exit_2() {
    // A refusal is tested where only loopback exists.
    if !harness::netns::isolated("unusable_urls_and_settings_exit_2") {
        return;
    }
    let cases: [Case; 6] = [
        (
            &["ftp://calc.test/"],
            &[],
            "cicd health: ftp://calc.test/ cannot be checked: only http and https URLs can, not ftp\n",
        ),
        (
            &["calc.test"],
            &[],
            "cicd health: \"calc.test\" is not a URL: it must start with http:// or https://\n",
        ),
        (
            &["http://169.254.169.254/latest/meta-data/"],
            &[],
            "cicd health: refused to check http://169.254.169.254/latest/meta-data/: 169.254.169.254 is the instance metadata address (set HEALTH_CHECK_ALLOW_LINK_LOCAL=true to allow link-local targets)\n",
        ),
        (
            &["http://127.0.0.1:1/"],
            &[("HEALTH_CHECK_ALLOW_LINK_LOCAL", "maybe")],
            "cicd health: HEALTH_CHECK_ALLOW_LINK_LOCAL=\"maybe\" is not a yes/no value (use true or false)\n",
        ),
        (
            &["http://127.0.0.1:1/"],
            &[("HEALTH_CHECK_CA_FILE", "/nonexistent/ca.pem")],
            "cicd health: HEALTH_CHECK_CA_FILE: cannot read the CA file /nonexistent/ca.pem: No such file or directory (os error 2)\n",
        ),
        (
            &["http://127.0.0.1:1/", "--deadline=-1"],
            &[],
            "cicd health: --deadline must be from 0 to 86400 seconds, not -1\n",
        ),
    ];
    for (args, env, message) in cases {
        let output = cicd(args, env);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(err(&output), message, "{args:?}");
        assert_eq!(out(&output), "", "{args:?}");
    }
    let no_url = cicd(&[], &[]);
    assert_eq!(no_url.status.code(), Some(2));
    assert!(err(&no_url).contains("<URL>"), "{}", err(&no_url));
    let bad_status = cicd(&["http://127.0.0.1:1/", "--expect-status", "42"], &[]);
    assert_eq!(bad_status.status.code(), Some(2));
}

#[test]
fn a_redirect_to_the_metadata_service_exits_2_without_following_it() {
    if !harness::netns::isolated("a_redirect_to_the_metadata_service_exits_2_without_following_it")
    {
        return;
    }
    let server = TestServer::always(Reply::Redirect(
        "http://169.254.169.254/latest/meta-data/".to_string(),
    ));
    let redirecting = server.url("/");
    let output = cicd(&[&redirecting], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", out(&output));
    assert_eq!(
        err(&output),
        format!(
            "cicd health: refused to follow the redirect from {redirecting} to http://169.254.169.254/latest/meta-data/: 169.254.169.254 is the instance metadata address (set HEALTH_CHECK_ALLOW_LINK_LOCAL=true to allow link-local targets)\n"
        )
    );
    assert_eq!(server.requests(), 1, "not retried");
}

#[test]
fn loopback_is_refused_unless_allowed_by_flag_or_variable() {
    if !harness::netns::isolated("loopback_is_refused_unless_allowed_by_flag_or_variable") {
        return;
    }
    let server = TestServer::always(Reply::calculator());
    let url = server.url("/");
    let refused = strict(&[&url], &[]);
    assert_eq!(refused.status.code(), Some(2), "{}", out(&refused));
    assert_eq!(
        err(&refused),
        format!(
            "cicd health: refused to check {url}: 127.0.0.1 is loopback (set HEALTH_CHECK_ALLOW_LOOPBACK=true to allow loopback targets)\n"
        )
    );
    assert_eq!(server.requests(), 0);
    let flag = strict(&[&url, "--allow-loopback"], &[]);
    assert_eq!(flag.status.code(), Some(0), "{}{}", out(&flag), err(&flag));
    let variable = strict(&[&url], &[("HEALTH_CHECK_ALLOW_LOOPBACK", "true")]);
    assert_eq!(variable.status.code(), Some(0), "{}", err(&variable));
    assert_eq!(server.requests(), 2);
    // Loopback only: this host's other addresses stay refused.
    let this_host = strict(
        &[
            &format!("http://0.0.0.0:{}/", server.port()),
            "--allow-loopback",
        ],
        &[],
    );
    assert_eq!(this_host.status.code(), Some(2));
    assert_eq!(server.requests(), 2);
}

// --- The gate: the stack, its targets, its alarms, a run of successes -----

/// `cicd health ARGS` against moto, with the harness's credentials.
fn against(moto: &harness::moto::MotoServer, args: &[&str]) -> Output {
    let endpoint = moto.endpoint();
    let mut all = args.to_vec();
    all.extend([
        "--endpoint-url",
        &endpoint,
        "--region",
        harness::moto::REGION,
    ]);
    cicd(
        &all,
        &[
            ("AWS_ACCESS_KEY_ID", harness::moto::ACCESS_KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", harness::moto::SECRET_ACCESS_KEY),
        ],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gate_reads_the_stack_its_targets_and_its_alarms_and_passes_a_healthy_release() {
    let moto = harness::moto::MotoServer::shared();
    let server = TestServer::always(Reply::calculator());
    let release = moto
        .create_release_stack(
            &harness::unique_name("CICD-test-stack"),
            &server.url("/"),
            2,
        )
        .await;
    let alarms = release.alarms().join(",");
    let args = [
        "--stack",
        &release.name,
        "--targets",
        "stack",
        "--alarms",
        &alarms,
        "--consecutive-successes",
        "2",
        "--probe-interval",
        "0.1",
        "--deadline",
        "10",
    ];
    let output = against(moto, &args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        out(&output),
        err(&output)
    );
    let url = server.url("/");
    let group = &release.target_group[release.target_group.find("targetgroup/").unwrap()..];
    let signals = [
        format!("  stack {} is CREATE_COMPLETE", release.name),
        format!("  target group {group}: 2 of 2 targets healthy"),
        format!(
            "  alarms: {} OK, {} OK",
            release.target_5xx_alarm, release.unhealthy_hosts_alarm
        ),
    ];
    let printed = lines(&output);
    assert_eq!(printed.len(), 9, "{printed:?}");
    assert_eq!(printed[0], format!("attempt 1: GET {url} → 200 OK in T"));
    assert_eq!(printed[1..4], signals);
    assert_eq!(printed[4], format!("attempt 2: GET {url} → 200 OK in T"));
    assert_eq!(printed[5..8], signals);
    assert!(
        printed[8].starts_with(&format!(
            "healthy: {url} answered 200 OK in T (attempt 2); successes in a row: 2, p95 "
        )),
        "{}",
        printed[8]
    );

    // A stopped instance keeps it from passing; the verdict names it.
    moto.stop_instances(&release.instances[..1]);
    let output = against(moto, &[&args[..8], &["--deadline", "0.3"]].concat());
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}{}",
        out(&output),
        err(&output)
    );
    let last = out(&output).lines().last().unwrap().to_string();
    assert!(
        last.starts_with(&format!(
            "unhealthy: {url} did not answer as expected within 300 ms ("
        )),
        "{last}"
    );
    assert!(
        last.contains(&format!(
            "; not passed: target group {group}: 1 of 2 targets healthy: {}:8080 unused (Target.InvalidState: ",
            release.instances[0]
        )),
        "{last}"
    );

    // An alarm in ALARM fails at once, before any probe.
    moto.start_instances(&release.instances[..1]);
    moto.set_alarm_state(&release.target_5xx_alarm, "ALARM", "Threshold Crossed")
        .await;
    let requests = server.requests();
    let output = against(moto, &args);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}{}",
        out(&output),
        err(&output)
    );
    assert_eq!(
        lines(&output).pop().unwrap(),
        format!(
            "unhealthy: {url} is not healthy: alarm {} is ALARM: Threshold Crossed",
            release.target_5xx_alarm
        )
    );
    assert_eq!(server.requests(), requests);
}

#[test]
fn a_run_of_successes_is_reset_by_a_failure_and_a_missing_stack_exits_2() {
    let server = TestServer::script(vec![
        Reply::html(200, "ok"),
        Reply::html(502, "Bad Gateway"),
        Reply::html(200, "ok"),
        Reply::html(200, "ok"),
    ]);
    let url = server.url("/");
    let output = cicd(
        &[
            &url,
            "--expect-text",
            "",
            "--consecutive-successes",
            "2",
            "--probe-interval",
            "0.05",
            "--deadline",
            "10",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", out(&output));
    let lines = lines(&output);
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(
        lines[4],
        format!("healthy: {url} answered 200 OK in T (attempt 4); successes in a row: 2, p95 T")
    );

    let moto = harness::moto::MotoServer::shared();
    let missing = harness::unique_name("no-such-stack");
    let output = against(moto, &["--stack", &missing]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        err(&output),
        format!(
            "cicd health: stack {missing} does not exist (Stack with id {missing} does not exist)\n"
        )
    );
}

#[test]
fn the_gates_options_are_refused_where_they_cannot_apply() {
    for (args, says) in [
        (
            &["http://127.0.0.1:1/", "--targets", "stack"][..],
            "--stack",
        ),
        (&["http://127.0.0.1:1/", "--alarms", "stack"][..], "--stack"),
        (
            &["http://127.0.0.1:1/", "--min-healthy-targets", "2"][..],
            "--targets",
        ),
        (
            &["http://127.0.0.1:1/", "--insufficient-data", "ok"][..],
            "--alarms",
        ),
        (
            &["--stack", "s", "--output", "Url", "http://127.0.0.1:1/"][..],
            "--output",
        ),
    ] {
        let output = cicd(args, &[]);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(err(&output).contains(says), "{args:?}: {}", err(&output));
    }
    let output = cicd(
        &["http://127.0.0.1:1/", "--consecutive-successes", "0"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        err(&output),
        "cicd health: --consecutive-successes must be from 1 to 20, not 0\n"
    );
    let output = cicd(&["http://127.0.0.1:1/", "--alarms", "a,,b"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(err(&output), "cicd health: --alarms[1] is empty\n");
}
