//! What a property may be when the stack is created.
//!
//! Rules look at concrete values, but templates write many of them through
//! intrinsic functions. A value resolves to the set of literals it can take:
//! a `Ref` to a parameter gives the parameter's `Default`; `Fn::If` gives both
//! branches; `Fn::FindInMap` with a key that depends on the stack (say, the
//! region) gives every entry; `Fn::Sub`, `Fn::Join`, `Fn::Select` and
//! `Fn::Split` are computed when their parts resolve. What depends on the
//! deployed stack (`Fn::GetAtt`, `Fn::ImportValue`, a parameter without a
//! default, pseudo parameters) does not resolve, and a value that does not
//! resolve never makes a rule fire.

use std::borrow::Cow;
use std::cell::Cell;

use crate::node::{Node, Object};
use crate::template::Template;

/// Past this many candidates a value stops growing (`Fn::Sub` and `Fn::Join`
/// multiply the candidates of their parts).
const MAX_CANDIDATES: usize = 64;

/// Bounds on working out one value. Intrinsics written in a resource nest
/// no deeper than the template does, but a `Ref` or `Fn::FindInMap` leads
/// elsewhere in the template, and what is found there can lead back: a
/// mapping entry that is a `Fn::FindInMap` of itself, a parameter default
/// that selects from its own parameter. Without a bound that recursion
/// overflows the stack (which aborts the process, so no report is sent),
/// and lookups that fan out at every step take exponential time. Past
/// either bound a value simply stops growing, like past `MAX_CANDIDATES`.
const MAX_NESTING: usize = 128;
/// Values looked at (literals and intrinsics) while working out one value.
const MAX_STEPS: usize = 10_000;

/// One literal a property may take, and how it was reached when that is not
/// obvious from the template text at that spot.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<'t> {
    pub value: Cow<'t, Node<'t>>,
    /// For example "default of parameter SshLocation".
    pub via: Option<String>,
}

/// Text a property may take, and how it was reached.
pub type TextCandidate<'t> = (Cow<'t, str>, Option<String>);

pub struct Resolver<'t> {
    parameters: &'t Object<'t>,
    mappings: &'t Object<'t>,
    /// How deep the resolution under way is, and how many values it has
    /// looked at (see `MAX_NESTING` and `MAX_STEPS`).
    depth: Cell<usize>,
    steps: Cell<usize>,
}

impl<'t> Resolver<'t> {
    pub fn new(template: &'t Template<'t>) -> Self {
        Resolver {
            parameters: &template.parameters,
            mappings: &template.mappings,
            depth: Cell::new(0),
            steps: Cell::new(0),
        }
    }

