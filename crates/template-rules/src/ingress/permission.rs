//! Reading permissions: what one ingress permission admits (its protocols,
//! ports and sources, values resolved), from a security group's
//! `SecurityGroupIngress` or a standalone `AWS::EC2::SecurityGroupIngress`.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::fmt;

use cfn_template::display::short;
use cfn_template::resolve::{Candidate, Resolver, Unknown, Value, Via, add_unknowns, intrinsic};
use cfn_template::{Node, Object, Template};

use super::{MAX_VALUE_TEXT, Ports, Protocol, is_world};

/// Which form of which resource a permission is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Owner {
    /// An index into the template's resources.
    pub resource: usize,
    /// An index into the resource's forms (`ResourceView::variants`).
    pub variant: usize,
}

/// One ingress permission, with what it may admit.
pub(super) struct Permission<'t> {
    /// The resource (and form) it is written in.
    pub owner: Owner,
    pub place: Place,
    /// Its protocols, each with the ports it admits.
    pub admits: Vec<Admit>,
    pub sources: Vec<Source<'t>>,
}

/// What a permission admits: a protocol, and for tcp and udp, ports.
pub(super) struct Admit {
    /// `None` when it cannot be worked out.
    pub protocol: Option<Protocol>,
    /// For tcp and udp; `None` when they cannot be worked out.
    pub ports: Option<Ports>,
    pub protocol_unknown: Vec<Unknown>,
    pub ports_unknown: Vec<Unknown>,
}

impl fmt::Display for Admit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.protocol, self.ports) {
            (None, _) => f.write_str("traffic of a protocol not resolved"),
            (Some(Protocol::All), _) => f.write_str("all traffic"),
            (Some(p), Some(ports)) => write!(f, "{p} {ports}"),
            (Some(p), None) if p.has_ports() => write!(f, "{p} (ports not resolved)"),
            (Some(p), None) => write!(f, "{p}"),
        }
    }
}

/// Every protocol with every port range.
fn admits(protocols: Vec<Known<Protocol>>, ports: &[Known<Ports>]) -> Vec<Admit> {
    let mut out = Vec::with_capacity(protocols.len());
    for Known { value, unknown } in protocols {
        match value {
            Some(p) if p.has_ports() => {
                for range in ports {
                    out.push(Admit {
                        protocol: Some(p),
                        ports: range.value,
                        protocol_unknown: unknown.clone(),
                        ports_unknown: range.unknown.clone(),
                    });
                }
            }
            protocol => out.push(Admit {
                protocol,
                ports: None,
                protocol_unknown: unknown,
                ports_unknown: Vec::new(),
            }),
        }
    }
    out
}

/// A value, and what it depends on that could not be worked out (empty
/// when it is resolved).
#[derive(Debug, Clone)]
pub(super) struct Known<T> {
    pub value: Option<T>,
    pub unknown: Vec<Unknown>,
}

/// Where a permission is written, for messages.
#[derive(Debug, Clone)]
pub(super) enum Place {
    /// An entry of a security group's `SecurityGroupIngress` (a list, or a single object).
    Inline(Option<usize>),
    /// An `AWS::EC2::SecurityGroupIngress` resource, for the named group if known.
    Standalone {
        resource: String,
        group: Option<String>,
    },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Inline(Some(i)) => write!(f, "SecurityGroupIngress[{i}]"),
            Place::Inline(None) => f.write_str("SecurityGroupIngress"),
            Place::Standalone {
                group: Some(group), ..
            } => write!(f, "ingress rule for {group}"),
            Place::Standalone { .. } => f.write_str("ingress rule"),
        }
    }
}

impl Place {
    /// The place as seen from another resource: a standalone rule by name.
    pub fn named(&self) -> String {
        match self {
            Place::Standalone { resource, .. } => format!("ingress rule {resource}"),
            inline => inline.to_string(),
        }
    }
}

/// A source of traffic a permission admits.
#[derive(Debug, Clone)]
pub(super) struct Source<'t> {
    pub kind: SourceKind,
    /// As written (or computed), for messages.
    pub text: std::borrow::Cow<'t, str>,
    pub via: Option<Via<'t>>,
    /// Empty when the source is resolved; otherwise it is only a source the
    /// permission might have.
    pub unknown: Vec<Unknown>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SourceKind {
    /// Every address.
    World,
    /// Part of the internet: a block of this prefix length (the block itself
    /// is read from the text when a union needs it).
    Net { v6: bool, prefix: u8 },
    /// A block of this prefix length at an address not known (`!Sub "${Ip}/8"`).
    SomeNet { v6: bool, prefix: u8 },
    /// Nothing known.
    Unknown,
}

