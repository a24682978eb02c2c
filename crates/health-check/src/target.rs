//! The URL to check, validated before anything is sent.
//!
//! Only `http` and `https` URLs with a host are accepted, and a host written
//! as a refused address (see [`crate::addr`]) is refused here, whatever
//! spelling the URL uses (`http://2852039166/` is 169.254.169.254 too, and
//! `http://127.1/` is 127.0.0.1: the URL parser normalises them). Names are
//! checked when they are resolved (see [`crate::resolver`]), and redirect
//! targets when they are followed.
//!
//! A password or a query string in the URL (`https://user:secret@host/`,
//! `https://host/health?token=secret`) is sent, but never shown: every
//! message and log prints the URL with `***` in their place (the path is
//! kept).

use std::fmt;
use std::net::IpAddr;

use reqwest::Url;
use url::Host;

use crate::addr::{self, Reason};
pub use crate::policy::TargetPolicy;

/// A URL that may be checked.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    url: Url,
}

/// A URL that cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs)] // the fields are named for what they hold, and the messages say the rest
pub enum TargetError {
    /// Text that does not parse as a URL.
    #[error("{text:?} is not a URL: {reason}")]
    NotAUrl { text: String, reason: String },
    /// A URL of another scheme than `http` or `https`.
    #[error("{url} cannot be checked: only http and https URLs can, not {scheme}")]
    Scheme { url: String, scheme: String },
    /// A URL without a host.
    #[error("{url} has no host")]
    NoHost { url: String },
    /// A host at a refused address.
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// A target the check will not reach, because of the address it is at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Refusal {
    /// The refused URL (password and query hidden).
    pub url: String,
    /// Its host as written in the URL.
    pub host: String,
    /// The address the host is, or resolved to.
    pub address: IpAddr,
    /// Why the address is refused.
    pub reason: Reason,
    /// The URL that redirected to it, if it was a redirect target.
    pub redirected_from: Option<String>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.redirected_from {
            Some(from) => write!(
                f,
                "refused to follow the redirect from {from} to {}",
                self.url
            )?,
            None => write!(f, "refused to check {}", self.url)?,
        }
        let literal = self.host.trim_matches(['[', ']']).parse::<IpAddr>();
        if literal.is_ok_and(|ip| ip == self.address) {
            write!(f, ": {} is {}", self.address, self.reason)?;
        } else {
            write!(
                f,
                ": {} resolves to {}, which is {}",
                self.host, self.address, self.reason
            )?;
        }
        match self.reason.kind.allowance() {
            Some(allowance) => write!(f, " ({allowance})"),
            None => Ok(()),
        }
    }
}

impl Target {
    /// Parses and validates `text`.
    pub fn parse(text: &str, policy: TargetPolicy) -> Result<Target, TargetError> {
        let trimmed = text.trim();
        let url = Url::parse(trimmed).map_err(|e| TargetError::NotAUrl {
            text: redact_text(trimmed),
            reason: match e {
                url::ParseError::RelativeUrlWithoutBase => {
                    "it must start with http:// or https://".to_string()
                }
                other => other.to_string(),
            },
        })?;
        Target::from_url(url, policy)
    }

    /// Validates `url`.
    pub fn from_url(url: Url, policy: TargetPolicy) -> Result<Target, TargetError> {
        let target = Target { url };
        target.validate(policy, None)?;
        Ok(target)
    }

    /// `path` resolved against this URL the way a link in its page would be
    /// (`/x` from the host's root, `x` next to the current path), and
    /// validated like the URL itself.
    pub fn join(&self, path: &str, policy: TargetPolicy) -> Result<Target, TargetError> {
        let url = self.url.join(path).map_err(|e| TargetError::NotAUrl {
            text: redact_text(path),
            reason: e.to_string(),
        })?;
        Target::from_url(url, policy)
    }

    /// A target known to be valid, or about to be validated.
    pub(crate) fn unchecked(url: Url) -> Target {
        Target { url }
    }

    /// The URL itself, password included: for sending, never for showing.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Checks the scheme, the host, and refused address literals (those
    /// `policy` does not allow). `redirected_from` names the URL that
    /// redirected here, for the message.
    pub(crate) fn validate(
        &self,
        policy: TargetPolicy,
        redirected_from: Option<&Url>,
    ) -> Result<(), TargetError> {
        let url = &self.url;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(TargetError::Scheme {
                url: redact(url),
                scheme: url.scheme().to_string(),
            });
        }
        let address = match url.host() {
            None => return Err(TargetError::NoHost { url: redact(url) }),
            Some(Host::Domain("")) => {
                return Err(TargetError::NoHost { url: redact(url) });
            }
            Some(Host::Domain(_)) => None,
            Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        };
        if let Some(address) = address
            && let Some(reason) = addr::refused(address, policy)
        {
            return Err(TargetError::Refused(Refusal {
                url: redact(url),
                host: url.host_str().unwrap_or_default().to_string(),
                address,
                reason,
                redirected_from: redirected_from.map(redact),
            }));
        }
        Ok(())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.url))
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({self})")
    }
}

