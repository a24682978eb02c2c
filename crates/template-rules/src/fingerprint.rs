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

/// A Guard failure's message (`RULE: message; message`) as evidence: as
/// [`key`], with each value Guard quotes (`Value=...`) that is a text, a
/// number or a boolean written as the string it equals (see
/// [`canonical`]), a quoted mapping or list left out (it is where a query
/// stopped — the resource's `Properties` when one is missing — not what
/// failed, and holds its neighbours: a port opened beside a missing
/// property is no change to it), as is a value the message cuts short;
/// and its messages in sorted order (Guard gives them in the order it met
/// the values).
pub(crate) fn guard_key(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("Value=") {
        let value_at = at + "Value=".len();
        out.push_str(&rest[..value_at]);
        rest = &rest[value_at..];
        let mut values = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
        match values.next() {
            Some(Ok(value @ (serde_json::Value::Object(_) | serde_json::Value::Array(_)))) => {
                out.push_str(if value.is_object() { "{…}" } else { "[…]" });
                rest = &rest[values.byte_offset()..];
            }
            Some(Ok(value)) => {
                canonical(&value, &mut out);
                rest = &rest[values.byte_offset()..];
            }
            // Cut short by the message's cap (`…`): what is left says nothing.
            Some(Err(_)) if rest.ends_with('…') => rest = "",
            _ => {}
        }
    }
    out.push_str(rest);
    let out = key(&out);
    match out.split_once(": ") {
        Some((rule, messages)) => {
            let mut each: Vec<&str> = messages.split("; ").collect();
            each.sort_unstable();
            format!("{rule}: {}", each.join("; "))
        }
        None => out,
    }
}

/// `value` as text that is the same however the template was written: keys
/// sorted, numbers and booleans as the strings they equal (CloudFormation
/// reads `22` and `"22"` alike), and a list of mappings in sorted order
/// (such lists — ingress rules, tags, statements — are read as sets).
/// [`guard_key`] uses it for scalars.
fn canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(&Value::String(b.to_string()).to_string()),
        Value::Number(n) => out.push_str(&Value::String(n.to_string()).to_string()),
        Value::String(s) => out.push_str(&Value::String(s.clone()).to_string()),
        Value::Array(items) => {
            let mut each: Vec<String> = items
                .iter()
                .map(|item| {
                    let mut text = String::new();
                    canonical(item, &mut text);
                    text
                })
                .collect();
            if items.iter().all(Value::is_object) {
                each.sort_unstable();
            }
            out.push('[');
            out.push_str(&each.join(","));
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(&map[key], out);
            }
            out.push('}');
        }
    }
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
    fn a_guard_message_is_the_same_however_the_value_it_quotes_is_written() {
        let one = guard_key(
            "R: missing. Value traversed to [Path=/Resources/Sg/Properties Value={\"B\":[{\"y\":1,\"x\":22}],\"A\":true}]; value [Path=/Resources/Sg/Properties/L/0/P Value=22] not equal",
        );
        let two = guard_key(
            "R: value [Path=/Resources/Sg/Properties/L/3/P Value=\"22\"] not equal; missing. Value traversed to [Path=/Resources/Sg/Properties Value={\"A\":\"true\"}]",
        );
        assert_eq!(one, two);
        assert_eq!(
            one,
            "R: missing. Value traversed to [Path=/Resources/Sg/Properties Value={…}]; value [Path=/Resources/Sg/Properties/L/*/P Value=\"22\"] not equal"
        );
        // A value that differs is other evidence.
        assert_ne!(
            guard_key("R: value [Path=/Resources/Sg/P Value=\"0.0.0.0/0\"]"),
            guard_key("R: value [Path=/Resources/Sg/P Value=\"1.0.0.0/0\"]")
        );
        // A value cut short is left out; text that is no JSON is kept.
        assert_eq!(
            guard_key("R: missing [Path=/Resources/Sg Value={\"A\":[1,2…"),
            "R: missing [Path=/Resources/Sg Value="
        );
        assert_eq!(guard_key("R: Value=not json"), "R: Value=not json");
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
