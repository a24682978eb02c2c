//! Probes against local servers that misbehave in the ways a real service
//! (or a hostile one) can. The servers are on loopback, so these checks
//! allow it, as `HEALTH_CHECK_ALLOW_LOOPBACK=true` does; what is refused,
//! loopback included, is tried in `refusals.rs`, where nothing else exists.

use std::time::{Duration, Instant};

use harness::server::{Reply, TestCertificate, TestServer};
use health_check::settings::{ALLOW_LOOPBACK_VAR, CA_FILE_VAR};
use health_check::{
    Check, Checker, Expectation, Limits, Probe, Problem, Settings, Target, TargetPolicy, Waiting,
};

const TIMEOUT: Duration = Duration::from_secs(5);

/// The calculator's page title, which `Reply::calculator()` serves.
const CALCULATOR_TITLE: &str = "Simple Calculator Service";

/// What the tests may reach: loopback, where their servers are.
const LOOPBACK: TargetPolicy = TargetPolicy::LOOPBACK;

fn loopback_settings() -> Settings {
    Settings {
        policy: LOOPBACK,
        ..Settings::default()
    }
}

fn checker() -> Checker {
    Checker::new(loopback_settings()).unwrap()
}

fn check(url: &str, text: Option<&str>) -> Check {
    Check {
        target: Target::parse(url, LOOPBACK).unwrap(),
        expect: Expectation {
            text: text.map(str::to_string),
            ..Expectation::default()
        },
    }
}

fn calculator_check(url: &str) -> Check {
    check(url, Some(CALCULATOR_TITLE))
}

async fn probe(url: &str) -> Probe {
    checker().probe(&calculator_check(url), TIMEOUT).await
}

/// A loopback port nothing listens on (bound a moment ago, then released).
fn closed_port() -> u16 {
    harness::free_port()
}

#[tokio::test]
async fn a_healthy_page_passes_with_its_status_and_latency() {
    let server = TestServer::always(Reply::calculator());
    let url = server.url("/");
    let result = probe(&url).await;
    assert_eq!(result.problem, None, "{result}");
    assert_eq!(result.status, Some(200));
    assert!(!result.truncated);
    assert!(result.latency > Duration::ZERO);
    assert!(
        result
            .to_string()
            .starts_with(&format!("GET {url} → 200 OK in ")),
        "{result}"
    );
}

#[tokio::test]
async fn a_bad_gateway_fails_with_the_status_and_a_snippet() {
    let server = TestServer::always(Reply::bad_gateway());
    let result = probe(&server.url("/")).await;
    assert_eq!(
        result.problem,
        Some(Problem::Status {
            expected: 200,
            snippet: "<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad Gateway</h1></center> </body> </html>".to_string()
        })
    );
    assert_eq!(result.status, Some(502));
}

#[tokio::test]
async fn an_internal_server_error_fails_on_its_status() {
    let server = TestServer::always(Reply::html(500, "oops"));
    let result = probe(&server.url("/")).await;
    assert!(
        result
            .to_string()
            .contains(" → 500 Internal Server Error in ")
            && result
                .to_string()
                .ends_with(", expected 200; body: \"oops\""),
        "{result}"
    );
}

#[tokio::test]
async fn a_page_without_the_text_fails_with_what_it_says_instead() {
    let server = TestServer::always(Reply::html(200, "<h1>Welcome to nginx!</h1>"));
    let result = probe(&server.url("/")).await;
    assert_eq!(
        result.problem,
        Some(Problem::TextMissing {
            expected: CALCULATOR_TITLE.to_string(),
            case_sensitive: false,
            snippet: "<h1>Welcome to nginx!</h1>".to_string(),
            read_limit: None,
        })
    );
}

#[tokio::test]
async fn a_non_utf8_body_is_judged_and_shown_without_failing_the_probe() {
    let server = TestServer::always(Reply::Status {
        status: 200,
        content_type: "text/html; charset=iso-8859-1",
        body: b"Caf\xe9 \xff\xfe not here".to_vec(),
    });
    let result = probe(&server.url("/")).await;
    let Some(Problem::TextMissing { snippet, .. }) = &result.problem else {
        panic!("expected a missing text: {result}");
    };
    assert_eq!(snippet, "Caf\u{fffd} \u{fffd}\u{fffd} not here");
}

