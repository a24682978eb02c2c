//! `Transform: AWS::LanguageExtensions`: `Fn::ForEach` loops, expanded as
//! CloudFormation expands them, so that the rules see every resource the
//! stack would have.
//!
//! ```yaml
//! Fn::ForEach::Groups:        # the loop's name
//!   - Name                    # the identifier
//!   - [Web, Admin]            # the collection
//!   - ${Name}Sg:              # what each item generates: ${Name} or &{Name} in keys,
//!       Type: AWS::EC2::SecurityGroup   # Ref Name and ${Name} in Fn::Sub in values
//! ```
//!
//! Loops may sit in `Resources`, `Conditions`, `Outputs`, inside resource
//! properties, and inside each other. A collection that cannot be worked
//! out (a list parameter without a default, say) still generates once, with
//! the identifier unknown: what depends on it is unresolved, not skipped.

use std::borrow::Cow;
use std::collections::HashSet;

use crate::display::short;
use crate::error::ParseError;
use crate::limits::Limits;
use crate::node::{Node, Object, ObjectBuilder};
use crate::resolve::{Resolver, UNRESOLVED_ITEM, intrinsic};

/// Most values loops may generate, as a share of [`Limits::max_nodes`].
/// CloudFormation bounds a processed template too (1 MB, 500 resources).
const GENERATED_SHARE: usize = 10;

pub(crate) fn is_loop(key: &str) -> bool {
    key.starts_with("Fn::ForEach::")
}

/// A `Resources` entry before it is checked: a resource, or a loop.
pub(crate) struct Entry<'a> {
    pub id: String,
    pub line: usize,
    pub body: Node<'a>,
    /// The loops that generated it, for a resource a loop generated.
    pub generated_by: Option<String>,
}

/// The value an iteration gives the identifier.
enum Binding {
    Item(String),
    /// Why the collection could not be worked out.
    Unresolved(String),
}

/// What one key of a mapping becomes: entries, each with the loops that
/// generated it.
type Generated<'a> = Vec<(Cow<'a, str>, Node<'a>, Option<String>)>;

pub(crate) struct Expansion<'p> {
    /// What a collection may refer to.
    parameters: &'p Object<'p>,
    mappings: &'p Object<'p>,
    generated: usize,
    max_generated: usize,
}

impl<'p> Expansion<'p> {
    pub fn new(parameters: &'p Object<'p>, mappings: &'p Object<'p>, limits: &Limits) -> Self {
        Expansion {
            parameters,
            mappings,
            generated: 0,
            max_generated: limits.max_nodes / GENERATED_SHARE,
        }
    }

