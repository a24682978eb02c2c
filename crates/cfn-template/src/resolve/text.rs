//! `Fn::Sub` and `Fn::Join`: text built from pieces.
//!
//! Each piece may have several candidates, so the text has as many as the
//! product of its pieces' (up to [`MAX_ALTERNATIVES`]). A piece that is not
//! known is kept as what kind of text it is ([`Shape`]): `!Sub "${Ip}/0"`
//! ends in `/0`, `!Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"`
//! is an ARN of an account's root. Every piece appended is a step and its
//! bytes are counted; a text past [`MAX_TEXT`] bytes, or of more than
//! [`MAX_PIECES`] pieces, keeps only its end, so nothing grows without
//! bound and no string is copied over and over as it grows.

use std::borrow::Cow;

use super::Resolver;
use super::allowance::{MAX_ALTERNATIVES, MAX_TEXT};
use super::candidate::{Candidate, Unknown, Value, Via, add_unknowns};
use super::lists::ListItem;
use super::shape::{Class, Part, Shape};
use crate::node::{Node, Object};

/// How much of a text's end is kept once the rest is too long.
const TAIL_KEPT: usize = 64;
/// Most pieces, known and not, a text keeps.
const MAX_PIECES: usize = 32;

/// A text being built.
#[derive(Clone)]
struct Partial<'t> {
    shape: Shape,
    via: Option<Via<'t>>,
    unknown: Vec<Unknown>,
}

impl<'t> Partial<'t> {
    fn empty(via: Option<Via<'t>>) -> Self {
        Partial {
            shape: Shape::empty(),
            via,
            unknown: Vec::new(),
        }
    }

    fn candidate(self) -> Candidate<'t> {
        let value = if self.shape.is_known() {
            Value::Text(Cow::Owned(self.shape.tail().to_string()))
        } else if let [Part::Class(Class::Any)] = self.shape.parts() {
            Value::Unknown
        } else {
            Value::Shaped(self.shape)
        };
        Candidate {
            value,
            via: self.via,
            unknown: self.unknown,
        }
    }

    /// Appends known text.
    fn push(&mut self, text: &str) {
        self.shape.push_text(text);
        self.bound();
    }

    /// Appends a piece's shape.
    fn push_shape(&mut self, shape: &Shape) {
        self.shape.push_shape(shape);
        self.bound();
    }

    /// A text grown past [`MAX_TEXT`] bytes or [`MAX_PIECES`] pieces keeps
    /// its end.
    fn bound(&mut self) {
        let why = if self.shape.text_len() > MAX_TEXT {
            format!("a computed value longer than {MAX_TEXT} bytes")
        } else if self.shape.parts().len() > MAX_PIECES {
            format!("a computed value of more than {MAX_PIECES} pieces")
        } else {
            return;
        };
        add_unknowns(&mut self.unknown, &[Unknown::new(why)]);
        self.shape.cut(TAIL_KEPT);
    }
}

/// One alternative of a piece.
struct Piece<'t> {
    shape: Shape,
    via: Option<Via<'t>>,
    unknown: Vec<Unknown>,
}

impl<'t> Resolver<'t> {
    /// `Fn::Sub: "text ${Name} ${Res.Attr} ${!Literal}"` or
    /// `Fn::Sub: [text, {Name: value}]`.
    pub(super) fn sub(&self, args: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        let (pattern, vars) = match args.value() {
            Node::String(s) => (s.as_ref(), None),
            Node::Array(a) => match a.as_slice() {
                [pattern, vars] if pattern.as_str().is_some() && vars.is_object() => {
                    (pattern.as_str().unwrap_or_default(), vars.as_object())
                }
                [pattern] if pattern.as_str().is_some() => {
                    (pattern.as_str().unwrap_or_default(), None)
                }
                _ => {
                    out.push(Candidate::unknown(Unknown::new(
                        "Fn::Sub without a text and a mapping of variables",
                    )));
                    return;
                }
            },
            _ => {
                out.push(Candidate::unknown(Unknown::new("Fn::Sub without a text")));
                return;
            }
        };
        self.sub_pattern(pattern, vars, out);
    }

