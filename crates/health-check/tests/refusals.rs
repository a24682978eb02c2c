//! Targets the check must never reach, tried for real: the first URL,
//! every redirect hop and every resolved address, in every spelling.
//!
//! The test runs in a network namespace where only loopback exists
//! (`harness::netns`), so a refusal that failed would reach nothing but
//! the test's own listener, which counts every connection: the metadata
//! address has no route there, and loopback is the namespace's own.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harness::netns::{self, EXTRA_V4};
use health_check::addr::Kind;
use health_check::{
    Check, Checker, Expectation, Problem, Settings, Target, TargetError, TargetPolicy,
};

const TIMEOUT: Duration = Duration::from_secs(5);

/// A dual-stack listener on every address of the namespace (`[::]:port`):
/// it counts connections and answers each request with a redirect to
/// `location`, or 200 when there is none.
struct Listener {
    port: u16,
    connections: Arc<AtomicUsize>,
    location: Arc<Mutex<Option<String>>>,
}

impl Listener {
    fn start() -> Listener {
        let listener = TcpListener::bind("[::]:0").expect("bind [::]:0");
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let location: Arc<Mutex<Option<String>>> = Arc::default();
        let (count, to) = (Arc::clone(&connections), Arc::clone(&location));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let answer = match to.lock().unwrap().clone() {
                    Some(location) => format!(
                        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    ),
                    None => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                        .to_string(),
                };
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        Listener {
            port,
            connections,
            location,
        }
    }

