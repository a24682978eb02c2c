//! Following a path into a value, in one world: where it leads, and what
//! the values there may be.
//!
//! `Fn::If` on the way takes the world's branch; `Ref: AWS::NoValue` (or
//! `null`) leaves the value out, and drops a list item; `[Key=text]`
//! follows the items whose `Key` is `text` (none: the value is missing; an
//! item whose `Key` cannot be known: unknown); a container written
//! through another intrinsic (`Fn::FindInMap` giving a mapping, say) is
//! followed when it resolves to one mapping or list, and is unknown
//! otherwise. Values at the end are what [`Leaves`] makes of them.

use cfn_template::display::short;
use cfn_template::resolve::{Candidate, Resolver, Unknown, Value, add_unknowns, intrinsic};
use cfn_template::{Node, Object};

use super::path::{Segment, join};
use super::worlds::{Chosen, NeedsCondition, World, choose};

/// Most places one path may lead to in one resource.
pub(crate) const MAX_REACHED: usize = 512;

/// What the values at the end of a path may be.
pub(crate) trait Leaves<'n> {
    /// The values `node` may take.
    fn values(&self, node: &'n Node<'n>) -> Vec<Candidate<'n>>;

    /// Whether intrinsic functions are read as such (in a template), not
    /// as data (in a policy document written as JSON text).
    fn reads_intrinsics(&self) -> bool;
}

/// A template's values, through its resolver.
impl<'t> Leaves<'t> for Resolver<'t> {
    fn values(&self, node: &'t Node<'t>) -> Vec<Candidate<'t>> {
        self.resolve(node)
    }

    fn reads_intrinsics(&self) -> bool {
        true
    }
}

/// Data read from JSON text: every value is what it says.
pub(crate) struct Literal;

impl<'n> Leaves<'n> for Literal {
    fn values(&self, node: &'n Node<'n>) -> Vec<Candidate<'n>> {
        vec![Candidate::node(node)]
    }

    fn reads_intrinsics(&self) -> bool {
        false
    }
}

/// JSON text written in `Fn::Sub`: each string is a pattern of its own.
pub(crate) struct SubText<'r, 't> {
    pub resolver: &'r Resolver<'t>,
    pub vars: Option<&'t Object<'t>>,
}

impl<'n, 't: 'n> Leaves<'n> for SubText<'_, 't> {
    fn values(&self, node: &'n Node<'n>) -> Vec<Candidate<'n>> {
        match node.as_str() {
            Some(pattern) => self.resolver.resolve_sub(pattern, self.vars),
            None => vec![Candidate::node(node)],
        }
    }

    fn reads_intrinsics(&self) -> bool {
        false
    }
}

/// Whether a list item is one a `[Key=value]` step selects.
enum Selects {
    Yes,
    No,
    Unknown(Vec<Unknown>),
}

/// One place a path leads to.
#[derive(Debug)]
pub(crate) struct Reached<'n> {
    /// Where, with list indices: `Listeners[1].Protocol`.
    pub at: String,
    pub found: Found<'n>,
}

/// What is there.
#[derive(Debug)]
pub(crate) enum Found<'n> {
    /// A value: as written (the world's branch taken), and every value it
    /// may take (at least one; an unknown one says why).
    Values {
        node: &'n Node<'n>,
        candidates: Vec<Candidate<'n>>,
    },
    /// Nothing: the key is not written, or is `AWS::NoValue`.
    Missing,
    /// A container on the way cannot be known.
    Unknown(Vec<Unknown>),
}

/// Where `path` leads from `root` (at `at`, for messages), in `world`.
pub(crate) fn reach<'n>(
    leaves: &dyn Leaves<'n>,
    root: Option<&'n Node<'n>>,
    path: &[Segment],
    at: &str,
    world: &World,
) -> Result<Vec<Reached<'n>>, NeedsCondition> {
    let mut walk = Walk {
        leaves,
        world,
        out: Vec::new(),
    };
    match (root, path.first()) {
        // No properties at all: the first key is what is missing.
        (None, Some(Segment::Key(key))) => walk.push(join(at, key), Found::Missing),
        _ => walk.step(root, path, at.to_string())?,
    }
    Ok(walk.out)
}

struct Walk<'w, 'n> {
    leaves: &'w dyn Leaves<'n>,
    world: &'w World,
    out: Vec<Reached<'n>>,
}