    /// Every text `Fn::Sub` makes of `pattern` (which need not be in the
    /// template: a policy document written as JSON inside `Fn::Sub` is
    /// read first, and each of its strings is a pattern of its own), with
    /// `vars` its mapping of variables.
    pub fn resolve_sub(&self, pattern: &str, vars: Option<&'t Object<'t>>) -> Vec<Candidate<'t>> {
        self.allowance.start_value();
        let mut out = Vec::new();
        self.sub_pattern(pattern, vars, &mut out);
        out
    }

    fn sub_pattern(
        &self,
        pattern: &str,
        vars: Option<&'t Object<'t>>,
        out: &mut Vec<Candidate<'t>>,
    ) {
        // Reading the pattern is work in proportion to its length.
        if let Err(why) = self.allowance.bytes(pattern.len()) {
            out.push(Candidate::unknown(why));
            return;
        }
        let mut partials = vec![Partial::empty(None)];
        let mut rest = pattern;
        while let Some(start) = rest.find("${") {
            let literal = &rest[..start];
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                break;
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            let pieces = if let Some(escaped) = name.strip_prefix('!') {
                vec![known(format!("${{{escaped}}}"))]
            } else {
                let mut candidates = Vec::new();
                if let Some(value) = vars.and_then(|v| v.get(name)) {
                    self.nested(value, &mut candidates);
                } else if let Some((resource, attribute)) = name.split_once('.') {
                    self.sub_attribute(resource.trim(), attribute.trim(), &mut candidates);
                } else {
                    self.named(name.trim(), &mut candidates);
                }
                pieces(candidates)
            };
            match self.append(partials, literal, &pieces) {
                Ok(next) => partials = next,
                Err(why) => {
                    out.push(Candidate::unknown(why));
                    return;
                }
            }
        }
        for mut partial in partials {
            partial.push(rest);
            out.push(partial.candidate());
        }
    }

    /// `Fn::Join: [delimiter, list]`.
    pub(super) fn join(&self, args: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        let Some([delimiter, list]) = args.as_array() else {
            out.push(Candidate::unknown(Unknown::new(
                "Fn::Join without a delimiter and a list",
            )));
            return;
        };
        let Some(delimiter) = delimiter.as_str() else {
            out.push(Candidate::unknown(Unknown::new(
                "Fn::Join with a delimiter that is not text",
            )));
            return;
        };
        for mut list in self.lists(list) {
            let Some(items) = list.items.take() else {
                out.push(list.into_unknown_value());
                continue;
            };
            let mut partials = vec![Partial::empty(list.via)];
            for (i, item) in items.iter().enumerate() {
                let pieces = match item {
                    ListItem::Text(text) => vec![known(text.clone())],
                    ListItem::Node(node) => {
                        let mut candidates = Vec::new();
                        self.nested(node, &mut candidates);
                        pieces(candidates)
                    }
                };
                let separator = if i == 0 { "" } else { delimiter };
                match self.append(partials, separator, &pieces) {
                    Ok(next) => partials = next,
                    Err(why) => {
                        partials = Vec::new();
                        out.push(Candidate::unknown(why));
                        break;
                    }
                }
            }
            for mut partial in partials {
                add_unknowns(&mut partial.unknown, &list.unknown);
                out.push(partial.candidate());
            }
        }
    }

    /// Every partial text, then `literal`, then each alternative of the next
    /// piece. A piece with no alternative (`AWS::NoValue`) is an empty text.
    fn append(
        &self,
        partials: Vec<Partial<'t>>,
        literal: &str,
        pieces: &[Piece<'t>],
    ) -> Result<Vec<Partial<'t>>, Unknown> {
        let empty = [known(String::new())];
        let pieces = if pieces.is_empty() {
            &empty[..]
        } else {
            pieces
        };
        if partials.len().saturating_mul(pieces.len()) > MAX_ALTERNATIVES {
            return Err(Unknown::new(format!(
                "a value with more than {MAX_ALTERNATIVES} alternatives"
            )));
        }
        self.allowance.steps(partials.len() * pieces.len())?;
        let mut next = Vec::with_capacity(partials.len() * pieces.len());
        let Some((last, others)) = pieces.split_last() else {
            return Ok(partials);
        };
        for partial in partials {
            // A copy for each alternative but the last, which takes the original.
            for piece in others {
                self.allowance.bytes(partial.shape.text_len())?;
                next.push(self.extend(partial.clone(), literal, piece)?);
            }
            next.push(self.extend(partial, literal, last)?);
        }
        Ok(next)
    }

    fn extend(
        &self,
        mut partial: Partial<'t>,
        literal: &str,
        piece: &Piece<'t>,
    ) -> Result<Partial<'t>, Unknown> {
        self.allowance
            .bytes(literal.len() + piece.shape.text_len())?;
        partial.push(literal);
        partial.push_shape(&piece.shape);
        partial.via = partial.via.or(piece.via);
        add_unknowns(&mut partial.unknown, &piece.unknown);
        Ok(partial)
    }
}

fn known<'t>(text: String) -> Piece<'t> {
    Piece {
        shape: Shape::text(text),
        via: None,
        unknown: Vec::new(),
    }
}

/// A piece's candidates as text. Values that are not text (a list, a
/// mapping) are unknown: CloudFormation would refuse them.
fn pieces(candidates: Vec<Candidate<'_>>) -> Vec<Piece<'_>> {
    candidates
        .into_iter()
        .map(|c| {
            let (shape, unknown) = match &c.value {
                Value::Shaped(shape) => (shape.clone(), c.unknown),
                Value::Unknown => (Shape::of(Class::Any), c.unknown),
                Value::Node(Node::Bool(b)) => (Shape::text(b.to_string()), c.unknown),
                _ => match c.as_text() {
                    Some(t) if t.len() <= MAX_TEXT => (Shape::text(t.into_owned()), c.unknown),
                    Some(t) => {
                        let mut shape = Shape::text(t.into_owned());
                        shape.cut(TAIL_KEPT);
                        let why = Unknown::new(format!("a value longer than {MAX_TEXT} bytes"));
                        (shape, vec![why])
                    }
                    None => {
                        let why = Unknown::new("a list or mapping where text is expected");
                        (Shape::of(Class::Any), vec![why])
                    }
                },
            };
            Piece {
                shape,
                via: c.via,
                unknown,
            }
        })
        .collect()
}
