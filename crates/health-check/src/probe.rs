//! One probe: a GET of one URL, judged against what it should answer.
//!
//! The HTTP client is built once ([`Checker`]) with what every probe needs:
//! rustls (the same rustls and aws-lc as the AWS SDK), the system's trust
//! store plus any configured CA, a connect timeout, the guarded resolver
//! of [`crate::resolver`], no proxy (a proxy would resolve names where the
//! guard cannot see them) and no connection reuse (each attempt sees what a
//! new visitor would). Each probe then has a total timeout, covering the body, and reads at most
//! [`Limits::body_cap`] bytes of it. Redirects are followed by the probe
//! itself (see [`crate::redirect`]).

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use reqwest::{StatusCode, Url};

use crate::expect::{Expectation, Mismatch};
use crate::redirect::{self, TooManyRedirects};
use crate::resolver::{GuardedResolver, RefusedName};
use crate::settings::Settings;
use crate::target::{Refusal, Target, TargetError, TargetPolicy, redact};

/// One URL and what it should answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub target: Target,
    pub expect: Expectation,
}

/// Bounds on every probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// For the TCP connection and TLS handshake.
    pub connect_timeout: Duration,
    /// Bytes of a body that are read; the rest is not downloaded. The
    /// expected text must be within them.
    pub body_cap: usize,
    pub max_redirects: usize,
}

impl Default for Limits {
    /// 5 s to connect, 1 MiB of body, 5 redirects.
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(5),
            body_cap: 1024 * 1024,
            max_redirects: redirect::MAX_REDIRECTS,
        }
    }
}

/// Makes probes; cheap to clone (the client is shared).
#[derive(Debug, Clone)]
pub struct Checker {
    client: reqwest::Client,
    policy: TargetPolicy,
    limits: Limits,
}

/// Builds a [`Checker`].
#[derive(Debug, Clone)]
pub struct CheckerBuilder {
    settings: Settings,
    limits: Limits,
    fixed: HashMap<String, Vec<IpAddr>>,
}

/// The HTTP client could not be built (e.g. a CA certificate rustls rejects).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot set up the HTTP client: {0}")]
pub struct SetupError(pub String);

