//! Following redirects: at most a few, each target validated like the first
//! URL, so a redirect cannot lead the check where it may not go.
//!
//! The probe follows redirects itself rather than leaving it to the HTTP
//! client: it then knows every hop, so a refusal names the exact redirect,
//! and one total timeout covers them all.

use reqwest::Url;
use reqwest::header::LOCATION;

/// The most redirects one probe follows.
pub const MAX_REDIRECTS: usize = 5;

/// Stopped after [`MAX_REDIRECTS`] redirects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("more than {max} redirects (the last to {next})")]
pub struct TooManyRedirects {
    /// How many were allowed.
    pub max: usize,
    /// Where the next redirect pointed (password hidden).
    pub next: String,
}

/// Where a response redirects to: `None` if it is no redirect (not 301,
/// 302, 303, 307 or 308 with a `Location`), else the location resolved
/// against `current`, or the raw location if it is not a valid URL.
pub(crate) fn target(
    current: &Url,
    status: u16,
    headers: &reqwest::header::HeaderMap,
) -> Option<Result<Url, String>> {
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = headers.get(LOCATION)?;
    let text = String::from_utf8_lossy(location.as_bytes()).into_owned();
    Some(current.join(text.trim()).map_err(|_| text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn location(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn redirects_resolve_against_the_current_url() {
        let here = Url::parse("http://calc.test/app/page").unwrap();
        assert_eq!(
            target(&here, 302, &location("/login")),
            Some(Ok(Url::parse("http://calc.test/login").unwrap()))
        );
        assert_eq!(
            target(&here, 308, &location("next")),
            Some(Ok(Url::parse("http://calc.test/app/next").unwrap()))
        );
        assert_eq!(
            target(&here, 301, &location("https://other.test/")),
            Some(Ok(Url::parse("https://other.test/").unwrap()))
        );
        assert_eq!(
            target(&here, 302, &location("http://[bad")),
            Some(Err("http://[bad".to_string()))
        );
    }

    #[test]
    fn only_redirect_statuses_with_a_location_redirect() {
        let here = Url::parse("http://calc.test/").unwrap();
        assert_eq!(target(&here, 200, &location("/x")), None);
        assert_eq!(target(&here, 304, &location("/x")), None);
        assert_eq!(target(&here, 302, &HeaderMap::new()), None);
    }
}
