//! An `open-ingress` rule applied to what the groups admit.
//!
//! A permission fires the rule when it admits what the rule names from a
//! world-wide source. A group fires it when its sources together cover every
//! IPv4 or IPv6 address for one protocol and port. Either may only be
//! possible, because a value it depends on could not be worked out: that is
//! an unresolved reason, and names what was not known.
//!
//! Unions are the costly part, and their work is bounded for the template
//! as a whole ([`Work`]), so it is done in an order that keeps what is
//! resolved resolved: each permission alone, then each group's own sources
//! (each union may take [`OWN_WORK`] steps however much the others took),
//! and only then the rules whose group is not known, with the groups they
//! may belong to. What the template's work no longer covers may fire,
//! unresolved.

use std::collections::{HashMap, HashSet};

use cfn_template::resolve::{Unknown, add_unknowns};
use ipnet::IpNet;

use super::analysis::{Analysis, Blocks};
use super::coverage::{Coverage, Family, could_cover, could_cover_counted, covers};
use super::permission::{Admit, Owner, Permission, Place, Source, SourceKind};
use super::{PortSpec, PortSpecEntry, Ports, Protocol, parse_cidr};
use crate::budget::Work;
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

/// Most work one union may take (port segments times sources). Past it,
/// the group may be open.
const MAX_UNION_WORK: usize = 1_000_000;
/// Most sources one union is made of (each protocol and port range of a
/// permission with each of its blocks). Past it, the group may be open.
const MAX_PARTS: usize = 65_536;
/// Work each union of a group's own sources may take even once the
/// template's is spent.
pub(crate) const OWN_WORK: usize = 4096;
/// A union names at most this many of the permissions it is made of.
const NAMED: usize = 5;
/// A union's fingerprint names its parts up to this many (see [`every_part`]).
const KEYED_PARTS: usize = 4096;
/// What a union depends on is named by at most this many unknowns (as a
/// value's are).
const NAMED_UNKNOWNS: usize = 4;

/// Why `spec` fires, or may fire, on each form of each resource, with the
/// unions' work taken from `work`.
pub(crate) fn check(analysis: &Analysis, spec: &PortSpec, work: &Work) -> PerResource {
    let mut evidence_of = PerResource::default();
    for permission in &analysis.permissions {
        direct(permission, spec, &mut evidence_of);
    }
    // Each group's own sources: what they certainly cover is resolved.
    let mut covered = vec![false; analysis.groups.len()];
    let mut none = Unplaced::new(Vec::new());
    for (g, group) in analysis.groups.iter().enumerate() {
        if !group.may_cover {
            continue;
        }
        let mut steps = Steps::new(work, OWN_WORK);
        let members = analysis.members(group);
        let found = union(&members, &mut none, group.home, spec, &mut steps);
        covered[g] = found.iter().any(Cover::is_certain);
        record(found, &mut evidence_of);
        if work.stopped() {
            return evidence_of;
        }
    }
    if analysis.unplaced.is_empty() {
        return evidence_of;
    }
    // The rules whose group is not known, alone: when they may cover on
    // their own, they may with any group too, and their finding says so.
    let mut unplaced = Unplaced::new(analysis.unplaced());
    if Blocks::of(unplaced.permissions.iter().copied()).may_cover() {
        let alone = union(&[], &mut unplaced, None, spec, &mut Steps::new(work, 0));
        if !alone.is_empty() {
            record(alone, &mut evidence_of);
            return evidence_of;
        }
    }
    for (g, group) in analysis.groups.iter().enumerate() {
        if covered[g] || !group.may_cover_with_unplaced {
            continue;
        }
        let members = analysis.members(group);
        // Once the template's work is spent, each group says so at once
        // (working the union out as far as it goes costs as much as the
        // rules whose group is not known, for every group).
        let found = if work.left() < unplaced.permissions.len() {
            not_checked(&members, &unplaced, group.home, spec)
                .into_iter()
                .collect()
        } else {
            union(
                &members,
                &mut unplaced,
                group.home,
                spec,
                &mut Steps::new(work, 0),
            )
        };
        record(found, &mut evidence_of);
        if work.stopped() {
            return evidence_of;
        }
    }
    evidence_of
}

