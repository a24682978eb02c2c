//! What a property may be when the stack is created.
//!
//! Rules look at concrete values, but templates write many of them through
//! intrinsic functions. A value resolves to the candidates it may take:
//! a `Ref` to a parameter gives the parameter's `Default` (and, as values it
//! might take, its other `AllowedValues`); `Fn::If` gives both branches;
//! `Fn::FindInMap` with a key that depends on the stack (say, the region)
//! gives every entry; `Fn::Select` with an index that cannot be known gives
//! every item; `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::Cidr`
//! and `Fn::Length` are computed from their parts.
//!
//! `Fn::GetAtt` of an attribute that is a property the template writes (a
//! VPC's `CidrBlock`: see [`SAME_AS_PROPERTY`]) is that property's value.
//! What depends on the deployed stack (any other `Fn::GetAtt`, a `Ref` to
//! a resource, `Fn::ImportValue`, a parameter without a default, an SSM
//! parameter, pseudo parameters) does not resolve; neither does what
//! reaches a bound of the [`allowance`] (`MAX_*`). Such a value is a
//! candidate that says what is unknown ([`Candidate::unknown`]), so that a
//! rule can report that it may fire rather than stay silent; where the
//! kind of text it is is known (an account id, a resource's ARN), the
//! candidate is a [`Shape`], which answers the comparisons every possible
//! value answers alike.
//!
//! A resolver sees the template through what values may refer to (its
//! parameters, mappings and resource ids), not through
//! [`crate::Template`]: `Fn::ForEach` expansion resolves collections before
//! there is a template.

pub mod allowance;
mod attributes;
mod candidate;
mod lists;
mod lookup;
mod shape;
mod text;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

pub use allowance::{MAX_ALTERNATIVES, MAX_STEPS, MAX_STEPS_PER_VALUE, MAX_TEXT, StopCheck};
pub use attributes::SAME_AS_PROPERTY;
pub use candidate::{Candidate, Unknown, Value, Via, add_unknowns, integer};
pub use shape::{Class, Part, Pseudo, Shape};

use crate::node::{Node, Object};
use allowance::{Allowance, MAX_NESTING};
use lists::ListItem;

/// The function a value `Fn::ForEach` could not give its identifier stands
/// for (the collection could not be worked out): the resolver reads it as
/// unknown, named by its argument.
pub(crate) const UNRESOLVED_ITEM: &str = "Fn::ForEachUnresolvedItem";

/// Works out the values a property may take, within the [`allowance`]
/// (one per evaluation: the steps it counts are the template's).
pub struct Resolver<'t> {
    parameters: &'t Object<'t>,
    mappings: &'t Object<'t>,
    /// The logical ids of the template's resources.
    resource_ids: HashSet<&'t str>,
    /// The resources' bodies, by logical id, for `Fn::GetAtt` of an
    /// attribute the template itself writes (see [`SAME_AS_PROPERTY`]).
    bodies: HashMap<&'t str, &'t Node<'t>>,
    allowance: Allowance,
    /// Values being worked out through a lookup, to spot one that leads back
    /// to itself.
    in_progress: RefCell<Vec<*const Node<'t>>>,
    /// The names of each resource a `Ref` has named (see [`Class::Resource`]),
    /// worked out once; `None` while being worked out.
    names: RefCell<HashMap<&'t str, Option<Vec<Shape>>>>,
}

/// An entry of a list-valued property (such as `SecurityGroupIngress`).
#[derive(Debug, Clone)]
pub struct Item<'t> {
    /// The entry's index in the list as written, when it is in one.
    pub index: Option<usize>,
    /// A mapping, or [`Value::Unknown`] with `Candidate::unknown` saying why.
    pub value: Candidate<'t>,
}

impl<'t> Resolver<'t> {
    /// A resolver over a template's `Parameters` and `Mappings` sections
    /// and the logical ids of its resources (see also
    /// [`crate::Template::resolver`]).
    pub fn new(
        parameters: &'t Object<'t>,
        mappings: &'t Object<'t>,
        resource_ids: impl IntoIterator<Item = &'t str>,
    ) -> Self {
        Resolver {
            parameters,
            mappings,
            resource_ids: resource_ids.into_iter().collect(),
            bodies: HashMap::new(),
            allowance: Allowance::default(),
            in_progress: RefCell::new(Vec::new()),
            names: RefCell::new(HashMap::new()),
        }
    }

