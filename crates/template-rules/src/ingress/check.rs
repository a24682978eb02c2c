//! An `open-ingress` rule applied to what the groups admit.
//!
//! A permission fires the rule when it admits what the rule names from a
//! world-wide source. A group fires it when its sources together cover every
//! IPv4 or IPv6 address for one protocol and port. Either may only be
//! possible, because a value it depends on could not be worked out: that is
//! an unresolved reason, and names what was not known.

use std::collections::{HashMap, HashSet};

use cfn_template::resolve::{Unknown, add_unknowns};
use ipnet::IpNet;

use super::analysis::{Analysis, may_cover};
use super::coverage::{Coverage, Family, could_cover, could_cover_counted, covers};
use super::permission::{Admit, Owner, Permission, Place, Source, SourceKind};
use super::{PortSpec, PortSpecEntry, Ports, Protocol, parse_cidr};
use crate::evidence::{Evidence, names};

/// The evidence of one rule on each form of each resource.
#[derive(Default)]
pub struct PerResource(HashMap<Owner, Evidence>);

impl PerResource {
    fn of(&mut self, owner: Owner) -> &mut Evidence {
        self.0.entry(owner).or_default()
    }

    /// Takes the evidence for form `variant` of resource `resource` (by
    /// index in the template): nothing when the rule does not fire.
    pub fn take(&mut self, resource: usize, variant: usize) -> Evidence {
        self.0
            .remove(&Owner { resource, variant })
            .unwrap_or_default()
    }
}

/// How much work checking unions of sources may take, per group and rule
/// (port segments times sources). Past it, the group may be open.
const MAX_COVERAGE_WORK: usize = 1_000_000;
/// A union names at most this many of the permissions it is made of.
const NAMED: usize = 5;

/// Why `spec` fires, or may fire, on each form of each resource.
pub fn check(analysis: &Analysis, spec: &PortSpec) -> PerResource {
    let mut evidence_of = PerResource::default();
    for permission in &analysis.permissions {
        direct(permission, spec, &mut evidence_of);
    }
    let unplaced: Vec<&Permission> = analysis
        .unplaced
        .iter()
        .map(|&i| &analysis.permissions[i])
        .collect();
    for group in &analysis.groups {
        if !group.may_cover {
            continue;
        }
        let members: Vec<&Permission> = group
            .permissions
            .iter()
            .map(|&i| &analysis.permissions[i])
            .collect();
        let covered = union(&members, &[], group.home, spec, &mut evidence_of);
        if !covered && !unplaced.is_empty() {
            union(&members, &unplaced, group.home, spec, &mut evidence_of);
        }
    }
    if !unplaced.is_empty() && may_cover(unplaced.iter().copied()) {
        union(&[], &unplaced, None, spec, &mut evidence_of);
    }
    evidence_of
}

/// Whether `admit` is what `entry` is about: `None` when it is not, and
/// otherwise what that depends on (nothing when it certainly is).
fn matches(entry: &PortSpecEntry, admit: &Admit) -> Option<Vec<Unknown>> {
    let PortSpecEntry::Protocol(wanted_protocol, wanted_ports) = entry else {
        // Every protocol and port: whatever the permission's are.
        return Some(Vec::new());
    };
    let mut why = admit.protocol_unknown.clone();
    match admit.protocol {
        None | Some(Protocol::All) => return Some(why),
        Some(p) if p != *wanted_protocol => return None,
        Some(_) => {}
    }
    match (wanted_ports, admit.ports) {
        (None, _) => Some(why),
        (Some(wanted), Some(ports)) if !wanted.overlaps(ports) => None,
        (Some(_), _) => {
            add_unknowns(&mut why, &admit.ports_unknown);
            Some(why)
        }
    }
}

