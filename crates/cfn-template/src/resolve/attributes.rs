//! What a `Ref` or `Fn::GetAtt` of a resource of the same template is.
//!
//! Where the attribute is by definition a property the template writes (a
//! VPC's `CidrBlock` is the `CidrBlock` it was created with), it is that
//! property's value: conservative, only the attributes of
//! [`SAME_AS_PROPERTY`], and only when the property is written. Otherwise
//! it is not known, but its shape is ([`Class`]): an id or a name the
//! template may give the resource, an ARN, or another attribute, never `*`.
//! Resources whose ids and attributes are whatever their code returns
//! (custom resources, types outside `AWS::`, a nested stack's outputs, a
//! wait condition's data) are not known at all.

use super::candidate::{Candidate, Unknown, Value};
use super::shape::{Class, Shape};
use super::{Resolver, intrinsic};
use crate::node::Node;

/// A resource has at most this many names a rule compares with; past them
/// it may have any.
const MAX_NAMES: usize = 16;

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
        let Some((resource, attribute)) = named else {
            out.push(Candidate::unknown(Unknown::function("Fn::GetAtt", args)));
            return;
        };
        match self.attribute(resource, attribute) {
            Some(value) => self.through(value, None, out),
            None => out.push(self.attribute_shape(
                resource,
                attribute,
                Unknown::function("Fn::GetAtt", args),
            )),
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
            None => out.push(self.attribute_shape(
                resource,
                attribute,
                Unknown::function(
                    "Fn::GetAtt",
                    &Node::string(format!("{resource}.{attribute}")),
                ),
            )),
        }
    }

    /// `resource.attribute` as far as its shape is known.
    fn attribute_shape(&self, resource: &str, attribute: &str, why: Unknown) -> Candidate<'t> {
        let made_by_aws = self
            .bodies
            .get(resource)
            .and_then(|body| body.get("Type")?.as_str())
            .is_some_and(|t| made_by_aws(t) && t != "AWS::CloudFormation::WaitCondition");
        if !made_by_aws || attribute.starts_with("Outputs.") {
            return Candidate::unknown(why);
        }
        let (id, attribute) = (resource.to_string(), attribute.to_string());
        let class = if attribute.ends_with("Arn") {
            Class::Arn { id, attribute }
        } else {
            Class::Attribute { id, attribute }
        };
        Candidate::shaped(Shape::of(class), why)
    }

    /// What `Ref` of the resource `id` is, when its shape is known.
    pub(super) fn resource_id(&self, id: &str) -> Option<Class> {
        let (&id, body) = self.bodies.get_key_value(id)?;
        if !made_by_aws(body.get("Type")?.as_str()?) {
            return None;
        }
        Some(Class::Resource {
            id: id.to_string(),
            names: self.names_of(id, body),
        })
    }

    /// The values that may name the resource `id`: those of its properties
    /// that may be text, and of the mappings among them, one level down.
    /// (A `Ref` is a name the template gives, such as `BucketName`, or one
    /// AWS generates; which property gives it differs from type to type, so
    /// every one counts.)
    fn names_of(&self, id: &'t str, body: &'t Node<'t>) -> Vec<Shape> {
        if let Some(names) = self.names.borrow().get(id) {
            // None: a name that refers back to the resource itself.
            return names.clone().unwrap_or_else(|| vec![Shape::of(Class::Any)]);
        }
        self.names.borrow_mut().insert(id, None);
        let mut names = Vec::new();
        if let Some(properties) = body.get("Properties") {
            match properties.as_object() {
                Some(object) if intrinsic(properties).is_none() => {
                    for (_, value) in object.iter() {
                        match value.as_object() {
                            Some(inner) if intrinsic(value).is_none() => {
                                for (_, value) in inner.iter() {
                                    self.name_values(value, &mut names);
                                }
                            }
                            _ => self.name_values(value, &mut names),
                        }
                    }
                }
                _ => names.push(Shape::of(Class::Any)),
            }
        }
        self.names.borrow_mut().insert(id, Some(names.clone()));
        names
    }

    /// The texts `value` may be, as names, unless it is a list.
    fn name_values(&self, value: &'t Node<'t>, names: &mut Vec<Shape>) {
        if names.len() > MAX_NAMES || self.is_list(value) {
            return;
        }
        let mut candidates = Vec::new();
        self.nested(value, &mut candidates);
        for candidate in candidates {
            let name = match &candidate.value {
                Value::Shaped(shape) => shape.clone(),
                Value::Unknown => Shape::of(Class::Any),
                Value::Node(Node::Bool(b)) => Shape::text(b.to_string()),
                _ => match candidate.as_text() {
                    Some(text) => Shape::text(text),
                    None => continue, // a list or a mapping
                },
            };
            if names.len() == MAX_NAMES {
                names.push(Shape::of(Class::Any));
                return;
            }
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }

    /// Whether `value` is written as a list (out, or through a function or
    /// parameter that gives one).
    fn is_list(&self, value: &Node<'_>) -> bool {
        match intrinsic(value) {
            Some(("Fn::GetAZs" | "Fn::Split" | "Fn::Cidr", _)) => true,
            Some(("Ref", name)) => name
                .as_str()
                .and_then(|n| self.parameters.get(n))
                .and_then(|p| p.get("Type")?.as_str())
                .is_some_and(|t| t.contains("List<") || t.contains("CommaDelimitedList")),
            Some(_) => false,
            None => value.as_array().is_some(),
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

/// Whether the ids and attributes of resources of this type are AWS's
/// (not those a custom resource's code returns).
fn made_by_aws(resource_type: &str) -> bool {
    resource_type.starts_with("AWS::") && resource_type != "AWS::CloudFormation::CustomResource"
}
