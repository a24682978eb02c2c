//! Builds the [`Node`] tree from the event stream, so that positions,
//! duplicate keys, nesting depth and what aliases cost are under our control.
//!
//! Costs are counted two ways. `nodes` counts values as if every alias were
//! written out (`Limits::max_nodes`), which bounds every later walk of the
//! tree; an alias itself shares its anchor's value and copies nothing. The
//! few copies that remain — an alias used as a mapping key, the entries a
//! merge key brings in — are charged to `copied`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use super::events::{Event, Position};
use super::merge::{Merge, merged};
use super::scalar::{scalar, wrap};
use super::tags::{TagKind, classify};
use crate::error::ParseError;
use crate::limits::Limits;
use crate::node::{MapBuilder, Node, Object, Scratch};

/// How many bytes an alias key or a merge may copy, as a multiple of the
/// largest template accepted.
const COPIED_BYTES_PER_TEMPLATE_BYTE: usize = 4;

enum Frame<'a> {
    Seq {
        /// Where its items start in the scratch.
        start: usize,
        anchor: Option<usize>,
        tag: Option<TagKind>,
        nodes_at_start: usize,
    },
    Map {
        map: MapBuilder<'a>,
        /// What the next value belongs to.
        key: Option<Key<'a>>,
        /// The mapping's `<<`, once its value is known.
        merge: Option<Merge<'a>>,
        anchor: Option<usize>,
        tag: Option<TagKind>,
        nodes_at_start: usize,
    },
}

enum Key<'a> {
    Entry(Cow<'a, str>),
    /// `<<`, written on this line.
    Merge(usize),
}

pub(super) struct Builder<'a, 'l> {
    limits: &'l Limits,
    stack: Vec<Frame<'a>>,
    scratch: Scratch<'a>,
    pub root: Option<Node<'a>>,
    documents: usize,
    /// Values built so far, aliases counted at their expanded size.
    nodes: usize,
    /// Bytes copied for alias keys and merges.
    copied: usize,
    /// Each anchor's value (shared) and its expanded size.
    anchors: HashMap<usize, (Node<'a>, usize)>,
    /// Lines of the top-level keys.
    pub top_lines: HashMap<String, usize>,
    /// Lines of the keys of the `Resources` mapping.
    pub resource_lines: HashMap<String, usize>,
}

impl<'a, 'l> Builder<'a, 'l> {
    pub fn new(limits: &'l Limits) -> Self {
        Builder {
            limits,
            stack: Vec::new(),
            scratch: Scratch::default(),
            root: None,
            documents: 0,
            nodes: 0,
            copied: 0,
            anchors: HashMap::new(),
            top_lines: HashMap::new(),
            resource_lines: HashMap::new(),
        }
    }

