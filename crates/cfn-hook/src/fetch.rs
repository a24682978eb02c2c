//! Fetching the payload: the port ([`PayloadSource`]) and its HTTP client
//! ([`HttpPayloads`]).
//!
//! The client fetches only what [`PayloadUrl`] allows, and within caps:
//! 3 s to connect, [`PAYLOAD_TIMEOUT`] for the whole response,
//! [`MAX_PAYLOAD_BYTES`] of body (a longer one is refused by its
//! `Content-Length`, or once that many bytes have come, the rest never
//! read), no decompression, no proxy, and no redirect that leads off S3
//! (each one is checked as the URL was, [`MAX_REDIRECTS`] at most).
//! Errors never show the URL's query: reqwest's are stripped of their URL.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::payload_url::{PayloadUrl, UrlPolicy, redacted};

/// The largest payload read: two templates of CloudFormation's 1 MiB, or a
/// template and its changes, written as JSON strings (escaping can double
/// YAML's size), with room to spare.
pub const MAX_PAYLOAD_BYTES: usize = 16 << 20;
/// The longest a payload may take to come, redirects and body included.
pub const PAYLOAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Redirects followed at most, each to S3 again.
pub const MAX_REDIRECTS: usize = 3;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a payload was not fetched; the message never holds the URL's query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// Where payloads come from: S3 through a presigned URL in Lambda
/// ([`HttpPayloads`]), a file or memory in the CLI and tests.
pub trait PayloadSource: Send + Sync {
    /// The payload at `url`, whole, or why not.
    fn fetch(&self, url: &PayloadUrl) -> impl Future<Output = Result<Vec<u8>, FetchError>> + Send;
}

/// Payloads over HTTP, within the caps of the module documentation.
#[derive(Debug, Clone)]
pub struct HttpPayloads {
    client: reqwest::Client,
    max_bytes: usize,
    timeout: Duration,
}

impl HttpPayloads {
    /// A client that follows redirects only where `policy` allows.
    pub fn new(policy: UrlPolicy) -> Result<HttpPayloads, FetchError> {
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(FetchError(format!("more than {MAX_REDIRECTS} redirects")));
            }
            match PayloadUrl::check(attempt.url(), policy) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(FetchError(format!("a redirect to {e}"))),
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(concat!("cicd-cfn-hook/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(redirects)
            .no_proxy()
            .build()
            .map_err(|e| FetchError(format!("cannot make an HTTP client: {}", detail(e))))?;
        Ok(HttpPayloads {
            client,
            max_bytes: MAX_PAYLOAD_BYTES,
            timeout: PAYLOAD_TIMEOUT,
        })
    }

    /// The same client with other caps (tests).
    pub fn with_limits(mut self, max_bytes: usize, timeout: Duration) -> HttpPayloads {
        self.max_bytes = max_bytes;
        self.timeout = timeout;
        self
    }
}

impl PayloadSource for HttpPayloads {
    async fn fetch(&self, url: &PayloadUrl) -> Result<Vec<u8>, FetchError> {
        let deadline = Instant::now() + self.timeout;
        let late = || {
            FetchError(format!(
                "the payload at {url} did not come within {} s",
                self.timeout.as_secs()
            ))
        };
        let request = self.client.get(url.as_url().clone()).send();
        let mut response = match tokio::time::timeout_at(deadline, request).await {
            Err(_) => return Err(late()),
            Ok(Err(e)) => {
                return Err(FetchError(format!(
                    "the payload at {url} could not be fetched: {}",
                    detail(e)
                )));
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if !status.is_success() {
            // Where it came from, if a redirect led there, shown as the
            // request was: without its query.
            return Err(FetchError(format!(
                "the payload at {url} could not be fetched: {} answered {status}",
                redacted(response.url())
            )));
        }
        let too_large = || {
            FetchError(format!(
                "the payload at {url} is larger than {} bytes, the most it may be",
                self.max_bytes
            ))
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, response.chunk()).await {
                Err(_) => return Err(late()),
                Ok(Err(e)) => {
                    return Err(FetchError(format!(
                        "the payload at {url} broke off after {} bytes: {}",
                        body.len(),
                        detail(e)
                    )));
                }
                Ok(Ok(None)) => return Ok(body),
                Ok(Ok(Some(chunk))) => {
                    if chunk.len() > self.max_bytes - body.len() {
                        // Dropping the response closes the connection: the
                        // rest is never read.
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
            }
        }
    }
}

/// A reqwest error without its URL, with its causes: what to show.
fn detail(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A payload given whole, whatever the URL: what `cicd hook --payload FILE`
/// hands the Hook, and tests (the URL is still checked first).
#[derive(Debug, Clone)]
pub struct GivenPayload(pub Result<Vec<u8>, FetchError>);

impl PayloadSource for GivenPayload {
    async fn fetch(&self, _url: &PayloadUrl) -> Result<Vec<u8>, FetchError> {
        self.0.clone()
    }
}