impl CheckerBuilder {
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Resolves `host` to `address` instead of asking DNS (like a line in
    /// `/etc/hosts`). The address is still subject to the link-local rule.
    pub fn resolve(mut self, host: &str, address: IpAddr) -> Self {
        self.fixed
            .entry(host.to_ascii_lowercase())
            .or_default()
            .push(address);
        self
    }

    pub fn build(self) -> Result<Checker, SetupError> {
        let policy = self.settings.policy;
        let resolver = GuardedResolver {
            allow_link_local: policy.allow_link_local,
            fixed: self.fixed,
        };
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("cicd-health-check/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.limits.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(resolver)
            .no_proxy()
            .pool_max_idle_per_host(0);
        if let Some(roots) = &self.settings.extra_roots {
            builder = builder.tls_certs_merge(roots.certificates.iter().cloned());
        }
        let client = builder
            .build()
            .map_err(|e| SetupError(error_detail(&e, true)))?;
        Ok(Checker {
            client,
            policy,
            limits: self.limits,
        })
    }
}

impl Checker {
    pub fn builder(settings: Settings) -> CheckerBuilder {
        CheckerBuilder {
            settings,
            limits: Limits::default(),
            fixed: HashMap::new(),
        }
    }

    /// A checker with `settings` and the default [`Limits`].
    pub fn new(settings: Settings) -> Result<Checker, SetupError> {
        Checker::builder(settings).build()
    }

    /// What this checker may reach; validate targets with it.
    pub fn policy(&self) -> TargetPolicy {
        self.policy
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// GETs `check.target`, following redirects, reading the body up to
    /// the cap, all within `timeout`, and judges the answer. Never fails:
    /// every problem is in the returned [`Probe`].
    pub async fn probe(&self, check: &Check, timeout: Duration) -> Probe {
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + timeout;
        let mut probe = Probe {
            url: check.target.to_string(),
            final_url: None,
            status: None,
            latency: Duration::ZERO,
            body_bytes: 0,
            truncated: false,
            problem: None,
        };
        let mut url = check.target.url().clone();
        let mut previous: Option<Url> = None;
        let mut redirects = 0;
        let mut response = loop {
            let request = self.client.get(url.clone()).send();
            let response = match tokio::time::timeout_at(deadline, request).await {
                Err(_) => {
                    probe.latency = started.elapsed();
                    probe.problem = Some(Problem::Timeout {
                        after: timeout,
                        waiting_for: Waiting::Headers,
                    });
                    return probe;
                }
                Ok(Err(e)) => {
                    probe.latency = started.elapsed();
                    probe.problem = Some(classify(&e, &url, previous.as_ref()));
                    return probe;
                }
                Ok(Ok(response)) => response,
            };
            let status = response.status().as_u16();
            let Some(next) = redirect::target(&url, status, response.headers()) else {
                break response;
            };
            drop(response);
            match self.next_hop(&url, next, redirects) {
                Ok(next) => {
                    redirects += 1;
                    previous = Some(std::mem::replace(&mut url, next));
                }
                Err(problem) => {
                    probe.latency = started.elapsed();
                    probe.problem = Some(problem);
                    return probe;
                }
            }
        };
        if previous.is_some() {
            probe.final_url = Some(redact(&url));
        }
        probe.status = Some(response.status().as_u16());

        let cap = self.limits.body_cap;
        let mut body = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, response.chunk()).await {
                Err(_) => {
                    probe.latency = started.elapsed();
                    probe.body_bytes = body.len();
                    probe.problem = Some(Problem::Timeout {
                        after: timeout,
                        waiting_for: Waiting::Body,
                    });
                    return probe;
                }
                Ok(Err(e)) => {
                    probe.latency = started.elapsed();
                    probe.body_bytes = body.len();
                    probe.problem = Some(Problem::Transport {
                        detail: format!("reading the body: {}", error_detail(&e, false)),
                    });
                    return probe;
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => {
                    let room = cap - body.len();
                    if chunk.len() > room {
                        // Dropping the response closes the connection; the
                        // rest is never downloaded.
                        body.extend_from_slice(&chunk[..room]);
                        probe.truncated = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
            }
        }
        drop(response);
        probe.latency = started.elapsed();
        probe.body_bytes = body.len();
        let status = probe.status.unwrap_or_default();
        probe.problem = match check.expect.judge(status, &body) {
            Ok(()) => None,
            Err(Mismatch::Status { expected, snippet }) => {
                Some(Problem::Status { expected, snippet })
            }
            Err(Mismatch::TextMissing { expected, snippet }) => Some(Problem::TextMissing {
                expected,
                case_sensitive: check.expect.case_sensitive,
                snippet,
                read_limit: probe.truncated.then_some(cap),
            }),
        };
        probe
    }
}

impl Checker {
    /// Where to go after `url` redirected to `next`, having followed
    /// `redirects` redirects so far, or why not to.
    fn next_hop(
        &self,
        url: &Url,
        next: Result<Url, String>,
        redirects: usize,
    ) -> Result<Url, Problem> {
        let next = next.map_err(|location| Problem::Redirects {
            detail: format!("redirected to {location:?}, which is not a URL"),
        })?;
        if redirects == self.limits.max_redirects {
            return Err(Problem::Redirects {
                detail: TooManyRedirects {
                    max: self.limits.max_redirects,
                    next: redact(&next),
                }
                .to_string(),
            });
        }
        match Target::unchecked(next.clone()).validate(self.policy, Some(url)) {
            Ok(()) => Ok(next),
            Err(TargetError::Refused(refusal)) => Err(Problem::Refused(refusal)),
            Err(TargetError::Scheme { url, scheme }) => Err(Problem::Redirects {
                detail: format!(
                    "redirected to {url}, which cannot be checked: only http and https URLs can, not {scheme}"
                ),
            }),
            Err(other) => Err(Problem::Redirects {
                detail: format!("refused to follow a redirect: {other}"),
            }),
        }
    }
}

/// How one probe went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The URL requested (password hidden).
    pub url: String,
    /// Where redirects led, if anywhere else.
    pub final_url: Option<String>,
    /// The final answer's status, if one came.
    pub status: Option<u16>,
    /// From sending the request to the end of the body (or the failure).
    pub latency: Duration,
    /// Body bytes read.
    pub body_bytes: usize,
    /// The body was longer than the cap; only the first part was read.
    pub truncated: bool,
    /// `None` when the answer was as expected.
    pub problem: Option<Problem>,
}

impl Probe {
    pub fn passed(&self) -> bool {
        self.problem.is_none()
    }
}

/// What was wrong with a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Another status than expected.
    Status {
        expected: u16,
        snippet: String,
    },
    /// The expected text is not in the body (or not in the part read).
    TextMissing {
        expected: String,
        case_sensitive: bool,
        snippet: String,
        /// The cap, when the body was longer than it.
        read_limit: Option<usize>,
    },
    Timeout {
        after: Duration,
        waiting_for: Waiting,
    },
    /// No connection: DNS, TCP or TLS.
    Connect {
        detail: String,
    },
    Redirects {
        detail: String,
    },
    /// A target the check will not reach (a redirect to the metadata
    /// service, a name resolving to it). Retrying cannot help.
    Refused(Refusal),
    /// Anything else on the way (a broken connection, a malformed answer).
    Transport {
        detail: String,
    },
}

/// What a timed-out probe was waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// The connection or the response's status and headers.
    Headers,
    /// The rest of the body.
    Body,
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GET {}", self.url)?;
        if let Some(final_url) = &self.final_url {
            write!(f, " (redirected to {final_url})")?;
        }
        f.write_str(" → ")?;
        let latency = format_duration(self.latency);
        if let Some(status) = self.status {
            write!(f, "{}", status_text(status))?;
            if !matches!(
                self.problem,
                Some(Problem::Timeout { .. } | Problem::Transport { .. })
            ) {
                write!(f, " in {latency}")?;
            }
        }
        match &self.problem {
            None => Ok(()),
            Some(Problem::Status { expected, snippet }) => {
                write!(f, ", expected {expected}; body: \"{snippet}\"")
            }
            Some(Problem::TextMissing {
                expected,
                case_sensitive,
                snippet,
                read_limit,
            }) => {
                write!(f, ", but the body does not contain \"{expected}\"")?;
                if !case_sensitive {
                    f.write_str(" (ignoring case)")?;
                }
                if let Some(limit) = read_limit {
                    write!(f, " in its first {}", format_bytes(*limit))?;
                }
                write!(f, "; body: \"{snippet}\"")
            }
            Some(Problem::Timeout { after, waiting_for }) => match waiting_for {
                Waiting::Headers => write!(f, "no answer within {}", format_duration(*after)),
                Waiting::Body => write!(
                    f,
                    ", but the body was not complete within {}",
                    format_duration(*after)
                ),
            },
            Some(Problem::Connect { detail }) => {
                write!(f, "cannot connect (after {latency}): {detail}")
            }
            Some(Problem::Redirects { detail }) => f.write_str(detail),
            Some(Problem::Refused(refusal)) => write!(f, "{refusal}"),
            Some(Problem::Transport { detail }) => {
                if self.status.is_some() {
                    f.write_str(", but ")?;
                }
                write!(f, "failed after {latency}: {detail}")
            }
        }
    }
}

