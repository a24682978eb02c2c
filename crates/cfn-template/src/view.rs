//! A resource as rule kinds read it: its properties in each form they may
//! take once the template's choices are made.
//!
//! `Properties`, or a container inside them (`LaunchTemplateData`, an
//! ingress entry, a list of entries), may be written as `Fn::If`: each
//! branch counts, so a resource takes one form per combination of the
//! branches its containers choose ([`Variant`], with the branches that lead
//! to it, [`Variant::when`]). `Ref: AWS::NoValue` removes the entry it
//! stands for; in a list it stays in place, so that the other entries keep
//! the index they are written at (readers skip it: [`is_no_value`]). Views
//! are built once per template, before any rule looks at a resource.
//!
//! Only containers are chosen here: an `Fn::If` between two values (`CidrIp:
//! !If [C, 0.0.0.0/0, 10.0.0.0/8]`) is the [`crate::Resolver`]'s, which
//! gives both. A resource whose choices would make more than [`MAX_FORMS`]
//! forms, or whose forms would take the template past [`MAX_FORM_VALUES`]
//! values, is left as written, `Fn::If` and all, and says so
//! ([`ResourceView::not_chosen`]): [`reach`] and the resolver still look
//! into every branch, without naming the conditions.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::node::{Node, Object, ObjectBuilder};
use crate::resolve::{Unknown, intrinsic};
use crate::template::{Resource, Template};

/// Most forms one resource may take before it is left as written.
pub const MAX_FORMS: usize = 64;

/// Most values the forms of one template may hold, counted as if each
/// form were written out (rules read each one) and with what making them
/// copies: twice the values of the largest template read.
pub const MAX_FORM_VALUES: usize = 1_000_000;

/// One resource of a template, in each form it may take.
#[derive(Debug, Clone)]
pub struct ResourceView<'t> {
    /// The resource's index in [`Template::resources`].
    pub index: usize,
    /// The resource as written.
    pub resource: &'t Resource<'t>,
    /// The forms its properties may take: at least one.
    pub variants: Vec<Variant<'t>>,
    /// Why the containers written as `Fn::If` were not chosen (too many
    /// forms): the one form is then the properties as written.
    pub not_chosen: Option<Unknown>,
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

/// A form's properties: as written when nothing had to be chosen, else a
/// tree of its own (whose strings are still borrowed from the template).
#[derive(Debug, Clone)]
enum Properties<'t> {
    None,
    Written(&'t Node<'t>),
    Chosen(Node<'t>),
}

impl<'t> Variant<'t> {
    /// The resource's `Properties` in this form (`None` when it has none).
    pub fn properties(&self) -> Option<&Node<'t>> {
        match &self.properties {
            Properties::None => None,
            Properties::Written(node) => Some(node),
            Properties::Chosen(node) => Some(node),
        }
    }

    /// Whether the properties are a tree of this form's own, not the ones
    /// written.
    pub fn is_chosen(&self) -> bool {
        matches!(self.properties, Properties::Chosen(_))
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
    let mut chooser = Chooser {
        copied: 0,
        choices: HashMap::new(),
    };
    template
        .resources
        .iter()
        .enumerate()
        .map(|(index, resource)| chooser.view(index, resource))
        .collect()
}

/// `Ref: AWS::NoValue`: no value at all.
pub fn is_no_value(node: &Node<'_>) -> bool {
    matches!(intrinsic(node), Some(("Ref", name)) if name.as_str() == Some("AWS::NoValue"))
}

/// What a path of keys may lead to from `node` (a form's properties, say).
#[derive(Debug, Clone)]
pub enum Reached<'n, 't> {
    /// The value at the path, as written (an intrinsic function there is a
    /// resolver's to work out).
    Value(&'n Node<'t>),
    /// A container on the way is an intrinsic function other than `Fn::If`
    /// (`Fn::GetAtt`, `Fn::Transform`, ...): what is below it cannot be known.
    Unknown(Unknown),
}

/// The values `path` may lead to from `node`, looking into both branches
/// of any `Fn::If` left on the way; nothing for a path that is not there.
pub fn reach<'n, 't>(node: &'n Node<'t>, path: &[&str]) -> Vec<Reached<'n, 't>> {
    let mut out = Vec::new();
    reach_into(node, path, &mut out);
    out
}

fn reach_into<'n, 't>(node: &'n Node<'t>, path: &[&str], out: &mut Vec<Reached<'n, 't>>) {
    if is_no_value(node) {
        return;
    }
    let Some((key, rest)) = path.split_first() else {
        out.push(Reached::Value(node));
        return;
    };
    match intrinsic(node) {
        Some(("Fn::If", args)) => match args.as_array() {
            Some([_, yes, no]) => {
                reach_into(yes, path, out);
                reach_into(no, path, out);
            }
            _ => out.push(Reached::Unknown(Unknown::new(
                "Fn::If without a condition and two values",
            ))),
        },
        Some((function, args)) => out.push(Reached::Unknown(Unknown::function(function, args))),
        None => {
            if let Some(value) = node.get(key) {
                reach_into(value, rest, out);
            }
        }
    }
}

