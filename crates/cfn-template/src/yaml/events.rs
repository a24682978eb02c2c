//! The YAML reader: libyaml-safer, a line-by-line port of libyaml to safe
//! Rust, behind the event stream the builder consumes.
//!
//! libyaml is what PyYAML, `aws cloudformation package`, SAM and cfn-lint
//! read templates with, so what it accepts is what a user expects to be
//! read: including a flow collection or a quoted scalar whose continuation
//! lines are indented no deeper than the key they belong to, such as
//!
//! ```yaml
//!       Tags: [{Key: Name, Value: a name that goes on
//!   to the next line}]
//! ```
//!
//! (saphyr-parser, used before, refused those; and it kept every token of a
//! long flow collection that might be a mapping key in memory — 180 MB for
//! a 1 MiB `- [a, a, …]`. libyaml gives a possible key up after 1 024
//! characters, as YAML says.)

use std::borrow::Cow;
use std::collections::HashMap;

use libyaml_safer::{EventData, ScalarStyle};

use crate::error::ParseError;

/// Where an event starts: 1-based line and column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Position {
    pub line: usize,
    pub column: usize,
}

/// A tag as written, classified by where its name comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tag {
    /// `!Name`: CloudFormation's short forms, or a pre-processor's tags.
    Local(String),
    /// `!!str`, `!!int`, ...: the YAML core schema.
    Core(String),
    /// Anything else, as written out.
    Other(String),
}

/// What both readers report. Anchors are numbered: the latest definition of
/// a name wins, as YAML says.
#[derive(Debug)]
pub(crate) enum Event<'a> {
    DocumentStart,
    Scalar {
        text: Cow<'a, str>,
        plain: bool,
        anchor: Option<usize>,
        tag: Option<Tag>,
    },
    Alias(usize),
    SequenceStart {
        anchor: Option<usize>,
        tag: Option<Tag>,
    },
    SequenceEnd,
    MappingStart {
        anchor: Option<usize>,
        tag: Option<Tag>,
    },
    MappingEnd,
}

/// Feeds every event of `text` to `sink`.
pub(crate) fn read<'a>(
    text: &'a str,
    mut sink: impl FnMut(Event<'a>, Position) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let mut input = text.as_bytes();
    let mut parser = libyaml_safer::Parser::new();
    parser.set_input_string(&mut input);
    let mut anchors: HashMap<String, usize> = HashMap::new();
    let mut defined = 0;
    let mut define = |name: Option<String>, anchors: &mut HashMap<String, usize>| {
        name.map(|name| {
            defined += 1;
            anchors.insert(name, defined);
            defined
        })
    };
    loop {
        let event = parser.parse().map_err(|e| error(&e))?;
        let at = Position {
            line: number(event.start_mark.line) + 1,
            column: number(event.start_mark.column) + 1,
        };
        let event = match event.data {
            EventData::StreamEnd => return Ok(()),
            EventData::DocumentStart { .. } => Event::DocumentStart,
            EventData::Scalar {
                anchor,
                tag,
                value,
                style,
                ..
            } => Event::Scalar {
                text: borrow(
                    text,
                    value,
                    style,
                    number(event.start_mark.index),
                    number(event.end_mark.index),
                ),
                plain: style == ScalarStyle::Plain,
                anchor: define(anchor, &mut anchors),
                tag: tag.map(|t| classify_tag(&t)),
            },
            EventData::Alias { anchor } => {
                // An alias to a name never defined: no number any anchor has.
                Event::Alias(anchors.get(&anchor).copied().unwrap_or(0))
            }
            EventData::SequenceStart { anchor, tag, .. } => Event::SequenceStart {
                anchor: define(anchor, &mut anchors),
                tag: tag.map(|t| classify_tag(&t)),
            },
            EventData::SequenceEnd => Event::SequenceEnd,
            EventData::MappingStart { anchor, tag, .. } => Event::MappingStart {
                anchor: define(anchor, &mut anchors),
                tag: tag.map(|t| classify_tag(&t)),
            },
            EventData::MappingEnd => Event::MappingEnd,
            EventData::StreamStart { .. } | EventData::DocumentEnd { .. } => continue,
        };
        sink(event, at)?;
    }
}

fn number(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// A scalar as a slice of the template where it is written out as it is
/// (plain, or quoted without escapes or line folding), so that the tree
/// borrows it; otherwise the reader's own string, without spare room.
fn borrow(text: &str, value: String, style: ScalarStyle, start: usize, end: usize) -> Cow<'_, str> {
    let quotes = match style {
        ScalarStyle::Plain => 0,
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => 1,
        _ => usize::MAX,
    };
    let slice = (quotes != usize::MAX)
        .then(|| text.get(start + quotes..end.checked_sub(quotes)?))
        .flatten();
    match slice {
        Some(slice) if slice == value => Cow::Borrowed(slice),
        _ => {
            let mut value = value;
            value.shrink_to_fit();
            Cow::Owned(value)
        }
    }
}

fn error(e: &libyaml_safer::Error) -> ParseError {
    let message = match (e.context(), e.context_mark()) {
        (Some(context), Some(mark)) => format!(
            "invalid YAML: {} ({context} that starts on line {})",
            e.problem(),
            number(mark.line) + 1
        ),
        (Some(context), None) => format!("invalid YAML: {} ({context})", e.problem()),
        _ => format!("invalid YAML: {}", e.problem()),
    };
    match e.problem_mark() {
        Some(mark) => ParseError::at(number(mark.line) + 1, number(mark.column) + 1, message),
        None => ParseError::whole(message),
    }
}

/// `!Ref` is local; `!!str` arrives resolved to `tag:yaml.org,2002:str`.
fn classify_tag(tag: &str) -> Tag {
    if let Some(core) = tag.strip_prefix("tag:yaml.org,2002:") {
        Tag::Core(core.to_string())
    } else if let Some(local) = tag.strip_prefix('!') {
        Tag::Local(local.to_string())
    } else {
        Tag::Other(tag.to_string())
    }
}
