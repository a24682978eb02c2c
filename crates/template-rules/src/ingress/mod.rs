//! Security group ingress: which permissions are open to the world, and what
//! protocols and ports they admit.
//!
//! "Open to the world" means a source CIDR (`CidrIp` or `CidrIpv6`) whose
//! prefix length is 0, whatever address is written before the slash:
//! `0.0.0.0/0`, `1.0.0.0/0`, `::/0` and `0000::/0` all admit every address;
//! and sources that together cover every IPv4 or every IPv6 address for one
//! protocol and port (`0.0.0.0/1` + `128.0.0.0/1`, or 256 `/8`s), across a
//! group's inline permissions and its standalone ingress resources.
//! Only ingress counts: egress (inline `SecurityGroupEgress` or an
//! `AWS::EC2::SecurityGroupEgress` resource) never does.
//!
//! `permission` reads what one permission admits, `analysis` places every
//! permission of the template on its group ([`Analysis`]), `check`
//! applies an `open-ingress` rule to that, with `coverage` for unions of
//! sources.

mod analysis;
mod check;
mod coverage;
mod permission;

use std::fmt;
use std::str::FromStr;

use ipnet::IpNet;

pub use analysis::Analysis;
pub use check::PerResource;
pub(crate) use check::check;

/// Longest text read as a CIDR, a protocol or a port. Longer text is no
/// valid value, so CloudFormation would refuse it: the rules look no further.
pub(crate) const MAX_VALUE_TEXT: usize = 64;

/// An IP protocol as a security group rule names it (ordered, so that what
/// is looked at in turn does not depend on the order it is written in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// `-1`: every protocol, every port.
    All,
    /// `tcp` or 6.
    Tcp,
    /// `udp` or 17.
    Udp,
    /// `icmp` or 1.
    Icmp,
    /// `icmpv6` or 58.
    Icmpv6,
    /// Any other protocol number; these have no ports.
    Number(u8),
}

impl Protocol {
    /// Reads `tcp`, `TCP`, `6`, `-1`, ... (names or numbers, strings or ints).
    pub fn parse(text: &str) -> Option<Protocol> {
        if text.len() > MAX_VALUE_TEXT {
            return None;
        }
        let text = text.trim();
        let is = |name: &str| text.eq_ignore_ascii_case(name);
        Some(if is("-1") || is("all") {
            Protocol::All
        } else if is("tcp") || is("6") {
            Protocol::Tcp
        } else if is("udp") || is("17") {
            Protocol::Udp
        } else if is("icmp") || is("1") {
            Protocol::Icmp
        } else if is("icmpv6") || is("58") {
            Protocol::Icmpv6
        } else {
            // A number, written as one (`50`, `50.0`) or as text.
            let number = cfn_template::resolve::integer(text)?;
            return match number {
                -1 => Some(Protocol::All),
                6 => Some(Protocol::Tcp),
                17 => Some(Protocol::Udp),
                1 => Some(Protocol::Icmp),
                58 => Some(Protocol::Icmpv6),
                n => u8::try_from(n).ok().map(Protocol::Number),
            };
        })
    }

    /// Whether the protocol has ports (tcp and udp).
    pub fn has_ports(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Udp)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protocol::All => f.write_str("all"),
            Protocol::Tcp => f.write_str("tcp"),
            Protocol::Udp => f.write_str("udp"),
            Protocol::Icmp => f.write_str("icmp"),
            Protocol::Icmpv6 => f.write_str("icmpv6"),
            Protocol::Number(n) => write!(f, "protocol {n}"),
        }
    }
}

/// An inclusive port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ports {
    /// The first port.
    pub from: u16,
    /// The last port.
    pub to: u16,
}

impl Ports {
    /// Every port.
    pub const ALL: Ports = Ports { from: 0, to: 65535 };

    /// Whether the two ranges share a port.
    pub fn overlaps(self, other: Ports) -> bool {
        self.from <= other.to && other.from <= self.to
    }

    /// The range `from..=to` as a security group rule means it: a negative
    /// port means every port, and the ends may be written either way round.
    pub(crate) fn written(from: i64, to: i64) -> Ports {
        if from < 0 || to < 0 {
            return Ports::ALL;
        }
        let clamp = |p: i64| u16::try_from(p).unwrap_or(u16::MAX);
        let (a, b) = (clamp(from), clamp(to));
        Ports {
            from: a.min(b),
            to: a.max(b),
        }
    }
}

impl fmt::Display for Ports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