/// A group's union with the rules whose group is not known, not worked
/// out because the template's work is spent: it may cover.
fn not_checked(
    members: &[&Permission],
    unplaced: &Unplaced,
    home: Option<Owner>,
    spec: &PortSpec,
) -> Option<Cover> {
    let owner = home.or_else(|| recorded_on(members.iter().copied()))?;
    let own = match members {
        [one] => one.place.to_string(),
        many => format!("{} permissions of the group", many.len()),
    };
    let what = match spec.0.as_slice() {
        [PortSpecEntry::All] => "all traffic".to_string(),
        _ => spec.to_string(),
    };
    let unknown = vec![Unknown::new(format!(
        "not checked: the template's unions take more than {} steps",
        crate::context::MAX_WORK
    ))];
    Some(Cover {
        owner,
        reason: format!(
            "{own} and {} ingress rules whose group is not known may together admit {what} from every address ({})",
            unplaced.permissions.len(),
            names(&unknown)
        ),
        unknown,
        key: None,
    })
}

/// The permission a union with no group of its own (ingress rules whose
/// group is not known) is recorded on: the first by name, so that which
/// resource holds the finding does not depend on the order they are
/// written in.
fn recorded_on<'p>(permissions: impl Iterator<Item = &'p Permission<'p>>) -> Option<Owner> {
    permissions
        .map(|p| (p.place.named(), p.owner.variant, p.owner))
        .min_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)))
        .map(|(_, _, owner)| owner)
}

/// The ingress rules whose group is not known, and their parts in each
/// union, made once for every group they may join.
struct Unplaced<'p> {
    permissions: Vec<&'p Permission<'p>>,
    /// The protocols they admit.
    protocols: Vec<Protocol>,
    parts: HashMap<(Protocol, Ports), Vec<Part<'p>>>,
}

impl<'p> Unplaced<'p> {
    fn new(permissions: Vec<&'p Permission<'p>>) -> Self {
        let permissions = distinct_reads(permissions);
        let mut protocols = Vec::new();
        add_protocols(&permissions, &mut protocols);
        Unplaced {
            permissions,
            protocols,
            parts: HashMap::new(),
        }
    }

    /// Their parts in a union about `protocol` on `domain`.
    fn parts(&mut self, protocol: Protocol, domain: Ports) -> &[Part<'p>] {
        let permissions = &self.permissions;
        self.parts.entry((protocol, domain)).or_insert_with(|| {
            let mut parts = Vec::new();
            parts_of(permissions, false, protocol, domain, &mut parts);
            parts
        })
    }
}

/// `permissions`, each read once: a mapping held in several places (a YAML
/// alias) adds nothing to a union after its first.
fn distinct_reads<'p>(permissions: Vec<&'p Permission<'p>>) -> Vec<&'p Permission<'p>> {
    let mut seen = HashSet::new();
    permissions
        .into_iter()
        .filter(|p| seen.insert(p.read_id()))
        .collect()
}

/// A union that covers, or may cover, a family: the reason, on the
/// resource (and form) it is recorded on.
struct Cover {
    owner: Owner,
    reason: String,
    /// What it depends on: empty when it certainly covers.
    unknown: Vec<Unknown>,
    /// What the finding's fingerprint takes from it, when the reason's
    /// words depend on the order the sources are written in.
    key: Option<String>,
}

impl Cover {
    fn is_certain(&self) -> bool {
        self.unknown.is_empty()
    }
}

/// Records why each union covers, or may, on its resource.
fn record(covers: Vec<Cover>, evidence_of: &mut PerResource) {
    for cover in covers {
        let evidence = evidence_of.of(cover.owner);
        let certain = cover.is_certain();
        let key = match cover.key {
            Some(key) => key,
            None => crate::fingerprint::key(&cover.reason),
        };
        if certain {
            evidence.fires_as(cover.reason, key);
        } else {
            evidence.may_fire_as(cover.reason, &cover.unknown, key);
        }
    }
}

/// The work one union may take: `own` steps of its own, then the
/// template's, at most [`MAX_UNION_WORK`] in all.
struct Steps<'w> {
    work: &'w Work,
    own: usize,
    taken: usize,
}

/// Why a union was not worked out to the end.
enum Spent {
    /// It alone takes more than [`MAX_UNION_WORK`].
    Union,
    /// The template's work is spent (or the evaluation is stopped).
    Template,
}

impl<'w> Steps<'w> {
    fn new(work: &'w Work, own: usize) -> Self {
        Steps {
            work,
            own,
            taken: 0,
        }
    }

    fn take(&mut self, n: usize) -> Result<(), Spent> {
        self.taken = self.taken.saturating_add(n);
        if self.taken > MAX_UNION_WORK {
            return Err(Spent::Union);
        }
        let from_own = n.min(self.own);
        self.own -= from_own;
        if from_own < n && !self.work.take(n - from_own) {
            return Err(Spent::Template);
        }
        Ok(())
    }
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
    /// For blocks at addresses not known: how many, and how wide.
    some: Option<(Family, u8, u32)>,
    ports: Ports,
    certain: bool,
    unknown: Vec<Unknown>,
    permission: &'p Permission<'p>,
    source: &'p Source<'p>,
}

