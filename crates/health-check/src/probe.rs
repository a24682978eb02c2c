//! One probe: a GET of one URL, judged against what it should answer.
//!
//! The probe has a total timeout, covering redirects and the body, reads at
//! most [`Limits::body_cap`](crate::Limits) bytes of the body (see
//! `body`), and follows redirects itself, validating each target
//! (see [`crate::redirect`]). It never fails: every problem is in the
//! [`Probe`] it returns.

use std::time::{Duration, Instant};

use reqwest::Url;

use crate::body::{self, BodyFailure};
use crate::checker::{Check, Checker};
use crate::client_error::classify;
use crate::expect::Mismatch;
use crate::problem::{Probe, Problem, Waiting};
use crate::redirect::{self, TooManyRedirects};
use crate::target::{Target, TargetError, redact, redact_text};

impl Checker {
    /// GETs `check.target`, following redirects, reading the body up to
    /// the cap, all within `timeout`, and judges the answer.
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
        let response = loop {
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
        let status = response.status().as_u16();
        probe.status = Some(status);

        let cap = self.limits.body_cap;
        let body = body::read_capped(response, cap, deadline).await;
        probe.latency = started.elapsed();
        let body = match body {
            Ok(body) => body,
            Err(BodyFailure::TimedOut { read }) => {
                probe.body_bytes = read;
                probe.problem = Some(Problem::Timeout {
                    after: timeout,
                    waiting_for: Waiting::Body,
                });
                return probe;
            }
            Err(BodyFailure::Broken { read, detail }) => {
                probe.body_bytes = read;
                probe.problem = Some(Problem::Transport {
                    detail: format!("reading the body: {detail}"),
                });
                return probe;
            }
        };
        probe.body_bytes = body.bytes.len();
        probe.truncated = body.truncated;
        probe.problem = match check.expect.judge(status, &body.bytes) {
            Ok(()) => None,
            Err(Mismatch::Status { expected, snippet }) => {
                Some(Problem::Status { expected, snippet })
            }
            Err(Mismatch::TextMissing { expected, snippet }) => Some(Problem::TextMissing {
                expected,
                case_sensitive: check.expect.case_sensitive,
                snippet,
                read_limit: body.truncated.then_some(cap),
            }),
        };
        probe
    }

    /// Where to go after `url` redirected to `next`, having followed
    /// `redirects` redirects so far, or why not to.
    fn next_hop(
        &self,
        url: &Url,
        next: Result<Url, String>,
        redirects: usize,
    ) -> Result<Url, Problem> {
        let next = next.map_err(|location| Problem::Redirects {
            detail: format!(
                "redirected to {:?}, which is not a URL",
                redact_text(&location)
            ),
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
            Err(TargetError::Scheme { url: to, scheme }) => Err(Problem::SchemeRedirect {
                from: redact(url),
                to,
                scheme,
            }),
            Err(other) => Err(Problem::Redirects {
                detail: format!("refused to follow a redirect: {other}"),
            }),
        }
    }
}
