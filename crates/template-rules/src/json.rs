//! JSON front-end. `serde_json` does the parsing; positions come from where
//! each resource's raw text sits in the input, so the fast path stays fast.
//!
//! Duplicate keys are an error, not "last one wins": a second resource with
//! the same logical id could otherwise hide the first from the rules.

use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::template::{Format, Limits, LineIndex, ParseError, Sections};

/// A JSON failure, and whether it was a syntax error (the text may still be
/// YAML, which CloudFormation would accept).
pub(crate) struct JsonError {
    pub error: ParseError,
    pub syntax: bool,
}

pub(crate) fn parse(text: &str, _limits: &Limits) -> Result<Sections, JsonError> {
    let lines = LineIndex::new(text);
    let top: Entries = parse_slice(text, text, &lines, |d| d.deserialize_map(EntriesVisitor))?;

    let mut sections = Sections {
        format: Format::Json,
        resources: None,
        resources_line: 1,
        parameters: None,
        mappings: None,
    };
    for (key, raw) in top.0 {
        let line = key_line(text, raw, &lines);
        match key.as_str() {
            "Resources" => {
                if !raw.get().starts_with('{') {
                    return Err(JsonError {
                        error: ParseError::at_line(line, "Resources must be a mapping"),
                        syntax: false,
                    });
                }
                let entries: Entries = parse_slice(text, raw.get(), &lines, |d| {
                    d.deserialize_map(EntriesVisitor)
                })?;
                let mut resources = Vec::with_capacity(entries.0.len());
                for (logical_id, body) in entries.0 {
                    let line = key_line(text, body, &lines);
                    let value = parse_value(text, body, &lines)?;
                    resources.push((logical_id, line, value));
                }
                sections.resources = Some(resources);
                sections.resources_line = line;
            }
            "Parameters" => sections.parameters = Some((line, parse_value(text, raw, &lines)?)),
            "Mappings" => sections.mappings = Some((line, parse_value(text, raw, &lines)?)),
            _ => {}
        }
    }
    Ok(sections)
}

fn parse_value(text: &str, raw: &RawValue, lines: &LineIndex) -> Result<Value, JsonError> {
    parse_slice(text, raw.get(), lines, |d| d.deserialize_any(StrictValue))
}

/// Parses `slice` (a part of `text`) and reports errors at their position in `text`.
fn parse_slice<'a, T>(
    text: &'a str,
    slice: &'a str,
    lines: &LineIndex,
    parse: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::StrRead<'a>>,
    ) -> serde_json::Result<T>,
) -> Result<T, JsonError> {
    let mut de = serde_json::Deserializer::from_str(slice);
    let result = parse(&mut de).and_then(|v| de.end().map(|()| v));
    result.map_err(|e| {
        let base = offset_in(text, slice);
        let (line, column) = if e.line() == 0 {
            (lines.line(base), lines.column(text, base))
        } else if e.line() == 1 {
            (
                lines.line(base),
                lines.column(text, base) + e.column().saturating_sub(1),
            )
        } else {
            (lines.line(base) + e.line() - 1, e.column())
        };
        let syntax = matches!(
            e.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        );
        let message = describe(&e);
        JsonError {
            error: ParseError::at(line, column.max(1), message),
            syntax,
        }
    })
}

/// serde_json's message without its " at line L column C" suffix (we add our own).
fn describe(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    if message.starts_with("recursion limit exceeded") {
        "the template nests more than 128 levels deep".to_string()
    } else if message.starts_with("invalid type") && message.ends_with("expected a map") {
        "the template must be a mapping at the top level".to_string()
    } else {
        format!("invalid JSON: {message}")
    }
}

fn offset_in(text: &str, slice: &str) -> usize {
    slice.as_ptr() as usize - text.as_ptr() as usize
}

/// The line of the key that `value` belongs to (`"Key": value`), falling back
/// to the value's own line when the text around it is unusual.
fn key_line(text: &str, value: &RawValue, lines: &LineIndex) -> usize {
    let offset = offset_in(text, value.get());
    let before = text[..offset].trim_end();
    let key_end = before
        .strip_suffix(':')
        .map(str::trim_end)
        .filter(|s| s.ends_with('"'))
        .map(|s| s.len() - 1);
    lines.line(key_end.unwrap_or(offset))
}

/// The entries of a JSON object, in order, values left unparsed.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

struct EntriesVisitor;

impl<'de> Visitor<'de> for EntriesVisitor {
    type Value = Entries<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries: Vec<(String, &'de RawValue)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!("duplicate key \"{key}\"")));
            }
            let value: &'de RawValue = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Entries(entries))
    }
}

/// Builds a `serde_json::Value`, rejecting duplicate keys.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictValue)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key \"{key}\"")));
            }
            let value = map.next_value_seed(StrictValue)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}
