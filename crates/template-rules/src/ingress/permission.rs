//! Reading permissions: what one ingress permission admits (its protocols,
//! ports and sources, values resolved), from a security group's
//! `SecurityGroupIngress` or a standalone `AWS::EC2::SecurityGroupIngress`.
//!
//! A mapping is read once however many places hold it (YAML aliases, the
//! forms of a resource written with `Fn::If`), and what all of them keep
//! is bounded: each permission keeps [`FLOOR_KEPT`] sources and admits of
//! its own, and the template [`MAX_KEPT`] more in all. Past that, a
//! permission keeps its own few, a source open to the world or not known,
//! and its other blocks stand as that many at addresses not known (a union
//! with them may cover, unresolved); its other admits stand as one not
//! known. What it certainly admits from the world still fires.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::rc::Rc;

use cfn_template::display::short;
use cfn_template::resolve::{Candidate, Resolver, Unknown, Value, Via, add_unknowns, intrinsic};
use cfn_template::{Node, Object, Template};

use super::{MAX_VALUE_TEXT, Ports, Protocol, is_world, parse_cidr};

/// Which form of which resource a permission is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Owner {
    /// An index into the template's resources.
    pub resource: usize,
    /// An index into the resource's forms (`ResourceView::variants`).
    pub variant: usize,
}

/// Sources and admits each permission keeps, whatever the others hold.
pub(super) const FLOOR_KEPT: usize = 8;
/// Sources and admits the permissions of a template keep past their
/// floors, in all (a source or an admit is some 100 bytes).
pub(super) const MAX_KEPT: usize = 100_000;

/// One ingress permission, with what it may admit ([`Read`], through `Deref`).
pub(super) struct Permission<'t> {
    /// The resource (and form) it is written in.
    pub owner: Owner,
    pub place: Place,
    read: Rc<Read<'t>>,
}

/// What a permission admits, shared by every place it is written in.
pub(super) struct Read<'t> {
    /// Its protocols, each with the ports it admits.
    pub admits: Vec<Admit>,
    pub sources: Vec<Source<'t>>,
}

impl Permission<'_> {
    /// What tells apart what permissions admit: two places holding one
    /// mapping share it.
    pub fn read_id(&self) -> *const () {
        Rc::as_ptr(&self.read).cast()
    }
}

impl<'t> Deref for Permission<'t> {
    type Target = Read<'t>;

    fn deref(&self) -> &Read<'t> {
        &self.read
    }
}

/// What a permission admits: a protocol, and for tcp and udp, ports.
#[derive(Debug, Clone, PartialEq)]
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

/// The other properties of an ingress rule (inline, or a standalone
/// `AWS::EC2::SecurityGroupIngress`): read by no rule here, but no misspelling.
const OTHER_KEYS: &[&str] = &[
    "Description",
    "SourceSecurityGroupId",
    "SourceSecurityGroupName",
    "SourceSecurityGroupOwnerId",
    "GroupId",
    "GroupName",
];

/// Most protocols, and most port ranges, one permission is read as: past
/// them, one not known stands for the rest (a protocol or port looked up
/// in a wide mapping by region, twice, is already thousands of ranges).
const MAX_READ: usize = 64;

