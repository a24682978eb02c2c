//! `Fn::GetAtt` of a resource in the same template, where the attribute is
//! by definition a property the template writes: a VPC's `CidrBlock` is the
//! `CidrBlock` it was created with. Conservative: only the attributes of
//! [`SAME_AS_PROPERTY`], and only when the property is written; anything
//! else stays unknown (a generated name, an address chosen by AWS).

use super::Resolver;
use super::candidate::{Candidate, Unknown};
use crate::node::Node;

/// `(resource type, attribute, property)`: `Fn::GetAtt R.attribute` of a
/// resource of that type is the value of its `property`.
pub const SAME_AS_PROPERTY: &[(&str, &str, &str)] = &[
    ("AWS::EC2::VPC", "CidrBlock", "CidrBlock"),
    ("AWS::EC2::Subnet", "CidrBlock", "CidrBlock"),
    ("AWS::EC2::Subnet", "AvailabilityZone", "AvailabilityZone"),
    ("AWS::EC2::Subnet", "VpcId", "VpcId"),
    ("AWS::EC2::SecurityGroup", "VpcId", "VpcId"),
    ("AWS::SQS::Queue", "QueueName", "QueueName"),
    ("AWS::SNS::Topic", "TopicName", "TopicName"),
];

impl<'t> Resolver<'t> {
    /// `Fn::GetAtt: [resource, attribute]` (or `"resource.attribute"`).
    pub(super) fn get_att(&self, args: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        let named = match args.value() {
            Node::String(s) => s.split_once('.'),
            Node::Array(items) => match items.as_slice() {
                [resource, attribute] => resource.as_str().zip(attribute.as_str()),
                _ => None,
            },
            _ => None,
        };
        match named.and_then(|(resource, attribute)| self.attribute(resource, attribute)) {
            Some(value) => self.through(value, None, out),
            None => out.push(Candidate::unknown(Unknown::function("Fn::GetAtt", args))),
        }
    }

    /// `${resource.attribute}` in `Fn::Sub`.
    pub(super) fn sub_attribute(
        &self,
        resource: &str,
        attribute: &str,
        out: &mut Vec<Candidate<'t>>,
    ) {
        match self.attribute(resource, attribute) {
            Some(value) => self.through(value, None, out),
            None => out.push(Candidate::unknown(Unknown::function(
                "Fn::GetAtt",
                &Node::string(format!("{resource}.{attribute}")),
            ))),
        }
    }

    /// The property written for `resource.attribute`, when the attribute is
    /// one of [`SAME_AS_PROPERTY`] and the resource writes it.
    fn attribute(&self, resource: &str, attribute: &str) -> Option<&'t Node<'t>> {
        let body = self.bodies.get(resource)?;
        let resource_type = body.get("Type")?.as_str()?;
        let (_, _, property) = SAME_AS_PROPERTY
            .iter()
            .find(|(t, a, _)| *t == resource_type && *a == attribute)?;
        body.get("Properties")?.get(property)
    }
}