#[tokio::test]
async fn connection_refused_names_the_error() {
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let result = probe(&url).await;
    let Some(Problem::Connect { detail }) = &result.problem else {
        panic!("expected a connection failure: {result}");
    };
    assert_eq!(
        detail,
        "tcp connect error: Connection refused (os error 111)"
    );
    assert!(
        result
            .to_string()
            .starts_with(&format!("GET {url} → cannot connect (after ")),
        "{result}"
    );
    assert_eq!(result.status, None);
}

#[tokio::test]
async fn headers_that_do_not_come_in_time_are_a_timeout() {
    let server = TestServer::always(Reply::SlowHeaders(Duration::from_secs(30), Vec::new()));
    let started = Instant::now();
    let result = checker()
        .probe(
            &calculator_check(&server.url("/")),
            Duration::from_millis(300),
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        result.problem,
        Some(Problem::Timeout {
            after: Duration::from_millis(300),
            waiting_for: Waiting::Headers
        })
    );
    assert!(
        result.to_string().ends_with(" → no answer within 300 ms"),
        "{result}"
    );
}

#[tokio::test]
async fn a_body_that_trickles_is_a_timeout_too() {
    let server = TestServer::always(Reply::SlowBody {
        prefix: b"<title>Simple Calculator Service</title>".to_vec(),
        total: 10_000,
        every: Duration::from_millis(50),
    });
    let started = Instant::now();
    let result = checker()
        .probe(
            &calculator_check(&server.url("/")),
            Duration::from_millis(400),
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(result.status, Some(200));
    assert_eq!(
        result.problem,
        Some(Problem::Timeout {
            after: Duration::from_millis(400),
            waiting_for: Waiting::Body
        })
    );
}

#[tokio::test]
async fn a_50_mb_body_is_read_only_up_to_the_cap() {
    const FIFTY_MB: usize = 50 * 1024 * 1024;
    let server = TestServer::always(Reply::Big {
        prefix: b"<title>Simple Calculator Service</title>".to_vec(),
        total: FIFTY_MB,
    });
    let result = probe(&server.url("/")).await;
    assert_eq!(result.problem, None, "{result}");
    assert!(result.truncated);
    assert_eq!(result.body_bytes, Limits::default().body_cap);
    // The connection is dropped at the cap: the server gets to write what
    // the socket buffers take, nowhere near the whole body.
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        server.body_bytes_sent() < (FIFTY_MB / 4) as u64,
        "sent {} bytes",
        server.body_bytes_sent()
    );
}

#[tokio::test]
async fn text_beyond_the_cap_is_not_found_and_the_message_says_why() {
    let server = TestServer::always(Reply::Big {
        prefix: b"<html>".to_vec(),
        total: 50 * 1024 * 1024,
    });
    let result = probe(&server.url("/")).await;
    assert!(matches!(
        result.problem,
        Some(Problem::TextMissing {
            read_limit: Some(1_048_576),
            ..
        })
    ));
    assert!(
        result.to_string().contains(
            "but the body does not contain \"Simple Calculator Service\" (ignoring case) in its first 1 MiB; body: \"<html>xxxx"
        ),
        "{result}"
    );
}

#[tokio::test]
async fn a_redirect_loop_stops_after_five_redirects() {
    let server = TestServer::always(Reply::Redirect("/loop".to_string()));
    let result = probe(&server.url("/")).await;
    assert_eq!(
        result.problem,
        Some(Problem::Redirects {
            detail: format!(
                "more than 5 redirects (the last to {})",
                server.url("/loop")
            )
        })
    );
    assert_eq!(server.requests(), 6, "the first request and five redirects");
}

#[tokio::test]
async fn five_redirects_are_followed_and_the_final_url_is_reported() {
    let server = TestServer::start(|n, _| {
        if n <= 5 {
            Reply::Redirect(format!("/hop{n}"))
        } else {
            Reply::calculator()
        }
    });
    let result = probe(&server.url("/")).await;
    assert_eq!(result.problem, None, "{result}");
    assert_eq!(result.final_url, Some(server.url("/hop5")));
}

