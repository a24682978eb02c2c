//! A resource as rule kinds read it: its properties once the template's
//! choices are made.
//!
//! A resource may take several forms once the stack exists: `Properties`
//! (or a container inside them, such as `LaunchTemplateData` or an ingress
//! entry) may be written as `Fn::If`, and `Ref: AWS::NoValue` removes what
//! it stands for. Each form is a [`Variant`], with the branches that lead to
//! it ([`Variant::when`]). Views are built once per template, before any
//! rule looks at a resource, so that every rule kind reads the same forms.
//!
//! Values inside a variant (a `CidrIp`, an `ImageId`) are still as written:
//! a [`crate::Resolver`] works out what they may be.

use std::fmt;

use crate::node::Node;
use crate::template::{Resource, Template};

/// One resource of a template, in each form it may take.
#[derive(Debug, Clone)]
pub struct ResourceView<'t> {
    /// The resource's index in [`Template::resources`].
    pub index: usize,
    /// The resource as written.
    pub resource: &'t Resource<'t>,
    /// The forms its properties may take: at least one.
    pub variants: Vec<Variant<'t>>,
}

impl<'t> ResourceView<'t> {
    /// The resource's `Type`.
    pub fn resource_type(&self) -> &'t str {
        &self.resource.resource_type
    }
}

/// The properties a resource has when the branches of [`Variant::when`]
/// are taken.
#[derive(Debug, Clone)]
pub struct Variant<'t> {
    properties: Properties<'t>,
    /// The `Fn::If` branches that lead to this form; empty when the
    /// resource has only one.
    pub when: Vec<Branch>,
}

/// A variant's properties: as written when nothing had to be chosen, else
/// a tree of its own (whose values are still borrowed from the template).
#[derive(Debug, Clone)]
enum Properties<'t> {
    None,
    Written(&'t Node<'t>),
}

impl<'t> Variant<'t> {
    /// The resource's `Properties` in this form (`None` when it has none).
    pub fn properties(&self) -> Option<&Node<'t>> {
        match &self.properties {
            Properties::None => None,
            Properties::Written(node) => Some(node),
        }
    }

    /// The branches that lead here, for a person: "IsProd is false and
    /// HasVpn is true".
    pub fn describe_when(&self) -> String {
        self.when
            .iter()
            .map(Branch::to_string)
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

/// A branch of `Fn::If`: the condition, and whether it holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Branch {
    /// The condition's name (a key of the `Conditions` section).
    pub condition: String,
    /// Whether the condition holds on this branch.
    pub holds: bool,
}

impl fmt::Display for Branch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is {}",
            crate::display::short(&self.condition),
            self.holds
        )
    }
}

/// The view of every resource of `template`, in its order.
pub fn views<'t>(template: &'t Template<'t>) -> Vec<ResourceView<'t>> {
    template
        .resources
        .iter()
        .enumerate()
        .map(|(index, resource)| ResourceView {
            index,
            resource,
            variants: vec![Variant {
                properties: match resource.body.get("Properties") {
                    Some(node) => Properties::Written(node),
                    None => Properties::None,
                },
                when: Vec::new(),
            }],
        })
        .collect()
}