/// Reads permissions, resolving their values.
pub(super) struct Reader<'r, 't> {
    template: &'t Template<'t>,
    resolver: &'r Resolver<'t>,
    /// Each resource's index, by logical id (built when first needed).
    ids: OnceCell<HashMap<&'t str, usize>>,
}

impl<'r, 't> Reader<'r, 't> {
    pub fn new(template: &'t Template<'t>, resolver: &'r Resolver<'t>) -> Self {
        Reader {
            template,
            resolver,
            ids: OnceCell::new(),
        }
    }

    pub fn resolver(&self) -> &'r Resolver<'t> {
        self.resolver
    }

    /// The index of the resource with this logical id.
    pub fn index_of(&self, logical_id: &str) -> Option<usize> {
        self.ids
            .get_or_init(|| {
                self.template
                    .resources
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.logical_id.as_str(), i))
                    .collect()
            })
            .get(logical_id)
            .copied()
    }

    /// The mappings `Properties` may be (`Fn::If` gives both), or why it
    /// cannot be known.
    pub fn properties(
        &self,
        value: Option<&'t Node<'t>>,
    ) -> Vec<Result<&'t Object<'t>, Vec<Unknown>>> {
        let Some(value) = value else {
            return Vec::new();
        };
        if let Some(object) = value.as_object()
            && intrinsic(value).is_none()
        {
            return vec![Ok(object)];
        }
        self.resolver
            .resolve(value)
            .into_iter()
            .filter_map(|c| match c.value {
                Value::Node(node) if node.is_object() => node.as_object().map(Ok),
                Value::Shaped(_) | Value::Unknown => Some(Err(c.unknown)),
                _ => None,
            })
            .collect()
    }

    /// The permissions of a security group's `SecurityGroupIngress`.
    pub fn inline(&self, owner: Owner, ingress: &'t Node<'t>, out: &mut Vec<Permission<'t>>) {
        // A list of mappings written out (the common case) needs no resolving.
        if let Node::Array(items) = ingress.value()
            && items
                .iter()
                .all(|i| i.is_object() && intrinsic(i).is_none())
        {
            for (index, item) in items.iter().enumerate() {
                if let Some(permission) = item.as_object() {
                    out.push(self.permission(owner, Place::Inline(Some(index)), Ok(permission)));
                }
            }
            return;
        }
        for item in self.resolver.items(ingress) {
            let place = Place::Inline(item.index);
            let permission = match item.value.as_object_node().and_then(Node::as_object) {
                Some(object) => Ok(object),
                None => Err(item.value.unknown),
            };
            out.push(self.permission(owner, place, permission));
        }
    }

    /// One permission: its protocols, ports and sources. A permission that
    /// cannot be worked out at all may admit anything from anywhere.
    pub fn permission(
        &self,
        owner: Owner,
        place: Place,
        permission: Result<&'t Object<'t>, Vec<Unknown>>,
    ) -> Permission<'t> {
        let permission = match permission {
            Ok(permission) => permission,
            Err(unknown) => {
                let unknown = if unknown.is_empty() {
                    vec![Unknown::new("an ingress rule that cannot be worked out")]
                } else {
                    unknown
                };
                return Permission {
                    owner,
                    place,
                    admits: vec![Admit {
                        protocol: None,
                        ports: None,
                        protocol_unknown: unknown.clone(),
                        ports_unknown: Vec::new(),
                    }],
                    sources: vec![Source {
                        kind: SourceKind::Unknown,
                        text: "a source".into(),
                        via: None,
                        unknown,
                    }],
                };
            }
        };
        // One pass over the permission's keys (a permission is looked at
        // for every security group of the template); sources are then read
        // in one order, whatever the order the keys are written in.
        let (mut v4, mut v6, mut prefix_list) = (None, None, None);
        let (mut protocol, mut from, mut to) = (None, None, None);
        for (key, value) in permission.iter() {
            match key {
                "CidrIp" => v4 = Some(value),
                "CidrIpv6" => v6 = Some(value),
                "SourcePrefixListId" => prefix_list = Some(value),
                "IpProtocol" => protocol = Some(value),
                "FromPort" => from = Some(value),
                "ToPort" => to = Some(value),
                _ => {}
            }
        }
        let mut sources = Vec::new();
        for (key, value) in [("CidrIp", v4), ("CidrIpv6", v6)] {
            let Some(value) = value else {
                continue;
            };
            let is_v6 = key == "CidrIpv6";
            match literal(value) {
                Some(candidate) => sources.extend(cidr_source(key, is_v6, candidate)),
                None => {
                    for candidate in self.resolver.resolve(value) {
                        sources.extend(cidr_source(key, is_v6, candidate));
                    }
                }
            }
        }
        if let Some(value) = prefix_list {
            self.prefix_list(value, &mut sources);
        }
        if sources.is_empty() {
            // Only security groups as sources: nothing the rules look at.
            return Permission {
                owner,
                place,
                admits: Vec::new(),
                sources,
            };
        }
        let protocols = self.protocols(protocol);
        let needs_ports = protocols
            .iter()
            .any(|p| p.value.is_some_and(Protocol::has_ports));
        let ports = if needs_ports {
            self.ports(from, to)
        } else {
            Vec::new()
        };
        Permission {
            owner,
            place,
            admits: admits(protocols, &ports),
            sources,
        }
    }

    /// `SourcePrefixListId`: the entries of an `AWS::EC2::PrefixList` of the
    /// template; any other prefix list's entries cannot be known here.
    fn prefix_list(&self, value: &'t Node<'t>, sources: &mut Vec<Source<'t>>) {
        let named = referenced(value);
        let list = named
            .and_then(|n| self.index_of(n))
            .map(|i| &self.template.resources[i])
            .filter(|r| r.resource_type == "AWS::EC2::PrefixList");
        let Some(list) = list else {
            let shown = match value.as_str() {
                Some(id) => short(id).into_owned(),
                None => named.map_or_else(|| "computed".to_string(), |n| short(n).into_owned()),
            };
            sources.push(Source {
                kind: SourceKind::Unknown,
                text: format!("prefix list {shown}").into(),
                via: None,
                unknown: vec![Unknown::new(format!(
                    "the entries of prefix list {shown}, which this template does not define"
                ))],
            });
            return;
        };
        let via = Via::PrefixList(list.logical_id.as_str());
        let Some(entries) = list.body.get("Properties").and_then(|p| p.get("Entries")) else {
            return;
        };
        for item in self.resolver.items(entries) {
            let candidates = match item.value.as_object_node().and_then(|e| e.get("Cidr")) {
                Some(cidr) => self.resolver.resolve(cidr),
                None if item.value.is_resolved() => continue,
                None => vec![item.value],
            };
            for mut candidate in candidates {
                candidate.via = candidate.via.or(Some(via));
                let v6 = list
                    .body
                    .get("Properties")
                    .and_then(|p| p.get("AddressFamily"))
                    .and_then(Node::as_str)
                    .is_some_and(|f| f.eq_ignore_ascii_case("IPv6"));
                sources.extend(cidr_source("Cidr", v6, candidate));
            }
        }
    }

    fn protocols(&self, value: Option<&'t Node<'t>>) -> Vec<Known<Protocol>> {
        let Some(value) = value else {
            return Vec::new(); // CloudFormation requires one
        };
        if let Some(literal) = literal(value) {
            let text = literal.as_text().filter(|t| t.len() <= MAX_VALUE_TEXT);
            return text
                .and_then(|t| Protocol::parse(&t))
                .map(|p| Known {
                    value: Some(p),
                    unknown: Vec::new(),
                })
                .into_iter()
                .collect();
        }
        self.resolver
            .resolve(value)
            .into_iter()
            .filter_map(|c| {
                let text = c.as_text().filter(|t| t.len() <= MAX_VALUE_TEXT);
                match text {
                    // A protocol written but not one: CloudFormation refuses it.
                    Some(text) => Protocol::parse(&text).map(|p| Known {
                        value: Some(p),
                        unknown: c.unknown.clone(),
                    }),
                    None if c.is_resolved() => None,
                    None => Some(Known {
                        value: None,
                        unknown: c.unknown,
                    }),
                }
            })
            .collect()
    }

    /// The port ranges `FromPort..ToPort` may be (for tcp and udp). Either
    /// left out means every port.
    fn ports(&self, from: Option<&'t Node<'t>>, to: Option<&'t Node<'t>>) -> Vec<Known<Ports>> {
        // Both written out as whole numbers (the common case).
        if let (Some(Node::Number(a)), Some(Node::Number(b))) =
            (from.map(Node::value), to.map(Node::value))
            && let (Some(a), Some(b)) = (a.as_i64(), b.as_i64())
        {
            return vec![Known {
                value: Some(Ports::written(a, b)),
                unknown: Vec::new(),
            }];
        }
        let ends = |value: Option<&'t Node<'t>>| match value.map(Node::value) {
            None | Some(Node::Null) => None,
            Some(Node::Number(_) | Node::String(_)) => value.and_then(literal).map(|c| vec![c]),
            Some(_) => value.map(|v| self.resolver.resolve(v)),
        };
        let (Some(froms), Some(tos)) = (ends(from), ends(to)) else {
            return vec![Known {
                value: Some(Ports::ALL),
                unknown: Vec::new(),
            }];
        };
        let mut ranges = Vec::new();
        for from in &froms {
            for to in &tos {
                let mut unknown = from.unknown.clone();
                add_unknowns(&mut unknown, &to.unknown);
                let value = match (from.as_integer(), to.as_integer()) {
                    (Some(a), Some(b)) => Some(Ports::written(a, b)),
                    _ => {
                        // A port written but no whole number: CloudFormation
                        // should refuse it; if it does not, it is not known.
                        if unknown.is_empty() {
                            unknown.push(Unknown::new("a port that is no whole number"));
                        }
                        None
                    }
                };
                ranges.push(Known { value, unknown });
            }
        }
        ranges
    }
}