/// Whether the sources of `members`, and possibly those of `unplaced`
/// (ingress rules whose group is not known), together cover every address
/// for some protocol and port `spec` is about: why, on `home` (or the
/// first permission); a certain cover comes last, and ends the search.
fn union<'p>(
    members: &[&'p Permission<'p>],
    unplaced: &mut Unplaced<'p>,
    home: Option<Owner>,
    spec: &PortSpec,
    steps: &mut Steps,
) -> Vec<Cover> {
    let mut found_covers = Vec::new();
    let members = distinct_reads(members.to_vec());
    for entry in &spec.0 {
        for (protocol, domain) in classes(entry, &members, &unplaced.protocols) {
            let mut own = Vec::new();
            parts_of(&members, true, protocol, domain, &mut own);
            let parts: Vec<&Part> = own.iter().chain(unplaced.parts(protocol, domain)).collect();
            let found = if parts.len() > MAX_PARTS {
                not_worked_out(Spent::Union, &parts, domain)
            } else {
                match steps.take(parts.len()) {
                    Ok(()) => cover(&parts, domain, steps),
                    Err(spent) => not_worked_out(spent, &parts, domain),
                }
            };
            let Some(found) = found else {
                continue;
            };
            let owner = home.or_else(|| recorded_on(found.parts.iter().map(|p| p.permission)));
            let Some(owner) = owner else {
                continue;
            };
            let what = match protocol {
                Protocol::All => "all traffic".to_string(),
                p if p.has_ports() => format!("{p} {}", found.ports),
                p => p.to_string(),
            };
            let named = named(&found.parts, home);
            let all = every_part(&found.parts, home);
            if found.certain {
                let every = found.family.every_address();
                found_covers.push(Cover {
                    owner,
                    reason: format!("{named} together admit {what} from {every}"),
                    unknown: Vec::new(),
                    key: Some(format!("{all} together admit {what} from {every}")),
                });
                return found_covers;
            }
            let mut unknown: Vec<Unknown> = found.unknown.unwrap_or_else(|| {
                let mut all = Vec::new();
                for part in &found.parts {
                    add_unknowns(&mut all, &part.unknown);
                }
                all
            });
            if unknown.is_empty() {
                // A cover that is not certain always says why.
                unknown.push(Unknown::new("a value not resolved"));
            }
            let every = found.family.every_address();
            found_covers.push(Cover {
                owner,
                reason: format!(
                    "{named} together may admit {what} from {every} ({})",
                    names(&unknown)
                ),
                key: Some(format!(
                    "{all} together may admit {what} from {every} ({})",
                    sorted_names(&unknown)
                )),
                unknown,
            });
        }
    }
    found_covers
}

