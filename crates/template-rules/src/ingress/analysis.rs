//! Placing permissions on groups: every ingress permission of a template,
//! inline or standalone, in each form its resource may take, grouped by the
//! security group it belongs to (a standalone rule whose group cannot be
//! worked out may belong to any).

use std::collections::HashMap;

use cfn_template::display::short;
use cfn_template::resolve::Resolver;
use cfn_template::view::ResourceView;
use cfn_template::{Node, Object, Template};

use super::coverage::{Family, could_cover_counted};
use super::permission::{Owner, Permission, Place, Reader, SourceKind, referenced};

/// Every ingress permission of a template, by security group.
pub struct Analysis<'t> {
    pub(super) permissions: Vec<Permission<'t>>,
    /// One per group whose identity is known (each form of the groups of
    /// the template, or a group id written out).
    pub(super) groups: Vec<Group>,
    /// Indexes into `permissions`: the standalone ingress rules that name a
    /// resource of the template (`!Ref Sg`), one list per such resource,
    /// shared by the groups of its forms.
    pub(super) named: Vec<Vec<usize>>,
    /// Permissions of standalone ingress resources whose group cannot be
    /// worked out: any of them may belong to any group.
    pub(super) unplaced: Vec<usize>,
}

pub(super) struct Group {
    /// The form of the `AWS::EC2::SecurityGroup` resource, when the template
    /// defines it.
    pub home: Option<Owner>,
    /// Indexes into `permissions`: inline in this form, or standalone rules
    /// naming the group by its id.
    pub permissions: Vec<usize>,
    /// Index into `named`: the standalone rules naming the group's resource.
    pub named: Option<usize>,
    /// Whether its own sources hold enough addresses to cover a family:
    /// when not, no union of them needs checking.
    pub may_cover: bool,
    /// The same, with the sources of the rules whose group is not known.
    pub may_cover_with_unplaced: bool,
}

/// Which security group a permission belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum GroupKey {
    /// A group of this template, by index.
    Resource(usize),
    /// A group named by its id (or name), written out or a parameter's default.
    Literal(String),
    Unknown,
}

/// The groups of the forms of a resource, and its list of the standalone
/// rules that name it (made when one does).
#[derive(Clone)]
struct OfResource {
    groups: Vec<usize>,
    named: Option<usize>,
}

impl<'t> Analysis<'t> {
    /// Reads every security group and standalone ingress resource, in each
    /// of its forms (`views`).
    pub fn new(
        template: &'t Template<'t>,
        views: &'t [ResourceView<'t>],
        resolver: &Resolver<'t>,
    ) -> Self {
        let mut analysis = Analysis {
            permissions: Vec::new(),
            groups: Vec::new(),
            named: Vec::new(),
            unplaced: Vec::new(),
        };
        // The groups of each resource a permission names (one per form of
        // the resource), and of each group id written out.
        let mut of_resource: Vec<Option<OfResource>> = vec![None; views.len()];
        let mut by_literal: HashMap<String, usize> = HashMap::new();
        let reader = Reader::new(template, resolver);
        for view in views {
            let standalone = match view.resource_type() {
                "AWS::EC2::SecurityGroup" => false,
                "AWS::EC2::SecurityGroupIngress" => true,
                _ => continue,
            };
            for (variant, form) in view.variants.iter().enumerate() {
                let owner = Owner {
                    resource: view.index,
                    variant,
                };
                let first = analysis.permissions.len();
                let key = read(
                    &reader,
                    view,
                    owner,
                    form.properties(),
                    standalone,
                    &mut analysis.permissions,
                );
                let added = first..analysis.permissions.len();
                match key {
                    GroupKey::Unknown => analysis.unplaced.extend(added),
                    GroupKey::Resource(i) => {
                        let of = of_resource[i].get_or_insert_with(|| {
                            let forms = views.get(i).map_or(1, |v| v.variants.len());
                            let groups = (0..forms)
                                .map(|_| new_group(&mut analysis.groups))
                                .collect();
                            OfResource {
                                groups,
                                named: None,
                            }
                        });
                        if i == view.index && !standalone {
                            let group = &mut analysis.groups[of.groups[variant]];
                            group.home = Some(owner);
                            group.permissions.extend(added);
                            continue;
                        }
                        let list = *of.named.get_or_insert_with(|| {
                            analysis.named.push(Vec::new());
                            analysis.named.len() - 1
                        });
                        for &group in &of.groups {
                            analysis.groups[group].named = Some(list);
                        }
                        analysis.named[list].extend(added);
                    }
                    GroupKey::Literal(id) => {
                        let group = *by_literal
                            .entry(id)
                            .or_insert_with(|| new_group(&mut analysis.groups));
                        analysis.groups[group].permissions.extend(added);
                    }
                }
            }
        }
        let unplaced = Blocks::of(analysis.unplaced.iter().map(|&i| &analysis.permissions[i]));
        let mut may_cover = Vec::with_capacity(analysis.groups.len());
        for group in &analysis.groups {
            let mut blocks = Blocks::of(analysis.members(group).into_iter());
            let alone = blocks.may_cover();
            blocks.add(&unplaced);
            may_cover.push((alone, blocks.may_cover()));
        }
        for (group, (alone, with_unplaced)) in analysis.groups.iter_mut().zip(may_cover) {
            group.may_cover = alone;
            group.may_cover_with_unplaced = with_unplaced;
        }
        analysis
    }

    /// The permissions of a group: its own, and the standalone rules naming
    /// its resource.
    pub(super) fn members(&self, group: &Group) -> Vec<&Permission<'t>> {
        let named = group.named.map_or(&[][..], |list| &self.named[list]);
        group
            .permissions
            .iter()
            .chain(named)
            .map(|&i| &self.permissions[i])
            .collect()
    }

    /// The permissions whose group is not known.
    pub(super) fn unplaced(&self) -> Vec<&Permission<'t>> {
        self.unplaced
            .iter()
            .map(|&i| &self.permissions[i])
            .collect()
    }
}