/// Makes the forms of each resource, counting what they copy.
struct Chooser {
    copied: usize,
    /// Whether a choice is to be made in each container looked at so far
    /// (by address), so that no subtree is walked twice.
    choices: HashMap<usize, bool>,
}

/// A collection being chosen part by part, with the branches taken so far.
type Partial<C> = (C, Vec<Branch>);

/// The entries of a mapping being chosen.
type Entries<'t> = Vec<(Cow<'t, str>, Node<'t>)>;

/// One way a value may be chosen: the value (`None` once removed by
/// `AWS::NoValue`), and the branches that lead to it.
struct Alternative<'t> {
    value: Option<Node<'t>>,
    when: Vec<Branch>,
}

impl Chooser {
    fn view<'t>(&mut self, index: usize, resource: &'t Resource<'t>) -> ResourceView<'t> {
        // `Properties: !Ref AWS::NoValue` is no properties.
        let written = resource.body.get("Properties").filter(|p| !is_no_value(p));
        let as_written = |not_chosen| ResourceView {
            index,
            resource,
            variants: vec![Variant {
                properties: match written {
                    Some(node) => Properties::Written(node),
                    None => Properties::None,
                },
                when: Vec::new(),
            }],
            not_chosen,
        };
        let Some(properties) = written.filter(|p| self.has_choice(p)) else {
            return as_written(None);
        };
        let forms = self.forms(properties).and_then(|forms| {
            // What the rules will read: every form, as if written out.
            let written = size(properties, MAX_FORM_VALUES);
            self.count(written.saturating_mul(forms.len()))?;
            Ok(forms)
        });
        self.choices.clear();
        match forms {
            Ok(alternatives) => ResourceView {
                index,
                resource,
                variants: alternatives
                    .into_iter()
                    .map(|a| Variant {
                        properties: match a.value {
                            Some(node) => Properties::Chosen(node),
                            None => Properties::None,
                        },
                        when: a.when,
                    })
                    .collect(),
                not_chosen: None,
            },
            Err(why) => as_written(Some(why)),
        }
    }

    /// Every way `node` may be chosen, at most [`MAX_FORMS`].
    fn forms<'t>(&mut self, node: &'t Node<'t>) -> Result<Vec<Alternative<'t>>, Unknown> {
        if is_no_value(node) {
            return Ok(vec![Alternative {
                value: None,
                when: Vec::new(),
            }]);
        }
        if !self.has_choice(node) {
            return Ok(vec![Alternative {
                value: Some(self.share(node)?),
                when: Vec::new(),
            }]);
        }
        if let Some(("Fn::If", args)) = intrinsic(node) {
            return self.branches(args);
        }
        match node.value() {
            Node::Object(object) => {
                let mut partials: Vec<Partial<Entries<'t>>> = vec![(Vec::new(), Vec::new())];
                for (key, value) in object.entries() {
                    let alternatives = self.forms(value)?;
                    partials = self.combine(partials, alternatives, |entries, value| {
                        // `AWS::NoValue` removes the entry.
                        if let Some(value) = value {
                            entries.push((key.clone(), value));
                        }
                    })?;
                }
                Ok(partials
                    .into_iter()
                    .map(|(entries, when)| Alternative {
                        value: Some(shared(Node::Object(Object::from_entries(entries)))),
                        when,
                    })
                    .collect())
            }
            Node::Array(items) => {
                let mut partials: Vec<Partial<Vec<Node<'t>>>> = vec![(Vec::new(), Vec::new())];
                for item in items {
                    let alternatives = self.forms(item)?;
                    partials = self.combine(partials, alternatives, |items, value| {
                        // `AWS::NoValue` stays in place, so that the entries
                        // after it keep the index they are written at.
                        items.push(value.unwrap_or_else(no_value));
                    })?;
                }
                Ok(partials
                    .into_iter()
                    .map(|(items, when)| Alternative {
                        value: Some(shared(Node::Array(items))),
                        when,
                    })
                    .collect())
            }
            // `has_choice` is false for anything else.
            _ => Ok(vec![Alternative {
                value: Some(self.share(node)?),
                when: Vec::new(),
            }]),
        }
    }

    /// `Fn::If: [condition, yes, no]`: the forms of each branch.
    fn branches<'t>(&mut self, args: &'t Node<'t>) -> Result<Vec<Alternative<'t>>, Unknown> {
        let Some([condition, yes, no]) = args.as_array() else {
            return Err(Unknown::new("Fn::If without a condition and two values"));
        };
        let Some(condition) = condition.as_str() else {
            return Err(Unknown::new("Fn::If whose condition is not a name"));
        };
        let mut out = Vec::new();
        for (branch, holds) in [(yes, true), (no, false)] {
            let taken = Branch {
                condition: condition.to_string(),
                holds,
            };
            for alternative in self.forms(branch)? {
                if let Some(when) = with(&alternative.when, std::slice::from_ref(&taken)) {
                    out.push(Alternative {
                        value: alternative.value,
                        when,
                    });
                }
            }
        }
        if out.len() > MAX_FORMS {
            return Err(too_many());
        }
        Ok(out)
    }

