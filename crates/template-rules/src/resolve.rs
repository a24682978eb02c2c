//! What a property may be when the stack is created.
//!
//! Rules look at concrete values, but templates write many of them through
//! intrinsic functions. A value resolves to the set of literals it can take:
//! a `Ref` to a parameter gives the parameter's `Default`; `Fn::If` gives both
//! branches; `Fn::FindInMap` with a key that depends on the stack (say, the
//! region) gives every entry. What depends on the deployed stack (`Fn::GetAtt`,
//! `Fn::ImportValue`, a parameter without a default, pseudo parameters) does
//! not resolve, and a value that does not resolve never makes a rule fire.

use serde_json::{Map, Value};

use crate::template::Template;

/// Past this many candidates a value stops growing (`Fn::Sub` and `Fn::Join`
/// multiply the candidates of their parts).
const MAX_CANDIDATES: usize = 64;

/// One literal a property may take, and how it was reached when that is not
/// obvious from the template text at that spot.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub value: Value,
    /// For example "default of parameter SshLocation".
    pub via: Option<String>,
}

impl Candidate {
    fn literal(value: Value) -> Self {
        Candidate { value, via: None }
    }
}

pub struct Resolver<'t> {
    parameters: &'t Map<String, Value>,
    mappings: &'t Map<String, Value>,
}

impl<'t> Resolver<'t> {
    pub fn new(template: &'t Template) -> Self {
        Resolver {
            parameters: &template.parameters,
            mappings: &template.mappings,
        }
    }

    /// Every literal `value` may take; empty when it cannot be resolved.
    pub fn resolve(&self, value: &Value) -> Vec<Candidate> {
        let mut out = Vec::new();
        self.resolve_into(value, &mut out);
        out
    }

    /// Every string or number `value` may take, as text.
    pub fn resolve_text(&self, value: &Value) -> Vec<(String, Option<String>)> {
        self.resolve(value)
            .into_iter()
            .filter_map(|c| text_of(&c.value).map(|t| (t, c.via)))
            .collect()
    }

    /// The items of a list-valued property, each with its index in the list
    /// as written. A single object counts as a list of one (CloudFormation
    /// accepts that for `SecurityGroupIngress`); `Fn::If` around the list or
    /// around an item contributes both branches.
    pub fn resolve_items(&self, value: &Value) -> Vec<(Option<usize>, Candidate)> {
        let mut out = Vec::new();
        for candidate in self.resolve(value) {
            match candidate.value {
                Value::Array(items) => {
                    for (index, item) in items.iter().enumerate() {
                        for c in self.resolve(item) {
                            if c.value.is_object() {
                                out.push((Some(index), c));
                            }
                        }
                    }
                }
                Value::Object(_) => out.push((None, candidate)),
                _ => {}
            }
        }
        out
    }

    fn resolve_into(&self, value: &Value, out: &mut Vec<Candidate>) {
        let Some((function, args)) = intrinsic(value) else {
            push(out, Candidate::literal(value.clone()));
            return;
        };
        match function {
            "Ref" => {
                if let Some(c) = args.as_str().and_then(|name| self.parameter_default(name)) {
                    push(out, c);
                }
            }
            "Fn::If" => {
                if let Some([_, yes, no]) = args.as_array().map(Vec::as_slice) {
                    self.resolve_into(yes, out);
                    self.resolve_into(no, out);
                }
            }
            "Fn::Sub" => self.sub(args, out),
            "Fn::Join" => self.join(args, out),
            "Fn::Select" => self.select(args, out),
            "Fn::FindInMap" => self.find_in_map(args, out),
            // Fn::GetAtt, Fn::ImportValue, Fn::GetAZs, Fn::Cidr, Fn::Base64, ...
            _ => {}
        }
    }

    fn parameter_default(&self, name: &str) -> Option<Candidate> {
        let default = self.parameters.get(name)?.get("Default")?;
        Some(Candidate {
            value: default.clone(),
            via: Some(format!("default of parameter {name}")),
        })
    }

    /// Literal strings for `value`, keeping the first `via` seen.
    fn texts(&self, value: &Value) -> Vec<(String, Option<String>)> {
        self.resolve_text(value)
    }

    fn sub(&self, args: &Value, out: &mut Vec<Candidate>) {
        let (pattern, vars) = match args {
            Value::String(s) => (s.as_str(), None),
            Value::Array(a) => match a.as_slice() {
                [Value::String(s), Value::Object(vars)] => (s.as_str(), Some(vars)),
                [Value::String(s)] => (s.as_str(), None),
                _ => return,
            },
            _ => return,
        };
        // Split "a${X}b${!Y}" into literal pieces and variable names.
        let mut partials: Vec<(String, Option<String>)> = vec![(String::new(), None)];
        let mut rest = pattern;
        while let Some(start) = rest.find("${") {
            let literal = &rest[..start];
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                break;
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            let piece: Vec<(String, Option<String>)> = if let Some(escaped) = name.strip_prefix('!')
            {
                vec![(format!("${{{escaped}}}"), None)]
            } else if let Some(value) = vars.and_then(|v| v.get(name)) {
                self.texts(value)
            } else if name.contains('.') {
                Vec::new() // ${Resource.Attribute}: known only once deployed
            } else {
                self.parameter_default(name)
                    .and_then(|c| text_of(&c.value).map(|t| (t, c.via)))
                    .into_iter()
                    .collect()
            };
            if piece.is_empty() {
                return;
            }
            partials = combine(&partials, literal, &piece);
        }
        for (text, via) in partials {
            push(
                out,
                Candidate {
                    value: Value::String(format!("{text}{rest}")),
                    via,
                },
            );
        }
    }

