//! The real handler, in-process, behind the runner and the fake
//! CodePipeline: each case asserts the exact report, and that there was
//! exactly one per invocation (see `Stage::invoke`).

mod support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use harness::calculator::Calculator;
use harness::server::{Reply, TestCertificate, TestServer};
use health_check::settings::{ALLOW_LOOPBACK_VAR, CA_FILE_VAR};
use health_check::{Checker, FromEnvError, Settings};
use pipeline_job::Setup;
use release_signals::AwsSignals;
use serde_json::json;
use service_status::ServiceStatus;
use support::{Stage, closed_port, continuation, event, failure, isolated, success, timeless};

/// JSON parameters for `url` that retry fast, pass at the first healthy
/// answer (as a plain URL does) and give up after `deadline` s.
fn quick(url: &str, deadline: f64) -> String {
    json!({"url": url, "deadline_seconds": deadline, "timeout_seconds": 1, "backoff_seconds": 0.05, "max_backoff_seconds": 0.2, "consecutive_successes": 1})
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_healthy_calculator_passes_with_a_plain_url() {
    let calculator = Calculator::start();
    let stage = Stage::plain();
    let report = stage
        .invoke(&event(calculator.url()), Some(Duration::from_secs(30)))
        .await;
    let url = format!("{}/", calculator.url());
    let (summary, vars) = success(&report);
    assert_eq!(
        timeless(summary),
        format!("{url} is healthy: 200 OK in T, at the first attempt")
    );
    let latency = vars.iter().find(|(k, _)| *k == "latency_ms").unwrap().1;
    assert!(latency.parse::<u64>().is_ok());
    assert_eq!(
        vars,
        [
            ("attempts", "1"),
            ("healthy_targets", "n/a"),
            ("latency_ms", latency),
            ("p95_ms", latency),
            ("status", "200"),
            ("successes", "1"),
            ("url", url.as_str()),
            ("verdict", "pass"),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_calculator_passes_its_extra_checks() {
    let calculator = Calculator::start();
    let stage = Stage::plain();
    let params = json!({"url": calculator.url(), "checks": [{"path": "/add?a=2&b=3", "expect_text": "5"}], "consecutive_successes": 1});
    let report = stage.invoke(&event(params.to_string()), None).await;
    let (summary, _) = success(&report);
    assert_eq!(
        timeless(summary),
        format!(
            "{}/ is healthy: 200 OK in T, at the first attempt; 1 more check passed too",
            calculator.url()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_calculator_without_the_expected_text_fails_with_a_snippet() {
    let calculator = Calculator::start();
    let stage = Stage::plain();
    let params = json!({"url": calculator.url(), "expect_text": "Scientific Calculator", "deadline_seconds": 0});
    let report = stage.invoke(&event(params.to_string()), None).await;
    let (kind, message) = failure(&report);
    assert_eq!(kind, "JobFailed");
    let url = format!("{}/", calculator.url());
    let expected_start = format!(
        "{url} did not become healthy within T: 1 attempt over T; the last one:\nattempt 1: GET {url} → 200 OK in T, but the body does not contain \"Scientific Calculator\" (ignoring case); body: \"<!"
    );
    assert!(timeless(message).starts_with(&expected_start), "{message}");
    assert!(message.ends_with("…\""), "the snippet is cut: {message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_gateways_then_a_healthy_page_succeed_after_retries() {
    let server = TestServer::start(|n, _| {
        if n <= 3 {
            Reply::bad_gateway()
        } else {
            Reply::calculator()
        }
    });
    let stage = Stage::plain();
    let report = stage
        .invoke(
            &event(quick(&server.url("/"), 30.0)),
            Some(Duration::from_secs(30)),
        )
        .await;
    let (summary, vars) = success(&report);
    assert_eq!(
        timeless(summary),
        format!(
            "{} is healthy: 200 OK in T, at attempt 4 (T after the first)",
            server.url("/")
        )
    );
    assert!(vars.contains(&("attempts", "4")));
    assert_eq!(server.requests(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_never_healthy_continues_then_fails_after_the_deadline() {
    let server = TestServer::always(Reply::bad_gateway());
    let stage = Stage::plain();
    let params = json!({"url": server.url("/"), "deadline_seconds": 2.5, "timeout_seconds": 0.5, "backoff_seconds": 0.1, "max_backoff_seconds": 0.4});
    let job = event(params.to_string());
    let started = SystemTime::now();

    // The first invocation runs out of time (2 s, less the runner's reserve
    // and the margin) before the deadline: it ends with a continuation.
    let first = stage.invoke(&job, Some(Duration::from_secs(2))).await;
    let (token, summary) = continuation(&first);
    let parsed: serde_json::Value = serde_json::from_str(token).unwrap();
    let attempts = parsed["attempts"].as_u64().unwrap();
    assert!(attempts >= 3, "{token}");
    assert_eq!(parsed["v"], 1);
    let first_ms = parsed["first"].as_u64().unwrap();
    let started_ms = started.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    assert!(
        first_ms >= started_ms && first_ms < started_ms + 1000,
        "{token}"
    );
    assert!(token.len() <= 2048);
    assert_eq!(server.requests() as u64, attempts);
    assert_eq!(
        timeless(summary),
        format!(
            "{url} is not healthy yet: {attempts} attempts over T of the T allowed; the last: attempt {attempts}: GET {url} → 502 Bad Gateway in T, expected 200; body: \"<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad Gateway</h1></center> </body> </html>\". Checking again.",
            url = server.url("/")
        )
    );

    // CodePipeline invokes again with the token, after the deadline: one
    // last attempt, then the failure with the last attempts.
    tokio::time::sleep(Duration::from_millis(2600).saturating_sub(started.elapsed().unwrap()))
        .await;
    let second = stage
        .invoke(
            &job.clone().continuation_token(token),
            Some(Duration::from_secs(10)),
        )
        .await;
    let (kind, message) = failure(&second);
    assert_eq!(kind, "JobFailed");
    let url = server.url("/");
    let n = attempts + 1;
    let line = |k: u64| {
        format!(
            "attempt {k}: GET {url} → 502 Bad Gateway in T, expected 200; body: \"<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad Gateway</h1></center> </body> </html>\""
        )
    };
    assert_eq!(
        timeless(message),
        format!(
            "{url} did not become healthy within T: {n} attempts over T; the last one:\n{}",
            line(n)
        )
    );
    assert_eq!(server.requests() as u64, n);
    assert_eq!(stage.rig.pipeline.statuses(), ["InProgress", "Failed"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_response_times_out() {
    let server = TestServer::always(Reply::SlowHeaders(Duration::from_secs(30), Vec::new()));
    let stage = Stage::plain();
    let params = json!({"url": server.url("/"), "deadline_seconds": 0, "timeout_seconds": 0.3});
    let started = Instant::now();
    let report = stage.invoke(&event(params.to_string()), None).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let url = server.url("/");
    assert_eq!(
        timeless(failure(&report).1),
        format!(
            "{url} did not become healthy within T: 1 attempt over T; the last one:\nattempt 1: GET {url} → no answer within T"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_trickles_times_out() {
    let server = TestServer::always(Reply::SlowBody {
        prefix: b"<title>Simple Calculator Service</title>".to_vec(),
        total: 10_000,
        every: Duration::from_millis(50),
    });
    let stage = Stage::plain();
    let params = json!({"url": server.url("/"), "deadline_seconds": 0, "timeout_seconds": 0.4});
    let started = Instant::now();
    let report = stage.invoke(&event(params.to_string()), None).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let (kind, message) = failure(&report);
    assert_eq!(kind, "JobFailed");
    let url = server.url("/");
    assert_eq!(
        timeless(message),
        format!(
            "{url} did not become healthy within T: 1 attempt over T; the last one:\nattempt 1: GET {url} → 200 OK, but the body was not complete within T"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_50_mb_body_is_read_up_to_the_cap_only() {
    let with_title = TestServer::always(Reply::Big {
        prefix: b"<title>Simple Calculator Service</title>".to_vec(),
        total: 50 * 1024 * 1024,
    });
    let stage = Stage::plain();
    let report = stage.invoke(&event(with_title.url("/")), None).await;
    assert_eq!(
        timeless(success(&report).0),
        format!(
            "{} is healthy: 200 OK in T, at the first attempt",
            with_title.url("/")
        )
    );

    let without = TestServer::always(Reply::Big {
        prefix: b"<html>".to_vec(),
        total: 50 * 1024 * 1024,
    });
    let report = stage
        .invoke(&event(quick(&without.url("/"), 0.0)), None)
        .await;
    let message = failure(&report).1;
    assert!(
        message.contains("but the body does not contain \"Simple Calculator Service\" (ignoring case) in its first 1 MiB; body: \"<html>xxxxxxxx"),
        "{message}"
    );
    assert!(without.body_bytes_sent() < 25 * 1024 * 1024);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_loop_fails() {
    let server = TestServer::always(Reply::Redirect("/again".to_string()));
    let stage = Stage::plain();
    let report = stage
        .invoke(&event(quick(&server.url("/"), 0.0)), None)
        .await;
    let url = server.url("/");
    let (kind, message) = failure(&report);
    assert_eq!(kind, "JobFailed");
    assert_eq!(
        timeless(message),
        format!(
            "{url} did not become healthy within T: 1 attempt over T; the last one:\nattempt 1: GET {url} → more than 5 redirects (the last to {})",
            server.url("/again")
        )
    );
    assert_eq!(server.requests(), 6);
}

#[test]
fn a_redirect_to_the_metadata_service_is_a_configuration_error() {
    isolated(
        "a_redirect_to_the_metadata_service_is_a_configuration_error",
        || async {
            let server = TestServer::always(Reply::Redirect(
                "http://169.254.169.254/latest/meta-data/".to_string(),
            ));
            let stage = Stage::plain();
            let report = stage.invoke(&event(server.url("/")), None).await;
            assert_eq!(
                failure(&report),
                (
                    "ConfigurationError",
                    format!(
                        "refused to follow the redirect from {} to http://169.254.169.254/latest/meta-data/: 169.254.169.254 is the instance metadata address (set HEALTH_CHECK_ALLOW_LINK_LOCAL=true to allow link-local targets)",
                        server.url("/")
                    )
                    .as_str()
                )
            );
            assert_eq!(server.requests(), 1, "no retries");
        },
    );
}

#[test]
fn a_link_local_url_is_refused_before_any_request() {
    isolated("a_link_local_url_is_refused_before_any_request", || async {
        let stage = Stage::plain();
        for (url, shown) in [
            (
                "http://169.254.169.254/latest/meta-data/",
                "http://169.254.169.254/latest/meta-data/",
            ),
            (
                "http://[::ffff:169.254.169.254]/",
                "http://[::ffff:a9fe:a9fe]/",
            ),
            (
                "http://[64:ff9b::a9fe:a9fe]/",
                "http://[64:ff9b::a9fe:a9fe]/",
            ),
            ("http://[fe80::1]:8080/", "http://[fe80::1]:8080/"),
        ] {
            let report = stage.invoke(&event(url), None).await;
            let (kind, message) = failure(&report);
            assert_eq!(kind, "ConfigurationError");
            assert!(
                message.starts_with(&format!("UserParameters: refused to check {shown}: ")),
                "{message}"
            );
        }
    });
}

/// In Lambda, loopback is the Runtime API: a target there could answer
/// the function's own invocations.
#[test]
fn loopback_and_this_host_are_refused_before_any_request_with_no_retry() {
    isolated(
        "loopback_and_this_host_are_refused_before_any_request_with_no_retry",
        || async {
            let server = TestServer::always(Reply::calculator());
            let port = server.port();
            let stage = Stage::new(
                "http://127.0.0.1:9",
                Checker::new(Settings::default()).unwrap(),
            );
            for url in [
                format!("http://127.0.0.1:{port}/"),
                format!("http://127.1:{port}/"),
                format!("http://[::1]:{port}/"),
                format!("http://[::ffff:127.0.0.1]:{port}/"),
                format!("http://0.0.0.0:{port}/"),
                format!("http://[::]:{port}/"),
            ] {
                let report = stage.invoke(&event(url.as_str()), None).await;
                let (kind, message) = failure(&report);
                assert_eq!(kind, "ConfigurationError", "{url}");
                assert!(
                    message.starts_with("UserParameters: refused to check http://"),
                    "{message}"
                );
            }
            // A name is refused when it is resolved, before connecting, and
            // the check is not retried until its deadline.
            let url = format!("http://localhost:{port}/");
            let report = stage.invoke(&event(url.as_str()), None).await;
            let (kind, message) = failure(&report);
            assert_eq!(kind, "ConfigurationError");
            assert!(
                message.starts_with(&format!("refused to check {url}: localhost resolves to ")),
                "{message}"
            );
            assert!(
                message.ends_with(
                    ", which is loopback (set HEALTH_CHECK_ALLOW_LOOPBACK=true to allow loopback targets)"
                ),
                "{message}"
            );
            assert_eq!(server.requests(), 0);
        },
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_to_another_scheme_is_a_configuration_error_at_once() {
    let server = TestServer::always(Reply::Redirect("file:///etc/passwd".to_string()));
    let stage = Stage::plain();
    // The default deadline is ten minutes: a retried problem would not end now.
    let report = stage.invoke(&event(server.url("/")), None).await;
    assert_eq!(
        failure(&report),
        (
            "ConfigurationError",
            format!(
                "refused to follow the redirect from {} to file:///etc/passwd: only http and https URLs can be checked, not file",
                server.url("/")
            )
            .as_str()
        )
    );
    assert_eq!(server.requests(), 1, "no retries");
}

#[tokio::test(flavor = "multi_thread")]
async fn query_strings_and_passwords_are_never_reported() {
    let healthy = TestServer::always(Reply::calculator());
    let down = TestServer::always(Reply::html(500, "down"));
    let stage = Stage::plain();
    let secret = |server: &TestServer| {
        server
            .url("/?token=s3cr3t-token")
            .replace("http://", "http://ops:s3cr3t-password@")
    };
    let passed = stage.invoke(&event(secret(&healthy)), None).await;
    let (summary, variables) = success(&passed);
    let failed = stage.invoke(&event(quick(&secret(&down), 0.0)), None).await;
    let shown = format!("{summary} {variables:?} {}", failure(&failed).1);
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(
        summary.starts_with(&format!(
            "{} is healthy",
            healthy.url("/?***").replace("http://", "http://ops:***@")
        )),
        "{summary}"
    );
    assert_eq!(healthy.requests(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_refused_fails_naming_the_url_and_the_error() {
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let stage = Stage::plain();
    let report = stage.invoke(&event(quick(&url, 0.0)), None).await;
    assert_eq!(
        timeless(failure(&report).1),
        format!(
            "{url} did not become healthy within T: 1 attempt over T; the last one:\nattempt 1: GET {url} → cannot connect (after T): tcp connect error: Connection refused (os error 111)"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_non_utf8_body_fails_readably() {
    let server = TestServer::always(Reply::Status {
        status: 200,
        content_type: "text/html",
        body: b"\xff\xfe<h1>Caf\xe9</h1>".to_vec(),
    });
    let stage = Stage::plain();
    let report = stage
        .invoke(&event(quick(&server.url("/"), 0.0)), None)
        .await;
    let message = failure(&report).1;
    assert!(
        message.ends_with("body: \"\u{fffd}\u{fffd}<h1>Caf\u{fffd}</h1>\""),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_internal_server_error_fails_on_its_status() {
    let server = TestServer::always(Reply::html(500, "Internal Server Error"));
    let stage = Stage::plain();
    let report = stage
        .invoke(&event(quick(&server.url("/"), 0.0)), None)
        .await;
    let url = server.url("/");
    assert_eq!(
        timeless(failure(&report).1),
        format!(
            "{url} did not become healthy within T: 1 attempt over T; the last one:\nattempt 1: GET {url} → 500 Internal Server Error in T, expected 200; body: \"Internal Server Error\""
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn https_with_a_self_signed_certificate_passes_once_trusted_through_configuration() {
    let certificate = TestCertificate::generate();
    let server = TestServer::start_tls(&certificate, |_, _| Reply::calculator());
    let url = server.url("/");

    let untrusted = Stage::plain();
    let report = untrusted.invoke(&event(quick(&url, 0.0)), None).await;
    assert_eq!(
        timeless(failure(&report).1),
        format!(
            "{url} did not become healthy within T: 1 attempt over T; the last one:\nattempt 1: GET {url} → cannot connect (after T): invalid peer certificate: UnknownIssuer"
        )
    );

    let dir = tempfile::tempdir().unwrap();
    let pem = certificate.write_pem(dir.path());
    let settings = Settings::from_vars(|name| match name {
        CA_FILE_VAR => Some(pem.display().to_string()),
        ALLOW_LOOPBACK_VAR => Some("true".to_string()),
        _ => None,
    })
    .unwrap();
    let trusted = Stage::new("http://127.0.0.1:9", Checker::new(settings).unwrap());
    let report = trusted.invoke(&event(&url), None).await;
    assert_eq!(
        timeless(success(&report).0),
        format!("{url} is healthy: 200 OK in T, at the first attempt")
    );
}

/// What `main` does when `Checker::from_env` fails (the binary test runs
/// `main` itself with a CA file that is not there).
#[tokio::test(flavor = "multi_thread")]
async fn settings_that_cannot_be_used_fail_every_job_as_configuration() {
    let built = Settings::from_vars(|name| {
        (name == CA_FILE_VAR).then(|| "/nonexistent/ca.pem".to_string())
    })
    .map_err(FromEnvError::from)
    .and_then(|settings| Ok(Checker::new(settings)?));
    let error = built.as_ref().unwrap_err().to_string();
    assert!(
        error.starts_with("HEALTH_CHECK_CA_FILE: cannot read the CA file /nonexistent/ca.pem"),
        "{error}"
    );
    let signals = AwsSignals::from_sdk(&harness::sdk_config("http://127.0.0.1:9"));
    let setup = Setup::new(built.map(|checker| ServiceStatus::new(signals, checker)));
    let stage = Stage::plain();
    for _ in 0..2 {
        let report = stage
            .rig
            .run(&event("http://127.0.0.1:8080/"), None, |lambda_event| {
                stage
                    .runner
                    .run_with(&setup, lambda_event, |service, job, inv| async move {
                        service.check(job, inv).await
                    })
            })
            .await;
        assert_eq!(failure(&report), ("ConfigurationError", error.as_str()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_user_parameters_are_configuration_errors() {
    let stage = Stage::plain();
    for (parameters, message) in [
        (
            "ftp://calc.test/",
            "UserParameters: ftp://calc.test/ cannot be checked: only http and https URLs can, not ftp",
        ),
        (
            "calc.test",
            "UserParameters: \"calc.test\" is not a URL: it must start with http:// or https://",
        ),
        (
            r#"{"url": "http://calc.test", "deadline_seconds": -1}"#,
            "UserParameters.deadline_seconds must be a number of seconds from 0 to 86400, not -1",
        ),
        ("   ", "the action's UserParameters are empty"),
    ] {
        let report = stage.invoke(&event(parameters), None).await;
        assert_eq!(
            failure(&report),
            ("ConfigurationError", message),
            "{parameters}"
        );
    }
    let report = stage.invoke(&harness::events::JobEvent::new(), None).await;
    assert_eq!(
        failure(&report),
        ("ConfigurationError", "the action has no UserParameters")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_token_starts_afresh_and_a_good_one_counts_on() {
    let server = TestServer::always(Reply::calculator());
    let stage = Stage::plain();
    let fresh = stage
        .invoke(
            &event(server.url("/")).continuation_token("not a token"),
            None,
        )
        .await;
    assert!(
        success(&fresh).0.ends_with(", at the first attempt"),
        "{fresh:?}"
    );

    let five_seconds_ago = SystemTime::now() - Duration::from_secs(5);
    let first = five_seconds_ago
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let token = format!(r#"{{"v":1,"first":{first},"attempts":7}}"#);
    let resumed = stage
        .invoke(&event(server.url("/")).continuation_token(token), None)
        .await;
    let (summary, vars) = success(&resumed);
    assert_eq!(
        timeless(summary),
        format!(
            "{} is healthy: 200 OK in T, at attempt 8 (T after the first)",
            server.url("/")
        )
    );
    // Counted from the token's first attempt, five seconds (and a little)
    // ago: "5 s", "5.0 s", "5.3 s" under load.
    let after: f64 = summary
        .split("at attempt 8 (")
        .nth(1)
        .and_then(|rest| rest.strip_suffix(" s after the first)"))
        .and_then(|seconds| seconds.parse().ok())
        .unwrap_or_else(|| panic!("no time since the first attempt: {summary}"));
    assert!((5.0..6.0).contains(&after), "{summary}");
    assert!(vars.contains(&("attempts", "8")));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invocation_ends_itself_before_the_lambda_deadline() {
    // Headers never come, and the request timeout is longer than the
    // invocation: the attempt is cut to the time left, and the job goes on.
    let server = TestServer::always(Reply::SlowHeaders(Duration::from_secs(60), Vec::new()));
    let stage = Stage::plain();
    let params = json!({"url": server.url("/"), "timeout_seconds": 30});
    let started = Instant::now();
    let report = stage
        .invoke(
            &event(params.to_string()),
            Some(Duration::from_millis(2500)),
        )
        .await;
    assert!(started.elapsed() < Duration::from_millis(2500));
    let (_, summary) = continuation(&report);
    assert!(
        timeless(summary).contains("; the last: attempt 1: GET ")
            && summary.contains(" → no answer within "),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_that_does_not_resolve_fails_naming_it() {
    // `.invalid` never resolves (RFC 2606).
    let url = "http://calculator.invalid/";
    let stage = Stage::plain();
    let report = stage.invoke(&event(quick(url, 0.0)), None).await;
    let (kind, message) = failure(&report);
    assert_eq!(kind, "JobFailed");
    let message = timeless(message);
    assert!(
        message.starts_with(&format!(
            "{url} did not become healthy within T: 1 attempt over T; the last one:\nattempt 1: GET {url} → "
        )),
        "{message}"
    );
    assert!(message.contains("dns error"), "{message}");
}
