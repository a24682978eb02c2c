//! What a value may be: candidates, and what could not be worked out.

use std::borrow::Cow;
use std::fmt;

use super::shape::Shape;
use crate::display;
use crate::node::Node;

/// Something the engine could not work out, named for a person: "parameter
/// SshLocation has no Default", "Fn::ImportValue shared-cidr", "a computed
/// value longer than 1024 bytes".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unknown {
    what: String,
    /// The name without the values it shows, when it shows some ("parameter
    /// P may be set to V, ..."), for rules about values that may be secrets.
    without_values: Option<String>,
}

impl Unknown {
    /// Something not known, named for a person (without showing values).
    pub fn new(what: impl Into<String>) -> Self {
        Unknown {
            what: what.into(),
            without_values: None,
        }
    }

    /// Something not known, named with values it may take (`what`) and
    /// without them (`without_values`).
    pub(crate) fn showing_values(what: String, without_values: String) -> Self {
        Unknown {
            what,
            without_values: Some(without_values),
        }
    }

    /// An intrinsic function whose result depends on the deployed stack,
    /// named with its argument when that is short and literal.
    pub(crate) fn function(name: &str, args: &Node) -> Self {
        let argument = match args.value() {
            Node::String(s) => Some(display::short(s).into_owned()),
            Node::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(|s| display::short(s).into_owned()))
                .collect::<Option<Vec<_>>>()
                .map(|parts| parts.join(".")),
            _ => None,
        };
        match argument {
            // The argument of these names something; of others, it is a value.
            Some(argument) if !argument.is_empty() => {
                let what = format!("{name} {argument}");
                if matches!(name, "Fn::GetAtt" | "Fn::ImportValue") {
                    Unknown::new(what)
                } else {
                    Unknown::showing_values(what, name.to_string())
                }
            }
            _ => Unknown::new(name),
        }
    }

    /// What is not known.
    pub fn as_str(&self) -> &str {
        &self.what
    }

    /// The same, named without the values it shows (a parameter's allowed
    /// values, a function's literal argument): for a value that may be a
    /// secret.
    pub fn without_values(&self) -> Unknown {
        Unknown::new(self.without_values.as_deref().unwrap_or(&self.what))
    }
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

/// How a value was reached, when that is not obvious from the template
/// text where the property is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via<'t> {
    /// The `Default` of this parameter.
    DefaultOf(&'t str),
    /// One of the `AllowedValues` of this parameter.
    AllowedValueOf(&'t str),
    /// An entry of this `AWS::EC2::PrefixList`.
    PrefixList(&'t str),
}

impl fmt::Display for Via<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Via::DefaultOf(p) => write!(f, "default of parameter {}", display::short(p)),
            Via::AllowedValueOf(p) => {
                write!(f, "allowed value of parameter {}", display::short(p))
            }
            Via::PrefixList(l) => write!(f, "entry of prefix list {}", display::short(l)),
        }
    }
}

/// A value a property may take.
#[derive(Debug, Clone)]
pub enum Value<'t> {
    /// A value written in the template.
    Node(&'t Node<'t>),
    /// Text the engine computed (`Fn::Sub`, `Fn::Join`, ...).
    Text(Cow<'t, str>),
    /// Text not wholly known, but of a known shape: `!Sub "${Ip}/0"` with
    /// `Ip` not worked out ends in `/0`; `!Ref AWS::AccountId` is 12 digits
    /// (see [`Shape`]). Only ever with `Candidate::unknown` saying why.
    Shaped(Shape),
    /// Nothing is known. Only ever with `Candidate::unknown` saying why.
    Unknown,
}

/// One value a property may take, how it was reached, and whether that
/// value is certain to be possible.
#[derive(Debug, Clone)]
pub struct Candidate<'t> {
    /// The value.
    pub value: Value<'t>,
    /// How the value was reached, e.g. the default of parameter SshLocation.
    pub via: Option<Via<'t>>,
    /// Empty for a resolved value. Otherwise what could not be worked out:
    /// the value is then only what the property might be (an allowed value
    /// other than the Default), or partly known ([`Value::Shaped`]), or not
    /// known at all ([`Value::Unknown`]).
    pub unknown: Vec<Unknown>,
}