    fn join(&self, args: &Value, out: &mut Vec<Candidate>) {
        let Some([Value::String(delimiter), list]) = args.as_array().map(Vec::as_slice) else {
            return;
        };
        for list in self.resolve(list) {
            let Value::Array(items) = &list.value else {
                continue;
            };
            let mut partials: Vec<(String, Option<String>)> =
                vec![(String::new(), list.via.clone())];
            for (i, item) in items.iter().enumerate() {
                let piece = self.texts(item);
                if piece.is_empty() {
                    partials.clear();
                    break;
                }
                partials = combine(&partials, if i == 0 { "" } else { delimiter }, &piece);
            }
            for (text, via) in partials {
                push(
                    out,
                    Candidate {
                        value: Value::String(text),
                        via,
                    },
                );
            }
        }
    }

    fn select(&self, args: &Value, out: &mut Vec<Candidate>) {
        let Some([index, list]) = args.as_array().map(Vec::as_slice) else {
            return;
        };
        let indexes: Vec<usize> = self
            .resolve_text(index)
            .into_iter()
            .filter_map(|(t, _)| t.trim().parse().ok())
            .collect();
        for list in self.lists(list) {
            for &i in &indexes {
                if let Some(item) = list.0.get(i) {
                    for mut c in self.resolve(item) {
                        c.via = c.via.or_else(|| list.1.clone());
                        push(out, c);
                    }
                }
            }
        }
    }

    /// Candidate lists: a literal list, `Fn::Split`, or a comma-delimited
    /// parameter default.
    fn lists(&self, value: &Value) -> Vec<(Vec<Value>, Option<String>)> {
        if let Some(("Fn::Split", args)) = intrinsic(value) {
            let Some([Value::String(delimiter), source]) = args.as_array().map(Vec::as_slice)
            else {
                return Vec::new();
            };
            if delimiter.is_empty() {
                return Vec::new();
            }
            return self
                .texts(source)
                .into_iter()
                .map(|(t, via)| (t.split(delimiter.as_str()).map(Value::from).collect(), via))
                .collect();
        }
        self.resolve(value)
            .into_iter()
            .filter_map(|c| match c.value {
                Value::Array(items) => Some((items, c.via)),
                // A CommaDelimitedList parameter's default is written "a,b,c".
                Value::String(s) if c.via.is_some() => {
                    Some((s.split(',').map(|p| Value::from(p.trim())).collect(), c.via))
                }
                _ => None,
            })
            .collect()
    }

    fn find_in_map(&self, args: &Value, out: &mut Vec<Candidate>) {
        let Some(args) = args.as_array() else {
            return;
        };
        let [map_name, top, second, ..] = args.as_slice() else {
            return;
        };
        let maps: Vec<&Value> = self
            .keys(map_name)
            .map(|names| names.iter().filter_map(|n| self.mappings.get(n)).collect())
            .unwrap_or_else(|| self.mappings.values().collect());
        for map in maps {
            for level1 in select_entries(map, self.keys(top)) {
                for level2 in select_entries(level1, self.keys(second)) {
                    for c in self.resolve(level2) {
                        push(out, c);
                    }
                }
            }
        }
        // Language extensions: a fourth argument {"DefaultValue": ...}.
        if let Some(default) = args.get(3).and_then(|d| d.get("DefaultValue")) {
            self.resolve_into(default, out);
        }
    }

    /// The keys a FindInMap argument may name, or None when it depends on the stack.
    fn keys(&self, value: &Value) -> Option<Vec<String>> {
        let keys: Vec<String> = self.texts(value).into_iter().map(|(t, _)| t).collect();
        (!keys.is_empty()).then_some(keys)
    }
}

/// The values under `keys` in `map`, or all of them when the key is unknown.
fn select_entries(map: &Value, keys: Option<Vec<String>>) -> Vec<&Value> {
    let Some(map) = map.as_object() else {
        return Vec::new();
    };
    match keys {
        Some(keys) => keys.iter().filter_map(|k| map.get(k)).collect(),
        None => map.values().collect(),
    }
}

fn combine(
    partials: &[(String, Option<String>)],
    literal: &str,
    piece: &[(String, Option<String>)],
) -> Vec<(String, Option<String>)> {
    let mut next = Vec::new();
    'outer: for (prefix, via) in partials {
        for (text, piece_via) in piece {
            if next.len() >= MAX_CANDIDATES {
                break 'outer;
            }
            next.push((
                format!("{prefix}{literal}{text}"),
                via.clone().or_else(|| piece_via.clone()),
            ));
        }
    }
    next
}

fn push(out: &mut Vec<Candidate>, candidate: Candidate) {
    if out.len() < MAX_CANDIDATES && !out.iter().any(|c| c.value == candidate.value) {
        out.push(candidate);
    }
}

/// `Some((function, argument))` when `value` is an intrinsic function call:
/// a mapping with exactly one key, `Ref`, `Condition` or `Fn::*`.
pub fn intrinsic(value: &Value) -> Option<(&str, &Value)> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let (key, args) = map.iter().next()?;
    (key == "Ref" || key == "Condition" || key.starts_with("Fn::")).then_some((key.as_str(), args))
}

/// A string or a number as text (ports and protocols are written both ways).
pub fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