/// `url` as text with its password, query and fragment, if any, replaced
/// by `***`: what every message and log line shows.
pub fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Only fails for URLs that cannot have a password, and this one has one.
        let _ = shown.set_password(Some("***"));
    }
    if shown.query().is_some_and(|q| !q.is_empty()) {
        shown.set_query(Some("***"));
    }
    if shown.fragment().is_some_and(|f| !f.is_empty()) {
        shown.set_fragment(Some("***"));
    }
    shown.to_string()
}

/// Like [`redact`], for text that did not parse as a URL (or a path to
/// join to one): whatever sits between `://` and the last `@` before the
/// host could be a password, and whatever follows a `?` or `#` a token.
pub(crate) fn redact_text(text: &str) -> String {
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, text),
    };
    let authority_end = match scheme {
        Some(_) => rest.find(['/', '?', '#']).unwrap_or(rest.len()),
        None => 0,
    };
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("***{}", &authority[at..]),
        None => authority.to_string(),
    };
    let tail = match tail.find(['?', '#']) {
        Some(cut) if cut + 1 < tail.len() => format!("{}***", &tail[..=cut]),
        _ => tail.to_string(),
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{authority}{tail}"),
        None => format!("{authority}{tail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Kind;

    const DENY: TargetPolicy = TargetPolicy::STRICT;
    const LINK_LOCAL: TargetPolicy = TargetPolicy::LINK_LOCAL;
    const LOOPBACK: TargetPolicy = TargetPolicy::LOOPBACK;

    fn refusal(text: &str) -> Refusal {
        match Target::parse(text, DENY) {
            Err(TargetError::Refused(r)) => r,
            other => panic!("{text}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn http_and_https_urls_are_accepted() {
        for ok in [
            "http://10.0.0.1:8080/",
            "https://calc.example.com",
            "  http://calc.example.com/health?x=1  ",
            "http://[2001:db8::1]:8080/",
        ] {
            assert!(Target::parse(ok, DENY).is_ok(), "{ok}");
        }
    }

    #[test]
    fn other_schemes_and_non_urls_are_refused_with_a_reason() {
        assert_eq!(
            Target::parse("ftp://example.com/", DENY)
                .unwrap_err()
                .to_string(),
            "ftp://example.com/ cannot be checked: only http and https URLs can, not ftp"
        );
        assert_eq!(
            Target::parse("file:///etc/passwd", DENY)
                .unwrap_err()
                .to_string(),
            "file:///etc/passwd cannot be checked: only http and https URLs can, not file"
        );
        assert_eq!(
            Target::parse("calc.example.com", DENY)
                .unwrap_err()
                .to_string(),
            "\"calc.example.com\" is not a URL: it must start with http:// or https://"
        );
        assert_eq!(
            Target::parse("http://", DENY).unwrap_err().to_string(),
            "\"http://\" is not a URL: empty host"
        );
    }

    #[test]
    fn the_metadata_address_is_refused_in_every_spelling() {
        for text in [
            "http://169.254.169.254/latest/meta-data/",
            "http://2852039166/",
            "http://0xa9.0xfe.0xa9.0xfe/",
            "http://0251.0376.0251.0376/",
            "http://169.254.43518/",
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[0:0:0:0:0:ffff:a9fe:a9fe]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[fd00:ec2::254]/",
        ] {
            let r = refusal(text);
            assert_eq!(r.reason.kind, Kind::Metadata, "{text}");
        }
        assert_eq!(
            refusal("http://169.254.169.254/latest/meta-data/").to_string(),
            "refused to check http://169.254.169.254/latest/meta-data/: 169.254.169.254 is the instance metadata address (set HEALTH_CHECK_ALLOW_LINK_LOCAL=true to allow link-local targets)"
        );
    }

    #[test]
    fn link_local_addresses_are_refused_unless_allowed() {
        assert_eq!(
            refusal("http://169.254.10.1:8080/").reason.kind,
            Kind::LinkLocal
        );
        assert_eq!(refusal("http://[fe80::1]/").reason.kind, Kind::LinkLocal);
        assert!(Target::parse("http://169.254.10.1:8080/", LINK_LOCAL).is_ok());
        assert!(Target::parse("http://169.254.169.254/", LINK_LOCAL).is_ok());
        assert!(Target::parse("http://169.254.169.254/", LOOPBACK).is_err());
    }

    #[test]
    fn loopback_is_refused_in_every_spelling_unless_allowed() {
        for text in [
            "http://127.0.0.1:8080/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://127.255.255.254/",
            "http://[::1]:8080/",
            "http://[0:0:0:0:0:0:0:1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::7f00:1]/",
            "http://[64:ff9b:1::7f00:1]/",
            "http://[2002:7f00:1::]/",
        ] {
            assert_eq!(refusal(text).reason.kind, Kind::Loopback, "{text}");
            assert!(Target::parse(text, LOOPBACK).is_ok(), "{text}");
            assert!(Target::parse(text, LINK_LOCAL).is_err(), "{text}");
        }
        assert_eq!(
            refusal("http://[::ffff:127.0.0.1]:8080/").to_string(),
            "refused to check http://[::ffff:7f00:1]:8080/: ::ffff:127.0.0.1 is loopback (it embeds 127.0.0.1) (set HEALTH_CHECK_ALLOW_LOOPBACK=true to allow loopback targets)"
        );
    }

    #[test]
    fn this_host_is_refused_whatever_is_allowed() {
        let all = TargetPolicy {
            allow_link_local: true,
            allow_loopback: true,
        };
        for text in [
            "http://0.0.0.0:8080/",
            "http://0/",
            "http://0.1.2.3/",
            "http://[::]/",
            "http://[::ffff:0.0.0.0]/",
        ] {
            assert_eq!(refusal(text).reason.kind, Kind::ThisHost, "{text}");
            assert!(Target::parse(text, all).is_err(), "{text}");
        }
        assert_eq!(
            refusal("http://0.0.0.0:8080/").to_string(),
            "refused to check http://0.0.0.0:8080/: 0.0.0.0 is an address of this host (0.0.0.0/8 or ::)"
        );
    }

    #[test]
    fn joined_paths_are_validated_too() {
        let base = Target::parse("http://10.0.0.1:8080/app/", DENY).unwrap();
        assert_eq!(
            base.join("/add?a=2&b=3", DENY).unwrap().url().as_str(),
            "http://10.0.0.1:8080/add?a=2&b=3"
        );
        assert_eq!(
            base.join("health", DENY).unwrap().to_string(),
            "http://10.0.0.1:8080/app/health"
        );
        assert!(matches!(
            base.join("//169.254.169.254/latest", DENY),
            Err(TargetError::Refused(_))
        ));
        assert!(
            base.join("//localhost./", DENY).is_ok(),
            "a name: checked when it is resolved"
        );
        assert!(matches!(
            base.join("//127.0.0.1/", DENY),
            Err(TargetError::Refused(_))
        ));
        assert!(matches!(
            base.join("ftp://example.com/", DENY),
            Err(TargetError::Scheme { .. })
        ));
    }

    #[test]
    fn passwords_and_query_strings_are_never_shown() {
        let target = Target::parse("https://ops:hunter2@calc.example.com/", DENY).unwrap();
        assert_eq!(target.to_string(), "https://ops:***@calc.example.com/");
        assert_eq!(
            format!("{target:?}"),
            "Target(https://ops:***@calc.example.com/)"
        );
        assert_eq!(target.url().password(), Some("hunter2"));
        let target = Target::parse(
            "https://calc.example.com/app/health?token=s3cr3t&x=1#frag-s3cr3t",
            DENY,
        )
        .unwrap();
        assert_eq!(
            target.to_string(),
            "https://calc.example.com/app/health?***#***"
        );
        assert_eq!(target.url().query(), Some("token=s3cr3t&x=1"));
        for error in [
            Target::parse("gopher://ops:hunter2@calc.example.com/?k=s3cr3t", DENY).unwrap_err(),
            Target::parse("http://ops:hunter2@[bad/?k=s3cr3t", DENY).unwrap_err(),
            Target::parse("http://169.254.169.254/?k=s3cr3t", DENY).unwrap_err(),
            Target::parse("http://calc.example.com/", DENY)
                .unwrap()
                .join("http://[bad/x?k=s3cr3t", DENY)
                .unwrap_err(),
        ] {
            let shown = error.to_string();
            assert!(
                !shown.contains("hunter2") && !shown.contains("s3cr3t"),
                "{shown}"
            );
        }
    }

    #[test]
    fn text_that_is_not_a_url_is_redacted_the_same_way() {
        assert_eq!(
            redact_text("http://u:p@[bad/path?k=v#f"),
            "http://***@[bad/path?***"
        );
        assert_eq!(redact_text("add?a=2&b=3"), "add?***");
        assert_eq!(redact_text("/plain/path?"), "/plain/path?");
        assert_eq!(redact_text("calc.example.com"), "calc.example.com");
    }
}