/// The parts of `permissions` in a union about `protocol` on `domain`
/// (`placed`: whether they are known to belong to the group).
fn parts_of<'p>(
    permissions: &[&'p Permission<'p>],
    placed: bool,
    protocol: Protocol,
    domain: Ports,
    out: &mut Vec<Part<'p>>,
) {
    for permission in permissions {
        for admit in &permission.admits {
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
                    SourceKind::SomeNet { v6, prefix, count } => (
                        None,
                        Some((if v6 { Family::V6 } else { Family::V4 }, prefix, count)),
                    ),
                    _ => continue,
                };
                let mut unknown = unknown.clone();
                add_unknowns(&mut unknown, &source.unknown);
                out.push(Part {
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
}

/// A union not worked out (see [`Spent`]): the parts may cover a family
/// whose blocks could, on `domain`.
fn not_worked_out<'a, 'p>(
    spent: Spent,
    parts: &[&'a Part<'p>],
    domain: Ports,
) -> Option<Found<'a, 'p>> {
    for family in [Family::V4, Family::V6] {
        let of_family: Vec<&Part> = parts
            .iter()
            .copied()
            .filter(|p| p.family() == Some(family))
            .collect();
        if !could_cover(family, of_family.iter().flat_map(|p| p.prefixes())) {
            continue;
        }
        let why = match spent {
            Spent::Union => format!(
                "whether {} sources together admit {}: too many to check",
                of_family.len(),
                family.every_address()
            ),
            Spent::Template => format!(
                "whether {} sources together admit {}: not checked, the template's unions take more than {} steps",
                of_family.len(),
                family.every_address(),
                crate::context::MAX_WORK
            ),
        };
        let mut unknown = vec![Unknown::new(why)];
        for part in of_family.iter().filter(|p| !p.unknown.is_empty()) {
            add_unknowns(&mut unknown, &part.unknown);
            if unknown.len() >= NAMED_UNKNOWNS {
                break;
            }
        }
        return Some(Found {
            family,
            ports: domain,
            certain: false,
            parts: of_family,
            unknown: Some(unknown),
        });
    }
    None
}

impl Part<'_> {
    fn family(&self) -> Option<Family> {
        match (self.net, self.some) {
            (Some(net), _) => Some(Family::of(&net)),
            (None, Some((family, _, _))) => Some(family),
            _ => None,
        }
    }

    fn prefix(&self) -> u8 {
        match (self.net, self.some) {
            (Some(net), _) => net.prefix_len(),
            (None, Some((_, prefix, _))) => prefix,
            _ => u8::MAX,
        }
    }

    /// How many blocks it stands for.
    fn blocks(&self) -> usize {
        self.some.map_or(1, |(_, _, count)| count as usize)
    }

    /// Its prefix length, once per block it stands for.
    fn prefixes(&self) -> impl Iterator<Item = u8> {
        std::iter::repeat_n(self.prefix(), self.blocks())
    }
}

/// The protocols, and the ports of each, that `entry` asks about among
/// what `members` admit (and `more`, the protocols of others that join).
fn classes(
    entry: &PortSpecEntry,
    members: &[&Permission],
    more: &[Protocol],
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
            let mut protocols: Vec<Protocol> = more.to_vec();
            add_protocols(members, &mut protocols);
            if protocols.is_empty() {
                protocols.push(Protocol::All);
            }
            // In one order whatever the template's: the first cover found
            // is the one a finding names (and its fingerprint takes).
            protocols.sort_unstable();
            protocols
                .into_iter()
                .map(|p| (p, domain(p, None)))
                .collect()
        }
    }
}

