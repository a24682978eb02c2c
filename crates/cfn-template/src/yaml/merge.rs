//! YAML merge keys: `<<: *defaults` and `<<: [*a, *b]`.
//!
//! CloudFormation refuses aliases, but `aws cloudformation package` and SAM
//! expand merge keys (with PyYAML) before CloudFormation sees the template,
//! and a gate may be given the template before that: so what a merge brings
//! in is checked like what is written out. PyYAML's rules: the mapping's own
//! keys win over merged ones, an earlier source over a later one, and merged
//! entries come first.

use std::borrow::Cow;
use std::collections::HashSet;

use crate::error::ParseError;
use crate::node::{Node, Object, ObjectBuilder};

/// What copying an entry costs besides its text: its place in the mapping
/// and in the mapping's index.
const ENTRY_COST: usize = 96;

/// A mapping's `<<` and its value: a mapping, or a list of mappings.
pub(super) struct Merge<'a> {
    value: Node<'a>,
    pub line: usize,
}

impl<'a> Merge<'a> {
    pub fn new(value: Node<'a>, line: usize) -> Result<Self, ParseError> {
        let valid = match value.value() {
            Node::Object(_) => true,
            Node::Array(items) => items.iter().all(Node::is_object),
            _ => false,
        };
        if !valid {
            return Err(ParseError::at_line(
                line,
                "a merge key (<<) takes a mapping or a list of mappings",
            ));
        }
        Ok(Merge { value, line })
    }
}

/// `explicit` with the entries `merge` brings in, and the keys it brought.
/// Entries copied out of a shared (aliased) mapping are charged to `copy`.
pub(super) fn merged<'a>(
    explicit: Object<'a>,
    merge: Merge<'a>,
    mut copy: impl FnMut(usize) -> Result<(), ParseError>,
) -> Result<(Object<'a>, Vec<String>), ParseError> {
    let mut out = ObjectBuilder::default();
    let mut brought_in = Vec::new();
    {
        let own: HashSet<&str> = explicit.iter().map(|(k, _)| k).collect();
        let mut add = |key: Cow<'a, str>, value: Node<'a>, out: &mut ObjectBuilder<'a>| {
            if !own.contains(key.as_ref()) && !out.contains(&key) {
                brought_in.push(key.to_string());
                out.push(key, value);
            }
        };
        for source in sources(merge.value) {
            match source {
                Node::Object(object) => {
                    for (key, value) in object.into_entries() {
                        add(key, value, &mut out);
                    }
                }
                shared => {
                    let Some(object) = shared.as_object() else {
                        continue; // checked by Merge::new
                    };
                    for (key, value) in object.entries() {
                        if own.contains(key.as_ref()) || out.contains(key) {
                            continue;
                        }
                        let key_cost = match key {
                            Cow::Borrowed(_) => 0,
                            Cow::Owned(k) => k.len(),
                        };
                        copy(ENTRY_COST + key_cost + clone_cost(value))?;
                        add(key.clone(), value.clone(), &mut out);
                    }
                }
            }
        }
    }
    for (key, value) in explicit.into_entries() {
        out.push(key, value);
    }
    Ok((out.finish(), brought_in))
}

/// The mappings to merge, in order of precedence.
fn sources(value: Node<'_>) -> Vec<Node<'_>> {
    match value {
        Node::Array(items) => items,
        Node::Shared(ref shared) => match shared.value() {
            Node::Array(items) => items.clone(),
            _ => vec![value],
        },
        other => vec![other],
    }
}

/// Bytes a clone of `value` copies: nothing for what is shared.
fn clone_cost(value: &Node<'_>) -> usize {
    match value {
        Node::Shared(_) | Node::Null | Node::Bool(_) | Node::Number(_) => 0,
        Node::String(Cow::Borrowed(_)) => 0,
        Node::String(Cow::Owned(s)) => s.len(),
        Node::Array(items) => items.iter().map(clone_cost).sum::<usize>() + items.len(),
        Node::Object(object) => object
            .iter()
            .map(|(k, v)| k.len() + clone_cost(v))
            .sum::<usize>(),
    }
}
