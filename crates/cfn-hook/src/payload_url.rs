//! The payload URL: where CloudFormation left the template, presigned, and
//! the only address the function will fetch. Pure.
//!
//! It must be `https` on an S3 host of AWS (`s3.amazonaws.com`,
//! `bucket.s3.us-east-1.amazonaws.com`, `s3-us-west-2.amazonaws.com`,
//! `s3.dualstack.eu-west-1.amazonaws.com`, `s3-fips…`, `….amazonaws.com.cn`),
//! on the default port: anything else — the instance metadata address,
//! loopback (in Lambda, the Runtime API), another AWS service's name, a
//! name merely containing `s3` — is refused before any connection. For
//! tests, [`UrlPolicy::allow_loopback`] (`HOOK_PAYLOAD_ALLOW_LOOPBACK=true`)
//! also lets `http` or `https` to a loopback address through (moto).
//!
//! Its query is the request's signature, a credential: a [`PayloadUrl`]
//! shows as `https://host/path?***` (Display and Debug alike), and what
//! cannot be read as a URL is never echoed at all.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

/// What a payload URL may point at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// `HOOK_PAYLOAD_ALLOW_LOOPBACK=true`: `http` or `https` to a loopback
    /// address (127.0.0.0/8, `::1`) too. For tests only.
    pub allow_loopback: bool,
}

/// A URL the policy allows; shows without its query.
#[derive(Clone, PartialEq, Eq)]
pub struct PayloadUrl(Url);

/// A payload URL refused; the message shows it without its query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UrlError(String);

impl PayloadUrl {
    /// `text` as a payload URL, when `policy` allows it.
    pub fn parse(text: &str, policy: UrlPolicy) -> Result<PayloadUrl, UrlError> {
        let url = Url::parse(text).map_err(|e| {
            UrlError(format!(
                "the payload URL cannot be read as a URL ({e}); it is not shown, since it may hold a credential"
            ))
        })?;
        PayloadUrl::check(&url, policy)?;
        Ok(PayloadUrl(url))
    }

    /// Whether `url` (the payload URL, or where a redirect leads) may be
    /// fetched under `policy`.
    pub fn check(url: &Url, policy: UrlPolicy) -> Result<(), UrlError> {
        let refused = |why: &str| Err(UrlError(format!("{} {why}", redacted(url))));
        let loopback = match url.host() {
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(Host::Ipv6(ip)) => {
                ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
            _ => false,
        };
        if loopback {
            if !policy.allow_loopback {
                return refused(
                    "is a loopback address, refused (HOOK_PAYLOAD_ALLOW_LOOPBACK=true allows it, for tests only)",
                );
            }
            if !matches!(url.scheme(), "http" | "https") {
                return refused("is neither http nor https");
            }
            return Ok(());
        }
        if url.scheme() != "https" {
            return refused("is not https: the payload must come from S3 over https");
        }
        let is_s3 = matches!(url.host(), Some(Host::Domain(host)) if is_s3_host(host));
        if !is_s3 {
            return refused("is not on an S3 host (such as bucket.s3.us-east-1.amazonaws.com)");
        }
        if url.port().is_some_and(|p| p != 443) {
            return refused("is not on S3's port");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return refused("carries a user name or password");
        }
        Ok(())
    }

    /// The URL to request (never to be shown or logged).
    pub fn as_url(&self) -> &Url {
        &self.0
    }
}

impl fmt::Display for PayloadUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redacted(&self.0))
    }
}

impl fmt::Debug for PayloadUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PayloadUrl({self})")
    }
}

/// `url` as it may be shown: scheme, host, port and path (at most 200
/// characters); a query as `?***`; no user name, password or fragment.
pub fn redacted(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = pipeline_job::limits::truncate(url.path(), 200);
    let query = if url.query().is_some() { "?***" } else { "" };
    format!("{}://{host}{port}{path}{query}", url.scheme())
}

/// Whether `host` is one of S3's endpoints: a label `s3`, `s3-fips`,
/// `s3-external-1` or `s3-<region>` (a bucket's name may come before it),
/// followed only by `dualstack` and a region, under `amazonaws.com` or
/// `amazonaws.com.cn`. A name of another service that merely holds such a
/// label (`s3-x.us-east-1.elb.amazonaws.com`) is not one.
pub fn is_s3_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let Some(rest) = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))
    else {
        return false;
    };
    let labels: Vec<&str> = rest.split('.').collect();
    labels.iter().enumerate().any(|(i, label)| {
        let s3 = *label == "s3"
            || *label == "s3-fips"
            || *label == "s3-external-1"
            || label.strip_prefix("s3-").is_some_and(is_region);
        let after = &labels[i + 1..];
        s3 && after.len() <= 2
            && after.iter().all(|l| *l == "dualstack" || is_region(l))
            && after.iter().filter(|l| is_region(l)).count() <= 1
    })
}

