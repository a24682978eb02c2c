//! YAML front-end: builds the same [`Node`] tree as the JSON one,
//! from the parser's event stream, so that positions, duplicate keys, nesting
//! depth and alias expansion are all under our control.
//!
//! Short-form intrinsics become their long form: `!Ref X` is `{"Ref": "X"}`,
//! `!GetAtt A.B` is `{"Fn::GetAtt": ["A", "B"]}`, `!Sub s` is `{"Fn::Sub": s}`.
//! Plain scalars follow the YAML 1.2 core schema (null, booleans, numbers);
//! quoted and block scalars are always strings; mapping keys are always strings.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::Number;

use crate::node::{Node, ObjectBuilder};
use crate::template::{Format, Limits, ParseError, Sections};

pub(crate) fn parse<'a>(text: &'a str, limits: &Limits) -> Result<Sections<'a>, ParseError> {
    let mut builder = Builder::new(limits);
    builder.run(text)?;
    builder.finish()
}

/// Any YAML document as a value (rules files).
pub(crate) fn document<'a>(text: &'a str, limits: &Limits) -> Result<Node<'a>, ParseError> {
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

enum Frame<'a> {
    Seq {
        items: Vec<Node<'a>>,
        anchor: usize,
        tag: Option<TagKind>,
        nodes_at_start: usize,
    },
    Map {
        map: ObjectBuilder<'a>,
        /// The key whose value comes next, and its line.
        key: Option<(Cow<'a, str>, usize)>,
        anchor: usize,
        tag: Option<TagKind>,
        nodes_at_start: usize,
    },
}

struct Builder<'a, 'l> {
    limits: &'l Limits,
    stack: Vec<Frame<'a>>,
    root: Option<Node<'a>>,
    documents: usize,
    /// Values built so far, aliases counted at their expanded size.
    nodes: usize,
    anchors: HashMap<usize, (Node<'a>, usize)>,
    /// Lines of the top-level keys.
    top_lines: HashMap<String, usize>,
    /// Lines of the keys of the `Resources` mapping.
    resource_lines: HashMap<String, usize>,
}

impl<'a, 'l> Builder<'a, 'l> {
    fn new(limits: &'l Limits) -> Self {
        Builder {
            limits,
            stack: Vec::new(),
            root: None,
            documents: 0,
            nodes: 0,
            anchors: HashMap::new(),
            top_lines: HashMap::new(),
            resource_lines: HashMap::new(),
        }
    }

    fn run(&mut self, text: &'a str) -> Result<(), ParseError> {
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
    fn on_event(&mut self, event: Event<'a>, span: Span) -> Result<bool, ParseError> {
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
                    self.set_key(text, line)?;
                    self.count(line, column, 1)?;
                    return Ok(false);
                }
                let tag = match tag {
                    Some(tag) => Some(classify(&tag, line, column)?),
                    None => None,
                };
                let value = scalar(text, style, tag, line, column)?;
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
                    let Node::String(key) = value else {
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
                        map: ObjectBuilder::default(),
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
                    } => (Node::Array(items), anchor, tag, nodes_at_start),
                    Frame::Map {
                        map,
                        anchor,
                        tag,
                        nodes_at_start,
                        ..
                    } => (Node::Object(map.finish()), anchor, tag, nodes_at_start),
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

    fn set_key(&mut self, key: Cow<'a, str>, line: usize) -> Result<(), ParseError> {
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
        if map.contains(&key) {
            return Err(ParseError::at_line(
                line,
                format!("duplicate key \"{key}\""),
            ));
        }
        if depth == 1 {
            self.top_lines.insert(key.to_string(), line);
        } else if parent_key.as_deref() == Some("Resources") {
            self.resource_lines.insert(key.to_string(), line);
        }
        *slot = Some((key, line));
        Ok(())
    }

    fn push(&mut self, value: Node<'a>, line: usize, column: usize) -> Result<(), ParseError> {
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
                    map.push(k, value);
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Sections<'a>, ParseError> {
        let root = match self.root.take() {
            None | Some(Node::Null) => return Err(ParseError::whole("the template is empty")),
            Some(Node::Object(root)) => root,
            Some(_) => {
                return Err(ParseError::at_line(
                    1,
                    "the template must be a mapping at the top level",
                ));
            }
        };
        let line_of = |key: &str| self.top_lines.get(key).copied().unwrap_or(1);
        let mut sections = Sections {
            format: Format::Yaml,
            resources: None,
            parameters: None,
            mappings: None,
        };
        for (key, value) in root.into_entries() {
            let line = line_of(&key);
            match key.as_ref() {
                "Resources" => {
                    let Node::Object(resources) = value else {
                        return Err(ParseError::at_line(line, "Resources must be a mapping"));
                    };
                    sections.resources = Some(
                        resources
                            .into_entries()
                            .into_iter()
                            .map(|(id, body)| {
                                // Resources brought in by an alias have no line of their own.
                                let at = self
                                    .resource_lines
                                    .get(id.as_ref())
                                    .copied()
                                    .unwrap_or(line);
                                (id.into_owned(), at, body)
                            })
                            .collect(),
                    );
                }
                "Parameters" => sections.parameters = Some((line, value)),
                "Mappings" => sections.mappings = Some((line, value)),
                _ => {}
            }
        }
        Ok(sections)
    }
}

fn wrap<'a>(name: String, value: Node<'a>) -> Node<'a> {
    let mut map = ObjectBuilder::default();
    map.push(Cow::Owned(name), value);
    Node::Object(map.finish())
}

fn scalar<'a>(
    text: Cow<'a, str>,
    style: ScalarStyle,
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
            "bool" | "int" | "float" => match plain(text.clone()) {
                v @ (Node::Bool(_) | Node::Number(_)) => Ok(v),
                _ => Err(ParseError::at(
                    line,
                    column,
                    format!("\"{text}\" is not a valid !!{kind}"),
                )),
            },
            _ => Ok(Node::String(text)),
        },
        None if style == ScalarStyle::Plain => Ok(plain(text)),
        None => Ok(Node::String(text)),
    }
}

/// Resolves a plain scalar by the YAML 1.2 core schema.
fn plain(text: Cow<'_, str>) -> Node<'_> {
    match text.as_ref() {
        "" | "~" | "null" | "Null" | "NULL" => return Node::Null,
        "true" | "True" | "TRUE" => return Node::Bool(true),
        "false" | "False" | "FALSE" => return Node::Bool(false),
        _ => {}
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
