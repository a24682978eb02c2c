//! A finding's fingerprint: what identifies it from one version of its
//! template to the next, so that a baseline (an earlier report, the
//! template at an earlier commit, the deployed stack's) can tell the
//! findings a change adds from those already there.
//!
//! The contract (the README's "Fingerprints" says the same):
//!
//! - It is `v1:` and 32 hex digits: the first 128 bits of a SHA-256 of the
//!   version, the rule's id, the resource's logical id (for a resource made
//!   by `Fn::ForEach`, the id the loop gave it), the resource's type,
//!   whether the finding is resolved, and its **evidence**: each reason the
//!   rule fires (or may) with list positions left out (`Ingress[3]` is
//!   `Ingress[]`; `/Ingress/3/` in a Guard path is `/Ingress/*/`), sorted
//!   and counted once, or for a reason whose words depend on where things
//!   are written, a key the rule kind gives (the sources of a union, sorted;
//!   what a regex matched).
//! - Reasons are worked out from the values CloudFormation would use, not
//!   from the text: lines, indentation, key order, the order of resources
//!   and of list entries, quoting, short or long intrinsic forms and JSON
//!   or YAML change nothing; a port, a CIDR, an AMI, the branches of an
//!   `Fn::If`, the parameter a value comes from, a rule or a resource do.
//! - It leaves out the line, the risk, the suppression, the rule's other
//!   settings and a `Fn::ForEach` loop's own name. What it cannot tell
//!   apart it counts as new: a baseline never hides a finding whose
//!   evidence changed.
//!
//! A report of another version's fingerprints is refused as a baseline
//! ([`crate::Baseline`]), never compared.

use std::sync::LazyLock;

use regex::Regex;
use sha2::{Digest, Sha256};

/// The version of the fingerprint, its prefix: changing what goes into it
/// changes this.
pub const FINGERPRINT_VERSION: &str = "v1";

/// Hex digits after the version: 128 bits.
const HEX_DIGITS: usize = 32;

/// What the fingerprint of one finding is made of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Identity<'a> {
    pub rule: &'a str,
    pub resource: &'a str,
    pub resource_type: &'a str,
    pub resolved: bool,
}

impl Identity<'_> {
    /// The fingerprint of a finding with these evidence keys (each already
    /// normalised: see [`key`]).
    pub(crate) fn fingerprint(&self, keys: impl IntoIterator<Item = String>) -> String {
        let mut keys: Vec<String> = keys.into_iter().collect();
        keys.sort_unstable();
        keys.dedup();
        // JSON: every part quoted and escaped, so no two inputs run together.
        let parts = serde_json::json!([
            "cicd finding",
            FINGERPRINT_VERSION,
            self.rule,
            self.resource,
            self.resource_type,
            if self.resolved {
                "resolved"
            } else {
                "unresolved"
            },
            keys,
        ]);
        let digest = Sha256::digest(parts.to_string().as_bytes());
        let mut hex = String::with_capacity(FINGERPRINT_VERSION.len() + 1 + HEX_DIGITS);
        hex.push_str(FINGERPRINT_VERSION);
        hex.push(':');
        for byte in digest.iter().take(HEX_DIGITS / 2) {
            hex.push_str(&format!("{byte:02x}"));
        }
        hex
    }
}