/// A permission alone: a world-wide source (or one not known) that admits
/// what the rule is about.
fn direct(permission: &Permission, spec: &PortSpec, evidence_of: &mut PerResource) {
    let is_open = |s: &&Source| matches!(s.kind, SourceKind::World | SourceKind::Unknown);
    if !permission.sources.iter().any(|s| is_open(&s)) {
        return;
    }
    let place = &permission.place;
    for admit in &permission.admits {
        let Some(depends) = spec
            .0
            .iter()
            .filter_map(|e| matches(e, admit))
            .min_by_key(Vec::len)
        else {
            continue;
        };
        for source in permission.sources.iter().filter(is_open) {
            let via = source
                .via
                .as_ref()
                .map(|v| format!(" ({v})"))
                .unwrap_or_default();
            let evidence = evidence_of.of(permission.owner);
            if source.kind == SourceKind::World && source.unknown.is_empty() && depends.is_empty() {
                evidence.fires(format!("{place} admits {admit} from {}{via}", source.text));
            } else {
                let mut unknown = source.unknown.clone();
                add_unknowns(&mut unknown, &depends);
                // What is unknown says how the value was reached.
                evidence.may_fire(
                    format!(
                        "{place} may admit {admit} from {} ({})",
                        source.text,
                        names(&unknown)
                    ),
                    &unknown,
                );
            }
        }
    }
}

/// One source's part in a union: its block, the ports it is open on, and
/// whether that is certain.
struct Part<'p> {
    net: Option<IpNet>,
    /// For a block at an address not known.
    some: Option<(Family, u8)>,
    ports: Ports,
    certain: bool,
    unknown: Vec<Unknown>,
    permission: &'p Permission<'p>,
    source: &'p Source<'p>,
}

/// Whether the sources of `members`, and possibly those of `unplaced`
/// (ingress rules whose group is not known), together cover every address
/// for some protocol and port `spec` is about. Records why on `home` (or
/// the first permission). True when the members alone certainly do.
fn union(
    members: &[&Permission],
    unplaced: &[&Permission],
    home: Option<Owner>,
    spec: &PortSpec,
    evidence_of: &mut PerResource,
) -> bool {
    let has_parts = |p: &&Permission| {
        p.sources
            .iter()
            .any(|s| matches!(s.kind, SourceKind::Net { .. } | SourceKind::SomeNet { .. }))
    };
    // Most groups have too few addresses among their sources to cover a
    // family, whatever the ports: settled before any work.
    let blocks = |family: Family| {
        members.iter().chain(unplaced).flat_map(move |p| {
            p.sources.iter().filter_map(move |s| match s.kind {
                SourceKind::Net { v6, prefix } | SourceKind::SomeNet { v6, prefix }
                    if v6 == (family == Family::V6) =>
                {
                    Some(prefix)
                }
                _ => None,
            })
        })
    };
    if !could_cover(Family::V4, blocks(Family::V4)) && !could_cover(Family::V6, blocks(Family::V6))
    {
        return false;
    }
    let admitted: Vec<(&Permission, &[Admit], bool)> = members
        .iter()
        .map(|p| (*p, p.admits.as_slice(), true))
        .chain(unplaced.iter().map(|p| (*p, p.admits.as_slice(), false)))
        .filter(|(p, _, _)| has_parts(p))
        .collect();
    for entry in &spec.0 {
        for (protocol, domain) in classes(entry, &admitted) {
            let mut parts = Vec::new();
            for (permission, admits, placed) in &admitted {
                for admit in admits.iter() {
                    let Some((ports, mut unknown)) = part_of(admit, protocol, domain) else {
                        continue;
                    };
                    if !placed {
                        add_unknowns(
                            &mut unknown,
                            &[Unknown::new(format!(
                                "which security group {} belongs to",
                                permission.place.named()
                            ))],
                        );
                    }
                    for source in &permission.sources {
                        let (net, some) = match source.kind {
                            SourceKind::Net { .. } => match parse_cidr(&source.text) {
                                Some(net) => (Some(net), None),
                                None => continue, // no CIDR: CloudFormation refuses it
                            },
                            SourceKind::SomeNet { v6, prefix } => (
                                None,
                                Some((if v6 { Family::V6 } else { Family::V4 }, prefix)),
                            ),
                            _ => continue,
                        };
                        let mut unknown = unknown.clone();
                        add_unknowns(&mut unknown, &source.unknown);
                        parts.push(Part {
                            net,
                            some,
                            ports,
                            certain: unknown.is_empty() && net.is_some(),
                            unknown,
                            permission,
                            source,
                        });
                    }
                }
            }
            if let Some(found) = cover(&parts, domain) {
                let owner = home.or_else(|| found.parts.first().map(|p| p.permission.owner));
                let Some(owner) = owner else {
                    continue;
                };
                let what = match protocol {
                    Protocol::All => "all traffic".to_string(),
                    p if p.has_ports() => format!("{p} {}", found.ports),
                    p => p.to_string(),
                };
                let named = named(&found.parts, home);
                let evidence = evidence_of.of(owner);
                if found.certain {
                    evidence.fires(format!(
                        "{named} together admit {what} from {}",
                        found.family.every_address()
                    ));
                    return true;
                }
                let unknown: Vec<Unknown> = found.unknown.unwrap_or_else(|| {
                    let mut all = Vec::new();
                    for part in &found.parts {
                        add_unknowns(&mut all, &part.unknown);
                    }
                    all
                });
                evidence.may_fire(
                    format!(
                        "{named} together may admit {what} from {} ({})",
                        found.family.every_address(),
                        names(&unknown)
                    ),
                    &unknown,
                );
            }
        }
    }
    false
}