/// `us-east-1`, `us-gov-west-1`, `cn-north-1`, `eu-central-2`: two
/// letters, words, and a number.
fn is_region(label: &str) -> bool {
    let parts: Vec<&str> = label.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: UrlPolicy = UrlPolicy {
        allow_loopback: false,
    };
    const LOOPBACK: UrlPolicy = UrlPolicy {
        allow_loopback: true,
    };

    #[test]
    fn s3_hosts_are_told_from_the_others() {
        for host in [
            "s3.amazonaws.com",
            "bucket.s3.amazonaws.com",
            "s3.us-east-1.amazonaws.com",
            "hooks-payload.s3.us-west-2.amazonaws.com",
            "my.dotted.bucket.s3.eu-central-1.amazonaws.com",
            "s3-us-west-2.amazonaws.com",
            "bucket.s3-ap-southeast-2.amazonaws.com",
            "s3.dualstack.eu-west-1.amazonaws.com",
            "s3-fips.us-gov-west-1.amazonaws.com",
            "s3-fips.dualstack.us-east-2.amazonaws.com",
            "s3-external-1.amazonaws.com",
            "bucket.s3.cn-north-1.amazonaws.com.cn",
            "S3.US-EAST-1.AMAZONAWS.COM.",
        ] {
            assert!(is_s3_host(host), "{host}");
        }
        for host in [
            "amazonaws.com",
            "s3.amazonaws.com.evil.example",
            "s3.evil.example",
            "evil-s3.amazonaws.com.example",
            "s3-evil-123.us-east-1.elb.amazonaws.com",
            "s3.us-east-1.elb.amazonaws.com",
            "abc.execute-api.us-east-1.amazonaws.com",
            "s3-website-us-east-1.amazonaws.com",
            "s3.us-east-1.us-west-2.amazonaws.com",
            "sqs.us-east-1.amazonaws.com",
            "169.254.169.254",
        ] {
            assert!(!is_s3_host(host), "{host}");
        }
    }

    #[test]
    fn only_https_to_s3_is_fetched_and_loopback_only_when_allowed() {
        let url = "https://b.s3.us-east-1.amazonaws.com/hook/payload.json?X-Amz-Signature=abc123&X-Amz-Credential=AKID";
        let parsed = PayloadUrl::parse(url, STRICT).unwrap();
        assert_eq!(
            parsed.to_string(),
            "https://b.s3.us-east-1.amazonaws.com/hook/payload.json?***"
        );
        assert_eq!(format!("{parsed:?}"), format!("PayloadUrl({parsed})"));
        assert_eq!(parsed.as_url().as_str(), url);

        let refused = |text: &str, policy| PayloadUrl::parse(text, policy).unwrap_err().to_string();
        assert_eq!(
            refused("http://b.s3.amazonaws.com/k?X-Amz-Signature=abc123", STRICT),
            "http://b.s3.amazonaws.com/k?*** is not https: the payload must come from S3 over https"
        );
        assert_eq!(
            refused("http://169.254.169.254/latest/meta-data/iam?x=1", STRICT),
            "http://169.254.169.254/latest/meta-data/iam?*** is not https: the payload must come from S3 over https"
        );
        assert_eq!(
            refused("https://169.254.169.254/latest/meta-data/", LOOPBACK),
            "https://169.254.169.254/latest/meta-data/ is not on an S3 host (such as bucket.s3.us-east-1.amazonaws.com)"
        );
        assert_eq!(
            refused(
                "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next?sig=s",
                STRICT
            ),
            "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next?*** is a loopback address, refused (HOOK_PAYLOAD_ALLOW_LOOPBACK=true allows it, for tests only)"
        );
        for loopback in [
            "http://127.0.0.1:9001/x",
            "http://[::1]:9001/x",
            "http://[::ffff:127.0.0.1]/x",
            "http://2130706433/x",
        ] {
            assert!(
                refused(loopback, STRICT).contains("is a loopback address, refused"),
                "{loopback}"
            );
            assert!(PayloadUrl::parse(loopback, LOOPBACK).is_ok(), "{loopback}");
        }
        assert_eq!(
            refused("file:///etc/passwd", LOOPBACK),
            "file:///etc/passwd is not https: the payload must come from S3 over https"
        );
        assert_eq!(
            refused("https://b.s3.amazonaws.com:8443/k", STRICT),
            "https://b.s3.amazonaws.com:8443/k is not on S3's port"
        );
        assert_eq!(
            refused("https://user:secret@b.s3.amazonaws.com/k", STRICT),
            "https://b.s3.amazonaws.com/k carries a user name or password"
        );
        assert_eq!(
            refused("https://s3.amazonaws.com@evil.example/k?sig=s", STRICT),
            "https://evil.example/k?*** is not on an S3 host (such as bucket.s3.us-east-1.amazonaws.com)"
        );
        let unreadable = refused("not a url ?X-Amz-Signature=secret", STRICT);
        assert!(!unreadable.contains("secret"), "{unreadable}");
        assert!(unreadable.starts_with("the payload URL cannot be read as a URL"));
    }
}