/// Whether `text` is a fingerprint of this version: `v1:` and 32 lowercase
/// hex digits.
pub fn is_current(text: &str) -> bool {
    text.strip_prefix(FINGERPRINT_VERSION)
        .and_then(|rest| rest.strip_prefix(':'))
        .is_some_and(|hex| {
            hex.len() == HEX_DIGITS
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// `reason` as evidence: list positions left out (`SecurityGroupIngress[0]`
/// is `SecurityGroupIngress[]`, and a Guard path's `/SecurityGroupIngress/0/`
/// is `/SecurityGroupIngress/*/`), so that reordering a list changes
/// nothing.
pub(crate) fn key(reason: &str) -> String {
    // After a name or another index: not a list written out (`[22]`).
    static INDEX: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"([A-Za-z0-9_\]])\[[0-9]+\]").expect("a valid pattern"));
    // A path into the template, as Guard writes it: only its segments
    // that are numbers, not a CIDR's prefix length (`0.0.0.0/0`).
    static PATH: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"/Resources/[^\s\]\[,;]*").expect("a valid pattern"));
    static SEGMENT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"/[0-9]+(/|$)").expect("a valid pattern"));
    // Twice: `A[0][1]` has two, and a match takes the `]` before the next.
    let once = INDEX.replace_all(reason, "$1[]");
    let without_indexes = INDEX.replace_all(&once, "$1[]");
    PATH.replace_all(&without_indexes, |found: &regex::Captures| {
        // Twice: `/0/1/` has two segments, and a match takes its slash.
        let once = SEGMENT.replace_all(&found[0], "/*$1");
        SEGMENT.replace_all(&once, "/*$1").into_owned()
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(rule: &str) -> Identity<'_> {
        Identity {
            rule,
            resource: "Sg",
            resource_type: "AWS::EC2::SecurityGroup",
            resolved: true,
        }
    }

    #[test]
    fn list_positions_are_left_out_and_values_kept() {
        assert_eq!(
            key("SecurityGroupIngress[12] admits tcp 22 from 0.0.0.0/0"),
            "SecurityGroupIngress[] admits tcp 22 from 0.0.0.0/0"
        );
        assert_eq!(
            key(
                "R: Path=/Resources/Sg/Properties/SecurityGroupIngress/0/CidrIp Value=\"0.0.0.0/0\""
            ),
            "R: Path=/Resources/Sg/Properties/SecurityGroupIngress/*/CidrIp Value=\"0.0.0.0/0\""
        );
        assert_eq!(
            key("/Resources/A/Properties/L/0/1 and 10.0.0.0/8"),
            "/Resources/A/Properties/L/*/* and 10.0.0.0/8"
        );
        assert_eq!(key("admits tcp 22 from ::/0"), "admits tcp 22 from ::/0");
        assert_eq!(key("A[0][1] and B[2]"), "A[][] and B[]");
        assert_eq!(key("Value=[22] or [1]"), "Value=[22] or [1]");
    }

    #[test]
    fn a_fingerprint_is_versioned_and_depends_on_every_part() {
        let one = identity("Ssh").fingerprint(["a".to_string(), "b".to_string()]);
        assert!(is_current(&one), "{one}");
        assert_eq!(one.len(), 3 + HEX_DIGITS);
        // Order and repeats of the evidence do not count ...
        assert_eq!(
            one,
            identity("Ssh").fingerprint(["b".to_string(), "a".to_string(), "a".to_string()])
        );
        // ... the rule, the resource, the evidence and its state do.
        assert_ne!(one, identity("Other").fingerprint(["a".into(), "b".into()]));
        assert_ne!(one, identity("Ssh").fingerprint(["a".to_string()]));
        let unresolved = Identity {
            resolved: false,
            ..identity("Ssh")
        };
        assert_ne!(one, unresolved.fingerprint(["a".into(), "b".into()]));
        let elsewhere = Identity {
            resource: "Other",
            ..identity("Ssh")
        };
        assert_ne!(one, elsewhere.fingerprint(["a".into(), "b".into()]));
        // Parts cannot run into each other.
        assert_ne!(
            identity("Ssh").fingerprint(["a b".to_string()]),
            identity("Ssh").fingerprint(["a".to_string(), "b".to_string()])
        );
    }

    #[test]
    fn only_this_versions_fingerprints_are_current() {
        assert!(!is_current(""));
        assert!(!is_current("v2:00000000000000000000000000000000"));
        assert!(!is_current("v1:0000"));
        assert!(!is_current("v1:0000000000000000000000000000000G"));
        assert!(is_current("v1:0123456789abcdef0123456789abcdef"));
    }
}