    /// The `Resources` entries with every loop expanded in its place.
    pub fn resources<'a>(&mut self, entries: Vec<Entry<'a>>) -> Result<Vec<Entry<'a>>, ParseError> {
        let mut out = Vec::with_capacity(entries.len());
        let mut ids = ObjectBuilder::default();
        for entry in entries {
            let line = entry.line;
            let generated = if is_loop(&entry.id) {
                self.expand(&entry.id, &entry.body, None)
                    .map_err(|e| ParseError::at_line(line, e))?
            } else {
                let body = self
                    .within(entry.body)
                    .map_err(|e| ParseError::at_line(line, e))?;
                vec![(Cow::Owned(entry.id), body, None)]
            };
            for (id, body, generated_by) in generated {
                if ids.contains(&id) {
                    return Err(ParseError::at_line(
                        line,
                        format!("duplicate key \"{}\"", short(&id)),
                    ));
                }
                ids.push(id.clone(), Node::Null);
                out.push(Entry {
                    id: id.into_owned(),
                    line,
                    body,
                    generated_by,
                });
            }
        }
        Ok(out)
    }

    /// A section (`Conditions`, `Outputs`) with every loop expanded.
    pub fn section<'a>(
        &mut self,
        section: Object<'a>,
        name: &str,
    ) -> Result<Object<'a>, ParseError> {
        self.object(section)
            .map_err(|e| ParseError::whole(format!("{name}: {e}")))
    }

    /// A mapping whose loops are expanded in place.
    fn object<'a>(&mut self, object: Object<'a>) -> Result<Object<'a>, String> {
        let mut out = ObjectBuilder::default();
        for (key, value) in object.into_entries() {
            let generated = if is_loop(&key) {
                self.expand(&key, &value, None)?
            } else {
                vec![(key, self.within(value)?, None)]
            };
            for (key, value, _) in generated {
                if out.contains(&key) {
                    return Err(format!("duplicate key \"{}\"", short(&key)));
                }
                out.push(key, value);
            }
        }
        Ok(out.finish())
    }

    /// `value` with the loops inside it expanded (left as it is, shared or
    /// not, when it has none).
    fn within<'a>(&mut self, value: Node<'a>) -> Result<Node<'a>, String> {
        if !has_loop(&value) {
            return Ok(value);
        }
        match value {
            Node::Object(object) => Ok(Node::Object(self.object(object)?)),
            Node::Array(items) => Ok(Node::Array(
                items
                    .into_iter()
                    .map(|item| self.within(item))
                    .collect::<Result<_, _>>()?,
            )),
            Node::Shared(shared) => {
                let copy = self.copy(&shared, None)?;
                self.within(copy)
            }
            other => Ok(other),
        }
    }

    /// What `Fn::ForEach::Name: [identifier, collection, {key: value}]` generates.
    fn expand<'a>(
        &mut self,
        name: &str,
        body: &Node<'a>,
        outer: Option<&str>,
    ) -> Result<Generated<'a>, String> {
        let shown = short(name);
        let Some([identifier, collection, template]) = body.as_array() else {
            return Err(format!(
                "{shown} must be a list of an identifier, a collection and what to generate"
            ));
        };
        let Some(identifier) = identifier.as_str().filter(|i| !i.is_empty()) else {
            return Err(format!("{shown}: the identifier must be a string"));
        };
        let Some(template) = template.as_object() else {
            return Err(format!("{shown}: what to generate must be a mapping"));
        };
        let mut out = Vec::new();
        for binding in self.collection(collection) {
            let here = match &binding {
                Binding::Item(item) => format!("{shown} ({identifier} = {})", short(item)),
                Binding::Unresolved(why) => format!("{shown} ({identifier} not resolved: {why})"),
            };
            let origin = match outer {
                Some(outer) => format!("{outer}, {here}"),
                None => here,
            };
            for (key, value) in template.iter() {
                let key = substitute_key(key, identifier, &binding);
                let value = self.copy(value, Some((identifier, &binding)))?;
                if is_loop(&key) {
                    out.extend(self.expand(&key, &value, Some(&origin))?);
                } else {
                    out.push((Cow::Owned(key), self.within(value)?, Some(origin.clone())));
                }
            }
        }
        Ok(out)
    }

    /// The values a collection gives the identifier, in order.
    fn collection(&self, collection: &Node<'_>) -> Vec<Binding> {
        // A resolver of its own: an inner loop's collection is a copy made
        // for this iteration, which lives no longer than this call.
        let resolver = Resolver::new(self.parameters, self.mappings, []);
        let mut bindings: Vec<Binding> = Vec::new();
        let mut seen = HashSet::new();
        for list in resolver.text_lists(collection) {
            match list {
                Ok(items) => {
                    for item in items {
                        if seen.insert(item.clone()) {
                            bindings.push(Binding::Item(item));
                        }
                    }
                }
                // One iteration stands for every item not known.
                Err(why) => {
                    if !bindings.iter().any(|b| matches!(b, Binding::Unresolved(_))) {
                        bindings.push(Binding::Unresolved(why.to_string()));
                    }
                }
            }
        }
        bindings
    }

    /// A copy of `value` (with the identifier bound, when there is one),
    /// counted against the cap.
    fn copy<'a>(
        &mut self,
        value: &Node<'a>,
        binding: Option<(&str, &Binding)>,
    ) -> Result<Node<'a>, String> {
        self.generated += 1;
        if self.generated > self.max_generated {
            return Err(format!(
                "Fn::ForEach generates more than {} values",
                self.max_generated
            ));
        }
        if let Some((identifier, bound)) = binding
            && let Some((function, args)) = intrinsic(value)
        {
            match function {
                "Ref" if args.as_str() == Some(identifier) => return Ok(bound_value(bound)),
                "Fn::Sub" => return self.copy_sub(args, identifier, bound),
                _ => {}
            }
        }
        Ok(match value.value() {
            Node::Array(items) => Node::Array(
                items
                    .iter()
                    .map(|i| self.copy(i, binding))
                    .collect::<Result<_, _>>()?,
            ),
            Node::Object(object) => {
                let mut out = ObjectBuilder::with_capacity(object.len());
                for (key, value) in object.entries() {
                    let key = match binding {
                        Some((identifier, bound)) => {
                            Cow::Owned(substitute_key(key, identifier, bound))
                        }
                        None => key.clone(),
                    };
                    if out.contains(&key) {
                        return Err(format!("duplicate key \"{}\"", short(&key)));
                    }
                    let value = self.copy(value, binding)?;
                    out.push(key, value);
                }
                Node::Object(out.finish())
            }
            other => other.clone(),
        })
    }

    /// `Fn::Sub` with `${identifier}` bound: replaced in the text, or, when
    /// the collection could not be worked out, a variable that is unknown.
    fn copy_sub<'a>(
        &mut self,
        args: &Node<'a>,
        identifier: &str,
        bound: &Binding,
    ) -> Result<Node<'a>, String> {
        let placeholder = format!("${{{identifier}}}");
        let (pattern, vars) = match args.value() {
            Node::String(s) => (s.as_ref(), None),
            Node::Array(parts) => match parts.as_slice() {
                [pattern, vars] if pattern.as_str().is_some() => {
                    (pattern.as_str().unwrap_or_default(), Some(vars))
                }
                _ => {
                    let args = self.copy(args, Some((identifier, bound)))?;
                    return Ok(wrap("Fn::Sub", args));
                }
            },
            _ => return Ok(wrap("Fn::Sub", args.clone())),
        };
        let vars = match vars {
            Some(vars) => Some(self.copy(vars, Some((identifier, bound)))?),
            None => None,
        };
        let args = match bound {
            Binding::Item(item) => {
                let text = Node::string(pattern.replace(&placeholder, item));
                match vars {
                    Some(vars) => Node::Array(vec![text, vars]),
                    None => text,
                }
            }
            Binding::Unresolved(_) if !pattern.contains(&placeholder) => match vars {
                Some(vars) => Node::Array(vec![Node::string(pattern.to_string()), vars]),
                None => Node::string(pattern.to_string()),
            },
            Binding::Unresolved(_) => {
                let mut with = ObjectBuilder::default();
                if let Some(Node::Object(vars)) = vars.as_ref().map(Node::value) {
                    for (key, value) in vars.entries() {
                        with.push(key.clone(), value.clone());
                    }
                }
                if !with.contains(identifier) {
                    with.push(Cow::Owned(identifier.to_string()), bound_value(bound));
                }
                Node::Array(vec![
                    Node::string(pattern.to_string()),
                    Node::Object(with.finish()),
                ])
            }
        };
        Ok(wrap("Fn::Sub", args))
    }
}