    /// Every literal `value` may take; empty when it cannot be resolved.
    pub fn resolve(&self, value: &'t Node<'t>) -> Vec<Candidate<'t>> {
        let mut out = Vec::new();
        self.resolve_into(value, &mut out);
        out
    }

    /// Every string or number `value` may take, as text.
    pub fn resolve_text(&self, value: &'t Node<'t>) -> Vec<TextCandidate<'t>> {
        self.resolve(value)
            .into_iter()
            .filter_map(|c| text_of_cow(c.value).map(|t| (t, c.via)))
            .collect()
    }

    /// Calls `f` with every text `value` may take; literals, the common
    /// case, go straight through without building a candidate list.
    pub fn for_each_text(
        &self,
        value: &'t Node<'t>,
        mut f: impl FnMut(Cow<'t, str>, Option<String>),
    ) {
        match value {
            Node::String(s) => f(Cow::Borrowed(s.as_ref()), None),
            Node::Number(n) => f(Cow::Owned(n.to_string()), None),
            _ => {
                for (text, via) in self.resolve_text(value) {
                    f(text, via);
                }
            }
        }
    }

    /// Every whole number `value` may take (ports are written as numbers or strings).
    pub fn integers(&self, value: &'t Node<'t>) -> Vec<i64> {
        match value {
            Node::Number(n) => n.as_i64().into_iter().collect(),
            Node::String(s) => s.trim().parse().ok().into_iter().collect(),
            _ => self
                .resolve_text(value)
                .into_iter()
                .filter_map(|(t, _)| t.trim().parse().ok())
                .collect(),
        }
    }

    /// The items of a list-valued property, each with its index in the list
    /// as written. A single object counts as a list of one (CloudFormation
    /// accepts that for `SecurityGroupIngress`); `Fn::If` around the list or
    /// around an item contributes both branches.
    pub fn resolve_items(&self, value: &'t Node<'t>) -> Vec<(Option<usize>, Candidate<'t>)> {
        let mut out = Vec::new();
        if let Node::Array(items) = value {
            // The common case: a literal list, mostly of literal objects.
            for (index, item) in items.iter().enumerate() {
                if item.is_object() && intrinsic(item).is_none() {
                    out.push((
                        Some(index),
                        Candidate {
                            value: Cow::Borrowed(item),
                            via: None,
                        },
                    ));
                } else {
                    out.extend(
                        self.resolve(item)
                            .into_iter()
                            .filter(|c| c.value.is_object())
                            .map(|c| (Some(index), c)),
                    );
                }
            }
            return out;
        }
        for candidate in self.resolve(value) {
            match candidate.value {
                Cow::Borrowed(Node::Array(items)) => {
                    for (index, item) in items.iter().enumerate() {
                        for c in self.resolve(item) {
                            if c.value.is_object() {
                                out.push((Some(index), c));
                            }
                        }
                    }
                }
                Cow::Owned(Node::Array(_)) => {} // computed lists hold strings, not permissions
                ref v if v.is_object() => out.push((None, candidate)),
                _ => {}
            }
        }
        out
    }

    fn resolve_into(&self, value: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        let depth = self.depth.get();
        if depth == 0 {
            self.steps.set(0);
        }
        let steps = self.steps.get() + 1;
        if depth >= MAX_NESTING || steps > MAX_STEPS {
            return;
        }
        self.steps.set(steps);
        self.depth.set(depth + 1);
        self.evaluate(value, out);
        self.depth.set(depth);
    }

    fn evaluate(&self, value: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        let Some((function, args)) = intrinsic(value) else {
            push(
                out,
                Candidate {
                    value: Cow::Borrowed(value),
                    via: None,
                },
            );
            return;
        };
        match function {
            "Ref" => {
                if let Some(c) = args.as_str().and_then(|name| self.parameter_default(name)) {
                    push(out, c);
                }
            }
            "Fn::If" => {
                if let Some([_, yes, no]) = args.as_array() {
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

    fn parameter_default(&self, name: &str) -> Option<Candidate<'t>> {
        let default = self.parameters.get(name)?.get("Default")?;
        Some(Candidate {
            value: Cow::Borrowed(default),
            via: Some(format!("default of parameter {name}")),
        })
    }

    fn sub(&self, args: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        let (pattern, vars) = match args {
            Node::String(s) => (s.as_ref(), None),
            Node::Array(a) => match a.as_slice() {
                [Node::String(s), Node::Object(vars)] => (s.as_ref(), Some(vars)),
                [Node::String(s)] => (s.as_ref(), None),
                _ => return,
            },
            _ => return,
        };
        // Split "a${X}b${!Y}" into literal pieces and variables.
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
            let piece: Vec<TextCandidate<'t>> = if let Some(escaped) = name.strip_prefix('!') {
                vec![(Cow::Owned(format!("${{{escaped}}}")), None)]
            } else if let Some(value) = vars.and_then(|v| v.get(name)) {
                self.resolve_text(value)
            } else if name.contains('.') {
                Vec::new() // ${Resource.Attribute}: known only once deployed
            } else {
                self.parameter_default(name)
                    .and_then(|c| text_of_cow(c.value).map(|t| (t, c.via)))
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
                    value: Cow::Owned(Node::string(format!("{text}{rest}"))),
                    via,
                },
            );
        }
    }

    fn join(&self, args: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        let Some([Node::String(delimiter), list]) = args.as_array() else {
            return;
        };
        for (items, via) in self.lists(list) {
            let mut partials: Vec<(String, Option<String>)> = vec![(String::new(), via)];
            for (i, item) in items.iter().enumerate() {
                let piece = item.texts(self);
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
                        value: Cow::Owned(Node::string(text)),
                        via,
                    },
                );
            }
        }
    }

    fn select(&self, args: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        let Some([index, list]) = args.as_array() else {
            return;
        };
        let indexes: Vec<usize> = self
            .resolve_text(index)
            .into_iter()
            .filter_map(|(t, _)| t.trim().parse().ok())
            .collect();
        for (items, via) in self.lists(list) {
            for &i in &indexes {
                match items.get(i) {
                    Some(Item::Node(node)) => {
                        for mut c in self.resolve(node) {
                            c.via = c.via.or_else(|| via.clone());
                            push(out, c);
                        }
                    }
                    Some(Item::Text(text)) => push(
                        out,
                        Candidate {
                            value: Cow::Owned(Node::string(text.clone())),
                            via: via.clone(),
                        },
                    ),
                    None => {}
                }
            }
        }
    }

    /// Candidate lists: a literal list, `Fn::Split`, or a comma-delimited
    /// parameter default.
    fn lists(&self, value: &'t Node<'t>) -> Vec<(Vec<Item<'t>>, Option<String>)> {
        if let Some(("Fn::Split", args)) = intrinsic(value) {
            let Some([Node::String(delimiter), source]) = args.as_array() else {
                return Vec::new();
            };
            if delimiter.is_empty() {
                return Vec::new();
            }
            return self
                .resolve_text(source)
                .into_iter()
                .map(|(t, via)| {
                    (
                        t.split(delimiter.as_ref())
                            .map(|p| Item::Text(p.to_string()))
                            .collect(),
                        via,
                    )
                })
                .collect();
        }
        self.resolve(value)
            .into_iter()
            .filter_map(|c| match c.value {
                Cow::Borrowed(Node::Array(items)) => {
                    Some((items.iter().map(Item::Node).collect(), c.via))
                }
                // A CommaDelimitedList parameter's default is written "a,b,c".
                Cow::Borrowed(Node::String(s)) if c.via.is_some() => Some((
                    s.split(',')
                        .map(|p| Item::Text(p.trim().to_string()))
                        .collect(),
                    c.via,
                )),
                _ => None,
            })
            .collect()
    }

    fn find_in_map(&self, args: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        let Some(args) = args.as_array() else {
            return;
        };
        let [map_name, top, second, ..] = args else {
            return;
        };
        let maps: Vec<&'t Node<'t>> = match self.keys(map_name) {
            Some(names) => names.iter().filter_map(|n| self.mappings.get(n)).collect(),
            None => self.mappings.iter().map(|(_, m)| m).collect(),
        };
        let top_keys = self.keys(top);
        let second_keys = self.keys(second);
        for map in maps {
            for level1 in select_entries(map, top_keys.as_deref()) {
                for level2 in select_entries(level1, second_keys.as_deref()) {
                    self.resolve_into(level2, out);
                }
            }
        }
        // Language extensions: a fourth argument {"DefaultValue": ...}.
        if let Some(default) = args.get(3).and_then(|d| d.get("DefaultValue")) {
            self.resolve_into(default, out);
        }
    }

    /// The keys a FindInMap argument may name, or None when it depends on the stack.
    fn keys(&self, value: &'t Node<'t>) -> Option<Vec<String>> {
        let keys: Vec<String> = self
            .resolve_text(value)
            .into_iter()
            .map(|(t, _)| t.into_owned())
            .collect();
        (!keys.is_empty()).then_some(keys)
    }
}

