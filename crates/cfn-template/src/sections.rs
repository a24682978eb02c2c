//! What a front-end (JSON or YAML) hands over: the template's top-level
//! sections as written, before any of them is checked or expanded.

use std::fmt;

use crate::node::Node;

/// Which syntax a template was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON (the text starts with `{` and parses as JSON).
    Json,
    /// YAML, short-form tags such as `!Ref` included.
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

/// The top-level sections a front-end hands over, before they are checked.
pub(crate) struct Sections<'a> {
    pub format: Format,
    /// `(logical id, line, body)` in document order.
    pub resources: Option<Vec<(String, usize, Node<'a>)>>,
    pub parameters: Option<(usize, Node<'a>)>,
    pub mappings: Option<(usize, Node<'a>)>,
    pub conditions: Option<(usize, Node<'a>)>,
    pub outputs: Option<(usize, Node<'a>)>,
    pub transform: Option<(usize, Node<'a>)>,
    /// The other top-level sections (`Transform` too), as written.
    pub others: Vec<(String, Node<'a>)>,
    /// Every top-level key, in document order.
    pub order: Vec<String>,
}

impl<'a> Sections<'a> {
    pub fn new(format: Format) -> Self {
        Sections {
            format,
            resources: None,
            parameters: None,
            mappings: None,
            conditions: None,
            outputs: None,
            transform: None,
            others: Vec::new(),
            order: Vec::new(),
        }
    }

    /// Keeps a top-level section other than `Resources` (which front-ends
    /// read with its lines, and record with [`Sections::resources_at`]).
    pub fn set(&mut self, key: &str, line: usize, value: Node<'a>) {
        self.order.push(key.to_string());
        let slot = match key {
            "Parameters" => &mut self.parameters,
            "Mappings" => &mut self.mappings,
            "Conditions" => &mut self.conditions,
            "Outputs" => &mut self.outputs,
            "Transform" => {
                self.others.push((key.to_string(), value.clone()));
                &mut self.transform
            }
            _ => {
                self.others.push((key.to_string(), value));
                return;
            }
        };
        *slot = Some((line, value));
    }

    /// Records where `Resources` stands among the top-level keys.
    pub fn resources_at(&mut self) {
        self.order.push("Resources".to_string());
    }
}
