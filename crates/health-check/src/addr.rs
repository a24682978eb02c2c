//! Addresses a health check must not reach.
//!
//! The check fetches whatever URL the pipeline gives it, so it must not
//! become a way to reach what only the function's own host can:
//!
//! - the instance metadata service (169.254.169.254, and `fd00:ec2::254` on
//!   Nitro instances) and, more generally, link-local addresses
//!   (169.254.0.0/16, fe80::/10), where such services live;
//! - loopback (127.0.0.0/8, `::1`): in Lambda it reaches the Runtime API,
//!   which would let a target answer the function's own invocations;
//! - this host by another name: 0.0.0.0/8 and `::`, which connect to the
//!   local host too.
//!
//! An IPv6 address that embeds a refused IPv4 address is judged as that
//! IPv4 address, in every form that a network may route to it: IPv4-mapped
//! (`::ffff:a.b.c.d`, however spelled: the parser normalises it),
//! IPv4-translated (`::ffff:0:a.b.c.d`), IPv4-compatible (`::a.b.c.d`),
//! NAT64 (`64:ff9b::/96`, and the local-use `64:ff9b:1::/48` at every
//! prefix length RFC 6052 allows), 6to4 (`2002::/16`) and Teredo
//! (`2001::/32`, server and client). Teredo and 6to4 need a relay that
//! Lambda does not have, but refusing them costs nothing and does not
//! depend on that.
//!
//! Link-local targets are allowed only by `HEALTH_CHECK_ALLOW_LINK_LOCAL`,
//! loopback only by `HEALTH_CHECK_ALLOW_LOOPBACK` (local tests, the demo);
//! 0.0.0.0/8 and `::` never.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::policy::{ALLOW_LINK_LOCAL_VAR, ALLOW_LOOPBACK_VAR, TargetPolicy};

/// The instance metadata service's IPv4 address.
pub const METADATA_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);

/// The instance metadata service's IPv6 address (Nitro instances). Not
/// link-local, but it answers the same questions.
pub const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);

/// What kind of address a refused one is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The instance metadata service.
    Metadata,
    /// 169.254.0.0/16, fe80::/10.
    LinkLocal,
    /// 127.0.0.0/8, `::1`.
    Loopback,
    /// 0.0.0.0/8, `::`: the local host, by another name.
    ThisHost,
}

impl Kind {
    /// What it is, in the words of a refusal.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Metadata => "the instance metadata address",
            Kind::LinkLocal => "link-local",
            Kind::Loopback => "loopback",
            Kind::ThisHost => "an address of this host (0.0.0.0/8 or ::)",
        }
    }

    /// Whether `policy` allows this kind of address.
    pub fn allowed_by(self, policy: TargetPolicy) -> bool {
        match self {
            Kind::Metadata | Kind::LinkLocal => policy.allow_link_local,
            Kind::Loopback => policy.allow_loopback,
            Kind::ThisHost => false,
        }
    }

    /// The setting that allows it, for the message: "(set … to allow …)".
    pub fn allowance(self) -> Option<String> {
        match self {
            Kind::Metadata | Kind::LinkLocal => Some(format!(
                "set {ALLOW_LINK_LOCAL_VAR}=true to allow link-local targets"
            )),
            Kind::Loopback => Some(format!(
                "set {ALLOW_LOOPBACK_VAR}=true to allow loopback targets"
            )),
            Kind::ThisHost => None,
        }
    }
}

/// Why an address must not be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason {
    /// What kind of refused address it is.
    pub kind: Kind,
    /// The IPv4 address an IPv6 address embeds, when that is what is refused.
    pub embedded: Option<Ipv4Addr>,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        if let Some(v4) = self.embedded {
            write!(f, " (it embeds {v4})")?;
        }
        Ok(())
    }
}

/// Why `ip` must not be checked under `policy`, or `None` if it may be.
pub fn refused(ip: IpAddr, policy: TargetPolicy) -> Option<Reason> {
    reason(ip).filter(|r| !r.kind.allowed_by(policy))
}

/// What kind of refused address `ip` is, whatever the policy; `None` for
/// an ordinary address.
pub fn reason(ip: IpAddr) -> Option<Reason> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4).map(|kind| Reason {
            kind,
            embedded: None,
        }),
        IpAddr::V6(v6) => {
            if let Some(kind) = v6_kind(v6) {
                return Some(Reason {
                    kind,
                    embedded: None,
                });
            }
            embedded_v4(v6).into_iter().find_map(|v4| {
                v4_kind(v4).map(|kind| Reason {
                    kind,
                    embedded: Some(v4),
                })
            })
        }
    }
}