/// The resource `Ref: X` or `Fn::GetAtt: [X, ...]` names.
pub(super) fn referenced<'t>(value: &'t Node<'t>) -> Option<&'t str> {
    match intrinsic(value)? {
        ("Ref", name) => name.as_str(),
        ("Fn::GetAtt", parts) => parts.as_array()?.first()?.as_str(),
        _ => None,
    }
}

/// A value written out (the common case), without asking the resolver.
fn literal<'t>(value: &'t Node<'t>) -> Option<Candidate<'t>> {
    matches!(value.value(), Node::String(_) | Node::Number(_)).then(|| Candidate::node(value))
}

/// A `CidrIp`, `CidrIpv6` or prefix list `Cidr` candidate as a source;
/// `None` for text that is no CIDR (CloudFormation refuses it).
fn cidr_source<'t>(key: &str, v6: bool, candidate: Candidate<'t>) -> Option<Source<'t>> {
    let Candidate {
        value,
        via,
        mut unknown,
    } = candidate;
    let text = match value {
        Value::Node(Node::String(s)) => std::borrow::Cow::Borrowed(s.as_ref()),
        Value::Text(t) => t,
        Value::Shaped(shape) => {
            // Only the shape is known: the prefix length, when its end is.
            let tail = shape.tail();
            let prefix = tail
                .rsplit_once('/')
                .and_then(|(_, p)| p.trim().parse::<u8>().ok().filter(|_| p.len() <= 3));
            let max = if v6 { 128 } else { 32 };
            let kind = match prefix {
                // "${Ip}/0" admits every address, whatever Ip is.
                Some(0) => {
                    unknown.clear();
                    SourceKind::World
                }
                Some(prefix) if prefix <= max => SourceKind::SomeNet { v6, prefix },
                _ => SourceKind::Unknown,
            };
            let text = if kind == SourceKind::Unknown {
                format!("a {key} not resolved")
            } else {
                format!("…{}", short(tail))
            };
            return Some(Source {
                kind,
                text: text.into(),
                via,
                unknown,
            });
        }
        Value::Unknown => {
            return Some(Source {
                kind: SourceKind::Unknown,
                text: format!("a {key} not resolved").into(),
                via,
                unknown,
            });
        }
        Value::Node(_) => return None,
    };
    if text.len() > MAX_VALUE_TEXT {
        unknown.push(Unknown::new(format!(
            "a {key} longer than {MAX_VALUE_TEXT} characters, not read"
        )));
        return Some(Source {
            kind: SourceKind::Unknown,
            text: short(&text).into_owned().into(),
            via,
            unknown,
        });
    }
    let kind = if is_world(&text) {
        SourceKind::World
    } else {
        // Most sources are part of the internet and never in a union that
        // could cover it: the address is parsed only when one could.
        let (address, prefix) = text.trim().rsplit_once('/')?;
        let prefix = prefix.parse::<u8>().ok().filter(|_| prefix.len() <= 3)?;
        let v6 = address.contains(':');
        if prefix > if v6 { 128 } else { 32 } {
            return None;
        }
        SourceKind::Net { v6, prefix }
    };
    Some(Source {
        kind,
        text: match text {
            std::borrow::Cow::Borrowed(t) => std::borrow::Cow::Borrowed(t.trim()),
            std::borrow::Cow::Owned(t) => std::borrow::Cow::Owned(t.trim().to_string()),
        },
        via,
        unknown,
    })
}