/// The protocols, and the ports of each, that `entry` asks about among
/// what the permissions admit.
fn classes(
    entry: &PortSpecEntry,
    admitted: &[(&Permission, &[Admit], bool)],
) -> Vec<(Protocol, Ports)> {
    let domain = |p: Protocol, wanted: Option<Ports>| {
        if p.has_ports() {
            wanted.unwrap_or(Ports::ALL)
        } else {
            Ports { from: 0, to: 0 }
        }
    };
    match entry {
        PortSpecEntry::Protocol(p, wanted) => vec![(*p, domain(*p, *wanted))],
        PortSpecEntry::All => {
            let mut protocols: Vec<Protocol> = Vec::new();
            for admit in admitted.iter().flat_map(|(_, a, _)| a.iter()) {
                if let Some(p) = admit.protocol
                    && p != Protocol::All
                    && !protocols.contains(&p)
                {
                    protocols.push(p);
                }
            }
            if protocols.is_empty() {
                protocols.push(Protocol::All);
            }
            protocols
                .into_iter()
                .map(|p| (p, domain(p, None)))
                .collect()
        }
    }
}

/// The ports (within `domain`) where `admit` admits `protocol`, and what
/// that depends on; `None` when it does not.
fn part_of(admit: &Admit, protocol: Protocol, domain: Ports) -> Option<(Ports, Vec<Unknown>)> {
    let mut unknown = admit.protocol_unknown.clone();
    let ports = match admit.protocol {
        None => {
            if unknown.is_empty() {
                unknown.push(Unknown::new("a protocol not resolved"));
            }
            domain
        }
        Some(Protocol::All) => domain,
        Some(p) if p != protocol => return None,
        Some(_) if !protocol.has_ports() => domain,
        Some(_) => match admit.ports {
            Some(ports) if ports.overlaps(domain) => {
                add_unknowns(&mut unknown, &admit.ports_unknown);
                Ports {
                    from: ports.from.max(domain.from),
                    to: ports.to.min(domain.to),
                }
            }
            Some(_) => return None,
            None => {
                add_unknowns(&mut unknown, &admit.ports_unknown);
                domain
            }
        },
    };
    Some((ports, unknown))
}

/// A union that covers (or may cover) a family on some ports.
struct Found<'a, 'p> {
    family: Family,
    ports: Ports,
    certain: bool,
    parts: Vec<&'a Part<'p>>,
    /// What a possible cover depends on, when not only its parts' unknowns.
    unknown: Option<Vec<Unknown>>,
}

