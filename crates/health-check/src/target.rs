//! The URL to check, validated before anything is sent.
//!
//! Only `http` and `https` URLs with a host are accepted, and a host written
//! as a refused address (see [`crate::addr`]) is refused here, whatever
//! spelling the URL uses (`http://2852039166/` is 169.254.169.254 too: the
//! URL parser normalises it). Names are checked when they are resolved (see
//! [`crate::resolver`]), and redirect targets when they are followed.
//!
//! A password in the URL (`https://user:secret@host/`) is sent, but never
//! shown: every message and log prints the URL with `***` in its place.

use std::fmt;
use std::net::IpAddr;

use reqwest::Url;
use url::Host;

use crate::addr;
use crate::settings::ALLOW_LINK_LOCAL_VAR;

/// A URL that may be checked.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    url: Url,
}

/// What may be checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    /// Allow link-local targets and the instance metadata address. Off
    /// unless explicitly configured ([`ALLOW_LINK_LOCAL_VAR`]).
    pub allow_link_local: bool,
}

/// A URL that cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("{text:?} is not a URL: {reason}")]
    NotAUrl { text: String, reason: String },
    #[error("{url} cannot be checked: only http and https URLs can, not {scheme}")]
    Scheme { url: String, scheme: String },
    #[error("{url} has no host")]
    NoHost { url: String },
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// A target the check will not reach, because of the address it is at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Refusal {
    /// The refused URL (password hidden).
    pub url: String,
    /// Its host as written in the URL.
    pub host: String,
    /// The address the host is, or resolved to.
    pub address: IpAddr,
    /// Why the address is refused ("link-local", ...).
    pub reason: &'static str,
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
        if self.host.trim_matches(['[', ']']) == self.address.to_string() {
            write!(f, ": {} is {}", self.address, self.reason)?;
        } else {
            write!(
                f,
                ": {} resolves to {}, which is {}",
                self.host, self.address, self.reason
            )?;
        }
        write!(
            f,
            " (set {ALLOW_LINK_LOCAL_VAR}=true to allow link-local targets)"
        )
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
            text: path.to_string(),
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

    /// Checks the scheme, the host, and (unless `policy` allows them)
    /// refused address literals. `redirected_from` names the URL that
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
        if policy.allow_link_local {
            return Ok(());
        }
        if let Some(address) = address
            && let Some(reason) = addr::refusal_reason(address)
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

/// `url` as text with its password, if any, replaced by `***`.
pub fn redact(url: &Url) -> String {
    if url.password().is_none() {
        return url.to_string();
    }
    let mut shown = url.clone();
    // Only fails for URLs that cannot have a password, and this one has one.
    let _ = shown.set_password(Some("***"));
    shown.to_string()
}

/// Like [`redact`], for text that did not parse as a URL: whatever sits
/// between `://` and the last `@` before the host could be a password.
fn redact_text(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DENY: TargetPolicy = TargetPolicy {
        allow_link_local: false,
    };
    const ALLOW: TargetPolicy = TargetPolicy {
        allow_link_local: true,
    };

    fn refusal(text: &str) -> Refusal {
        match Target::parse(text, DENY) {
            Err(TargetError::Refused(r)) => r,
            other => panic!("{text}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn http_and_https_urls_are_accepted() {
        for ok in [
            "http://127.0.0.1:8080/",
            "https://calc.example.com",
            "  http://calc.example.com/health?x=1  ",
            "http://[::1]:8080/",
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
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[fd00:ec2::254]/",
        ] {
            let r = refusal(text);
            assert_eq!(r.reason, "the instance metadata address", "{text}");
        }
        assert_eq!(
            refusal("http://169.254.169.254/latest/meta-data/").to_string(),
            "refused to check http://169.254.169.254/latest/meta-data/: 169.254.169.254 is the instance metadata address (set HEALTH_CHECK_ALLOW_LINK_LOCAL=true to allow link-local targets)"
        );
    }

    #[test]
    fn link_local_addresses_are_refused_unless_allowed() {
        assert_eq!(refusal("http://169.254.10.1:8080/").reason, "link-local");
        assert_eq!(refusal("http://[fe80::1]/").reason, "link-local");
        assert!(Target::parse("http://169.254.10.1:8080/", ALLOW).is_ok());
        assert!(Target::parse("http://169.254.169.254/", ALLOW).is_ok());
    }

    #[test]
    fn joined_paths_are_validated_too() {
        let base = Target::parse("http://127.0.0.1:8080/app/", DENY).unwrap();
        assert_eq!(
            base.join("/add?a=2&b=3", DENY).unwrap().to_string(),
            "http://127.0.0.1:8080/add?a=2&b=3"
        );
        assert_eq!(
            base.join("health", DENY).unwrap().to_string(),
            "http://127.0.0.1:8080/app/health"
        );
        assert!(matches!(
            base.join("//169.254.169.254/latest", DENY),
            Err(TargetError::Refused(_))
        ));
        assert!(matches!(
            base.join("ftp://example.com/", DENY),
            Err(TargetError::Scheme { .. })
        ));
    }

    #[test]
    fn passwords_are_never_shown() {
        let target = Target::parse("https://ops:hunter2@calc.example.com/", DENY).unwrap();
        assert_eq!(target.to_string(), "https://ops:***@calc.example.com/");
        assert_eq!(
            format!("{target:?}"),
            "Target(https://ops:***@calc.example.com/)"
        );
        assert_eq!(target.url().password(), Some("hunter2"));
        let error = Target::parse("gopher://ops:hunter2@calc.example.com/", DENY).unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        let error = Target::parse("http://ops:hunter2@[bad/", DENY).unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}