    pub fn on_event(&mut self, event: Event<'a>, at: Position) -> Result<(), ParseError> {
        let Position { line, column } = at;
        match event {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(ParseError::at(
                        line,
                        column,
                        "a template is a single YAML document; found a second one",
                    ));
                }
            }
            Event::Scalar {
                text,
                plain,
                anchor,
                tag,
            } => {
                self.count(at, 1)?;
                if self.expects_key() {
                    if tag.is_some() {
                        return Err(ParseError::at(
                            line,
                            column,
                            "a mapping key cannot have a tag",
                        ));
                    }
                    if plain && text == "<<" {
                        return self.set_merge_key(line);
                    }
                    return self.set_key(text, line);
                }
                let tag = tag.map(|t| classify(t, line, column)).transpose()?;
                let mut value = scalar(text, plain, tag, line, column)?;
                if let Some(anchor) = anchor {
                    value = share(value);
                    self.anchors.insert(anchor, (value.clone(), 1));
                }
                self.push(value, at)?;
            }
            Event::Alias(id) => {
                let Some((value, size)) = self.anchors.get(&id) else {
                    return Err(ParseError::at(line, column, "alias to an unknown anchor"));
                };
                let (value, size) = (value.clone(), *size);
                if self.expects_key() {
                    let Node::String(key) = value.value() else {
                        return Err(ParseError::at(
                            line,
                            column,
                            "a mapping key must be a string",
                        ));
                    };
                    let key = key.clone();
                    if let Cow::Owned(copy) = &key {
                        self.copy(at, copy.len())?;
                    }
                    self.count(at, 1)?;
                    return self.set_key(key, line);
                }
                self.count(at, size)?;
                self.push(value, at)?;
            }
            Event::SequenceStart { anchor, tag } => self.open(true, anchor, tag, at)?,
            Event::MappingStart { anchor, tag } => self.open(false, anchor, tag, at)?,
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(ParseError::at(line, column, "unbalanced YAML collection"));
                };
                let (value, anchor, tag, nodes_at_start) = match frame {
                    Frame::Seq {
                        start,
                        anchor,
                        tag,
                        nodes_at_start,
                    } => (
                        Node::Array(self.scratch.finish_sequence(start)),
                        anchor,
                        tag,
                        nodes_at_start,
                    ),
                    Frame::Map {
                        map,
                        merge,
                        anchor,
                        tag,
                        nodes_at_start,
                        ..
                    } => {
                        let explicit = map.finish(&mut self.scratch);
                        let object = match merge {
                            None => explicit,
                            Some(merge) => self.merge(explicit, merge, at)?,
                        };
                        (Node::Object(object), anchor, tag, nodes_at_start)
                    }
                };
                let mut value = match tag {
                    Some(TagKind::Intrinsic(name)) => wrap(name, value),
                    _ => value,
                };
                if let Some(anchor) = anchor {
                    value = share(value);
                    self.anchors
                        .insert(anchor, (value.clone(), self.nodes - nodes_at_start));
                }
                self.push(value, at)?;
            }
        }
        Ok(())
    }

    /// Starts a sequence or a mapping.
    fn open(
        &mut self,
        is_sequence: bool,
        anchor: Option<usize>,
        tag: Option<super::events::Tag>,
        at: Position,
    ) -> Result<(), ParseError> {
        let Position { line, column } = at;

        if self.expects_key() {
            return Err(ParseError::at(
                line,
                column,
                "a mapping key must be a plain string, not a collection",
            ));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(ParseError::at(
                line,
                column,
                format!(
                    "the template nests more than {} levels deep",
                    self.limits.max_depth
                ),
            ));
        }
        let tag = tag.map(|t| classify(t, line, column)).transpose()?;
        let nodes_at_start = self.nodes;
        self.count(at, 1)?;
        self.stack.push(if is_sequence {
            Frame::Seq {
                start: self.scratch.sequence(),
                anchor,
                tag,
                nodes_at_start,
            }
        } else {
            Frame::Map {
                map: self.scratch.mapping(),
                key: None,
                merge: None,
                anchor,
                tag,
                nodes_at_start,
            }
        });
        Ok(())
    }

    fn count(&mut self, at: Position, n: usize) -> Result<(), ParseError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(ParseError::at(
                at.line,
                at.column,
                format!(
                    "the template expands to more than {} values (YAML aliases that multiply, a \"billion laughs\" document?)",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn copy(&mut self, at: Position, bytes: usize) -> Result<(), ParseError> {
        self.copied = self.copied.saturating_add(bytes);
        let cap = self
            .limits
            .max_bytes
            .saturating_mul(COPIED_BYTES_PER_TEMPLATE_BYTE);
        if self.copied > cap {
            return Err(ParseError::at(
                at.line,
                at.column,
                format!("YAML aliases used as keys and merge keys (<<) copy more than {cap} bytes"),
            ));
        }
        Ok(())
    }

    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    /// The key of the `depth - 1`th open mapping, when it is a plain entry.
    fn parent_key(&self, depth: usize) -> Option<&str> {
        match self.stack.get(depth.checked_sub(2)?) {
            Some(Frame::Map {
                key: Some(Key::Entry(k)),
                ..
            }) => Some(k),
            _ => None,
        }
    }

    /// Whether the innermost open mapping is the template's `Resources`.
    fn in_resources(&self) -> bool {
        self.stack.len() == 2 && self.parent_key(2) == Some("Resources")
    }

    fn set_key(&mut self, key: Cow<'a, str>, line: usize) -> Result<(), ParseError> {
        let depth = self.stack.len();
        let in_resources = self.in_resources();
        let Some(Frame::Map { map, key: slot, .. }) = self.stack.last_mut() else {
            return Ok(());
        };
        if map.contains(&self.scratch, &key) {
            return Err(ParseError::at_line(
                line,
                format!("duplicate key \"{}\"", crate::display::short(&key)),
            ));
        }
        if depth == 1 {
            self.top_lines.insert(key.to_string(), line);
        } else if in_resources {
            self.resource_lines.insert(key.to_string(), line);
        }
        *slot = Some(Key::Entry(key));
        Ok(())
    }

    fn set_merge_key(&mut self, line: usize) -> Result<(), ParseError> {
        let Some(Frame::Map {
            key: slot, merge, ..
        }) = self.stack.last_mut()
        else {
            return Ok(());
        };
        if merge.is_some() {
            return Err(ParseError::at_line(line, "duplicate key \"<<\""));
        }
        *slot = Some(Key::Merge(line));
        Ok(())
    }

    fn push(&mut self, value: Node<'a>, at: Position) -> Result<(), ParseError> {
        match self.stack.last_mut() {
            None => {
                if self.root.is_some() {
                    return Err(ParseError::at(
                        at.line,
                        at.column,
                        "unexpected second root value",
                    ));
                }
                self.root = Some(value);
            }
            Some(Frame::Seq { .. }) => self.scratch.push_item(value),
            Some(Frame::Map {
                map, key, merge, ..
            }) => match key.take() {
                Some(Key::Entry(k)) => map.push(&mut self.scratch, k, value),
                Some(Key::Merge(line)) => *merge = Some(Merge::new(value, line)?),
                None => {}
            },
        }
        Ok(())
    }

    /// Applies a mapping's `<<`, and gives the merged entries a line when
    /// they are resources or top-level sections.
    fn merge(
        &mut self,
        explicit: Object<'a>,
        merge: Merge<'a>,
        at: Position,
    ) -> Result<Object<'a>, ParseError> {
        let line = merge.line;
        let (object, brought_in) = merged(explicit, merge, |bytes| self.copy(at, bytes))?;
        let lines = if self.stack.is_empty() {
            Some(&mut self.top_lines)
        } else if self.stack.len() == 1 && self.parent_key(2) == Some("Resources") {
            Some(&mut self.resource_lines)
        } else {
            None
        };
        if let Some(lines) = lines {
            for key in brought_in {
                lines.entry(key).or_insert(line);
            }
        }
        Ok(object)
    }
}

/// An anchor's value, ready to be shared by its aliases. What is one level
/// inside it is shared too, so that a merge key can bring its entries in
/// without copying them.
fn share(value: Node<'_>) -> Node<'_> {
    let value = match value {
        Node::Object(object) => Node::Object(Object::from_entries(
            object
                .into_entries()
                .into_iter()
                .map(|(k, v)| (k, share_inner(v)))
                .collect(),
        )),
        Node::Array(items) => Node::Array(items.into_iter().map(share_inner).collect()),
        other => other,
    };
    Node::Shared(Arc::new(value))
}

fn share_inner(value: Node<'_>) -> Node<'_> {
    match value {
        Node::Array(_) | Node::Object(_) | Node::String(Cow::Owned(_)) => {
            Node::Shared(Arc::new(value))
        }
        other => other,
    }
}