/// "200 OK", "502 Bad Gateway", "599": a status with its reason, if it has one.
pub fn status_text(status: u16) -> String {
    match StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

/// "12 ms", "1.5 s".
pub fn format_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// "1 MiB", "512 KiB", "100 bytes".
fn format_bytes(n: usize) -> String {
    if n >= 1024 * 1024 && n.is_multiple_of(1024 * 1024) {
        format!("{} MiB", n / (1024 * 1024))
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// Sorts a client error into a [`Problem`], recognising the resolver's
/// refusals in its sources. `url` is the URL requested, `redirected_from`
/// the one that redirected to it.
fn classify(error: &reqwest::Error, url: &Url, redirected_from: Option<&Url>) -> Problem {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(name) = e.downcast_ref::<RefusedName>() {
            return Problem::Refused(Refusal {
                url: redact(url),
                host: name.host.clone(),
                address: name.address,
                reason: name.reason,
                redirected_from: redirected_from.map(redact),
            });
        }
        source = e.source();
    }
    let detail = error_detail(error, false);
    if error.is_timeout() {
        Problem::Connect {
            detail: format!("timed out ({detail})"),
        }
    } else if error.is_connect() {
        Problem::Connect { detail }
    } else {
        Problem::Transport { detail }
    }
}

/// The causes of a client error, outermost first, without the client's own
/// top line (which repeats the URL) unless `include_top`; a cause that
/// repeats the one before it is left out.
fn error_detail(error: &reqwest::Error, include_top: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    if include_top {
        parts.push(error.to_string());
    }
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        let text = e.to_string();
        // hyper's "client error (Connect)" only repeats what the cause says.
        let wrapper = text.starts_with("client error (") && text.ends_with(')');
        if !text.is_empty() && !wrapper && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    if parts.is_empty() {
        error.to_string()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(status: Option<u16>, problem: Option<Problem>) -> Probe {
        Probe {
            url: "http://calc.test/".to_string(),
            final_url: None,
            status,
            latency: Duration::from_millis(12),
            body_bytes: 0,
            truncated: false,
            problem,
        }
    }

    #[test]
    fn probes_read_as_one_line_each() {
        assert_eq!(
            probe(Some(200), None).to_string(),
            "GET http://calc.test/ → 200 OK in 12 ms"
        );
        assert_eq!(
            probe(
                Some(502),
                Some(Problem::Status {
                    expected: 200,
                    snippet: "<html>Bad Gateway</html>".into()
                })
            )
            .to_string(),
            "GET http://calc.test/ → 502 Bad Gateway in 12 ms, expected 200; body: \"<html>Bad Gateway</html>\""
        );
        assert_eq!(
            probe(
                Some(200),
                Some(Problem::TextMissing {
                    expected: "Simple Calculator Service".into(),
                    case_sensitive: false,
                    snippet: "Welcome to nginx!".into(),
                    read_limit: Some(1024 * 1024),
                })
            )
            .to_string(),
            "GET http://calc.test/ → 200 OK in 12 ms, but the body does not contain \"Simple Calculator Service\" (ignoring case) in its first 1 MiB; body: \"Welcome to nginx!\""
        );
        assert_eq!(
            probe(
                None,
                Some(Problem::Timeout {
                    after: Duration::from_millis(1500),
                    waiting_for: Waiting::Headers
                })
            )
            .to_string(),
            "GET http://calc.test/ → no answer within 1.5 s"
        );
        assert_eq!(
            probe(
                Some(200),
                Some(Problem::Timeout {
                    after: Duration::from_secs(2),
                    waiting_for: Waiting::Body
                })
            )
            .to_string(),
            "GET http://calc.test/ → 200 OK, but the body was not complete within 2.0 s"
        );
        assert_eq!(
            probe(
                None,
                Some(Problem::Connect {
                    detail: "tcp connect error: Connection refused (os error 111)".into()
                })
            )
            .to_string(),
            "GET http://calc.test/ → cannot connect (after 12 ms): tcp connect error: Connection refused (os error 111)"
        );
        assert_eq!(
            probe(Some(599), None).to_string(),
            "GET http://calc.test/ → 599 in 12 ms"
        );
    }

    #[test]
    fn sizes_and_durations_read_naturally() {
        assert_eq!(format_bytes(1024 * 1024), "1 MiB");
        assert_eq!(format_bytes(64 * 1024), "64 KiB");
        assert_eq!(format_bytes(1000), "1000 bytes");
        assert_eq!(format_duration(Duration::from_millis(999)), "999 ms");
        assert_eq!(format_duration(Duration::from_millis(1049)), "1.0 s");
    }
}
