//! Security group ingress: which permissions are open to the world, and what
//! protocols and ports they admit.
//!
//! "Open to the world" means a source CIDR (`CidrIp` or `CidrIpv6`) whose
//! prefix length is 0, whatever address is written before the slash:
//! `0.0.0.0/0`, `1.0.0.0/0`, `::/0` and `0000::/0` all admit every address.
//! Only ingress counts: egress (inline `SecurityGroupEgress` or an
//! `AWS::EC2::SecurityGroupEgress` resource) never does.

use std::fmt;
use std::str::FromStr;

use ipnet::IpNet;
use serde_json::Value;

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
        let text = text.trim().to_ascii_lowercase();
        Some(match text.as_str() {
            "-1" | "all" => Protocol::All,
            "tcp" | "6" => Protocol::Tcp,
            "udp" | "17" => Protocol::Udp,
            "icmp" | "1" => Protocol::Icmp,
            "icmpv6" | "58" => Protocol::Icmpv6,
            n => Protocol::Number(n.parse().ok()?),
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
    if let Ok(net) = cidr.parse::<IpNet>() {
        return net.prefix_len() == 0;
    }
    // ipnet (like the standard library) refuses an address written with
    // leading zeros ("00.0.0.0/0"); what matters here is only the prefix.
    let Some((address, prefix)) = cidr.rsplit_once('/') else {
        return false;
    };
    let prefix_is_zero = !prefix.is_empty() && prefix.bytes().all(|b| b == b'0');
    let ipv4_like = address.split('.').count() == 4
        && address.split('.').all(|o| {
            !o.is_empty()
                && o.len() <= 3
                && o.bytes().all(|b| b.is_ascii_digit())
                && o.parse::<u16>().is_ok_and(|n| n <= 255)
        });
    prefix_is_zero && ipv4_like
}

/// The findings of an `open-ingress` rule on one resource: a reason for each
/// ingress permission that is open to the world and admits what the rule names.
pub fn open_ingress(resource: &Resource, spec: &PortSpec, resolver: &Resolver) -> Vec<String> {
    let Some(properties) = resource.properties() else {
        return Vec::new();
    };
    let mut reasons = Vec::new();
    match resource.resource_type.as_str() {
        "AWS::EC2::SecurityGroup" => {
            if let Some(ingress) = properties.get("SecurityGroupIngress") {
                for (index, permission) in resolver.resolve_items(ingress) {
                    let label = match index {
                        Some(i) => format!("SecurityGroupIngress[{i}]"),
                        None => "SecurityGroupIngress".to_string(),
                    };
                    check_permission(&permission.value, spec, resolver, &label, &mut reasons);
                }
            }
        }
        "AWS::EC2::SecurityGroupIngress" => {
            let label = match group_name(
                properties
                    .get("GroupId")
                    .or_else(|| properties.get("GroupName")),
            ) {
                Some(group) => format!("ingress rule for {group}"),
                None => "ingress rule".to_string(),
            };
            check_permission(
                &resource.body["Properties"],
                spec,
                resolver,
                &label,
                &mut reasons,
            );
        }
        _ => {}
    }
    reasons.dedup();
    reasons
}

/// `Ref: Sg` / `Fn::GetAtt: [Sg, GroupId]` → "Sg", for messages.
fn group_name(value: Option<&Value>) -> Option<String> {
    match intrinsic(value?)? {
        ("Ref", Value::String(name)) => Some(name.clone()),
        ("Fn::GetAtt", Value::Array(parts)) => {
            parts.first().and_then(Value::as_str).map(str::to_string)
        }
        _ => None,
    }
}

fn check_permission(
    permission: &Value,
    spec: &PortSpec,
    resolver: &Resolver,
    label: &str,
    reasons: &mut Vec<String>,
) {
    let field = |name: &str| permission.get(name);
    let mut sources = Vec::new();
    for key in ["CidrIp", "CidrIpv6"] {
        if let Some(value) = field(key) {
            for (cidr, via) in resolver.resolve_text(value) {
                if is_world(&cidr) {
                    sources.push((cidr, via));
                }
            }
        }
    }
    if sources.is_empty() {
        return;
    }
    for admits in admitted(permission, resolver) {
        if !spec.0.iter().any(|entry| admits.matches(entry)) {
            continue;
        }
        for (cidr, via) in &sources {
            let via = via.as_ref().map(|v| format!(" ({v})")).unwrap_or_default();
            reasons.push(format!("{label} admits {admits} from {cidr}{via}"));
        }
    }
}

/// Every (protocol, ports) a permission may admit. A protocol that cannot
/// be resolved admits nothing; tcp/udp without ports (or with -1) admit all.
fn admitted(permission: &Value, resolver: &Resolver) -> Vec<Admits> {
    let Some(protocol) = permission.get("IpProtocol") else {
        return Vec::new();
    };
    let port_values = |name: &str| -> Option<Vec<i64>> {
        match permission.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                resolver
                    .resolve_text(v)
                    .into_iter()
                    .filter_map(|(t, _)| t.trim().parse::<i64>().ok())
                    .collect(),
            ),
        }
    };
    let from_ports = port_values("FromPort");
    let to_ports = port_values("ToPort");
    let mut out = Vec::new();
    for (text, _) in resolver.resolve_text(protocol) {
        let Some(protocol) = Protocol::parse(&text) else {
            continue;
        };
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