    fn redirect_to(&self, location: &str) {
        *self.location.lock().unwrap() = Some(location.to_string());
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn checker(policy: TargetPolicy) -> Checker {
    Checker::builder(Settings {
        policy,
        ..Settings::default()
    })
    .resolve("loop.test", "::ffff:127.0.0.1".parse().unwrap())
    .resolve("zero.test", "0.0.0.0".parse().unwrap())
    .resolve("nat64.test", "64:ff9b::a9fe:a9fe".parse().unwrap())
    .resolve("ok.test", IpAddr::V4(EXTRA_V4))
    // One good answer, one bad: refused as a whole, since the client
    // could connect to either.
    .resolve("mixed.test", IpAddr::V4(EXTRA_V4))
    .resolve("mixed.test", "127.0.0.2".parse().unwrap())
    .build()
    .unwrap()
}

fn check(url: &str) -> Check {
    Check {
        // Validated when probed (a redirect hop is not parsed first either).
        target: Target::parse(
            url,
            TargetPolicy {
                allow_link_local: true,
                allow_loopback: true,
            },
        )
        .unwrap(),
        expect: Expectation {
            text: None,
            ..Expectation::default()
        },
    }
}

/// Refused address literals, with the kind each is refused as.
fn refused_literals(port: u16) -> Vec<(String, Kind)> {
    [
        ("127.0.0.1", Kind::Loopback),
        ("127.1", Kind::Loopback),
        ("2130706433", Kind::Loopback),
        ("[::1]", Kind::Loopback),
        ("[::ffff:127.0.0.1]", Kind::Loopback),
        ("[::ffff:7f00:1]", Kind::Loopback),
        ("[::ffff:0:127.0.0.1]", Kind::Loopback),
        ("[::127.0.0.1]", Kind::Loopback),
        ("[64:ff9b::127.0.0.1]", Kind::Loopback),
        ("[64:ff9b:1::7f00:1]", Kind::Loopback),
        ("[2002:7f00:1::]", Kind::Loopback),
        ("0.0.0.0", Kind::ThisHost),
        ("0", Kind::ThisHost),
        ("[::]", Kind::ThisHost),
        ("[::ffff:0.0.0.0]", Kind::ThisHost),
        ("169.254.169.254", Kind::Metadata),
        ("[::ffff:169.254.169.254]", Kind::Metadata),
        ("[64:ff9b::a9fe:a9fe]", Kind::Metadata),
        ("[fd00:ec2::254]", Kind::Metadata),
        ("169.254.10.1", Kind::LinkLocal),
        ("[fe80::1]", Kind::LinkLocal),
    ]
    .into_iter()
    .map(|(host, kind)| (format!("http://{host}:{port}/?k=v"), kind))
    .collect()
}

/// Names that resolve to refused addresses.
fn refused_names(port: u16) -> Vec<String> {
    [
        "localhost",
        "loop.test",
        "zero.test",
        "nat64.test",
        "mixed.test",
    ]
    .into_iter()
    .map(|name| format!("http://{name}:{port}/"))
    .collect()
}

/// No network needed: a refused literal never gets as far as a request.
#[test]
fn refused_literals_are_refused_when_parsed_as_what_they_are() {
    for (url, kind) in refused_literals(8080) {
        match Target::parse(&url, TargetPolicy::default()) {
            Err(TargetError::Refused(refusal)) => {
                assert_eq!(refusal.reason.kind, kind, "{url}");
                assert!(!refusal.to_string().contains("k=v"), "{refusal}");
            }
            other => panic!("{url}: expected a refusal, got {other:?}"),
        }
        // Allowing loopback allows loopback only.
        let parsed = Target::parse(&url, TargetPolicy::LOOPBACK);
        assert_eq!(parsed.is_ok(), kind == Kind::Loopback, "{url}: {parsed:?}");
    }
}

#[test]
fn refused_targets_are_never_reached_first_hop_redirect_or_resolved() {
    if !netns::isolated("refused_targets_are_never_reached_first_hop_redirect_or_resolved") {
        return;
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let target = Listener::start();
            let redirector = Listener::start();
            let deny = checker(TargetPolicy::default());
            let mut allowed = 0;

            // Where the listener can be reached, it is: the counts below mean
            // something.
            let ok = deny
                .probe(&check(&format!("http://ok.test:{}/", target.port)), TIMEOUT)
                .await;
            assert_eq!(ok.problem, None, "{ok}");
            allowed += 1;
            assert_eq!(target.connections(), allowed);

            // The first URL is refused when parsed, before anything is sent
            // (`refused_literals_are_refused_when_parsed_as_what_they_are`).
            // Names: refused when resolved, before connecting.
            for url in refused_names(target.port) {
                let probe = deny.probe(&check(&url), TIMEOUT).await;
                assert!(
                    matches!(probe.problem, Some(Problem::Refused(_))),
                    "{url}: {probe}"
                );
            }
            assert_eq!(target.connections(), allowed);

            // Every redirect hop, from an allowed address: literals and names.
            let start = format!("http://{EXTRA_V4}:{}/", redirector.port);
            let hops = refused_literals(target.port)
                .into_iter()
                .map(|(url, _)| url)
                .chain(refused_names(target.port));
            let mut redirects = 0;
            for hop in hops {
                redirector.redirect_to(&hop);
                let probe = deny.probe(&check(&start), TIMEOUT).await;
                redirects += 1;
                let Some(Problem::Refused(refusal)) = &probe.problem else {
                    panic!("{hop}: expected a refusal, got {probe}");
                };
                assert_eq!(refusal.redirected_from.as_deref(), Some(start.as_str()));
            }
            assert_eq!(redirector.connections(), redirects);
            assert_eq!(target.connections(), allowed, "no refused hop was followed");

            // Another scheme: refused at once, whatever it is.
            for scheme_url in ["file:///etc/passwd", "gopher://ok.test/", "ftp://ok.test/"] {
                redirector.redirect_to(scheme_url);
                let probe = deny.probe(&check(&start), TIMEOUT).await;
                assert!(
                    matches!(probe.problem, Some(Problem::SchemeRedirect { .. })),
                    "{scheme_url}: {probe}"
                );
            }

            // Loopback allowed: loopback only.
            let loopback = checker(TargetPolicy::LOOPBACK);
            for url in [
                format!("http://127.0.0.1:{}/", target.port),
                format!("http://[::1]:{}/", target.port),
                format!("http://[::ffff:127.0.0.1]:{}/", target.port),
                format!("http://localhost:{}/", target.port),
                format!("http://loop.test:{}/", target.port),
            ] {
                let probe = loopback.probe(&check(&url), TIMEOUT).await;
                assert_eq!(probe.problem, None, "{url}: {probe}");
                allowed += 1;
            }
            for url in [
                format!("http://zero.test:{}/", target.port),
                format!("http://nat64.test:{}/", target.port),
            ] {
                let probe = loopback.probe(&check(&url), TIMEOUT).await;
                assert!(
                    matches!(probe.problem, Some(Problem::Refused(_))),
                    "{url}: {probe}"
                );
            }
            assert_eq!(target.connections(), allowed);
        });
}
