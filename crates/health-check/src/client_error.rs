//! What the HTTP client's errors mean for a probe.

use reqwest::Url;

use crate::problem::Problem;
use crate::resolver::RefusedName;
use crate::target::{Refusal, redact};

/// Sorts a client error into a [`Problem`], recognising the resolver's
/// refusals in its sources. `url` is the URL requested, `redirected_from`
/// the one that redirected to it.
pub(crate) fn classify(
    error: &reqwest::Error,
    url: &Url,
    redirected_from: Option<&Url>,
) -> Problem {
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
pub(crate) fn error_detail(error: &reqwest::Error, include_top: bool) -> String {
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
