//! The parsed template: its resources in document order, with the line each
//! one starts on, and the sections that values can be resolved against.

use std::fmt;

use crate::node::{Node, Object};
use crate::{json, yaml};

/// Which syntax a template was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json => "JSON",
            Format::Yaml => "YAML",
        })
    }
}

/// Caps on what a template may cost to parse. Templates come from outside
/// (a pipeline artifact, a file a user points at), so none of these is optional.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest template accepted, in bytes. CloudFormation itself accepts at
    /// most 1 MiB (a template in S3), so anything larger cannot be deployed.
    pub max_bytes: usize,
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most values a YAML document may expand to once its aliases are
    /// resolved; this is what stops a "billion laughs" document.
    pub max_nodes: usize,
}

/// CloudFormation's own limit on a template's size (uploaded through S3).
pub const CLOUDFORMATION_MAX_TEMPLATE_BYTES: usize = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: CLOUDFORMATION_MAX_TEMPLATE_BYTES,
            max_depth: 128,
            max_nodes: 2_000_000,
        }
    }
}

/// Why a template could not be read. `line` and `column` are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl ParseError {
    pub(crate) fn at(line: usize, column: usize, message: impl Into<String>) -> Self {
        ParseError {
            line: Some(line),
            column: Some(column),
            message: message.into(),
        }
    }

    pub(crate) fn at_line(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line: Some(line),
            column: None,
            message: message.into(),
        }
    }

    pub(crate) fn whole(message: impl Into<String>) -> Self {
        ParseError {
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// One entry of the template's `Resources` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource<'a> {
    pub logical_id: String,
    /// The line the resource's logical id is written on (1-based).
    pub line: usize,
    pub resource_type: String,
    /// The whole resource as written: `Type`, `Properties`, `Metadata`, ...
    /// YAML short-form intrinsics are already in their long form.
    pub body: Node<'a>,
}

impl<'a> Resource<'a> {
    pub fn properties(&self) -> Option<&Object<'a>> {
        self.body.get("Properties").and_then(Node::as_object)
    }
}

/// A CloudFormation template, reduced to what the rules need. It borrows
/// strings from the text it was parsed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Template<'a> {
    pub format: Format,
    pub resources: Vec<Resource<'a>>,
    /// The `Parameters` section: a `Ref` to a parameter resolves to its `Default`.
    pub parameters: Object<'a>,
    /// The `Mappings` section, for `Fn::FindInMap`.
    pub mappings: Object<'a>,
}

/// The top-level sections a front-end hands over, before they are checked.
pub(crate) struct Sections<'a> {
    pub format: Format,
    /// `(logical id, line, body)` in document order.
    pub resources: Option<Vec<(String, usize, Node<'a>)>>,
    pub parameters: Option<(usize, Node<'a>)>,
    pub mappings: Option<(usize, Node<'a>)>,
}

impl<'a> Template<'a> {
    /// Parses a template in JSON or YAML (JSON when the first character that
    /// is not white space is `{`; a document that starts like JSON but only
    /// parses as YAML is read as YAML, as CloudFormation does).
    pub fn parse(source: &'a [u8]) -> Result<Template<'a>, ParseError> {
        Template::parse_with(source, Limits::default())
    }

    pub fn parse_with(source: &'a [u8], limits: Limits) -> Result<Template<'a>, ParseError> {
        if source.len() > limits.max_bytes {
            return Err(ParseError::whole(format!(
                "the template is {} bytes; the limit is {} bytes (CloudFormation accepts at most 1 MiB)",
                source.len(),
                limits.max_bytes
            )));
        }
        let text = decode_utf8(source)?;
        if text.trim().is_empty() {
            return Err(ParseError::whole("the template is empty"));
        }
        let sections = if text.trim_start().starts_with('{') {
            match json::parse(text, &limits) {
                Ok(sections) => sections,
                Err(json_error) if json_error.syntax => {
                    yaml::parse(text, &limits).map_err(|_| json_error.error)?
                }
                Err(json_error) => return Err(json_error.error),
            }
        } else {
            yaml::parse(text, &limits)?
        };
        Template::from_sections(sections)
    }

    fn from_sections(sections: Sections<'a>) -> Result<Template<'a>, ParseError> {
        let Some(resources) = sections.resources else {
            return Err(ParseError::whole(
                "the template has no Resources section (CloudFormation requires one)",
            ));
        };
        let mut checked = Vec::with_capacity(resources.len());
        for (logical_id, line, body) in resources {
            let resource_type = match body.get("Type") {
                Some(Node::String(t)) => t.to_string(),
                Some(_) => {
                    return Err(ParseError::at_line(
                        line,
                        format!("resource {logical_id}: Type must be a string"),
                    ));
                }
                None if body.is_object() => {
                    return Err(ParseError::at_line(
                        line,
                        format!("resource {logical_id} has no Type"),
                    ));
                }
                None => {
                    return Err(ParseError::at_line(
                        line,
                        format!("resource {logical_id} must be a mapping with a Type"),
                    ));
                }
            };
            checked.push(Resource {
                logical_id,
                line,
                resource_type,
                body,
            });
        }
        Ok(Template {
            format: sections.format,
            resources: checked,
            parameters: section_map(sections.parameters, "Parameters")?,
            mappings: section_map(sections.mappings, "Mappings")?,
        })
    }

    pub fn resource(&self, logical_id: &str) -> Option<&Resource<'a>> {
        self.resources.iter().find(|r| r.logical_id == logical_id)
    }
}

fn section_map<'a>(
    section: Option<(usize, Node<'a>)>,
    name: &str,
) -> Result<Object<'a>, ParseError> {
    match section {
        None => Ok(Object::default()),
        Some((_, Node::Object(map))) => Ok(map),
        Some((line, _)) => Err(ParseError::at_line(
            line,
            format!("{name} must be a mapping"),
        )),
    }
}

/// Strips a UTF-8 byte-order mark and rejects invalid UTF-8 with its position.
pub(crate) fn decode_utf8(source: &[u8]) -> Result<&str, ParseError> {
    let source = source.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(source);
    std::str::from_utf8(source).map_err(|e| {
        let valid = &source[..e.valid_up_to()];
        let line = memchr::memchr_iter(b'\n', valid).count() + 1;
        let line_start = memchr::memrchr(b'\n', valid).map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count()
            + 1;
        ParseError::at(line, column, "the template is not valid UTF-8")
    })
}

/// Maps byte offsets to 1-based line numbers.
pub(crate) struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        LineIndex {
            newlines: memchr::memchr_iter(b'\n', text.as_bytes()).collect(),
        }
    }

    pub fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&n| n < offset) + 1
    }
}