/// An element of a candidate list: a node from the template, or text that
/// `Fn::Split` or a comma-delimited default produced.
enum Item<'t> {
    Node(&'t Node<'t>),
    Text(String),
}

impl<'t> Item<'t> {
    fn texts(&self, resolver: &Resolver<'t>) -> Vec<TextCandidate<'t>> {
        match self {
            Item::Node(node) => resolver.resolve_text(node),
            Item::Text(text) => vec![(Cow::Owned(text.clone()), None)],
        }
    }
}

/// The values under `keys` in `map`, or all of them when the key is unknown.
fn select_entries<'t>(map: &'t Node<'t>, keys: Option<&[String]>) -> Vec<&'t Node<'t>> {
    let Some(map) = map.as_object() else {
        return Vec::new();
    };
    match keys {
        Some(keys) => keys.iter().filter_map(|k| map.get(k)).collect(),
        None => map.iter().map(|(_, v)| v).collect(),
    }
}

fn combine(
    partials: &[(String, Option<String>)],
    literal: &str,
    piece: &[TextCandidate<'_>],
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

fn push<'t>(out: &mut Vec<Candidate<'t>>, candidate: Candidate<'t>) {
    if out.len() < MAX_CANDIDATES && !out.iter().any(|c| c.value == candidate.value) {
        out.push(candidate);
    }
}

/// `Some((function, argument))` when `value` is an intrinsic function call:
/// a mapping with exactly one key, `Ref`, `Condition` or `Fn::*`.
pub fn intrinsic<'n, 'a>(value: &'n Node<'a>) -> Option<(&'n str, &'n Node<'a>)> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let (key, args) = map.iter().next()?;
    (key == "Ref" || key == "Condition" || key.starts_with("Fn::")).then_some((key, args))
}

/// A string or a number as text (ports and protocols are written both ways).
fn text_of_cow<'t>(value: Cow<'t, Node<'t>>) -> Option<Cow<'t, str>> {
    match value {
        Cow::Borrowed(Node::String(s)) => Some(Cow::Borrowed(s.as_ref())),
        Cow::Owned(Node::String(s)) => Some(Cow::Owned(s.into_owned())),
        Cow::Borrowed(Node::Number(n)) => Some(Cow::Owned(n.to_string())),
        Cow::Owned(Node::Number(n)) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}
