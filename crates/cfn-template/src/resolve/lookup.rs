//! `Ref` and `Fn::FindInMap`: values found elsewhere in the template.

use super::Resolver;
use super::candidate::{Candidate, Unknown, Via};
use super::shape::{Class, Pseudo, Shape};
use crate::display::short;
use crate::node::Node;

impl<'t> Resolver<'t> {
    pub(super) fn reference(&self, args: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        match args.as_str() {
            Some(name) => self.named(name, out),
            None => out.push(Candidate::unknown(Unknown::new("Ref to a computed name"))),
        }
    }

    /// What `Ref: name` (or `${name}` in `Fn::Sub`) gives.
    pub(super) fn named(&self, name: &str, out: &mut Vec<Candidate<'t>>) {
        if let Some((name, parameter)) = self.parameters.get_entry(name) {
            self.parameter(name, parameter, out);
        } else if name == "AWS::NoValue" {
            // The property is left out: no value at all.
        } else if name.starts_with("AWS::") {
            let why = Unknown::new(format!("pseudo parameter {}", short(name)));
            out.push(match Pseudo::named(name) {
                Some(pseudo) => Candidate::shaped(Shape::of(Class::Pseudo(pseudo)), why),
                // AWS::NotificationARNs is a list.
                None => Candidate::unknown(why),
            });
        } else if self.is_resource(name) {
            let why = Unknown::new(format!(
                "Ref {} (the id of a resource, known once it is created)",
                short(name)
            ));
            out.push(match self.resource_id(name) {
                Some(class) => Candidate::shaped(Shape::of(class), why),
                None => Candidate::unknown(why),
            });
        } else {
            out.push(Candidate::unknown(Unknown::new(format!(
                "Ref {} (not a parameter or resource of this template)",
                short(name)
            ))));
        }
    }

    /// A parameter's value: its `Default`, and as values it might be set to,
    /// its other `AllowedValues`. An SSM parameter's `Default` is the name
    /// of the SSM parameter, never the value.
    fn parameter(&self, name: &'t str, parameter: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        let via = Via::DefaultOf(name);
        let allowed_via = Via::AllowedValueOf(name);
        let name = short(name);
        let kind = parameter
            .get("Type")
            .and_then(Node::as_str)
            .unwrap_or("String");
        // A list parameter's value is a list; any other is text.
        let given = |why: Unknown| {
            if kind.contains("List<") || kind.contains("CommaDelimitedList") {
                Candidate::unknown(why)
            } else {
                Candidate::shaped(Shape::of(Class::Parameter(name.to_string())), why)
            }
        };
        if kind.starts_with("AWS::SSM::Parameter::Value<") {
            out.push(given(Unknown::new(format!(
                "parameter {name} (an SSM parameter: its Default names the parameter, not the value)"
            ))));
            return;
        }
        let allowed = parameter
            .get("AllowedValues")
            .and_then(Node::as_array)
            .unwrap_or(&[]);
        let default = parameter.get("Default");
        match default {
            Some(default) => {
                self.through(default, Some(via), out);
            }
            None if allowed.is_empty() => {
                out.push(given(Unknown::new(format!(
                    "parameter {name} has no Default"
                ))));
            }
            None => {}
        }
        for value in allowed {
            if default.is_some_and(|d| d == value) {
                continue;
            }
            let mut candidates = Vec::new();
            self.through(value, Some(allowed_via), &mut candidates);
            for candidate in candidates {
                let shown = candidate
                    .as_text()
                    .map(|t| short(&t).into_owned())
                    .unwrap_or_else(|| "a value".to_string());
                let why = match default {
                    Some(_) => Unknown::showing_values(
                        format!("parameter {name} may be set to {shown}, one of its AllowedValues"),
                        format!("parameter {name} may be set to another of its AllowedValues"),
                    ),
                    None => Unknown::showing_values(
                        format!(
                            "parameter {name} has no Default; {shown} is one of its AllowedValues"
                        ),
                        format!("parameter {name} has no Default, and AllowedValues"),
                    ),
                };
                out.push(candidate.depends_on(&[why]));
            }
        }
    }

    /// `Fn::FindInMap: [map, top key, second key]`, with the language
    /// extensions' optional `{DefaultValue: v}`. A name or key that depends
    /// on the stack selects every entry.
    pub(super) fn find_in_map(&self, args: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        let Some(args) = args.as_array() else {
            out.push(Candidate::unknown(Unknown::new(
                "Fn::FindInMap without a list of arguments",
            )));
            return;
        };
        let [map_name, top, second, ..] = args else {
            out.push(Candidate::unknown(Unknown::new(
                "Fn::FindInMap with fewer than three arguments",
            )));
            return;
        };
        let names = self.keys(map_name);
        let top_keys = self.keys(top);
        let second_keys = self.keys(second);
        let maps: Vec<&'t Node<'t>> = match &names {
            Some(names) => names.iter().filter_map(|n| self.mappings.get(n)).collect(),
            None => self.mappings.iter().map(|(_, m)| m).collect(),
        };
        for map in maps {
            for level1 in entries(map, top_keys.as_deref()) {
                for level2 in entries(level1, second_keys.as_deref()) {
                    if let Err(why) = self.allowance.step() {
                        out.push(Candidate::unknown(why));
                        return;
                    }
                    self.through(level2, None, out);
                }
            }
        }
        if let Some(default) = args.get(3).and_then(|d| d.get("DefaultValue")) {
            self.nested(default, out);
        }
    }

    /// The keys a `Fn::FindInMap` argument may name, or `None` when it
    /// depends on the stack.
    fn keys(&self, value: &'t Node<'t>) -> Option<Vec<String>> {
        let mut candidates = Vec::new();
        self.nested(value, &mut candidates);
        let mut keys = Vec::new();
        for candidate in &candidates {
            if !candidate.is_resolved() {
                return None;
            }
            // A value that is not text names no entry.
            keys.extend(candidate.as_text().map(|t| t.into_owned()));
        }
        Some(keys)
    }
}

/// The values under `keys` in `map`, or all of them when the key is unknown.
fn entries<'t>(map: &'t Node<'t>, keys: Option<&[String]>) -> Vec<&'t Node<'t>> {
    let Some(map) = map.as_object() else {
        return Vec::new();
    };
    match keys {
        Some(keys) => keys.iter().filter_map(|k| map.get(k)).collect(),
        None => map.iter().map(|(_, v)| v).collect(),
    }
}