#[tokio::test]
async fn a_redirect_to_the_metadata_service_is_refused_without_following_it() {
    let server = TestServer::always(Reply::Redirect(
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/".to_string(),
    ));
    let url = server.url("/");
    let result = probe(&url).await;
    let Some(Problem::Refused(refusal)) = &result.problem else {
        panic!("expected a refusal: {result}");
    };
    assert_eq!(refusal.redirected_from.as_deref(), Some(url.as_str()));
    assert_eq!(
        result.to_string(),
        format!(
            "GET {url} → refused to follow the redirect from {url} to http://169.254.169.254/latest/meta-data/iam/security-credentials/: 169.254.169.254 is the instance metadata address (set HEALTH_CHECK_ALLOW_LINK_LOCAL=true to allow link-local targets)"
        )
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_redirect_to_a_name_that_resolves_to_link_local_is_refused() {
    let server = TestServer::always(Reply::Redirect("http://metadata.test/latest/".to_string()));
    let checker = Checker::builder(loopback_settings())
        .resolve("metadata.test", "169.254.169.254".parse().unwrap())
        .build()
        .unwrap();
    let url = server.url("/");
    let result = checker.probe(&calculator_check(&url), TIMEOUT).await;
    let Some(Problem::Refused(refusal)) = &result.problem else {
        panic!("expected a refusal: {result}");
    };
    assert_eq!(refusal.host, "metadata.test");
    assert_eq!(refusal.redirected_from.as_deref(), Some(url.as_str()));
    assert!(
        result.to_string().contains(
            "to http://metadata.test/latest/: metadata.test resolves to 169.254.169.254, which is the instance metadata address"
        ),
        "{result}"
    );
}

#[tokio::test]
async fn names_are_resolved_and_one_resolving_to_link_local_is_refused() {
    let server = TestServer::always(Reply::calculator());
    let checker = Checker::builder(loopback_settings())
        .resolve("calc.test", "127.0.0.1".parse().unwrap())
        .resolve("evil.test", "169.254.10.10".parse().unwrap())
        .build()
        .unwrap();
    let good = checker
        .probe(
            &calculator_check(&format!("http://calc.test:{}/", server.port())),
            TIMEOUT,
        )
        .await;
    assert_eq!(good.problem, None, "{good}");
    let bad = checker
        .probe(
            &calculator_check(&format!("http://evil.test:{}/", server.port())),
            TIMEOUT,
        )
        .await;
    let Some(Problem::Refused(refusal)) = &bad.problem else {
        panic!("expected a refusal: {bad}");
    };
    assert_eq!(refusal.reason.kind, health_check::addr::Kind::LinkLocal);
    assert_eq!(refusal.redirected_from, None);
    assert_eq!(
        server.requests(),
        1,
        "only the allowed name reached the server"
    );
}

#[tokio::test]
async fn https_with_a_self_signed_certificate_works_once_it_is_trusted() {
    let certificate = TestCertificate::generate();
    let server = TestServer::start_tls(&certificate, |_, _| Reply::calculator());
    let url = server.url("/");

    let untrusted = probe(&url).await;
    let Some(Problem::Connect { detail }) = &untrusted.problem else {
        panic!("expected a certificate error: {untrusted}");
    };
    assert_eq!(detail, "invalid peer certificate: UnknownIssuer");

    let dir = tempfile::tempdir().unwrap();
    let pem = certificate.write_pem(dir.path());
    let settings = Settings::from_vars(|name| match name {
        CA_FILE_VAR => Some(pem.to_string_lossy().into_owned()),
        ALLOW_LOOPBACK_VAR => Some("true".to_string()),
        _ => None,
    })
    .unwrap();
    let trusted = Checker::new(settings)
        .unwrap()
        .probe(&calculator_check(&url), TIMEOUT)
        .await;
    assert_eq!(trusted.problem, None, "{trusted}");
    assert_eq!(trusted.status, Some(200));
}

#[tokio::test]
async fn an_attempt_runs_the_extra_checks_and_stops_at_the_first_failure() {
    let server = TestServer::start(|_, path| match path {
        "/" => Reply::calculator(),
        "/add?a=2&b=3" => Reply::html(200, "6"),
        _ => Reply::html(404, "not found"),
    });
    let checks = vec![
        calculator_check(&server.url("/")),
        check(&server.url("/add?a=2&b=3"), Some("5")),
        check(&server.url("/never"), None),
    ];
    let attempt = checker()
        .attempt(&checks, 7, TIMEOUT, Duration::from_secs(30))
        .await;
    assert!(!attempt.healthy());
    assert_eq!(attempt.probes.len(), 2);
    assert!(attempt.probes[0].passed());
    // The query was sent, and is not shown.
    assert_eq!(attempt.failed_probe().unwrap().url, server.url("/add?***"));
    let text = attempt.to_string();
    assert!(
        text.starts_with(&format!("attempt 7: GET {} → 200 OK in ", server.url("/"))),
        "{text}"
    );
    assert!(
        text.ends_with("but the body does not contain \"5\" (ignoring case); body: \"6\""),
        "{text}"
    );
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_redirect_to_another_scheme_or_to_nonsense_is_not_followed() {
    let ftp = TestServer::always(Reply::Redirect("ftp://files.test/".to_string()));
    let result = probe(&ftp.url("/")).await;
    assert_eq!(
        result.problem,
        Some(Problem::SchemeRedirect {
            from: ftp.url("/"),
            to: "ftp://files.test/".to_string(),
            scheme: "ftp".to_string(),
        })
    );
    assert_eq!(
        result.to_string(),
        format!(
            "GET {0} → refused to follow the redirect from {0} to ftp://files.test/: only http and https URLs can be checked, not ftp",
            ftp.url("/")
        )
    );
    let nonsense = TestServer::always(Reply::Redirect("http://[bad".to_string()));
    let result = probe(&nonsense.url("/")).await;
    assert_eq!(
        result.to_string(),
        format!(
            "GET {} → redirected to \"http://[bad\", which is not a URL",
            nonsense.url("/")
        )
    );
}

#[tokio::test]
async fn query_strings_and_passwords_are_sent_but_never_shown() {
    let server = TestServer::start(|_, path| {
        if path == "/health?token=s3cr3t-query" {
            Reply::Redirect("/next?session=s3cr3t-hop".to_string())
        } else {
            Reply::html(500, "down")
        }
    });
    let url = server
        .url("/health?token=s3cr3t-query")
        .replace("http://", "http://ops:s3cr3t-password@");
    let result = probe(&url).await;
    assert_eq!(
        server.requests(),
        2,
        "both were requested, queries included"
    );
    let shown = result.to_string();
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert_eq!(
        result.url,
        server
            .url("/health?***")
            .replace("http://", "http://ops:***@")
    );
    assert_eq!(
        result.final_url,
        Some(
            server
                .url("/next?***")
                .replace("http://", "http://ops:***@")
        )
    );

    let nonsense = TestServer::always(Reply::Redirect("http://[bad/x?k=s3cr3t".to_string()));
    let shown = probe(&nonsense.url("/")).await.to_string();
    assert!(!shown.contains("s3cr3t"), "{shown}");
    let closed = format!("http://127.0.0.1:{}/?k=s3cr3t", closed_port());
    let shown = probe(&closed).await.to_string();
    assert!(!shown.contains("s3cr3t"), "{shown}");
}

#[tokio::test]
async fn loopback_is_refused_before_any_request_unless_allowed() {
    let server = TestServer::always(Reply::calculator());
    let by_default = Checker::new(Settings::default()).unwrap();
    assert!(matches!(
        Target::parse(&server.url("/"), by_default.policy()),
        Err(health_check::TargetError::Refused(_))
    ));
    // A name for it is refused when it is resolved, before connecting.
    let result = by_default
        .probe(
            &calculator_check(&format!("http://localhost:{}/", server.port())),
            TIMEOUT,
        )
        .await;
    let Some(Problem::Refused(refusal)) = &result.problem else {
        panic!("expected a refusal: {result}");
    };
    assert_eq!(refusal.host, "localhost");
    assert!(
        result.to_string().ends_with(
            "which is loopback (set HEALTH_CHECK_ALLOW_LOOPBACK=true to allow loopback targets)"
        ),
        "{result}"
    );
    assert_eq!(server.requests(), 0);
}
