//! JSON front-end: one pass of `serde_json` straight into [`Node`]s.
//!
//! Keys and strings without escapes are borrowed from the text, which also
//! tells where each resource starts: its logical id points into the input.
//! Every section is built (Guard rules may read any of them), within the
//! same caps.
//! Duplicate keys are an error, not "last one wins": a second resource with
//! the same logical id could otherwise hide the first from the rules.
//!
//! [`Limits`] are honoured as in YAML: `max_nodes` counts the keys and values
//! built, `max_depth` the nesting of what is built. serde_json also stops at
//! 128 levels on its own, so a `max_depth` above 128 acts as 128 in JSON.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::error::ParseError;
use crate::limits::Limits;
use crate::lines::LineIndex;
use crate::node::{Node, Scratch};
use crate::sections::{Format, Sections};

/// A JSON failure, and whether it was a syntax error (the text may still be
/// YAML, which CloudFormation would accept).
pub(crate) struct JsonError {
    pub error: ParseError,
    pub syntax: bool,
}

pub(crate) fn parse<'a>(text: &'a str, limits: &Limits) -> Result<Sections<'a>, JsonError> {
    let lines = LineIndex::new(text);
    let cost = Cost {
        limits,
        nodes: Cell::new(0),
        scratch: RefCell::new(Scratch::default()),
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let result = de
        .deserialize_map(TemplateVisitor {
            text,
            lines: &lines,
            cost: &cost,
        })
        .and_then(|sections| de.end().map(|()| sections));
    result.map_err(|e| JsonError {
        error: ParseError::at(e.line().max(1), e.column().max(1), describe(&e)),
        syntax: matches!(
            e.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        ),
    })
}

/// serde_json's message without its " at line L column C" suffix (positions
/// are reported separately), and in our words where we can say it better.
fn describe(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    if message.starts_with("recursion limit exceeded") {
        "the template nests more than 128 levels deep".to_string()
    } else if message.ends_with(&format!("expected {TOP_LEVEL}")) {
        "the template must be a mapping at the top level".to_string()
    } else if message.ends_with(&format!("expected {RESOURCES}")) {
        "Resources must be a mapping".to_string()
    } else if message.starts_with("duplicate key")
        || message.starts_with("the template nests more than")
        || message.starts_with("the template has more than")
    {
        message.to_string()
    } else {
        format!("invalid JSON: {message}")
    }
}

const TOP_LEVEL: &str = "a template mapping";

/// What building the tree may cost: `Limits`, and the values built so
/// far; with the collections being built.
struct Cost<'l, 'de> {
    limits: &'l Limits,
    nodes: Cell<usize>,
    scratch: RefCell<Scratch<'de>>,
}

impl Cost<'_, '_> {
    fn count<E: de::Error>(&self) -> Result<(), E> {
        let nodes = self.nodes.get() + 1;
        self.nodes.set(nodes);
        if nodes > self.limits.max_nodes {
            return Err(E::custom(format_args!(
                "the template has more than {} values",
                self.limits.max_nodes
            )));
        }
        Ok(())
    }

    /// `depth` is the nesting of the collection about to be built (the
    /// template's own mapping is level 1).
    fn enter<E: de::Error>(&self, depth: usize) -> Result<(), E> {
        if depth > self.limits.max_depth {
            return Err(E::custom(format_args!(
                "the template nests more than {} levels deep",
                self.limits.max_depth
            )));
        }
        Ok(())
    }
}
const RESOURCES: &str = "a mapping of resources";

/// Where in the text a borrowed key sits, as a line number.
struct Positions<'t> {
    text: &'t str,
    lines: &'t LineIndex,
}

impl Positions<'_> {
    /// `None` for a key with escapes: it was copied out of the text, so
    /// its place is unknown.
    fn line_of(&self, key: &str) -> Option<usize> {
        let start = self.text.as_ptr() as usize;
        let at = key.as_ptr() as usize;
        (at >= start && at <= start + self.text.len()).then(|| self.lines.line(at - start))
    }
}

