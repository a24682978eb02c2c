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
    /// Indexes into `permissions`, one list per group whose identity is
    /// known (each form of the groups of the template, or a group id
    /// written out).
    pub(super) groups: Vec<Group>,
    /// Permissions of standalone ingress resources whose group cannot be
    /// worked out: any of them may belong to any group.
    pub(super) unplaced: Vec<usize>,
}

pub(super) struct Group {
    /// The form of the `AWS::EC2::SecurityGroup` resource, when the template
    /// defines it.
    pub home: Option<Owner>,
    pub permissions: Vec<usize>,
    /// Whether its sources (with the unplaced ones) hold enough addresses
    /// to cover a family: when not, no union of them needs checking.
    pub may_cover: bool,
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
            unplaced: Vec::new(),
        };
        // The groups of each resource a permission names (one per form of
        // the resource), and of each group id written out.
        let mut of_resource: Vec<Option<Vec<usize>>> = vec![None; views.len()];
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
                let groups = match key {
                    GroupKey::Unknown => {
                        analysis.unplaced.extend(added);
                        continue;
                    }
                    GroupKey::Resource(i) => {
                        let forms = views.get(i).map_or(1, |v| v.variants.len());
                        let groups = of_resource[i].get_or_insert_with(|| {
                            (0..forms)
                                .map(|_| new_group(&mut analysis.groups))
                                .collect()
                        });
                        if i == view.index && !standalone {
                            vec![groups[variant]]
                        } else {
                            groups.clone()
                        }
                    }
                    GroupKey::Literal(id) => vec![
                        *by_literal
                            .entry(id)
                            .or_insert_with(|| new_group(&mut analysis.groups)),
                    ],
                };
                for index in groups {
                    let group = &mut analysis.groups[index];
                    if !standalone {
                        group.home = Some(owner);
                    }
                    group.permissions.extend(added.clone());
                }
            }
        }
        let unplaced: Vec<&Permission> = analysis
            .unplaced
            .iter()
            .map(|&i| &analysis.permissions[i])
            .collect();
        for group in &mut analysis.groups {
            let members = group
                .permissions
                .iter()
                .map(|&i| &analysis.permissions[i])
                .chain(unplaced.iter().copied());
            group.may_cover = may_cover(members);
        }
        analysis
    }
}

fn new_group(groups: &mut Vec<Group>) -> usize {
    groups.push(Group {
        home: None,
        permissions: Vec::new(),
        may_cover: false,
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

/// Whether these permissions' blocks hold enough addresses to cover every
/// IPv4 or every IPv6 address (whatever their ports).
pub(super) fn may_cover<'p, 't: 'p>(permissions: impl Iterator<Item = &'p Permission<'t>>) -> bool {
    let mut v4 = [0usize; 129];
    let mut v6 = [0usize; 129];
    for permission in permissions {
        for source in &permission.sources {
            if let SourceKind::Net { v6: six, prefix } | SourceKind::SomeNet { v6: six, prefix } =
                source.kind
            {
                let counts = if six { &mut v6 } else { &mut v4 };
                counts[usize::from(prefix.min(128))] += 1;
            }
        }
    }
    could_cover_counted(Family::V4, &v4) || could_cover_counted(Family::V6, &v6)
}