fn v4_kind(v4: Ipv4Addr) -> Option<Kind> {
    if v4 == METADATA_V4 {
        Some(Kind::Metadata)
    } else if v4.is_link_local() {
        Some(Kind::LinkLocal)
    } else if v4.is_loopback() {
        Some(Kind::Loopback)
    } else if v4.octets()[0] == 0 {
        Some(Kind::ThisHost)
    } else {
        None
    }
}

fn v6_kind(v6: Ipv6Addr) -> Option<Kind> {
    if v6 == METADATA_V6 {
        Some(Kind::Metadata)
    } else if v6.segments()[0] & 0xffc0 == 0xfe80 {
        Some(Kind::LinkLocal)
    } else if v6.is_loopback() {
        Some(Kind::Loopback)
    } else if v6.is_unspecified() {
        Some(Kind::ThisHost)
    } else {
        None
    }
}

/// The IPv4 addresses an IPv6 address may stand for (see the module
/// documentation); empty for an ordinary IPv6 address.
fn embedded_v4(v6: Ipv6Addr) -> Vec<Ipv4Addr> {
    let s = v6.segments();
    let b = v6.octets();
    let at = |i: usize| Ipv4Addr::new(b[i], b[i + 1], b[i + 2], b[i + 3]);
    let low = at(12);
    let zero = |range: std::ops::Range<usize>| s[range].iter().all(|&x| x == 0);
    // IPv4-mapped, IPv4-translated, IPv4-compatible.
    if (zero(0..5) && s[5] == 0xffff) || (zero(0..4) && s[4] == 0xffff && s[5] == 0) || zero(0..6) {
        return vec![low];
    }
    match (s[0], s[1], s[2]) {
        // NAT64, well-known prefix: a /96.
        (0x64, 0xff9b, _) if zero(2..6) => vec![low],
        // Local-use NAT64 (RFC 8215): any prefix length from /48 to /96,
        // with the address where RFC 6052 puts it for each (bits 64 to 71
        // are left out). The zeros around a shorter form read as 0.x.x.x
        // in a longer one; a translator cannot send to 0.0.0.0/8, so those
        // readings are left out rather than refusing every such address.
        (0x64, 0xff9b, 1) => [
            Ipv4Addr::new(b[6], b[7], b[9], b[10]),
            Ipv4Addr::new(b[7], b[9], b[10], b[11]),
            at(9),
            low,
        ]
        .into_iter()
        .filter(|v4| v4.octets()[0] != 0)
        .collect(),
        // 6to4: 2002:AABB:CCDD::/48.
        (0x2002, _, _) => vec![at(2)],
        // Teredo: the server's address, then the client's (inverted).
        (0x2001, 0, _) => {
            let client = !u32::from(low);
            vec![at(4), Ipv4Addr::from(client)]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<Kind> {
        reason(text.parse().unwrap()).map(|r| r.kind)
    }

    fn embedded(text: &str) -> Option<(Kind, Ipv4Addr)> {
        reason(text.parse().unwrap()).map(|r| {
            (
                r.kind,
                r.embedded.expect("an embedded IPv4 address is named"),
            )
        })
    }

    const NONE: TargetPolicy = TargetPolicy::STRICT;

    #[test]
    fn ipv4_link_local_and_metadata_are_refused() {
        assert_eq!(kind("169.254.169.254"), Some(Kind::Metadata));
        assert_eq!(kind("169.254.170.2"), Some(Kind::LinkLocal));
        assert_eq!(kind("169.254.0.0"), Some(Kind::LinkLocal));
        assert_eq!(kind("169.254.255.255"), Some(Kind::LinkLocal));
    }

    #[test]
    fn loopback_and_this_host_are_refused_in_both_families() {
        for loopback in [
            "127.0.0.1",
            "127.0.0.0",
            "127.255.255.255",
            "127.1.2.3",
            "::1",
        ] {
            assert_eq!(kind(loopback), Some(Kind::Loopback), "{loopback}");
        }
        for this_host in ["0.0.0.0", "0.1.2.3", "0.255.255.255", "::"] {
            assert_eq!(kind(this_host), Some(Kind::ThisHost), "{this_host}");
        }
    }

    #[test]
    fn neighbours_of_refused_ranges_are_allowed() {
        for ok in [
            "169.253.255.255",
            "169.255.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "1.0.0.0",
            "10.0.0.1",
            "192.168.1.1",
            "fec0::1",
            "fe7f::1",
            "2001:db8::1",
            "fd00:ec2::253",
            "64:ff9b::1.2.3.4",
            "64:ff9b:1::1.2.3.4",
            "2002:0102:0304::1",
            "::ffff:1.2.3.4",
        ] {
            assert_eq!(kind(ok), None, "{ok}");
        }
    }

    #[test]
    fn ipv6_link_local_is_refused_across_the_whole_slash_10() {
        assert_eq!(kind("fe80::1"), Some(Kind::LinkLocal));
        assert_eq!(kind("febf:ffff::1"), Some(Kind::LinkLocal));
    }

    #[test]
    fn the_ipv6_metadata_address_is_refused() {
        assert_eq!(kind("fd00:ec2::254"), Some(Kind::Metadata));
    }

    #[test]
    fn every_ipv6_form_of_a_refused_ipv4_address_is_refused() {
        let metadata = (Kind::Metadata, METADATA_V4);
        let loopback = (Kind::Loopback, Ipv4Addr::LOCALHOST);
        for (form, expected) in [
            ("::ffff:169.254.169.254", metadata),
            ("::ffff:a9fe:a9fe", metadata),
            ("0:0:0:0:0:ffff:169.254.169.254", metadata),
            ("::ffff:0:169.254.169.254", metadata),
            ("::169.254.169.254", metadata),
            ("64:ff9b::169.254.169.254", metadata),
            ("64:ff9b::a9fe:a9fe", metadata),
            ("::ffff:127.0.0.1", loopback),
            ("::ffff:7f00:1", loopback),
            ("::127.0.0.1", loopback),
            ("64:ff9b::127.0.0.1", loopback),
            // Local-use NAT64 at /96, /64, /56 and /48.
            ("64:ff9b:1::127.0.0.1", loopback),
            ("64:ff9b:1:0:7f:0:100:0", loopback),
            ("64:ff9b:1:7f:0:1::", loopback),
            ("64:ff9b:1:7f00:0:100::", loopback),
            // 6to4 and Teredo (server, then client inverted).
            ("2002:7f00:1::", loopback),
            ("2002:a9fe:a9fe:1::5", metadata),
            ("2001:0:7f00:1::", loopback),
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", loopback),
        ] {
            assert_eq!(embedded(form), Some(expected), "{form}");
        }
        assert_eq!(
            embedded("::ffff:0.0.0.0"),
            Some((Kind::ThisHost, Ipv4Addr::UNSPECIFIED))
        );
        assert_eq!(
            embedded("::2"),
            Some((Kind::ThisHost, Ipv4Addr::new(0, 0, 0, 2)))
        );
        assert_eq!(
            embedded("::ffff:169.254.10.1"),
            Some((Kind::LinkLocal, Ipv4Addr::new(169, 254, 10, 1)))
        );
    }

    #[test]
    fn each_allowance_allows_its_own_kind_only() {
        let (link_local, loopback) = (TargetPolicy::LINK_LOCAL, TargetPolicy::LOOPBACK);
        let both = TargetPolicy {
            allow_link_local: true,
            allow_loopback: true,
        };
        let ip = |t: &str| t.parse::<IpAddr>().unwrap();
        for (address, allowed_by) in [
            ("169.254.169.254", [false, true, false, true]),
            ("fe80::1", [false, true, false, true]),
            ("127.0.0.1", [false, false, true, true]),
            ("::ffff:127.0.0.1", [false, false, true, true]),
            ("::1", [false, false, true, true]),
            ("0.0.0.0", [false, false, false, false]),
            ("::", [false, false, false, false]),
        ] {
            for (policy, allowed) in [NONE, link_local, loopback, both]
                .into_iter()
                .zip(allowed_by)
            {
                assert_eq!(
                    refused(ip(address), policy).is_none(),
                    allowed,
                    "{address} under {policy:?}"
                );
            }
        }
    }

    #[test]
    fn reasons_name_the_embedded_address() {
        let shown = |t: &str| reason(t.parse().unwrap()).unwrap().to_string();
        assert_eq!(shown("127.0.0.1"), "loopback");
        assert_eq!(shown("::ffff:127.0.0.1"), "loopback (it embeds 127.0.0.1)");
        assert_eq!(
            shown("64:ff9b::a9fe:a9fe"),
            "the instance metadata address (it embeds 169.254.169.254)"
        );
    }
}
