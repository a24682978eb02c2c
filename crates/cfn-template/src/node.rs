//! The tree both front-ends build: JSON's data model, with strings borrowed
//! from the template text where they can be and mappings kept in document
//! order as plain vectors. Templates are read once and walked a few times, so
//! avoiding an allocation per string and per map node is what makes a 1 MB
//! template cheap to check.
//!
//! A YAML anchor's value is held once and shared by its aliases
//! ([`Node::Shared`]): a 200 kB string aliased 2 600 times costs 200 kB, not
//! 500 MB. Everything that walks the tree sees through the sharing: use the
//! accessors, or [`Node::value`] before a `match`.

use std::borrow::{Borrow, Cow};
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Number, Value};

/// A value of a template (or of any document read by
/// [`crate::parse_document`]).
#[derive(Debug, Clone)]
pub enum Node<'a> {
    /// `null` (YAML `~`, `null` or nothing).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, read exactly (as `serde_json` reads it).
    Number(Number),
    /// Text, borrowed from the template where it was written without escapes.
    String(Cow<'a, str>),
    /// A sequence.
    Array(Vec<Node<'a>>),
    /// A mapping, in document order.
    Object(Object<'a>),
    /// A value written once and used in several places (a YAML anchor and
    /// its aliases). Never holds another `Shared`.
    Shared(Arc<Node<'a>>),
}

impl<'a> Node<'a> {
    /// A string node.
    pub fn string(s: impl Into<Cow<'a, str>>) -> Node<'a> {
        Node::String(s.into())
    }

    /// The value itself, seen through [`Node::Shared`]: never `Shared`.
    pub fn value(&self) -> &Node<'a> {
        match self {
            Node::Shared(shared) => shared.value(),
            other => other,
        }
    }

    /// The value under `key`, when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.as_object()?.get(key)
    }

    /// The mapping this is, when it is one.
    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self.value() {
            Node::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The items of the sequence this is, when it is one.
    pub fn as_array(&self) -> Option<&[Node<'a>]> {
        match self.value() {
            Node::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The text this is, when it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self.value() {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is a mapping.
    pub fn is_object(&self) -> bool {
        matches!(self.value(), Node::Object(_))
    }

    /// The mapping this is, taken out of its sharing when it is shared (its
    /// entries are then shared in turn, so this copies little).
    pub(crate) fn into_object(self) -> Result<Object<'a>, Node<'a>> {
        match self {
            Node::Object(object) => Ok(object),
            Node::Shared(shared) => match Arc::try_unwrap(shared) {
                Ok(node) => node.into_object(),
                Err(shared) => match shared.value() {
                    Node::Object(object) => Ok(object.clone()),
                    _ => Err(Node::Shared(shared)),
                },
            },
            other => Err(other),
        }
    }

    /// The same value as a `serde_json::Value` (keys then sort, as its maps do).
    /// Shared values are written out in full at every place they are used.
    pub fn to_json(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::String(s) => Value::String(s.to_string()),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Node::Object(object) => Value::Object(
                object
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect::<Map<String, Value>>(),
            ),
            Node::Shared(shared) => shared.to_json(),
        }
    }
}

/// Equal values, however they are shared.
impl PartialEq for Node<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self.value(), other.value()) {
            (Node::Null, Node::Null) => true,
            (Node::Bool(a), Node::Bool(b)) => a == b,
            (Node::Number(a), Node::Number(b)) => a == b,
            (Node::String(a), Node::String(b)) => a == b,
            (Node::Array(a), Node::Array(b)) => a == b,
            (Node::Object(a), Node::Object(b)) => a == b,
            _ => false,
        }
    }
}

/// A mapping, in document order. Past a few keys it keeps an index, so that
/// looking a key up stays cheap in a `Resources` or `Mappings` section of
/// thousands of entries.
#[derive(Debug, Clone, Default)]
pub struct Object<'a> {
    entries: Vec<(Cow<'a, str>, Node<'a>)>,
    /// Boxed, so that a `Node` stays small: most mappings have none.
    #[allow(clippy::box_collection)]
    index: Option<Box<HashMap<Cow<'a, str>, usize>>>,
}

const INDEX_FROM: usize = 16;

impl<'a> Object<'a> {
    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match &self.index {
            Some(index) => index.get(key).map(|&i| &self.entries[i].1),
            None => self
                .entries
                .iter()
                .find(|(k, _)| k.as_ref() == key)
                .map(|(_, v)| v),
        }
    }

    /// The key as stored (borrowed for as long as the mapping) and the
    /// value under `key`.
    pub fn get_entry(&self, key: &str) -> Option<(&str, &Node<'a>)> {
        let at = match &self.index {
            Some(index) => *index.get(key)?,
            None => self.entries.iter().position(|(k, _)| k.as_ref() == key)?,
        };
        let (k, v) = &self.entries[at];
        Some((k.as_ref(), v))
    }

    /// Whether `key` is one of the mapping's keys.
    pub fn contains_key(&self, key: &str) -> bool {
        match &self.index {
            Some(index) => index.contains_key(key),
            None => self
                .entries
                .iter()
                .any(|(k, _)| Borrow::<str>::borrow(k) == key),
        }
    }

    /// The entries, in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node<'a>)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// How many entries the mapping has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the mapping has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn into_entries(self) -> Vec<(Cow<'a, str>, Node<'a>)> {
        self.entries
    }

    pub(crate) fn entries(&self) -> &[(Cow<'a, str>, Node<'a>)] {
        &self.entries
    }

    /// A mapping of `entries`, whose keys are all different.
    pub(crate) fn from_entries(entries: Vec<(Cow<'a, str>, Node<'a>)>) -> Self {
        let mut object = Object {
            entries,
            index: None,
        };
        if object.entries.len() >= INDEX_FROM {
            object.index = Some(Box::new(
                object
                    .entries
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (k.clone(), i))
                    .collect(),
            ));
        }
        object
    }

    /// Adds an entry; the caller has checked that `key` is new.
    fn push(&mut self, key: Cow<'a, str>, value: Node<'a>) {
        let at = self.entries.len();
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), at);
        } else if at + 1 >= INDEX_FROM {
            let mut index: HashMap<Cow<'a, str>, usize> = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i))
                .collect();
            index.insert(key.clone(), at);
            self.index = Some(Box::new(index));
        }
        self.entries.push((key, value));
    }
}