/// The first port of `domain` where `parts` cover a family, or may.
///
/// A sweep over the ports: a part joins the active set at its first port
/// and leaves after its last. A cover can only appear where a part joins,
/// and only when the active blocks add up to the whole family, so the
/// (costly) union is worked out at few ports. The work is bounded: past
/// [`MAX_COVERAGE_WORK`] the group may be open.
fn cover<'a, 'p>(parts: &'a [Part<'p>], domain: Ports) -> Option<Found<'a, 'p>> {
    let mut possible = None;
    for family in [Family::V4, Family::V6] {
        let of_family: Vec<&Part> = parts
            .iter()
            .filter(|p| match (p.net, p.some) {
                (Some(net), _) => Family::of(&net) == family,
                (None, Some((f, _))) => f == family,
                _ => false,
            })
            .collect();
        let prefix = |p: &Part| match (p.net, p.some) {
            (Some(net), _) => net.prefix_len(),
            (None, Some((_, prefix))) => prefix,
            _ => u8::MAX,
        };
        if !could_cover(family, of_family.iter().map(|p| prefix(p))) {
            continue;
        }
        // (port, joins, part): leaving sorts before joining at one port.
        let mut events: Vec<(u32, bool, usize)> = Vec::with_capacity(2 * of_family.len());
        for (i, part) in of_family.iter().enumerate() {
            events.push((u32::from(part.ports.from), true, i));
            events.push((u32::from(part.ports.to) + 1, false, i));
        }
        events.sort_unstable();
        let mut active: Vec<bool> = vec![false; of_family.len()];
        let mut active_list: Vec<usize> = Vec::new();
        // How many active blocks of each prefix length (all, and certain).
        let mut all_counts = [0usize; 129];
        let mut certain_counts = [0usize; 129];
        let mut work = 0usize;
        let mut at = 0;
        while at < events.len() {
            let port = events[at].0;
            let mut joined = false;
            while at < events.len() && events[at].0 == port {
                let (_, joins, i) = events[at];
                let part = of_family[i];
                let length = usize::from(prefix(part).min(128));
                active[i] = joins;
                if joins {
                    joined = true;
                    active_list.push(i);
                    all_counts[length] += 1;
                    certain_counts[length] += usize::from(part.certain);
                } else {
                    all_counts[length] -= 1;
                    certain_counts[length] -= usize::from(part.certain);
                }
                at += 1;
            }
            if !joined || port > u32::from(domain.to) {
                continue;
            }
            let check_certain = could_cover_counted(family, &certain_counts);
            let check_possible = possible.is_none() && could_cover_counted(family, &all_counts);
            if !check_certain && !check_possible {
                continue;
            }
            active_list.retain(|&i| active[i]);
            let here: Vec<&Part> = active_list.iter().map(|&i| of_family[i]).collect();
            let certain: Vec<&Part> = here.iter().copied().filter(|p| p.certain).collect();
            let ports = Ports {
                from: u16::try_from(port).unwrap_or(u16::MAX),
                to: u16::try_from(port).unwrap_or(u16::MAX),
            };
            work = work.saturating_add(here.len());
            if work > MAX_COVERAGE_WORK {
                let mut unknown = vec![Unknown::new(format!(
                    "whether {} sources together admit {}: too many to check",
                    of_family.len(),
                    family.every_address()
                ))];
                for part in &of_family {
                    add_unknowns(&mut unknown, &part.unknown);
                }
                return Some(Found {
                    family,
                    ports: domain,
                    certain: false,
                    parts: of_family,
                    unknown: Some(unknown),
                });
            }
            if check_certain {
                let nets: Vec<IpNet> = certain.iter().filter_map(|p| p.net).collect();
                if covers(family, &nets, 0, 0) == Coverage::Covered {
                    return Some(Found {
                        family,
                        ports,
                        certain: true,
                        parts: certain,
                        unknown: None,
                    });
                }
            }
            if check_possible {
                let nets: Vec<IpNet> = here.iter().filter_map(|p| p.net).collect();
                let some: Vec<u8> = here.iter().filter_map(|p| p.some.map(|(_, s)| s)).collect();
                let widest = some.iter().copied().min().unwrap_or(0);
                if covers(family, &nets, some.len(), widest) != Coverage::Not {
                    possible = Some(Found {
                        family,
                        ports,
                        certain: false,
                        parts: here,
                        unknown: None,
                    });
                }
            }
        }
    }
    possible
}

/// "SecurityGroupIngress[0] (0.0.0.0/1), ingress rule In2 (128.0.0.0/1)".
fn named(parts: &[&Part], home: Option<Owner>) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let mut more = 0;
    for part in parts {
        let place = match (&part.permission.place, home) {
            (Place::Inline(_), _) => part.permission.place.to_string(),
            (place, Some(home)) if part.permission.owner.resource == home.resource => {
                place.to_string()
            }
            (place, _) => place.named(),
        };
        let name = format!("{place} ({})", part.source.text);
        if seen.insert(name.clone()) {
            if names.len() < NAMED {
                names.push(name);
            } else {
                more += 1;
            }
        }
    }
    let mut list = names.join(", ");
    if more > 0 {
        list.push_str(&format!(" and {more} more"));
    }
    list
}
