//! A minimal YAML emitter for tests: templates written as JSON values are
//! written out as YAML without the parser under test.

use std::fmt::Write as _;

use serde_json::{Map, Value};

/// How a template is written out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Style {
    JsonPretty,
    JsonCompact,
    /// Block-style YAML, intrinsics in their long form.
    Yaml,
    /// Block-style YAML with short-form tags (`!Ref`, `!If`, ...) wherever
    /// they mean the same as the long form.
    YamlShort,
}

/// Every way of writing a template out.
pub const STYLES: [Style; 4] = [
    Style::JsonPretty,
    Style::JsonCompact,
    Style::Yaml,
    Style::YamlShort,
];

/// `value` written out in `style`.
pub fn render(value: &Value, style: Style) -> String {
    match style {
        Style::JsonPretty => serde_json::to_string_pretty(value).unwrap(),
        Style::JsonCompact => serde_json::to_string(value).unwrap(),
        Style::Yaml => yaml(value, false),
        Style::YamlShort => yaml(value, true),
    }
}

/// A minimal block-style YAML emitter: mappings as `key: value` lines,
/// sequences as `- item` (compact when an item is itself a collection),
/// every string and key double-quoted so that none is read as another type.
pub fn yaml(value: &Value, short: bool) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => entries(map, 0, short, &mut out),
        Value::Array(items) if !items.is_empty() => sequence(items, 0, short, &mut out),
        _ => {
            after_indicator(value, 0, short, &mut out);
            out = out.trim_start().to_string();
        }
    }
    out
}

pub fn entries(map: &Map<String, Value>, indent: usize, short: bool, out: &mut String) {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        quoted(key, out);
        out.push(':');
        after_indicator(value, indent, short, out);
    }
}

pub fn sequence(items: &[Value], indent: usize, short: bool, out: &mut String) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            // Compact: the collection's first line goes on the dash's line.
            Value::Object(map) if !map.is_empty() && short_form(item, short).is_none() => {
                let mut nested = String::new();
                entries(map, indent + 2, short, &mut nested);
                out.push(' ');
                out.push_str(&nested[indent + 2..]);
            }
            Value::Array(inner) if !inner.is_empty() => {
                let mut nested = String::new();
                sequence(inner, indent + 2, short, &mut nested);
                out.push(' ');
                out.push_str(&nested[indent + 2..]);
            }
            _ => after_indicator(item, indent, short, out),
        }
    }
}

/// A value after `key:` or `-`, whose own lines are indented past `indent`.
pub fn after_indicator(value: &Value, indent: usize, short: bool, out: &mut String) {
    if let Some((tag, argument)) = short_form(value, short) {
        let _ = write!(out, " !{tag}");
        // A node has one tag: `!Base64 !Sub x` is not YAML, so an argument
        // that is itself an intrinsic is written as a mapping.
        if let (Some(_), Value::Object(map)) = (short_form(&argument, short), &argument) {
            out.push('\n');
            return entries(map, indent + 2, short, out);
        }
        return after_indicator(&argument, indent, short, out);
    }
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            entries(map, indent + 2, short, out);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            sequence(items, indent + 2, short, out);
        }
        _ => {
            out.push(' ');
            scalar(value, out);
            out.push('\n');
        }
    }
}

/// `(tag, argument)` when `value` is an intrinsic the short form can write
/// with the same meaning. A tagged scalar is always a string, so only
/// string and collection arguments qualify; `!GetAtt A.B` is only written
/// for `[A, B]` where A has no dot.
pub fn short_form(value: &Value, short: bool) -> Option<(String, Value)> {
    let map = value.as_object().filter(|m| short && m.len() == 1)?;
    let (key, argument) = map.iter().next()?;
    let tag = match key.as_str() {
        "Ref" | "Condition" => key.clone(),
        other => {
            let name = other.strip_prefix("Fn::")?;
            const KNOWN: &[&str] = &[
                "Base64",
                "Cidr",
                "FindInMap",
                "GetAtt",
                "GetAZs",
                "ImportValue",
                "Join",
                "Select",
                "Split",
                "Sub",
                "Transform",
                "And",
                "Equals",
                "If",
                "Not",
                "Or",
                "Length",
                "ToJsonString",
            ];
            KNOWN.contains(&name).then(|| name.to_string())?
        }
    };
    if tag == "GetAtt"
        && let Some([Value::String(resource), Value::String(attribute)]) =
            argument.as_array().map(Vec::as_slice)
        && !resource.contains('.')
    {
        return Some((tag, Value::String(format!("{resource}.{attribute}"))));
    }
    match argument {
        Value::String(_) if tag != "GetAtt" => Some((tag, argument.clone())),
        Value::Array(_) | Value::Object(_) => Some((tag, argument.clone())),
        _ => None,
    }
}

pub fn scalar(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => quoted(s, out),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// A YAML double-quoted scalar; characters YAML does not allow raw (or
/// would read as line breaks) are escaped.
pub fn quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{feff}'
            | '\u{fffe}'
            | '\u{ffff}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