    /// The same resolver, which also knows the resources' bodies (by
    /// logical id): `Fn::GetAtt` of an attribute that is a property the
    /// template writes ([`SAME_AS_PROPERTY`]) is that property's value.
    pub fn with_bodies(
        mut self,
        bodies: impl IntoIterator<Item = (&'t str, &'t Node<'t>)>,
    ) -> Self {
        for (id, body) in bodies {
            self.resource_ids.insert(id);
            self.bodies.insert(id, body);
        }
        self
    }

    /// The same resolver, asking `stop` now and then (every
    /// [`allowance::STOP_CHECK_EVERY`] steps) whether to give up: once it
    /// says so, every value is unknown ("the evaluation was stopped").
    pub fn stop_when(mut self, stop: impl Fn() -> bool + 'static) -> Self {
        self.allowance.stop_when(Box::new(stop));
        self
    }

    /// Every value `value` may take.
    pub fn resolve(&self, value: &'t Node<'t>) -> Vec<Candidate<'t>> {
        match value.value() {
            // The common case, without a list.
            literal @ (Node::String(_) | Node::Number(_)) => vec![Candidate::node(literal)],
            _ => {
                self.allowance.start_value();
                let mut out = Vec::new();
                self.eval(value, &mut out);
                dedup(out)
            }
        }
    }

    /// The entries of a list-valued property, each with its index in the
    /// list as written. A single mapping counts as a list of one
    /// (CloudFormation accepts that for `SecurityGroupIngress`); `Fn::If`
    /// around the list or around an entry contributes both branches.
    pub fn items(&self, value: &'t Node<'t>) -> Vec<Item<'t>> {
        let mut out = Vec::new();
        if let Node::Array(items) = value.value() {
            for (index, item) in items.iter().enumerate() {
                self.item(Some(index), item, &mut out);
            }
            return out;
        }
        for candidate in self.resolve(value) {
            match candidate.value {
                Value::Node(Node::Array(items)) => {
                    for (index, item) in items.iter().enumerate() {
                        self.item(Some(index), item, &mut out);
                    }
                }
                Value::Node(node) if node.is_object() => out.push(Item {
                    index: None,
                    value: candidate,
                }),
                Value::Shaped(_) | Value::Unknown => out.push(Item {
                    index: None,
                    value: candidate,
                }),
                _ => {} // text where a list is expected: CloudFormation refuses it
            }
        }
        out
    }

    fn item(&self, index: Option<usize>, item: &'t Node<'t>, out: &mut Vec<Item<'t>>) {
        if item.is_object() && intrinsic(item).is_none() {
            out.push(Item {
                index,
                value: Candidate::node(item),
            });
            return;
        }
        for candidate in self.resolve(item) {
            let keep = match candidate.value {
                Value::Node(node) => node.is_object(),
                Value::Shaped(_) | Value::Unknown => true,
                Value::Text(_) => false,
            };
            if keep {
                out.push(Item {
                    index,
                    value: candidate,
                });
            }
        }
    }

    /// The lists `value` may be, as text (for `Fn::ForEach` collections):
    /// `None` for a list that cannot be worked out, with why.
    pub(crate) fn text_lists(&self, value: &'t Node<'t>) -> Vec<Result<Vec<String>, Unknown>> {
        self.allowance.start_value();
        let mut out = Vec::new();
        for list in self.lists(value) {
            let Some(items) = list.items else {
                out.push(Err(list.unknown.first().cloned().unwrap_or_else(|| {
                    Unknown::new("a list that cannot be worked out")
                })));
                continue;
            };
            let mut texts = Vec::new();
            let mut unknown = None;
            for item in items {
                match item {
                    ListItem::Text(t) => texts.push(t),
                    ListItem::Node(node) => match node.value() {
                        Node::String(s) => texts.push(s.to_string()),
                        Node::Number(n) => texts.push(n.to_string()),
                        _ => {
                            let mut candidates = Vec::new();
                            self.nested(node, &mut candidates);
                            for c in candidates {
                                match c.as_text() {
                                    Some(t) if c.is_resolved() => texts.push(t.into_owned()),
                                    _ => {
                                        unknown.get_or_insert_with(|| {
                                            c.unknown.first().cloned().unwrap_or_else(|| {
                                                Unknown::new("a list item that is not text")
                                            })
                                        });
                                    }
                                }
                            }
                        }
                    },
                }
            }
            if let Some(why) = unknown {
                out.push(Err(why));
            }
            out.push(Ok(texts));
        }
        out
    }

    /// Works out `value` one level further down.
    fn nested(&self, value: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        let depth = self.allowance.depth.get();
        if depth >= MAX_NESTING {
            out.push(Candidate::unknown(Unknown::new(format!(
                "a value nested more than {MAX_NESTING} levels deep"
            ))));
            return;
        }
        self.allowance.depth.set(depth + 1);
        self.eval(value, out);
        self.allowance.depth.set(depth);
    }

    /// Works out a value reached through a lookup (`Ref`, `Fn::FindInMap`),
    /// marking what it gives with `via`; a value that leads back to itself
    /// is unknown.
    fn through(&self, value: &'t Node<'t>, via: Option<Via<'t>>, out: &mut Vec<Candidate<'t>>) {
        let key = value.value() as *const Node<'t>;
        if self.in_progress.borrow().contains(&key) {
            out.push(Candidate::unknown(Unknown::new(
                "a value that refers to itself (through Ref or Fn::FindInMap)",
            )));
            return;
        }
        self.in_progress.borrow_mut().push(key);
        let from = out.len();
        self.nested(value, out);
        self.in_progress.borrow_mut().pop();
        if let Some(via) = via {
            for candidate in &mut out[from..] {
                if candidate.via.is_none() {
                    candidate.via = Some(via);
                }
            }
        }
    }

    fn eval(&self, value: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        if let Err(why) = self.allowance.step() {
            out.push(Candidate::unknown(why));
            return;
        }
        let value = value.value();
        let Some((function, args)) = intrinsic(value) else {
            out.push(Candidate::node(value));
            return;
        };
        match function {
            "Ref" => self.reference(args, out),
            "Fn::If" => match args.as_array() {
                Some([_, yes, no]) => {
                    self.nested(yes, out);
                    self.nested(no, out);
                }
                _ => out.push(Candidate::unknown(Unknown::new(
                    "Fn::If without a condition and two values",
                ))),
            },
            "Fn::Sub" => self.sub(args, out),
            "Fn::Join" => self.join(args, out),
            "Fn::Select" => self.select(args, out),
            "Fn::FindInMap" => self.find_in_map(args, out),
            "Fn::Length" => self.length(args, out),
            "Fn::GetAtt" => self.get_att(args, out),
            // A value `Fn::ForEach` could not give its identifier.
            foreach if foreach.starts_with(UNRESOLVED_ITEM) => {
                out.push(Candidate::unknown(Unknown::new(
                    args.as_str()
                        .unwrap_or("an item of a Fn::ForEach collection"),
                )));
            }
            // Another stack's export: text from outside the template.
            "Fn::ImportValue" => out.push(Candidate::shaped(
                Shape::of(Class::Import),
                Unknown::function(function, args),
            )),
            // Lists where one value is expected, and what depends on the
            // deployed stack: Fn::GetAZs,
            // Fn::Base64, Fn::Transform, Fn::ToJsonString, ...
            _ => out.push(Candidate::unknown(Unknown::function(function, args))),
        }
    }

    /// Whether `name` is the logical id of a resource of the template.
    pub fn is_resource(&self, name: &str) -> bool {
        self.resource_ids.contains(name)
    }
}

