//! How one probe went, what can be wrong with it, and the one line each
//! probe reads as in messages and logs.

use std::fmt;
use std::time::Duration;

use crate::format;
use crate::target::Refusal;

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
    /// Whether the probe found the service healthy.
    pub fn passed(&self) -> bool {
        self.problem.is_none()
    }
}

/// What was wrong with a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Another status than expected.
    Status {
        /// The status expected.
        expected: u16,
        /// The start of the body, to show what answered.
        snippet: String,
    },
    /// The expected text is not in the body (or not in the part read).
    TextMissing {
        /// The text looked for.
        expected: String,
        /// Whether case counted.
        case_sensitive: bool,
        /// The start of the body.
        snippet: String,
        /// The cap, when the body was longer than it.
        read_limit: Option<usize>,
    },
    /// No answer in time.
    Timeout {
        /// How long the probe waited.
        after: Duration,
        /// For what: the connection, the headers or the body.
        waiting_for: Waiting,
    },
    /// No connection: DNS, TCP or TLS.
    Connect {
        /// What the client said.
        detail: String,
    },
    /// More redirects than allowed.
    Redirects {
        /// How many, and to where last.
        detail: String,
    },
    /// A target the check will not reach (a redirect to the metadata
    /// service, a name resolving to it). Retrying cannot help.
    Refused(Refusal),
    /// A redirect to a URL that is not `http` or `https` (`file:`, `ftp:`,
    /// …): the service sends visitors where no check may follow, and
    /// retrying cannot help either. URLs as shown (password and query
    /// hidden).
    SchemeRedirect {
        /// The URL that redirected.
        from: String,
        /// Where to.
        to: String,
        /// The scheme refused.
        scheme: String,
    },
    /// Anything else on the way (a broken connection, a malformed answer).
    Transport {
        /// What the client said.
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

impl Problem {
    /// What no retry can fix, as a message, or `None` for a problem that
    /// may go away.
    pub fn refusal(&self) -> Option<String> {
        match self {
            Problem::Refused(refusal) => Some(refusal.to_string()),
            Problem::SchemeRedirect { from, to, scheme } => Some(format!(
                "refused to follow the redirect from {from} to {to}: only http and https URLs can be checked, not {scheme}"
            )),
            _ => None,
        }
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GET {}", self.url)?;
        if let Some(final_url) = &self.final_url {
            write!(f, " (redirected to {final_url})")?;
        }
        f.write_str(" → ")?;
        let latency = format::duration(self.latency);
        if let Some(status) = self.status {
            write!(f, "{}", format::status(status))?;
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
                    write!(f, " in its first {}", format::bytes(*limit))?;
                }
                write!(f, "; body: \"{snippet}\"")
            }
            Some(Problem::Timeout { after, waiting_for }) => match waiting_for {
                Waiting::Headers => write!(f, "no answer within {}", format::duration(*after)),
                Waiting::Body => write!(
                    f,
                    ", but the body was not complete within {}",
                    format::duration(*after)
                ),
            },
            Some(Problem::Connect { detail }) => {
                write!(f, "cannot connect (after {latency}): {detail}")
            }
            Some(Problem::Redirects { detail }) => f.write_str(detail),
            Some(problem @ (Problem::Refused(_) | Problem::SchemeRedirect { .. })) => {
                f.write_str(&problem.refusal().unwrap_or_default())
            }
            Some(Problem::Transport { detail }) => {
                if self.status.is_some() {
                    f.write_str(", but ")?;
                }
                write!(f, "failed after {latency}: {detail}")
            }
        }
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
            "GET http://calc.test/ → 200 OK, but the body was not complete within 2 s"
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
}