impl<'n> Walk<'_, 'n> {
    fn push(&mut self, at: String, found: Found<'n>) {
        match self.out.len() {
            n if n < MAX_REACHED => self.out.push(Reached { at, found }),
            n if n == MAX_REACHED => self.out.push(Reached {
                at,
                found: Found::Unknown(vec![Unknown::new(format!(
                    "more than {MAX_REACHED} values on one path"
                ))]),
            }),
            _ => {}
        }
    }

    /// The value itself, the world's branch taken; `None` when absent.
    fn chosen(
        &mut self,
        node: &'n Node<'n>,
        at: &str,
    ) -> Result<Option<&'n Node<'n>>, NeedsCondition> {
        if !self.leaves.reads_intrinsics() {
            return Ok(match node.value() {
                Node::Null => None,
                value => Some(value),
            });
        }
        Ok(match choose(node, self.world)? {
            Chosen::Value(value) => Some(value),
            Chosen::Absent => None,
            Chosen::Malformed(why) => {
                self.push(at.to_string(), Found::Unknown(vec![why]));
                None
            }
        })
    }

    fn step(
        &mut self,
        node: Option<&'n Node<'n>>,
        path: &[Segment],
        at: String,
    ) -> Result<(), NeedsCondition> {
        if self.out.len() > MAX_REACHED {
            return Ok(());
        }
        let Some(written) = node else {
            self.push(at, Found::Missing);
            return Ok(());
        };
        let before = self.out.len();
        let Some(node) = self.chosen(written, &at)? else {
            if self.out.len() == before {
                self.push(at, Found::Missing);
            }
            return Ok(());
        };
        let Some((segment, rest)) = path.split_first() else {
            let candidates = self.leaves.values(node);
            if candidates.is_empty() {
                self.push(at, Found::Missing);
            } else {
                self.push(at, Found::Values { node, candidates });
            }
            return Ok(());
        };
        if *segment == Segment::Each && rest.is_empty() && self.is_intrinsic(node) {
            self.items_of_value(node, at);
            return Ok(());
        }
        let Some(node) = self.container(node, &at) else {
            return Ok(());
        };
        match segment {
            Segment::Key(key) => match node.value() {
                Node::Object(object) => {
                    let at = join(&at, key);
                    self.step(object.get(key), rest, at)?;
                }
                _ => self.push(
                    at.clone(),
                    Found::Unknown(vec![Unknown::new(format!(
                        "{at} is not a mapping (it has no {key})"
                    ))]),
                ),
            },
            Segment::Each => match node.value() {
                Node::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let at = format!("{at}[{i}]");
                        // An item left out is no item at all.
                        if self.chosen(item, &at)?.is_none() {
                            continue;
                        }
                        self.step(Some(item), rest, at)?;
                    }
                }
                // One mapping or value where a list may be written: one item.
                _ => self.step(Some(node), rest, at)?,
            },
            Segment::Select { key, value } => {
                let items = match node.value() {
                    Node::Array(items) => items.as_slice(),
                    // One mapping where a list may be written: one item.
                    _ => std::slice::from_ref(node),
                };
                let mut selected = false;
                for (i, item) in items.iter().enumerate() {
                    let at = if node.value().as_array().is_some() {
                        format!("{at}[{i}]")
                    } else {
                        at.clone()
                    };
                    let before = self.out.len();
                    if self.chosen(item, &at)?.is_none() {
                        // Left out, or an Fn::If that cannot be read (said).
                        selected |= self.out.len() > before;
                        continue;
                    }
                    match self.selects(item, key, value, &at)? {
                        Selects::Yes => {
                            selected = true;
                            self.step(Some(item), rest, at)?;
                        }
                        Selects::No => {}
                        Selects::Unknown(unknown) => {
                            selected = true;
                            self.push(at, Found::Unknown(unknown));
                        }
                    }
                }
                // No item has it: the setting is not written.
                if !selected {
                    self.push(format!("{at}[{key}={value}]"), Found::Missing);
                }
            }
            Segment::Index(i) => match node.value() {
                Node::Array(items) => {
                    let at = format!("{at}[{i}]");
                    self.step(items.get(*i), rest, at)?;
                }
                _ => self.push(
                    at.clone(),
                    Found::Unknown(vec![Unknown::new(format!("{at} is not a list"))]),
                ),
            },
        }
        Ok(())
    }

    /// Whether the list item `item` (at `at`) has `key` equal to `value`;
    /// an item whose key cannot be known may.
    fn selects(
        &mut self,
        item: &'n Node<'n>,
        key: &str,
        value: &str,
        at: &str,
    ) -> Result<Selects, NeedsCondition> {
        let path = [Segment::Key(key.to_string())];
        let (mut yes, mut no) = (false, false);
        let mut unknown = Vec::new();
        for reached in reach(self.leaves, Some(item), &path, at, self.world)? {
            match reached.found {
                Found::Missing => no = true,
                Found::Unknown(why) => add_unknowns(&mut unknown, &why),
                Found::Values { candidates, .. } => {
                    for candidate in &candidates {
                        let is = match &candidate.value {
                            Value::Shaped(shape) if !shape.may_be(value) => Some(false),
                            Value::Shaped(_) | Value::Unknown => None,
                            _ => Some(candidate.as_text().is_some_and(|t| t == value)),
                        };
                        match is {
                            Some(true) => yes = true,
                            Some(false) => no = true,
                            None => add_unknowns(&mut unknown, &candidate.unknown),
                        }
                    }
                }
            }
        }
        Ok(match (yes, no, unknown.is_empty()) {
            (true, false, true) => Selects::Yes,
            (false, _, true) => Selects::No,
            // A key that is the value in one case and not in another.
            (true, true, true) => Selects::Unknown(vec![Unknown::new(format!(
                "{at}.{key}, which may or may not be {}",
                short(value)
            ))]),
            (_, _, false) => Selects::Unknown(unknown),
        })
    }

    fn is_intrinsic(&self, node: &Node<'_>) -> bool {
        self.leaves.reads_intrinsics() && intrinsic(node).is_some()
    }

    /// The items at the end of a path (`Action[*]`) written through an
    /// intrinsic function: those of the list it gives, the items of a list
    /// parameter's default (`"a,b"`), or one value.
    fn items_of_value(&mut self, node: &'n Node<'n>, at: String) {
        let candidates = self.leaves.values(node);
        if let [one] = candidates.as_slice()
            && let (Value::Node(Node::Array(items)), true) = (&one.value, one.is_resolved())
        {
            for (i, item) in items.iter().enumerate() {
                let candidates = self.leaves.values(item);
                self.push(
                    format!("{at}[{i}]"),
                    Found::Values {
                        node: item,
                        candidates,
                    },
                );
            }
            return;
        }
        let mut whole = Vec::new();
        let mut unknown = Vec::new();
        for candidate in candidates {
            match (&candidate.value, candidate.via) {
                // A list that cannot be known: it may be empty, or hold anything.
                (Value::Unknown, _) => unknown.extend(candidate.unknown),
                (Value::Node(Node::String(list)), Some(_)) if list.contains(',') => {
                    for (i, item) in list.split(',').enumerate() {
                        let item = Candidate {
                            value: Value::Text(item.trim().to_string().into()),
                            via: candidate.via,
                            unknown: candidate.unknown.clone(),
                        };
                        self.push(
                            format!("{at}[{i}]"),
                            Found::Values {
                                node,
                                candidates: vec![item],
                            },
                        );
                    }
                }
                // One value: text, or of a known shape (a resource's ARN, a
                // parameter's text).
                _ => whole.push(candidate),
            }
        }
        if !unknown.is_empty() {
            self.push(at.clone(), Found::Unknown(unknown));
        }
        if !whole.is_empty() {
            self.push(
                at,
                Found::Values {
                    node,
                    candidates: whole,
                },
            );
        }
    }

    /// A container written through an intrinsic function (other than
    /// `Fn::If`): the mapping or list it gives, when it gives one.
    fn container(&mut self, node: &'n Node<'n>, at: &str) -> Option<&'n Node<'n>> {
        if !self.leaves.reads_intrinsics() || intrinsic(node).is_none() {
            return Some(node);
        }
        let candidates = self.leaves.values(node);
        let containers: Vec<&'n Node<'n>> = candidates
            .iter()
            .filter_map(|c| match c.value {
                Value::Node(n @ (Node::Object(_) | Node::Array(_))) if c.is_resolved() => Some(n),
                _ => None,
            })
            .collect();
        if let ([one], 1) = (containers.as_slice(), candidates.len())
            && intrinsic(one).is_none()
        {
            return Some(one);
        }
        let mut unknown: Vec<Unknown> = candidates
            .iter()
            .flat_map(|c| c.unknown.iter().cloned())
            .collect();
        if unknown.is_empty() {
            unknown.push(Unknown::new(format!(
                "{at}, which is not one mapping or list once resolved"
            )));
        }
        self.push(at.to_string(), Found::Unknown(unknown));
        None
    }
}