/// `Some((function, argument))` when `value` is an intrinsic function call:
/// a mapping with exactly one key, `Ref`, `Condition` or `Fn::*`.
pub fn intrinsic<'n, 'a>(value: &'n Node<'a>) -> Option<(&'n str, &'n Node<'a>)> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let (key, args) = map.iter().next()?;
    (key == "Ref" || key == "Condition" || key.starts_with("Fn::")).then_some((key, args))
}

/// Drops repeated candidates (the same text, the same mapping, the same
/// unknowns), keeping the first.
fn dedup(candidates: Vec<Candidate<'_>>) -> Vec<Candidate<'_>> {
    if candidates.len() < 2 {
        return candidates;
    }
    let mut seen = HashSet::new();
    let keep: Vec<bool> = candidates
        .iter()
        .map(|c| {
            let value = match &c.value {
                Value::Node(node @ (Node::Object(_) | Node::Array(_))) => {
                    Key::At(*node as *const Node)
                }
                Value::Shaped(s) => Key::Shape(s),
                Value::Unknown => Key::Unknown,
                _ => match c.as_text() {
                    Some(t) => Key::Text(t.into_owned()),
                    None => Key::At(c as *const Candidate as *const Node),
                },
            };
            seen.insert((value, c.unknown.clone()))
        })
        .collect();
    candidates
        .into_iter()
        .zip(keep)
        .filter_map(|(c, keep)| keep.then_some(c))
        .collect()
}

#[derive(PartialEq, Eq, Hash)]
enum Key<'a> {
    At(*const Node<'a>),
    Text(String),
    Shape(&'a Shape),
    Unknown,
}
