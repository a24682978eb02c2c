//! Scalars: the YAML 1.2 core schema for plain ones, strings for the rest;
//! but a plain number that YAML 1.1 (which CloudFormation reads) reads
//! otherwise is kept as its text: `022` is 18 in YAML 1.1 (octal) and 22 in
//! YAML 1.2, `0o26` is 22 in YAML 1.2 and text in YAML 1.1. Readers of
//! such a value (ports, protocols) take it both ways, unresolved.

use std::borrow::Cow;

use serde_json::Number;

use super::tags::TagKind;
use crate::error::ParseError;
use crate::node::{Node, ObjectBuilder};

pub(super) fn wrap<'a>(name: String, value: Node<'a>) -> Node<'a> {
    let mut map = ObjectBuilder::default();
    map.push(Cow::Owned(name), value);
    Node::Object(map.finish())
}

pub(super) fn scalar<'a>(
    text: Cow<'a, str>,
    plain: bool,
    tag: Option<TagKind>,
    line: usize,
    column: usize,
) -> Result<Node<'a>, ParseError> {
    match tag {
        Some(TagKind::Intrinsic(name)) if name == "Fn::GetAtt" => {
            let Some((resource, attribute)) = text.split_once('.') else {
                return Err(ParseError::at(
                    line,
                    column,
                    format!("!GetAtt {text}: expected Resource.Attribute"),
                ));
            };
            Ok(wrap(
                name,
                Node::Array(vec![
                    Node::string(resource.to_string()),
                    Node::string(attribute.to_string()),
                ]),
            ))
        }
        Some(TagKind::Intrinsic(name)) => Ok(wrap(name, Node::String(text))),
        Some(TagKind::Core(kind)) => match kind.as_str() {
            "str" => Ok(Node::String(text)),
            "null" => Ok(Node::Null),
            "bool" | "int" | "float" => match plain_scalar(text.clone()) {
                v @ (Node::Bool(_) | Node::Number(_)) => Ok(v),
                _ => Err(ParseError::at(
                    line,
                    column,
                    format!("\"{text}\" is not a valid !!{kind}"),
                )),
            },
            _ => Ok(Node::String(text)),
        },
        None if plain => Ok(plain_scalar(text)),
        None => Ok(Node::String(text)),
    }
}

/// Resolves a plain scalar by the YAML 1.2 core schema.
fn plain_scalar(text: Cow<'_, str>) -> Node<'_> {
    match text.as_ref() {
        "" | "~" | "null" | "Null" | "NULL" => return Node::Null,
        "true" | "True" | "TRUE" => return Node::Bool(true),
        "false" | "False" | "FALSE" => return Node::Bool(false),
        _ => {}
    }
    if read_otherwise_by_yaml_1_1(&text) {
        return Node::String(text);
    }
    if let Some(n) = integer(&text) {
        return Node::Number(n);
    }
    if looks_like_float(&text)
        && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64)
    {
        return Node::Number(n);
    }
    Node::String(text)
}

/// `022`, `-0017`, `0o26`: a whole number YAML 1.1 and 1.2 read apart.
fn read_otherwise_by_yaml_1_1(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let leading_zero =
        digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit());
    let octal = digits
        .strip_prefix("0o")
        .is_some_and(|o| !o.is_empty() && o.bytes().all(|b| (b'0'..=b'7').contains(&b)));
    leading_zero || octal
}

fn integer(text: &str) -> Option<Number> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(hex) = digits.strip_prefix("0x") {
        (16, hex)
    } else if let Some(oct) = digits.strip_prefix("0o") {
        (8, oct)
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if negative {
        // 0 - magnitude, so that -9223372036854775808 (i64::MIN, whose
        // magnitude is no i64) is an integer too, as it is in JSON.
        0i64.checked_sub_unsigned(magnitude).map(Number::from)
    } else {
        Some(magnitude.into())
    }
}

fn looks_like_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = {
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        (!int.is_empty() || !frac.is_empty())
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}