/// One entry of an `open-ingress` rule's `ruledata`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortSpecEntry {
    /// `all`: any protocol, any port.
    All,
    /// `tcp:22`, `udp:53-54`, `tcp` (every port), `icmp`.
    Protocol(Protocol, Option<Ports>),
}

/// What an `open-ingress` rule is about: `all`, or a list like `tcp:22, udp:53`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec(pub Vec<PortSpecEntry>);

impl FromStr for PortSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut entries = Vec::new();
        for part in s
            .split([',', ' ', '\n', '\t'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            if part.eq_ignore_ascii_case("all") {
                entries.push(PortSpecEntry::All);
                continue;
            }
            let (protocol, ports) = match part.split_once(':') {
                Some((p, ports)) => (p, Some(ports)),
                None => (part, None),
            };
            let bad = || {
                format!(
                    "ruledata \"{s}\": cannot read \"{part}\" (expected `all`, or entries like `tcp:22`, `tcp:8000-8999`, `udp:53`, `icmp`)"
                )
            };
            let protocol = Protocol::parse(protocol)
                .filter(|p| *p != Protocol::All)
                .ok_or_else(bad)?;
            let ports = match ports {
                None => None,
                Some(_) if !protocol.has_ports() => return Err(bad()),
                Some(ports) => {
                    let (from, to) = ports.split_once('-').unwrap_or((ports, ports));
                    let from: u16 = from.trim().parse().map_err(|_| bad())?;
                    let to: u16 = to.trim().parse().map_err(|_| bad())?;
                    if from > to {
                        return Err(bad());
                    }
                    Some(Ports { from, to })
                }
            };
            entries.push(PortSpecEntry::Protocol(protocol, ports));
        }
        if entries.is_empty() {
            return Err("ruledata is empty (expected `all` or entries like `tcp:22`)".to_string());
        }
        Ok(PortSpec(entries))
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| match e {
                PortSpecEntry::All => "all".to_string(),
                PortSpecEntry::Protocol(p, None) => p.to_string(),
                PortSpecEntry::Protocol(p, Some(ports)) => format!("{p}:{ports}"),
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// Whether a CIDR admits every address: its prefix length is 0.
pub fn is_world(cidr: &str) -> bool {
    if cidr == "0.0.0.0/0" || cidr == "::/0" {
        return true;
    }
    if cidr.len() > MAX_VALUE_TEXT {
        return false;
    }
    let cidr = cidr.trim();
    // Only a /0 can be the world, so most CIDRs are settled without parsing.
    let Some((address, prefix)) = cidr.rsplit_once('/') else {
        return false;
    };
    let prefix_is_zero = !prefix.is_empty() && prefix.bytes().all(|b| b == b'0');
    if !prefix_is_zero {
        return false;
    }
    if let Ok(net) = cidr.parse::<IpNet>() {
        return net.prefix_len() == 0;
    }
    // ipnet (like the standard library) refuses an address written with
    // leading zeros ("00.0.0.0/0"); what matters here is only the prefix.
    let ipv4_like = address.split('.').count() == 4
        && address.split('.').all(|o| {
            !o.is_empty()
                && o.len() <= 3
                && o.bytes().all(|b| b.is_ascii_digit())
                && o.parse::<u16>().is_ok_and(|n| n <= 255)
        });
    prefix_is_zero && ipv4_like
}

/// A CIDR that admits part of the internet, read leniently: an IPv4
/// address may be written with leading zeros (`010.0.0.0/8`), and the
/// address may have bits set past the prefix (`10.1.2.3/8` is `10.0.0.0/8`).
pub(crate) fn parse_cidr(cidr: &str) -> Option<IpNet> {
    if cidr.len() > MAX_VALUE_TEXT {
        return None;
    }
    let cidr = cidr.trim();
    if let Ok(net) = cidr.parse::<IpNet>() {
        return Some(net.trunc());
    }
    let (address, prefix) = cidr.rsplit_once('/')?;
    let prefix: u8 = prefix.parse().ok().filter(|p| *p <= 32)?;
    let octets: Vec<u8> = address
        .split('.')
        .map(|o| {
            (!o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit()))
                .then(|| o.parse::<u8>().ok())
                .flatten()
        })
        .collect::<Option<_>>()?;
    let [a, b, c, d] = octets[..] else {
        return None;
    };
    ipnet::Ipv4Net::new(std::net::Ipv4Addr::new(a, b, c, d), prefix)
        .ok()
        .map(|n| IpNet::V4(n.trunc()))
}