impl<'t> Candidate<'t> {
    /// A value written in the template, resolved.
    pub fn node(node: &'t Node<'t>) -> Self {
        Candidate {
            value: Value::Node(node.value()),
            via: None,
            unknown: Vec::new(),
        }
    }

    pub(crate) fn text(text: impl Into<Cow<'t, str>>) -> Self {
        Candidate {
            value: Value::Text(text.into()),
            via: None,
            unknown: Vec::new(),
        }
    }

    /// A value nothing is known of, but why.
    pub fn unknown(why: Unknown) -> Self {
        Candidate {
            value: Value::Unknown,
            via: None,
            unknown: vec![why],
        }
    }

    /// A value of which only the shape is known, and why.
    pub fn shaped(shape: Shape, why: Unknown) -> Self {
        Candidate {
            value: Value::Shaped(shape),
            via: None,
            unknown: vec![why],
        }
    }

    /// Whether the value is certain to be possible: nothing it depends on
    /// is unknown.
    pub fn is_resolved(&self) -> bool {
        self.unknown.is_empty()
    }

    /// The value as text, when it is a string or a number (ports and
    /// protocols are written both ways) and wholly known as such.
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        match &self.value {
            Value::Text(t) => Some(Cow::Borrowed(t.as_ref())),
            Value::Node(Node::String(s)) => Some(Cow::Borrowed(s.as_ref())),
            Value::Node(Node::Number(n)) => Some(Cow::Owned(n.to_string())),
            _ => None,
        }
    }

    /// The value as a whole number (ports are written as numbers or as
    /// strings such as `"22"` or `" 80 "`).
    pub fn as_integer(&self) -> Option<i64> {
        match &self.value {
            Value::Node(Node::Number(n)) => n.as_i64().or_else(|| whole(n.as_f64()?)),
            _ => integer(&self.as_text()?),
        }
    }

    /// The mapping the value is, when it is one.
    pub fn as_object_node(&self) -> Option<&'t Node<'t>> {
        match self.value {
            Value::Node(node) if node.is_object() => Some(node),
            _ => None,
        }
    }

    /// Adds what else this value depends on.
    pub(crate) fn depends_on(mut self, unknown: &[Unknown]) -> Self {
        add_unknowns(&mut self.unknown, unknown);
        self
    }
}

/// A value depends on at most this many named unknowns; past them it still
/// depends on something unknown, which the names already say.
const MAX_NAMED: usize = 4;

/// Adds `more` to `to`, each once, up to a few (past them a value still
/// depends on something unknown, which the names already say).
pub fn add_unknowns(to: &mut Vec<Unknown>, more: &[Unknown]) {
    for why in more {
        if to.len() >= MAX_NAMED {
            return;
        }
        if !to.contains(why) {
            to.push(why.clone());
        }
    }
}

/// The unknowns of `candidates`, each once, up to [`MAX_NAMED`].
pub(crate) fn unknowns<'c>(
    candidates: impl IntoIterator<Item = &'c Candidate<'c>>,
) -> Vec<Unknown> {
    let mut all: Vec<Unknown> = Vec::new();
    for candidate in candidates {
        add_unknowns(&mut all, &candidate.unknown);
        if all.len() >= MAX_NAMED {
            break;
        }
    }
    all
}

/// A whole number written as text (`"22"`, `" 80 "`, `"-1"`, `"22.0"`).
pub fn integer(text: &str) -> Option<i64> {
    if text.len() > 32 {
        return None;
    }
    let text = text.trim();
    text.parse()
        .ok()
        .or_else(|| whole(text.parse::<f64>().ok()?))
}

/// `22.0` is 22; `22.5` is no whole number.
fn whole(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}
