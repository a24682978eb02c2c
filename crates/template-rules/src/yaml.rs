//! YAML front-end: builds the same `serde_json::Value` tree as the JSON one,
//! from the parser's event stream, so that positions, duplicate keys, nesting
//! depth and alias expansion are all under our control.
//!
//! Short-form intrinsics become their long form: `!Ref X` is `{"Ref": "X"}`,
//! `!GetAtt A.B` is `{"Fn::GetAtt": ["A", "B"]}`, `!Sub s` is `{"Fn::Sub": s}`.
//! Plain scalars follow the YAML 1.2 core schema (null, booleans, numbers);
//! quoted and block scalars are always strings; mapping keys are always strings.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::{Map, Number, Value};

use crate::template::{Format, Limits, ParseError, Sections};

pub(crate) fn parse(text: &str, limits: &Limits) -> Result<Sections, ParseError> {
    let mut builder = Builder::new(limits);
    builder.run(text)?;
    builder.finish()
}

/// Any YAML document as a value (rules files).
pub(crate) fn document(text: &str, limits: &Limits) -> Result<Value, ParseError> {
    let mut builder = Builder::new(limits);
    builder.run(text)?;
    builder
        .root
        .take()
        .ok_or_else(|| ParseError::whole("the document is empty"))
}

fn scan_error(e: ScanError) -> ParseError {
    let message = if e.info().contains("recursion limit") {
        "the template nests too deeply".to_string()
    } else {
        format!("invalid YAML: {}", e.info())
    };
    ParseError::at(e.marker().line(), e.marker().col() + 1, message)
}

/// Long form of a CloudFormation short-form tag (`!GetAtt` → `Fn::GetAtt`).
fn intrinsic(suffix: &str) -> Option<String> {
    match suffix {
        "Ref" | "Condition" => Some(suffix.to_string()),
        "Base64" | "Cidr" | "FindInMap" | "GetAtt" | "GetAZs" | "ImportValue" | "Join"
        | "Select" | "Split" | "Sub" | "Transform" | "And" | "Equals" | "If" | "Not" | "Or"
        | "Length" | "ToJsonString" => Some(format!("Fn::{suffix}")),
        _ => None,
    }
}

/// What a tag asks of the node it is on.
enum TagKind {
    /// Wrap the node as `{name: node}`.
    Intrinsic(String),
    /// A core-schema tag (`!!str`, `!!int`, ...).
    Core(String),
}

fn classify(tag: &Tag, line: usize, column: usize) -> Result<TagKind, ParseError> {
    if tag.handle == "!" {
        intrinsic(&tag.suffix)
            .map(TagKind::Intrinsic)
            .ok_or_else(|| {
                ParseError::at(
                    line,
                    column,
                    format!(
                        "unknown tag !{} (not a CloudFormation intrinsic function)",
                        tag.suffix
                    ),
                )
            })
    } else if tag.is_yaml_core_schema() {
        Ok(TagKind::Core(tag.suffix.clone()))
    } else {
        Err(ParseError::at(
            line,
            column,
            format!("unsupported tag {tag}"),
        ))
    }
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
        tag: Option<TagKind>,
        nodes_at_start: usize,
    },
    Map {
        map: Map<String, Value>,
        /// The key whose value comes next, and its line.
        key: Option<(String, usize)>,
        anchor: usize,
        tag: Option<TagKind>,
        nodes_at_start: usize,
    },
}

struct Builder<'l> {
    limits: &'l Limits,
    stack: Vec<Frame>,
    root: Option<Value>,
    documents: usize,
    /// Values built so far, aliases counted at their expanded size.
    nodes: usize,
    anchors: HashMap<usize, (Value, usize)>,
    /// Lines of the top-level keys.
    top_lines: HashMap<String, usize>,
    /// Keys of the `Resources` mapping in document order, with their lines.
    resource_order: Vec<(String, usize)>,
}

impl<'l> Builder<'l> {
    fn new(limits: &'l Limits) -> Self {
        Builder {
            limits,
            stack: Vec::new(),
            root: None,
            documents: 0,
            nodes: 0,
            anchors: HashMap::new(),
            top_lines: HashMap::new(),
            resource_order: Vec::new(),
        }
    }

