//! The tree both front-ends build: JSON's data model, with strings borrowed
//! from the template text where they can be and mappings kept in document
//! order as plain vectors. Templates are read once and walked a few times, so
//! avoiding an allocation per string and per map node is what makes a 1 MB
//! template cheap to check.

use std::borrow::{Borrow, Cow};
use std::collections::HashSet;

use serde_json::{Map, Number, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Object<'a>),
}

impl<'a> Node<'a> {
    pub fn string(s: impl Into<Cow<'a, str>>) -> Node<'a> {
        Node::String(s.into())
    }

    /// The value under `key`, when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.as_object()?.get(key)
    }

    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Node::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node<'a>]> {
        match self {
            Node::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Node::Object(_))
    }

    /// The same value as a `serde_json::Value` (keys then sort, as its maps do).
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
        }
    }
}

/// A mapping, in document order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object<'a> {
    entries: Vec<(Cow<'a, str>, Node<'a>)>,
}

impl<'a> Object<'a> {
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node<'a>)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn into_entries(self) -> Vec<(Cow<'a, str>, Node<'a>)> {
        self.entries
    }
}

/// Builds an [`Object`], refusing duplicate keys. Small mappings check by
/// scanning; past a few keys an index keeps the check linear overall (a
/// `Resources` section can hold thousands of entries).
#[derive(Default)]
pub(crate) struct ObjectBuilder<'a> {
    object: Object<'a>,
    index: Option<HashSet<Cow<'a, str>>>,
}

const INDEX_FROM: usize = 16;

impl<'a> ObjectBuilder<'a> {
    pub fn contains(&self, key: &str) -> bool {
        match &self.index {
            Some(index) => index.contains(key),
            None => self
                .object
                .entries
                .iter()
                .any(|(k, _)| Borrow::<str>::borrow(k) == key),
        }
    }

    /// Adds an entry; the caller has checked that `key` is new.
    pub fn push(&mut self, key: Cow<'a, str>, value: Node<'a>) {
        if let Some(index) = &mut self.index {
            index.insert(key.clone());
        } else if self.object.entries.len() + 1 >= INDEX_FROM {
            let mut index: HashSet<Cow<'a, str>> =
                self.object.entries.iter().map(|(k, _)| k.clone()).collect();
            index.insert(key.clone());
            self.index = Some(index);
        }
        self.object.entries.push((key, value));
    }

    pub fn finish(self) -> Object<'a> {
        self.object
    }
}