fn new_group(groups: &mut Vec<Group>) -> usize {
    groups.push(Group {
        home: None,
        permissions: Vec::new(),
        named: None,
        may_cover: false,
        may_cover_with_unplaced: false,
    });
    groups.len() - 1
}

/// Reads the permissions of one form of a security group or standalone
/// ingress resource into `out`, and says which group they belong to.
fn read<'t>(
    reader: &Reader<'_, 't>,
    view: &ResourceView<'t>,
    owner: Owner,
    properties: Option<&'t Node<'t>>,
    standalone: bool,
    out: &mut Vec<Permission<'t>>,
) -> GroupKey {
    let mut key = GroupKey::Resource(view.index);
    // Properties written out as a mapping (the common case) need no list.
    let (one, many);
    let all: &[Result<&Object, Vec<cfn_template::Unknown>>] =
        match properties.filter(|p| cfn_template::resolve::intrinsic(p).is_none()) {
            Some(Node::Object(properties)) => {
                one = [Ok(properties)];
                &one
            }
            other => {
                many = reader.properties(other);
                &many
            }
        };
    for properties in all {
        match (properties.clone(), standalone) {
            (Ok(properties), false) => {
                if let Some(ingress) = properties.get("SecurityGroupIngress") {
                    reader.inline(owner, ingress, out);
                }
            }
            (Ok(properties), true) => {
                let group = properties
                    .get("GroupId")
                    .or_else(|| properties.get("GroupName"));
                let group_name;
                (key, group_name) = place(reader, group);
                let place = Place::Standalone {
                    resource: short(&view.resource.logical_id).into_owned(),
                    group: group_name,
                };
                out.push(reader.permission(owner, place, Ok(properties)));
            }
            (Err(unknown), _) => {
                let place = if standalone {
                    key = GroupKey::Unknown;
                    Place::Standalone {
                        resource: short(&view.resource.logical_id).into_owned(),
                        group: None,
                    }
                } else {
                    Place::Inline(None)
                };
                out.push(reader.permission(owner, place, Err(unknown)));
            }
        }
    }
    key
}

/// The group a standalone rule's `GroupId` (or `GroupName`) names: `!Ref
/// Sg`, `!GetAtt Sg.GroupId`, `sg-0123`, a parameter... with the name
/// messages use for it.
fn place<'t>(reader: &Reader<'_, 't>, value: Option<&'t Node<'t>>) -> (GroupKey, Option<String>) {
    let Some(value) = value else {
        return (GroupKey::Unknown, None);
    };
    let named = referenced(value);
    if let Some(name) = named
        && let Some(index) = reader.index_of(name)
    {
        return (GroupKey::Resource(index), Some(short(name).into_owned()));
    }
    let candidates = reader.resolver().resolve(value);
    match candidates.as_slice() {
        [one] if one.is_resolved() => match one.as_text() {
            Some(id) => {
                let id = short(&id).into_owned();
                (
                    GroupKey::Literal(id.clone()),
                    Some(named.map_or(id, str::to_string)),
                )
            }
            None => (GroupKey::Unknown, named.map(str::to_string)),
        },
        _ => (GroupKey::Unknown, named.map(|n| short(n).into_owned())),
    }
}

/// How many blocks of each prefix length some permissions' sources hold,
/// by family: enough to tell whether they could cover every address.
#[derive(Clone)]
pub(super) struct Blocks {
    v4: [usize; 129],
    v6: [usize; 129],
}

impl Blocks {
    pub fn of<'p, 't: 'p>(permissions: impl Iterator<Item = &'p Permission<'t>>) -> Blocks {
        let mut blocks = Blocks {
            v4: [0; 129],
            v6: [0; 129],
        };
        for permission in permissions {
            for source in &permission.sources {
                let (v6, prefix, count) = match source.kind {
                    SourceKind::Net { v6, prefix } => (v6, prefix, 1),
                    SourceKind::SomeNet { v6, prefix, count } => (v6, prefix, count),
                    _ => continue,
                };
                let counts = if v6 { &mut blocks.v6 } else { &mut blocks.v4 };
                let at = usize::from(prefix.min(128));
                counts[at] = counts[at].saturating_add(count as usize);
            }
        }
        blocks
    }

    pub fn add(&mut self, other: &Blocks) {
        for (mine, theirs) in [(&mut self.v4, &other.v4), (&mut self.v6, &other.v6)] {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a = a.saturating_add(*b);
            }
        }
    }

    /// Whether they hold enough addresses to cover every IPv4 or every
    /// IPv6 address (whatever their ports).
    pub fn may_cover(&self) -> bool {
        could_cover_counted(Family::V4, &self.v4) || could_cover_counted(Family::V6, &self.v6)
    }
}