fn duplicate<E: de::Error>(key: &str) -> E {
    E::custom(format_args!("duplicate key \"{key}\""))
}

struct TemplateVisitor<'t, 'de> {
    text: &'t str,
    lines: &'t LineIndex,
    cost: &'t Cost<'t, 'de>,
}

impl<'de> Visitor<'de> for TemplateVisitor<'_, 'de> {
    type Value = Sections<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(TOP_LEVEL)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let positions = Positions {
            text: self.text,
            lines: self.lines,
        };
        let mut sections = Sections::new(Format::Json);
        let mut seen: Vec<Cow<'de, str>> = Vec::new();
        let top = NodeSeed {
            cost: self.cost,
            depth: 2,
        };
        while let Some(Key(key)) = map.next_key()? {
            if seen.contains(&key) {
                return Err(duplicate(&key));
            }
            let line = positions.line_of(&key).unwrap_or(1);
            match key.as_ref() {
                "Resources" => {
                    sections.resources_at();
                    sections.resources = Some(map.next_value_seed(ResourcesSeed {
                        positions: &positions,
                        line,
                        cost: self.cost,
                    })?);
                }
                other => {
                    let value = map.next_value_seed(top)?;
                    sections.set(other, line, value);
                }
            }
            seen.push(key);
        }
        Ok(sections)
    }
}

/// The `Resources` mapping: `(logical id, line, body)` in document order.
struct ResourcesSeed<'p, 't, 'de> {
    positions: &'p Positions<'t>,
    /// The line of the `Resources` key, for ids whose place is unknown.
    line: usize,
    cost: &'p Cost<'p, 'de>,
}

impl<'de> DeserializeSeed<'de> for ResourcesSeed<'_, '_, 'de> {
    type Value = Vec<(String, usize, Node<'de>)>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResourcesSeed<'_, '_, 'de> {
    type Value = Vec<(String, usize, Node<'de>)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(RESOURCES)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        self.cost.enter(2)?;
        let mut resources = Vec::new();
        let mut ids: HashSet<Cow<'de, str>> = HashSet::new();
        let seed = NodeSeed {
            cost: self.cost,
            depth: 3,
        };
        while let Some(Key(id)) = map.next_key()? {
            if !ids.insert(id.clone()) {
                return Err(duplicate(&id));
            }
            self.cost.count()?;
            let line = self.positions.line_of(&id).unwrap_or(self.line);
            let body = map.next_value_seed(seed)?;
            resources.push((id.into_owned(), line, body));
        }
        Ok(resources)
    }
}

/// A mapping key, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v)))
    }
}

/// Any value, as a [`Node`], at nesting level `depth` (where a collection
/// would be level `depth`).
#[derive(Clone, Copy)]
struct NodeSeed<'b, 'de> {
    cost: &'b Cost<'b, 'de>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_, 'de> {
    type Value = Node<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Node<'de>, D::Error> {
        self.cost.count()?;
        d.deserialize_any(self)
    }
}

impl NodeSeed<'_, '_> {
    fn inner<E: de::Error>(self) -> Result<Self, E> {
        self.cost.enter(self.depth)?;
        Ok(NodeSeed {
            cost: self.cost,
            depth: self.depth + 1,
        })
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_, 'de> {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node<'de>, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node<'de>, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Node::Null, Node::Number))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let inner = self.inner()?;
        let scratch = &self.cost.scratch;
        let start = scratch.borrow().sequence();
        while let Some(item) = seq.next_element_seed(inner)? {
            scratch.borrow_mut().push_item(item);
        }
        let items = scratch.borrow_mut().finish_sequence(start);
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let inner = self.inner()?;
        let scratch = &self.cost.scratch;
        let mut object = scratch.borrow().mapping();
        while let Some(Key(key)) = map.next_key()? {
            if object.contains(&scratch.borrow(), &key) {
                return Err(duplicate(&key));
            }
            self.cost.count()?;
            let value = map.next_value_seed(inner)?;
            object.push(&mut scratch.borrow_mut(), key, value);
        }
        Ok(Node::Object(object.finish(&mut scratch.borrow_mut())))
    }
}