/// Equal entries in the same order.
impl PartialEq for Object<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

/// Builds an [`Object`], refusing duplicate keys.
#[derive(Default)]
pub(crate) struct ObjectBuilder<'a> {
    object: Object<'a>,
}

impl<'a> ObjectBuilder<'a> {
    /// A builder for a mapping of `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        ObjectBuilder {
            object: Object {
                entries: Vec::with_capacity(n),
                index: None,
            },
        }
    }

    pub fn contains(&self, key: &str) -> bool {
        self.object.contains_key(key)
    }

    /// Adds an entry; the caller has checked that `key` is new.
    pub fn push(&mut self, key: Cow<'a, str>, value: Node<'a>) {
        self.object.push(key, value);
    }

    pub fn finish(mut self) -> Object<'a> {
        shrink(&mut self.object.entries);
        self.object
    }
}

/// The items and entries of the collections a parser has open, innermost
/// last. Each collection is allocated once, at its exact size, when it
/// ends: a template's collections are mostly tiny, and vectors grown by
/// pushes hold room for at least four (and leave fragments behind when
/// shrunk), which for a 1 MiB template of nested lists is most of its
/// memory.
#[derive(Default)]
pub(crate) struct Scratch<'a> {
    items: Vec<Node<'a>>,
    entries: Vec<(Cow<'a, str>, Node<'a>)>,
}

impl<'a> Scratch<'a> {
    /// Where a new sequence's items start.
    pub fn sequence(&self) -> usize {
        self.items.len()
    }

    pub fn push_item(&mut self, item: Node<'a>) {
        self.items.push(item);
    }

    /// The items of the sequence that started at `start`.
    pub fn finish_sequence(&mut self, start: usize) -> Vec<Node<'a>> {
        self.items.drain(start..).collect()
    }

    pub fn mapping(&self) -> MapBuilder<'a> {
        MapBuilder {
            start: self.entries.len(),
            index: None,
        }
    }
}

/// A mapping being built in a [`Scratch`], refusing duplicate keys.
pub(crate) struct MapBuilder<'a> {
    start: usize,
    index: Option<HashMap<Cow<'a, str>, usize>>,
}

impl<'a> MapBuilder<'a> {
    pub fn contains(&self, scratch: &Scratch<'a>, key: &str) -> bool {
        match &self.index {
            Some(index) => index.contains_key(key),
            None => scratch.entries[self.start..]
                .iter()
                .any(|(k, _)| Borrow::<str>::borrow(k) == key),
        }
    }

    /// Adds an entry; the caller has checked that `key` is new.
    pub fn push(&mut self, scratch: &mut Scratch<'a>, key: Cow<'a, str>, value: Node<'a>) {
        let at = scratch.entries.len() - self.start;
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), at);
        } else if at + 1 >= INDEX_FROM {
            let mut index: HashMap<Cow<'a, str>, usize> = scratch.entries[self.start..]
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i))
                .collect();
            index.insert(key.clone(), at);
            self.index = Some(index);
        }
        scratch.entries.push((key, value));
    }

    pub fn finish(self, scratch: &mut Scratch<'a>) -> Object<'a> {
        Object {
            entries: scratch.entries.drain(self.start..).collect(),
            index: self.index.map(Box::new),
        }
    }
}

/// Gives back what a vector grown by pushes holds beyond its items: a
/// template's collections are mostly small, and a pushed-to vector holds
/// room for at least four.
pub(crate) fn shrink<T>(items: &mut Vec<T>) {
    if items.capacity() > items.len() {
        items.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    /// Every value of a template is a `Node`: its size is the tree's.
    #[test]
    fn a_node_is_small() {
        assert!(std::mem::size_of::<super::Node>() <= 40);
    }
}