/// Adds the protocols `permissions` admit (other than all of them) to `to`,
/// each once.
fn add_protocols(permissions: &[&Permission], to: &mut Vec<Protocol>) {
    for admit in permissions.iter().flat_map(|p| p.admits.iter()) {
        if let Some(p) = admit.protocol
            && p != Protocol::All
            && !to.contains(&p)
        {
            to.push(p);
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
/// (costly) union is worked out at few ports. The work is bounded by
/// `steps`: past them the group may be open.
fn cover<'a, 'p>(
    parts: &[&'a Part<'p>],
    domain: Ports,
    steps: &mut Steps,
) -> Option<Found<'a, 'p>> {
    let mut possible = None;
    for family in [Family::V4, Family::V6] {
        let of_family: Vec<&Part> = parts
            .iter()
            .copied()
            .filter(|p| p.family() == Some(family))
            .collect();
        if !could_cover(family, of_family.iter().flat_map(|p| p.prefixes())) {
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
        let mut at = 0;
        while at < events.len() {
            let port = events[at].0;
            let mut joined = false;
            while at < events.len() && events[at].0 == port {
                let (_, joins, i) = events[at];
                let part = of_family[i];
                let length = usize::from(part.prefix().min(128));
                active[i] = joins;
                if joins {
                    joined = true;
                    active_list.push(i);
                    all_counts[length] += part.blocks();
                    certain_counts[length] += usize::from(part.certain);
                } else {
                    all_counts[length] -= part.blocks();
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
            if let Err(spent) = steps.take(active_list.len()) {
                return not_worked_out(spent, parts, domain);
            }
            let here: Vec<&Part> = active_list.iter().map(|&i| of_family[i]).collect();
            let certain: Vec<&Part> = here.iter().copied().filter(|p| p.certain).collect();
            let ports = Ports {
                from: u16::try_from(port).unwrap_or(u16::MAX),
                to: u16::try_from(port).unwrap_or(u16::MAX),
            };
            if check_certain {
                let nets: Vec<IpNet> = certain.iter().filter_map(|p| p.net).collect();
                if covers(family, &nets, 0, 0) == Coverage::Covered {
                    // Two values one property may take are never both taken.
                    let taken = once_each(&certain);
                    let nets: Vec<IpNet> = taken.iter().filter_map(|p| p.net).collect();
                    if taken.len() == certain.len()
                        || covers(family, &nets, 0, 0) == Coverage::Covered
                    {
                        return Some(Found {
                            family,
                            ports,
                            certain: true,
                            parts: taken,
                            unknown: None,
                        });
                    }
                    if possible.is_none() {
                        possible = Some(Found {
                            family,
                            ports,
                            certain: false,
                            parts: certain.clone(),
                            unknown: Some(vec![several_values(&certain)]),
                        });
                    }
                }
            }
            if check_possible {
                let nets: Vec<IpNet> = here.iter().filter_map(|p| p.net).collect();
                let some: Vec<(u8, usize)> = here
                    .iter()
                    .filter_map(|p| p.some.map(|(_, prefix, _)| (prefix, p.blocks())))
                    .collect();
                let widest = some.iter().map(|&(prefix, _)| prefix).min().unwrap_or(0);
                let count = some.iter().map(|&(_, n)| n).sum();
                if covers(family, &nets, count, widest) != Coverage::Not {
                    let unknown = (once_each(&here).len() < here.len()).then(|| {
                        let mut unknown = vec![several_values(&here)];
                        for part in &here {
                            add_unknowns(&mut unknown, &part.unknown);
                        }
                        unknown
                    });
                    possible = Some(Found {
                        family,
                        ports,
                        certain: false,
                        parts: here,
                        unknown,
                    });
                }
            }
        }
    }
    possible
}

/// `parts` without those whose source is one of several values a property
/// may take when another part is another of them: only one can be taken.
fn once_each<'a, 'p>(parts: &[&'a Part<'p>]) -> Vec<&'a Part<'p>> {
    let value = |p: &Part| p.source.one_of.map(|of| (p.permission.read_id(), of));
    let mut sources: HashMap<(*const (), u16), *const Source> = HashMap::new();
    let mut several = HashSet::new();
    for part in parts {
        if let Some(key) = value(part) {
            let source = part.source as *const Source;
            if *sources.entry(key).or_insert(source) != source {
                several.insert(key);
            }
        }
    }
    parts
        .iter()
        .copied()
        .filter(|p| value(p).is_none_or(|key| !several.contains(&key)))
        .collect()
}

/// Why a union that needs two values of one property at once is not
/// certain.
fn several_values(parts: &[&Part]) -> Unknown {
    let value = parts.iter().find_map(|p| {
        let property = match p.source.one_of? {
            0 => "CidrIp",
            1 => "CidrIpv6",
            _ => "prefix list entry",
        };
        Some(format!("{}'s {property}", p.permission.place.named()))
    });
    Unknown::new(format!(
        "which one value {} takes: only together do its values cover every address",
        value.as_deref().unwrap_or("a source")
    ))
}

/// Every part of a union, as [`named`] names the first few, in an order
/// that does not depend on the order they are written in (list positions
/// left out): what the finding's fingerprint takes from a union.
/// Past [`KEYED_PARTS`] parts it is [`named`]'s few and the count: its
/// order may then make a finding look new, never old.
fn every_part(parts: &[&Part], home: Option<Owner>) -> String {
    if parts.len() > KEYED_PARTS {
        return named(parts, home);
    }
    let mut names: Vec<String> = parts
        .iter()
        .map(|part| {
            let place = match (&part.permission.place, home) {
                (Place::Inline(_), _) => part.permission.place.to_string(),
                (place, Some(home)) if part.permission.owner.resource == home.resource => {
                    place.to_string()
                }
                (place, _) => place.named(),
            };
            crate::fingerprint::key(&format!("{place} ({})", part.source.text))
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names.join(", ")
}

/// What `unknown` names, in an order that does not depend on the order
/// the parts are written in.
fn sorted_names(unknown: &[Unknown]) -> String {
    let mut each: Vec<&str> = unknown.iter().map(Unknown::as_str).collect();
    each.sort_unstable();
    crate::fingerprint::key(&each.join("; "))
}

/// "SecurityGroupIngress[0] (0.0.0.0/1), ingress rule In2 (128.0.0.0/1)".
fn named(parts: &[&Part], home: Option<Owner>) -> String {
    let mut names: Vec<String> = Vec::new();
    for part in parts {
        let place = match (&part.permission.place, home) {
            (Place::Inline(_), _) => part.permission.place.to_string(),
            (place, Some(home)) if part.permission.owner.resource == home.resource => {
                place.to_string()
            }
            (place, _) => place.named(),
        };
        let name = format!("{place} ({})", part.source.text);
        if !names.contains(&name) {
            names.push(name);
        }
        if names.len() == NAMED {
            break;
        }
    }
    // Each source of each permission once, whatever the ports it is on.
    let mut each: Vec<(*const Permission, *const Source)> = parts
        .iter()
        .map(|p| (p.permission as *const Permission, p.source as *const Source))
        .collect();
    each.sort_unstable();
    each.dedup();
    let mut list = names.join(", ");
    if each.len() > names.len() {
        list.push_str(&format!(" and {} more", each.len() - names.len()));
    }
    list
}
