//! Security group ingress: which permissions are open to the world, and what
//! protocols and ports they admit.
//!
//! "Open to the world" means a source CIDR (`CidrIp` or `CidrIpv6`) whose
//! prefix length is 0, whatever address is written before the slash:
//! `0.0.0.0/0`, `1.0.0.0/0`, `::/0` and `0000::/0` all admit every address.
//! Only ingress counts: egress (inline `SecurityGroupEgress` or an
//! `AWS::EC2::SecurityGroupEgress` resource) never does.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use ipnet::IpNet;

use crate::node::Node;
use crate::resolve::{Resolver, intrinsic};
use crate::template::Resource;

/// An IP protocol as a security group rule names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `-1`: every protocol, every port.
    All,
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    /// Any other protocol number; these have no ports.
    Number(u8),
}

impl Protocol {
    /// Reads `tcp`, `TCP`, `6`, `-1`, ... (names or numbers, strings or ints).
    pub fn parse(text: &str) -> Option<Protocol> {
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
            Protocol::Number(text.parse().ok()?)
        })
    }

    fn has_ports(self) -> bool {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    pub from: u16,
    pub to: u16,
}

impl Ports {
    const ALL: Ports = Ports { from: 0, to: 65535 };

    fn overlaps(self, other: Ports) -> bool {
        self.from <= other.to && other.from <= self.to
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

/// What one ingress permission admits, once its values are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Admits {
    protocol: Protocol,
    /// For tcp and udp; `None` when the ports cannot be resolved.
    ports: Option<Ports>,
}

impl Admits {
    /// Ports that cannot be resolved fire a rule about the protocol, never a
    /// rule about particular ports.
    fn matches(&self, entry: &PortSpecEntry) -> bool {
        match (entry, self.protocol) {
            (PortSpecEntry::All, _) | (_, Protocol::All) => true,
            (PortSpecEntry::Protocol(p, wanted), actual) if *p == actual => {
                match (wanted, self.ports) {
                    (None, _) => true,
                    (Some(wanted), Some(ports)) => wanted.overlaps(ports),
                    (Some(_), None) => false,
                }
            }
            _ => false,
        }
    }
}

impl fmt::Display for Admits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.protocol, self.ports) {
            (Protocol::All, _) => f.write_str("all traffic"),
            (p, Some(ports)) => write!(f, "{p} {ports}"),
            (p, None) if p.has_ports() => write!(f, "{p} (ports not resolved)"),
            (p, None) => write!(f, "{p}"),
        }
    }
}

/// Whether a CIDR admits every address: its prefix length is 0.
pub fn is_world(cidr: &str) -> bool {
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

/// An ingress permission open to the world: where it is, what it admits,
/// and the world-wide sources it admits it from.
#[derive(Debug, Clone)]
pub struct OpenPermission<'t> {
    place: Place<'t>,
    admits: Vec<Admits>,
    sources: Vec<(Cow<'t, str>, Option<String>)>,
}

/// Where a permission is written, for messages.
#[derive(Debug, Clone)]
enum Place<'t> {
    /// An entry of a security group's `SecurityGroupIngress` (a list, or a single object).
    Inline(Option<usize>),
    /// An `AWS::EC2::SecurityGroupIngress` resource, for the named group if known.
    Standalone(Option<&'t str>),
}

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Inline(Some(i)) => write!(f, "SecurityGroupIngress[{i}]"),
            Place::Inline(None) => f.write_str("SecurityGroupIngress"),
            Place::Standalone(Some(group)) => write!(f, "ingress rule for {group}"),
            Place::Standalone(None) => f.write_str("ingress rule"),
        }
    }
}

/// The ingress permissions of a resource that are open to the world. Worked
/// out once per resource and shared by every `open-ingress` rule.
pub fn open_permissions<'t>(
    resource: &'t Resource<'t>,
    resolver: &Resolver<'t>,
) -> Vec<OpenPermission<'t>> {
    let Some(properties) = resource.properties() else {
        return Vec::new();
    };
    let mut open = Vec::new();
    match resource.resource_type.as_str() {
        "AWS::EC2::SecurityGroup" => {
            if let Some(ingress) = properties.get("SecurityGroupIngress") {
                for (index, permission) in resolver.resolve_items(ingress) {
                    // Permissions are always objects written in the template;
                    // intrinsics only ever compute strings.
                    let Cow::Borrowed(permission) = permission.value else {
                        continue;
                    };
                    open.extend(check_permission(permission, resolver, Place::Inline(index)));
                }
            }
        }
        "AWS::EC2::SecurityGroupIngress" => {
            let place = Place::Standalone(group_name(
                properties
                    .get("GroupId")
                    .or_else(|| properties.get("GroupName")),
            ));
            if let Some(permission) = resource.body.get("Properties") {
                open.extend(check_permission(permission, resolver, place));
            }
        }
        _ => {}
    }
    open
}