fn bound_value<'a>(bound: &Binding) -> Node<'a> {
    match bound {
        Binding::Item(item) => Node::string(item.clone()),
        Binding::Unresolved(why) => wrap(
            UNRESOLVED_ITEM,
            Node::string(format!("an item of a Fn::ForEach collection ({why})")),
        ),
    }
}

fn wrap<'a>(name: &str, value: Node<'a>) -> Node<'a> {
    let mut object = ObjectBuilder::default();
    object.push(Cow::Owned(name.to_string()), value);
    Node::Object(object.finish())
}

/// `${identifier}` (the item) and `&{identifier}` (the item's letters and
/// digits only) in a key.
fn substitute_key(key: &str, identifier: &str, bound: &Binding) -> String {
    let Binding::Item(item) = bound else {
        return key.to_string();
    };
    let alphanumeric: String = item.chars().filter(char::is_ascii_alphanumeric).collect();
    key.replace(&format!("${{{identifier}}}"), item)
        .replace(&format!("&{{{identifier}}}"), &alphanumeric)
}

/// Whether a loop sits anywhere in `value`.
fn has_loop(value: &Node<'_>) -> bool {
    match value.value() {
        Node::Object(object) => object
            .iter()
            .any(|(key, value)| is_loop(key) || has_loop(value)),
        Node::Array(items) => items.iter().any(has_loop),
        _ => false,
    }
}