    /// Every partial collection, with each alternative of its next part
    /// added by `add`; combinations whose branches contradict each other
    /// are dropped.
    fn combine<'t, C: Clone>(
        &mut self,
        partials: Vec<Partial<C>>,
        alternatives: Vec<Alternative<'t>>,
        add: impl Fn(&mut C, Option<Node<'t>>),
    ) -> Result<Vec<Partial<C>>, Unknown> {
        if partials.len().saturating_mul(alternatives.len()) > MAX_FORMS {
            return Err(too_many());
        }
        let mut out = Vec::with_capacity(partials.len() * alternatives.len());
        for (collection, when) in partials {
            for alternative in &alternatives {
                let Some(when) = with(&when, &alternative.when) else {
                    continue;
                };
                let mut collection = collection.clone();
                self.count(1)?;
                add(&mut collection, alternative.value.clone());
                out.push((collection, when));
            }
        }
        Ok(out)
    }

    /// `node`, copied once and shared by every form that holds it.
    fn share<'t>(&mut self, node: &'t Node<'t>) -> Result<Node<'t>, Unknown> {
        match node {
            Node::Object(_) | Node::Array(_) => {
                self.count(size(node, MAX_FORM_VALUES.saturating_sub(self.copied) + 1))?;
                Ok(shared(node.clone()))
            }
            // A shared value is shared again; a scalar's text stays borrowed.
            other => Ok(other.clone()),
        }
    }

    /// Whether a choice is to be made in `node`: a container written as
    /// `Fn::If` (a branch that is a mapping, a list or `AWS::NoValue`), or
    /// an entry `AWS::NoValue` removes. Intrinsic functions other than
    /// `Fn::If` are the resolver's and are not looked into.
    fn has_choice(&mut self, node: &Node<'_>) -> bool {
        let node = node.value();
        if !matches!(node, Node::Object(_) | Node::Array(_)) {
            return false;
        }
        let key = node as *const Node<'_> as usize;
        if let Some(&known) = self.choices.get(&key) {
            return known;
        }
        let choice = match intrinsic(node) {
            Some(("Fn::If", args)) => match args.as_array() {
                Some([_, yes, no]) => [yes, no]
                    .into_iter()
                    .any(|b| is_container(b) || is_no_value(b) || self.has_choice(b)),
                _ => false,
            },
            Some(_) => false,
            None => match node {
                Node::Object(object) => object
                    .iter()
                    .any(|(_, value)| is_no_value(value) || self.has_choice(value)),
                Node::Array(items) => items.iter().any(|item| self.has_choice(item)),
                _ => false,
            },
        };
        self.choices.insert(key, choice);
        choice
    }

    fn count(&mut self, values: usize) -> Result<(), Unknown> {
        self.copied = self.copied.saturating_add(values);
        if self.copied > MAX_FORM_VALUES {
            return Err(Unknown::new(format!(
                "the template's containers written as Fn::If make forms of more than {MAX_FORM_VALUES} values"
            )));
        }
        Ok(())
    }
}

fn too_many() -> Unknown {
    Unknown::new(format!(
        "its containers written as Fn::If make more than {MAX_FORMS} forms"
    ))
}

/// `when` with `more` taken as well, or `None` when they contradict (a
/// condition that holds and does not).
fn with(when: &[Branch], more: &[Branch]) -> Option<Vec<Branch>> {
    let mut out = when.to_vec();
    for branch in more {
        match out.iter().find(|b| b.condition == branch.condition) {
            Some(b) if b.holds != branch.holds => return None,
            Some(_) => {}
            None => out.push(branch.clone()),
        }
    }
    Some(out)
}

/// A mapping (not an intrinsic function) or a list.
fn is_container(node: &Node<'_>) -> bool {
    match node.value() {
        Node::Object(_) => intrinsic(node).is_none(),
        Node::Array(_) => true,
        _ => false,
    }
}

/// How many values `node` holds, counting no further than `cap`.
fn size(node: &Node<'_>, cap: usize) -> usize {
    let mut count = 1;
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        if count > cap {
            break;
        }
        match node.value() {
            Node::Object(object) => {
                for (_, value) in object.iter() {
                    count += 1;
                    stack.push(value);
                }
            }
            Node::Array(items) => {
                for item in items {
                    count += 1;
                    stack.push(item);
                }
            }
            _ => {}
        }
    }
    count
}

fn no_value<'t>() -> Node<'t> {
    let mut object = ObjectBuilder::default();
    object.push(Cow::Borrowed("Ref"), Node::string("AWS::NoValue"));
    Node::Object(object.finish())
}

/// `node`, to be shared by the forms that hold it (cloning it is then
/// cheap).
fn shared(node: Node<'_>) -> Node<'_> {
    match node {
        Node::Shared(_) => node,
        other => Node::Shared(Arc::new(other)),
    }
}