/// `values` with repeats dropped, and past [`MAX_READ`] one not known
/// standing for the rest.
fn distinct<T: PartialEq>(values: Vec<Known<T>>, what: &str) -> Vec<Known<T>> {
    let mut out: Vec<Known<T>> = Vec::new();
    let mut more = false;
    for known in values {
        if out
            .iter()
            .any(|k| k.value == known.value && k.unknown == known.unknown)
        {
            continue;
        }
        if out.len() == MAX_READ {
            more = true;
            break;
        }
        out.push(known);
    }
    if more {
        out.push(Known {
            value: None,
            unknown: vec![Unknown::new(format!(
                "which {what}: more than {MAX_READ} may be meant"
            ))],
        });
    }
    out
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
    /// When it is one of the values one property may take (`Fn::If`,
    /// `Fn::FindInMap` by region, `Fn::Select` with an index not known):
    /// which property, so that no union counts on two of them at once.
    pub one_of: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SourceKind {
    /// Every address.
    World,
    /// Part of the internet: a block of this prefix length (the block itself
    /// is read from the text when a union needs it).
    Net { v6: bool, prefix: u8 },
    /// `count` blocks of this prefix length (or longer) at addresses not
    /// known (`!Sub "${Ip}/8"`, or sources not kept).
    SomeNet { v6: bool, prefix: u8, count: u32 },
    /// Nothing known.
    Unknown,
}

/// Reads permissions, resolving their values.
pub(super) struct Reader<'r, 't> {
    template: &'t Template<'t>,
    resolver: &'r Resolver<'t>,
    /// Each resource's index, by logical id (built when first needed).
    ids: OnceCell<HashMap<&'t str, usize>>,
    /// Each mapping read so far, by address: one held in many places (an
    /// alias, the forms of a resource) is read once.
    read: RefCell<HashMap<*const Object<'t>, Rc<Read<'t>>>>,
    /// Sources and admits kept past the floors, against [`MAX_KEPT`].
    kept: Cell<usize>,
}

impl<'r, 't> Reader<'r, 't> {
    pub fn new(template: &'t Template<'t>, resolver: &'r Resolver<'t>) -> Self {
        Reader {
            template,
            resolver,
            ids: OnceCell::new(),
            read: RefCell::new(HashMap::new()),
            kept: Cell::new(0),
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
        let read = match permission {
            Ok(object) => {
                let key = object as *const Object<'t>;
                let known = self.read.borrow().get(&key).cloned();
                known.unwrap_or_else(|| {
                    let read = Rc::new(self.keep(self.read_object(object)));
                    self.read.borrow_mut().insert(key, Rc::clone(&read));
                    read
                })
            }
            Err(unknown) => {
                let unknown = if unknown.is_empty() {
                    vec![Unknown::new("an ingress rule that cannot be worked out")]
                } else {
                    unknown
                };
                Rc::new(Read {
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
                        one_of: None,
                    }],
                })
            }
        };
        Permission { owner, place, read }
    }

    /// What a permission written as a mapping admits.
    fn read_object(&self, permission: &'t Object<'t>) -> Read<'t> {
        // One pass over the permission's keys (a permission is looked at
        // for every security group of the template); sources are then read
        // in one order, whatever the order the keys are written in.
        let (mut v4, mut v6, mut prefix_list) = (None, None, None);
        let (mut protocol, mut from, mut to) = (None, None, None);
        let mut misspelt = None;
        for (key, value) in permission.iter() {
            match key {
                "CidrIp" => v4 = Some(value),
                "CidrIpv6" => v6 = Some(value),
                "SourcePrefixListId" => prefix_list = Some(value),
                "IpProtocol" => protocol = Some(value),
                "FromPort" => from = Some(value),
                "ToPort" => to = Some(value),
                key if OTHER_KEYS.contains(&key) => {}
                key => misspelt = misspelt.or(Some(key)),
            }
        }
        let mut sources = Vec::new();
        // A key that is none of an ingress rule's (`IpProtocol"`, `CidrIP`)
        // may be a source or a protocol misspelt: what it says is not read.
        if let Some(key) = misspelt {
            sources.push(Source {
                kind: SourceKind::Unknown,
                text: "a source not read".into(),
                via: None,
                unknown: vec![Unknown::new(format!(
                    "the key {}, which is no property of an ingress rule",
                    short(key)
                ))],
                one_of: None,
            });
        }
        for (property, (key, value)) in [("CidrIp", v4), ("CidrIpv6", v6)].into_iter().enumerate() {
            let Some(value) = value else {
                continue;
            };
            let is_v6 = key == "CidrIpv6";
            match literal(value) {
                Some(candidate) => sources.push(cidr_source(key, is_v6, candidate)),
                None => {
                    let candidates = self.resolver.resolve(value);
                    let one_of = (candidates.len() > 1).then_some(property as u16);
                    for candidate in candidates {
                        let mut source = cidr_source(key, is_v6, candidate);
                        source.one_of = one_of;
                        sources.push(source);
                    }
                }
            }
        }
        if let Some(value) = prefix_list {
            self.prefix_list(value, &mut sources);
        }
        if sources.is_empty() {
            // Only security groups as sources: nothing the rules look at.
            return Read {
                admits: Vec::new(),
                sources,
            };
        }
        let protocols = distinct(self.protocols(protocol), "protocol");
        let needs_ports = protocols
            .iter()
            .any(|p| p.value.is_some_and(Protocol::has_ports));
        let ports = if needs_ports {
            self.ports(from, to)
        } else {
            Vec::new()
        };
        Read {
            admits: admits(protocols, &ports),
            sources,
        }
    }

    /// `read`, within what the template's permissions may keep: past the
    /// floor and the template's allowance, the sources not open to the
    /// world and the admits past the floor stand as one not known each.
    fn keep(&self, mut read: Read<'t>) -> Read<'t> {
        read.sources.shrink_to_fit();
        read.admits.shrink_to_fit();
        let extra = |n: usize| n.saturating_sub(FLOOR_KEPT / 2);
        let wanted = extra(read.sources.len()) + extra(read.admits.len());
        if wanted == 0 {
            return read;
        }
        if self.kept.get().saturating_add(wanted) <= MAX_KEPT {
            self.kept.set(self.kept.get() + wanted);
            return read;
        }
        let why = Unknown::new(format!(
            "what else it admits: the template's ingress rules hold more than {MAX_KEPT} sources and protocols, not all kept"
        ));
        if read.sources.len() > FLOOR_KEPT / 2 {
            let rest = read.sources.split_off(FLOOR_KEPT / 2);
            // What fires alone is kept: open to the world (certain, then
            // possible) and not known ...
            for kind in [Some(true), Some(false), None] {
                let first = rest.iter().find(|s| match kind {
                    Some(certain) => s.kind == SourceKind::World && s.unknown.is_empty() == certain,
                    None => s.kind == SourceKind::Unknown,
                });
                read.sources.extend(first.cloned());
            }
            // ... and the blocks of each family stand as as many blocks, at
            // addresses not known, as wide as the widest.
            for family in [false, true] {
                let (mut count, mut widest) = (0u32, u8::MAX);
                for source in &rest {
                    if let SourceKind::Net { v6, prefix } | SourceKind::SomeNet { v6, prefix, .. } =
                        source.kind
                        && v6 == family
                    {
                        let n = match source.kind {
                            SourceKind::SomeNet { count, .. } => count,
                            _ => 1,
                        };
                        count = count.saturating_add(n);
                        widest = widest.min(prefix);
                    }
                }
                if count > 0 {
                    read.sources.push(Source {
                        kind: SourceKind::SomeNet {
                            v6: family,
                            prefix: widest,
                            count,
                        },
                        text: format!("{count} more of its blocks, not kept").into(),
                        via: None,
                        unknown: vec![why.clone()],
                        one_of: None,
                    });
                }
            }
        }
        if read.admits.len() > FLOOR_KEPT / 2 {
            read.admits.truncate(FLOOR_KEPT / 2);
            read.admits.push(Admit {
                protocol: None,
                ports: None,
                protocol_unknown: vec![why],
                ports_unknown: Vec::new(),
            });
        }
        read.sources.shrink_to_fit();
        read
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
                one_of: None,
            });
            return;
        };
        let via = Via::PrefixList(list.logical_id.as_str());
        let Some(entries) = list.body.get("Properties").and_then(|p| p.get("Entries")) else {
            return;
        };
        for (entry, item) in self.resolver.items(entries).into_iter().enumerate() {
            let candidates = match item.value.as_object_node().and_then(|e| e.get("Cidr")) {
                Some(cidr) => self.resolver.resolve(cidr),
                None if item.value.is_resolved() => continue,
                None => vec![item.value],
            };
            // Properties 0 and 1 are CidrIp and CidrIpv6.
            let one_of =
                (candidates.len() > 1).then(|| u16::try_from(entry + 2).unwrap_or(u16::MAX));
            for mut candidate in candidates {
                candidate.via = candidate.via.or(Some(via));
                let v6 = list
                    .body
                    .get("Properties")
                    .and_then(|p| p.get("AddressFamily"))
                    .and_then(Node::as_str)
                    .is_some_and(|f| f.eq_ignore_ascii_case("IPv6"));
                let mut source = cidr_source("Cidr", v6, candidate);
                source.one_of = one_of;
                sources.push(source);
            }
        }
    }

    /// The protocols `IpProtocol` may be. One that cannot be read (left
    /// out, misspelt, not a protocol's name or number, a boolean, a list)
    /// is not known: CloudFormation should refuse it, and if it does not,
    /// it may be any.
    fn protocols(&self, value: Option<&'t Node<'t>>) -> Vec<Known<Protocol>> {
        let not_read = |why: String| Known {
            value: None,
            unknown: vec![Unknown::new(why)],
        };
        let Some(value) = value else {
            return vec![not_read(
                "IpProtocol, which is not there (CloudFormation requires one)".to_string(),
            )];
        };
        let candidates = match literal(value) {
            Some(literal) => vec![literal],
            None => self.resolver.resolve(value),
        };
        if candidates.is_empty() {
            // `Ref: AWS::NoValue`: left out.
            return vec![not_read(
                "IpProtocol, which is left out (CloudFormation requires one)".to_string(),
            )];
        }
        let mut out = Vec::new();
        for candidate in candidates {
            let text = candidate.as_text().filter(|t| t.len() <= MAX_VALUE_TEXT);
            let Some(text) = text else {
                out.push(match candidate.is_resolved() {
                    true => not_read(format!(
                        "IpProtocol {}, which is no protocol",
                        shown(&candidate)
                    )),
                    false => Known {
                        value: None,
                        unknown: candidate.unknown,
                    },
                });
                continue;
            };
            for (reading, why) in readings("IpProtocol", &text) {
                let mut unknown = candidate.unknown.clone();
                add_unknowns(&mut unknown, &why);
                match Protocol::parse(&reading) {
                    Some(protocol) => out.push(Known {
                        value: Some(protocol),
                        unknown,
                    }),
                    None => {
                        add_unknowns(
                            &mut unknown,
                            &[Unknown::new(format!(
                                "IpProtocol {}, which is no protocol's name or number",
                                short(&text)
                            ))],
                        );
                        out.push(Known {
                            value: None,
                            unknown,
                        });
                    }
                }
            }
        }
        out
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
        // Each end is read as at most a few values, and so the ranges.
        if froms.len() > MAX_READ || tos.len() > MAX_READ {
            ranges.push(Known {
                value: None,
                unknown: vec![Unknown::new(format!(
                    "which ports: more than {MAX_READ} may be meant"
                ))],
            });
        }
        let (froms, tos) = (
            &froms[..froms.len().min(MAX_READ)],
            &tos[..tos.len().min(MAX_READ)],
        );
        let froms: Vec<_> = froms
            .iter()
            .flat_map(|c| port_readings("FromPort", c))
            .collect();
        let tos: Vec<_> = tos
            .iter()
            .flat_map(|c| port_readings("ToPort", c))
            .collect();
        for (from, from_unknown, from_read) in &froms {
            for (to, to_unknown, to_read) in &tos {
                // Both ends are read by one YAML reader: both octal or neither.
                if from_read.is_some() && to_read.is_some() && from_read != to_read {
                    continue;
                }
                let mut unknown = from_unknown.clone();
                add_unknowns(&mut unknown, to_unknown);
                let value = match (from, to) {
                    (Some(a), Some(b)) => Some(Ports::written(*a, *b)),
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
        distinct(ranges, "ports")
    }
}

/// The whole numbers a port candidate may be, each with what that depends
/// on and, when it is read two ways, which way (see [`readings`]).
fn port_readings(
    key: &str,
    candidate: &Candidate,
) -> Vec<(Option<i64>, Vec<Unknown>, Option<bool>)> {
    let Some(text) = candidate.as_text().filter(|t| t.len() <= MAX_VALUE_TEXT) else {
        return vec![(candidate.as_integer(), candidate.unknown.clone(), None)];
    };
    let readings = readings(key, &text);
    let two_ways = readings.len() > 1;
    readings
        .into_iter()
        .enumerate()
        .map(|(way, (reading, why))| {
            let mut unknown = candidate.unknown.clone();
            add_unknowns(&mut unknown, &why);
            let octal = two_ways.then_some(way == 1);
            (cfn_template::resolve::integer(&reading), unknown, octal)
        })
        .collect()
}

/// The texts a number written `text` may be read as: itself, or for a
/// whole number written with a leading zero (`026`), its decimal and then
/// its octal value — YAML 1.1, what CloudFormation reads, takes `026`
/// written plain as octal 22 — with why that is not certain. (`0o26` is 22
/// in YAML 1.2, text in YAML 1.1: CloudFormation refuses it as a number.)
fn readings(key: &str, text: &str) -> Vec<(String, Vec<Unknown>)> {
    let trimmed = text.trim();
    let (sign, digits) = match trimmed.strip_prefix('-') {
        Some(digits) => ("-", digits),
        None => ("", trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let as_written = || vec![(text.to_string(), Vec::new())];
    if let Some(octal) = digits.strip_prefix("0o")
        && let Ok(value) = i64::from_str_radix(octal, 8)
    {
        return vec![(format!("{sign}{value}"), Vec::new())];
    }
    let leading_zero =
        digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit());
    if !leading_zero {
        return as_written();
    }
    match (digits.parse::<i64>(), i64::from_str_radix(digits, 8)) {
        (Ok(decimal), Ok(octal)) if decimal != octal => {
            let why = Unknown::new(format!(
                "{key} {}: {sign}{octal} in YAML 1.1 (octal, written plain), {sign}{decimal} as decimal",
                short(trimmed)
            ));
            vec![
                (format!("{sign}{decimal}"), vec![why.clone()]),
                (format!("{sign}{octal}"), vec![why]),
            ]
        }
        // Read alike either way (`07`), or only as decimal (`019`).
        _ => as_written(),
    }
}

/// A candidate that is no text, for a message: `true`, `null`, `a list`.
fn shown(candidate: &Candidate) -> String {
    match &candidate.value {
        Value::Node(Node::Bool(b)) => b.to_string(),
        Value::Node(Node::Null) => "null".to_string(),
        Value::Node(Node::Number(n)) => n.to_string(),
        Value::Node(Node::Array(_)) => "a list".to_string(),
        Value::Node(Node::Object(_)) => "a mapping".to_string(),
        Value::Node(Node::String(s)) | Value::Text(s) if s.len() > MAX_VALUE_TEXT => {
            format!("{} (longer than {MAX_VALUE_TEXT} characters)", short(s))
        }
        _ => "a value".to_string(),
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

/// A `CidrIp`, `CidrIpv6` or prefix list `Cidr` candidate as a source. A
/// value that is no CIDR this check reads (`0/0`, `0.0.0.0/-0`,
/// `0x0.0.0.0/0`, `::/0%eth0`, a number, a list) is a source not known:
/// CloudFormation should refuse it, and if it does not, it may be any.
fn cidr_source<'t>(key: &str, v6: bool, candidate: Candidate<'t>) -> Source<'t> {
    let Candidate {
        value,
        via,
        mut unknown,
    } = candidate;
    let not_read = |text: String, mut unknown: Vec<Unknown>, why: String| {
        add_unknowns(&mut unknown, &[Unknown::new(why)]);
        Source {
            kind: SourceKind::Unknown,
            text: text.into(),
            via,
            unknown,
            one_of: None,
        }
    };
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
                Some(prefix) if prefix <= max => SourceKind::SomeNet {
                    v6,
                    prefix,
                    count: 1,
                },
                _ => SourceKind::Unknown,
            };
            let text = if kind == SourceKind::Unknown {
                format!("a {key} not resolved")
            } else {
                format!("…{}", short(tail))
            };
            return Source {
                kind,
                text: text.into(),
                via,
                unknown,
                one_of: None,
            };
        }
        Value::Unknown => {
            return Source {
                kind: SourceKind::Unknown,
                text: format!("a {key} not resolved").into(),
                via,
                unknown,
                one_of: None,
            };
        }
        Value::Node(other) => {
            let what = shown(&Candidate::node(other));
            return not_read(
                format!("a {key} that is no text"),
                unknown,
                format!("{key} {what}, which is no CIDR"),
            );
        }
    };
    if text.len() > MAX_VALUE_TEXT {
        return not_read(
            short(&text).into_owned(),
            unknown,
            format!("a {key} longer than {MAX_VALUE_TEXT} characters, not read"),
        );
    }
    let text = match text {
        std::borrow::Cow::Borrowed(t) => std::borrow::Cow::Borrowed(t.trim()),
        std::borrow::Cow::Owned(t) => std::borrow::Cow::Owned(t.trim().to_string()),
    };
    let kind = if is_world(&text) {
        SourceKind::World
    } else {
        match parse_cidr(&text) {
            Some(net) => SourceKind::Net {
                v6: matches!(net, ipnet::IpNet::V6(_)),
                prefix: net.prefix_len(),
            },
            None => {
                return not_read(
                    short(&text).into_owned(),
                    unknown,
                    format!("{key} {}, which is no CIDR this check reads", short(&text)),
                );
            }
        }
    };
    Source {
        kind,
        text,
        via,
        unknown,
        one_of: None,
    }
}