/// Why an `open-ingress` rule with `spec` fires on these permissions; empty
/// when it does not.
pub fn reasons(open: &[OpenPermission], spec: &PortSpec) -> Vec<String> {
    let mut reasons = Vec::new();
    for permission in open {
        for admits in permission
            .admits
            .iter()
            .filter(|a| spec.0.iter().any(|e| a.matches(e)))
        {
            for (cidr, via) in &permission.sources {
                let via = via.as_ref().map(|v| format!(" ({v})")).unwrap_or_default();
                let reason = format!("{} admits {admits} from {cidr}{via}", permission.place);
                if !reasons.contains(&reason) {
                    reasons.push(reason);
                }
            }
        }
    }
    reasons
}

/// `Ref: Sg` / `Fn::GetAtt: [Sg, GroupId]` → "Sg", for messages.
fn group_name<'t>(value: Option<&'t Node<'t>>) -> Option<&'t str> {
    match intrinsic(value?)? {
        ("Ref", Node::String(name)) => Some(name),
        ("Fn::GetAtt", Node::Array(parts)) => parts.first().and_then(Node::as_str),
        _ => None,
    }
}

fn check_permission<'t>(
    permission: &'t Node<'t>,
    resolver: &Resolver<'t>,
    place: Place<'t>,
) -> Option<OpenPermission<'t>> {
    let mut sources = Vec::new();
    for key in ["CidrIp", "CidrIpv6"] {
        if let Some(value) = permission.get(key) {
            resolver.for_each_text(value, |cidr, via| {
                if is_world(&cidr) {
                    sources.push((cidr, via));
                }
            });
        }
    }
    if sources.is_empty() {
        return None;
    }
    let admits = admitted(permission, resolver);
    (!admits.is_empty()).then_some(OpenPermission {
        place,
        admits,
        sources,
    })
}

/// Every (protocol, ports) a permission may admit. A protocol that cannot
/// be resolved admits nothing; tcp/udp without ports (or with -1) admit all.
fn admitted<'t>(permission: &'t Node<'t>, resolver: &Resolver<'t>) -> Vec<Admits> {
    let Some(protocol) = permission.get("IpProtocol") else {
        return Vec::new();
    };
    let port_values = |name: &str| match permission.get(name) {
        None | Some(Node::Null) => None,
        Some(v) => Some(resolver.integers(v)),
    };
    let from_ports = port_values("FromPort");
    let to_ports = port_values("ToPort");
    let mut protocols = Vec::new();
    resolver.for_each_text(protocol, |text, _| protocols.extend(Protocol::parse(&text)));
    let mut out = Vec::new();
    for protocol in protocols {
        if !protocol.has_ports() {
            push_unique(
                &mut out,
                Admits {
                    protocol,
                    ports: None,
                },
            );
            continue;
        }
        let ranges: Vec<Ports> = match (&from_ports, &to_ports) {
            (None, _) | (_, None) => vec![Ports::ALL],
            (Some(froms), Some(tos)) => {
                let mut ranges = Vec::new();
                for &from in froms {
                    for &to in tos {
                        ranges.push(port_range(from, to));
                    }
                }
                ranges
            }
        };
        if ranges.is_empty() {
            push_unique(
                &mut out,
                Admits {
                    protocol,
                    ports: None,
                },
            );
        }
        for ports in ranges {
            push_unique(
                &mut out,
                Admits {
                    protocol,
                    ports: Some(ports),
                },
            );
        }
    }
    out
}

fn port_range(from: i64, to: i64) -> Ports {
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

fn push_unique(out: &mut Vec<Admits>, admits: Admits) {
    if !out.contains(&admits) {
        out.push(admits);
    }
}