    fn run(&mut self, text: &str) -> Result<(), ParseError> {
        let mut parser = Parser::new_from_str(text);
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(scan_error)?;
            if self.on_event(event, span)? {
                break;
            }
        }
        Ok(())
    }

    /// Handles one event; returns true once the stream has ended.
    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<bool, ParseError> {
        let line = span.start.line();
        let column = span.start.col() + 1;
        match event {
            Event::StreamEnd => return Ok(true),
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(ParseError::at(
                        line,
                        column,
                        "a template is a single YAML document; found a second one",
                    ));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                if self.expects_key() {
                    if tag.is_some() {
                        return Err(ParseError::at(
                            line,
                            column,
                            "a mapping key cannot have a tag",
                        ));
                    }
                    self.set_key(text.into_owned(), line)?;
                    self.count(line, column, 1)?;
                    return Ok(false);
                }
                let tag = match tag {
                    Some(tag) => Some(classify(&tag, line, column)?),
                    None => None,
                };
                let value = scalar(&text, style, tag, line, column)?;
                self.count(line, column, 1)?;
                if anchor != 0 {
                    self.anchors.insert(anchor, (value.clone(), 1));
                }
                self.push(value, line, column)?;
            }
            Event::Alias(id) => {
                let Some((value, size)) = self.anchors.get(&id) else {
                    return Err(ParseError::at(line, column, "alias to an unknown anchor"));
                };
                let (value, size) = (value.clone(), *size);
                if self.expects_key() {
                    let Value::String(key) = value else {
                        return Err(ParseError::at(
                            line,
                            column,
                            "a mapping key must be a string",
                        ));
                    };
                    self.set_key(key, line)?;
                    return Ok(false);
                }
                self.count(line, column, size)?;
                self.push(value, line, column)?;
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                let is_sequence = matches!(event, Event::SequenceStart(..));
                let (Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag)) = event
                else {
                    return Ok(false);
                };
                if self.expects_key() {
                    return Err(ParseError::at(
                        line,
                        column,
                        "a mapping key must be a plain string, not a collection",
                    ));
                }
                if self.stack.len() >= self.limits.max_depth {
                    return Err(ParseError::at(
                        line,
                        column,
                        format!(
                            "the template nests more than {} levels deep",
                            self.limits.max_depth
                        ),
                    ));
                }
                let tag = match tag {
                    Some(tag) => Some(classify(&tag, line, column)?),
                    None => None,
                };
                let nodes_at_start = self.nodes;
                self.count(line, column, 1)?;
                self.stack.push(if is_sequence {
                    Frame::Seq {
                        items: Vec::new(),
                        anchor,
                        tag,
                        nodes_at_start,
                    }
                } else {
                    Frame::Map {
                        map: Map::new(),
                        key: None,
                        anchor,
                        tag,
                        nodes_at_start,
                    }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(ParseError::at(line, column, "unbalanced YAML collection"));
                };
                let (value, anchor, tag, nodes_at_start) = match frame {
                    Frame::Seq {
                        items,
                        anchor,
                        tag,
                        nodes_at_start,
                    } => (Value::Array(items), anchor, tag, nodes_at_start),
                    Frame::Map {
                        map,
                        anchor,
                        tag,
                        nodes_at_start,
                        ..
                    } => (Value::Object(map), anchor, tag, nodes_at_start),
                };
                let value = match tag {
                    Some(TagKind::Intrinsic(name)) => wrap(name, value),
                    _ => value,
                };
                if anchor != 0 {
                    let size = self.nodes - nodes_at_start;
                    self.anchors.insert(anchor, (value.clone(), size));
                }
                self.push(value, line, column)?;
            }
            Event::Nothing | Event::StreamStart | Event::DocumentEnd => {}
        }
        Ok(false)
    }

    fn count(&mut self, line: usize, column: usize, n: usize) -> Result<(), ParseError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(ParseError::at(
                line,
                column,
                format!(
                    "the template expands to more than {} values (YAML aliases that multiply, a \"billion laughs\" document?)",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn set_key(&mut self, key: String, line: usize) -> Result<(), ParseError> {
        let depth = self.stack.len();
        let parent_key = match self.stack.first() {
            Some(Frame::Map {
                key: Some((k, _)), ..
            }) if depth == 2 => Some(k.clone()),
            _ => None,
        };
        let Some(Frame::Map { map, key: slot, .. }) = self.stack.last_mut() else {
            return Ok(());
        };
        if map.contains_key(&key) {
            return Err(ParseError::at_line(
                line,
                format!("duplicate key \"{key}\""),
            ));
        }
        if depth == 1 {
            self.top_lines.insert(key.clone(), line);
        } else if parent_key.as_deref() == Some("Resources") {
            self.resource_order.push((key.clone(), line));
        }
        *slot = Some((key, line));
        Ok(())
    }

    fn push(&mut self, value: Value, line: usize, column: usize) -> Result<(), ParseError> {
        match self.stack.last_mut() {
            None => {
                if self.root.is_some() {
                    return Err(ParseError::at(line, column, "unexpected second root value"));
                }
                self.root = Some(value);
            }
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { map, key, .. }) => {
                if let Some((k, _)) = key.take() {
                    map.insert(k, value);
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Sections, ParseError> {
        let root = match self.root.take() {
            None | Some(Value::Null) => return Err(ParseError::whole("the template is empty")),
            Some(Value::Object(root)) => root,
            Some(_) => {
                return Err(ParseError::at_line(
                    1,
                    "the template must be a mapping at the top level",
                ));
            }
        };
        let mut root = root;
        let line_of = |key: &str| self.top_lines.get(key).copied().unwrap_or(1);
        let resources_line = line_of("Resources");
        let resources = match root.remove("Resources") {
            None => None,
            Some(Value::Object(mut map)) => {
                let mut ordered = Vec::with_capacity(map.len());
                for (id, line) in self.resource_order.drain(..) {
                    if let Some(body) = map.remove(&id) {
                        ordered.push((id, line, body));
                    }
                }
                // Resources that came in through an alias have no line of their own.
                ordered.extend(map.into_iter().map(|(id, body)| (id, resources_line, body)));
                Some(ordered)
            }
            Some(_) => {
                return Err(ParseError::at_line(
                    resources_line,
                    "Resources must be a mapping",
                ));
            }
        };
        Ok(Sections {
            format: Format::Yaml,
            resources,
            resources_line,
            parameters: root
                .remove("Parameters")
                .map(|v| (line_of("Parameters"), v)),
            mappings: root.remove("Mappings").map(|v| (line_of("Mappings"), v)),
        })
    }
}

fn wrap(name: String, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(name, value);
    Value::Object(map)
}

fn scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<TagKind>,
    line: usize,
    column: usize,
) -> Result<Value, ParseError> {
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
                Value::Array(vec![resource.into(), attribute.into()]),
            ))
        }
        Some(TagKind::Intrinsic(name)) => Ok(wrap(name, Value::String(text.to_string()))),
        Some(TagKind::Core(kind)) => match kind.as_str() {
            "str" => Ok(Value::String(text.to_string())),
            "null" => Ok(Value::Null),
            "bool" | "int" | "float" => match plain(text) {
                v @ (Value::Bool(_) | Value::Number(_)) => Ok(v),
                _ => Err(ParseError::at(
                    line,
                    column,
                    format!("\"{text}\" is not a valid !!{kind}"),
                )),
            },
            _ => Ok(Value::String(text.to_string())),
        },
        None if style == ScalarStyle::Plain => Ok(plain(text)),
        None => Ok(Value::String(text.to_string())),
    }
}

/// Resolves a plain scalar by the YAML 1.2 core schema.
fn plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = integer(text) {
        return n;
    }
    if looks_like_float(text)
        && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64)
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

fn integer(text: &str) -> Option<Value> {
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
        let n = i64::try_from(magnitude).ok()?;
        Some(Value::from(-n))
    } else {
        Some(Value::from(magnitude))
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
