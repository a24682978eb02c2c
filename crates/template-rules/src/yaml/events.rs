//! Two YAML readers behind one event stream.
//!
//! saphyr-parser reads almost every template, and borrows plain scalars from
//! the text. It refuses a few layouts that libyaml — and so PyYAML,
//! `aws cloudformation package`, SAM and CloudFormation itself — accept: a
//! flow collection or a quoted scalar whose continuation lines are indented
//! no deeper than the key they belong to, such as
//!
//! ```yaml
//!       Tags: [{Key: Name, Value: a name that goes on
//!   to the next line}]
//! ```
//!
//! On a scan error the text is read again with libyaml-safer, a line-by-line
//! port of libyaml; when that fails too, saphyr's error is the one reported.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event as SaphyrEvent, Parser, ScalarStyle, ScanError};

use crate::template::ParseError;

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

/// Why a reading stopped: the text is not YAML this reader takes, or the
/// consumer refused what it was given.
pub(crate) enum Failure {
    Scan(ParseError),
    Consumer(ParseError),
}

/// Feeds every event of `text` to `sink`, with saphyr-parser.
pub(crate) fn saphyr<'a>(
    text: &'a str,
    mut sink: impl FnMut(Event<'a>, Position) -> Result<(), ParseError>,
) -> Result<(), Failure> {
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| Failure::Scan(saphyr_error(&e)))?;
        let at = Position {
            line: span.start.line(),
            column: span.start.col() + 1,
        };
        let event = match event {
            SaphyrEvent::StreamEnd => return Ok(()),
            SaphyrEvent::DocumentStart(_) => Event::DocumentStart,
            SaphyrEvent::Scalar(text, style, anchor, tag) => Event::Scalar {
                text,
                plain: style == ScalarStyle::Plain,
                anchor: (anchor != 0).then_some(anchor),
                tag: tag.map(|t| saphyr_tag(&t)),
            },
            SaphyrEvent::Alias(id) => Event::Alias(id),
            SaphyrEvent::SequenceStart(anchor, tag) => Event::SequenceStart {
                anchor: (anchor != 0).then_some(anchor),
                tag: tag.map(|t| saphyr_tag(&t)),
            },
            SaphyrEvent::SequenceEnd => Event::SequenceEnd,
            SaphyrEvent::MappingStart(anchor, tag) => Event::MappingStart {
                anchor: (anchor != 0).then_some(anchor),
                tag: tag.map(|t| saphyr_tag(&t)),
            },
            SaphyrEvent::MappingEnd => Event::MappingEnd,
            SaphyrEvent::Nothing | SaphyrEvent::StreamStart | SaphyrEvent::DocumentEnd => continue,
        };
        sink(event, at).map_err(Failure::Consumer)?;
    }
    Ok(())
}

fn saphyr_error(e: &ScanError) -> ParseError {
    let message = if e.info().contains("recursion limit") {
        "the template nests too deeply".to_string()
    } else {
        format!("invalid YAML: {}", e.info())
    };
    ParseError::at(e.marker().line(), e.marker().col() + 1, message)
}

fn saphyr_tag(tag: &saphyr_parser::Tag) -> Tag {
    if tag.handle == "!" {
        Tag::Local(tag.suffix.clone())
    } else if tag.is_yaml_core_schema() {
        Tag::Core(tag.suffix.clone())
    } else {
        Tag::Other(tag.to_string())
    }
}

/// Feeds every event of `text` to `sink`, with libyaml-safer. Its strings
/// are its own, so every scalar is copied.
pub(crate) fn libyaml<'a>(
    text: &'a str,
    mut sink: impl FnMut(Event<'a>, Position) -> Result<(), ParseError>,
) -> Result<(), Failure> {
    use libyaml_safer::EventData;

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
        let event = parser
            .parse()
            .map_err(|e| Failure::Scan(libyaml_error(&e)))?;
        let at = Position {
            line: usize::try_from(event.start_mark.line).unwrap_or(usize::MAX) + 1,
            column: usize::try_from(event.start_mark.column).unwrap_or(usize::MAX) + 1,
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
                text: Cow::Owned(value),
                plain: style == libyaml_safer::ScalarStyle::Plain,
                anchor: define(anchor, &mut anchors),
                tag: tag.map(|t| libyaml_tag(&t)),
            },
            EventData::Alias { anchor } => {
                // An alias to a name never defined: no number any anchor has.
                Event::Alias(anchors.get(&anchor).copied().unwrap_or(0))
            }
            EventData::SequenceStart { anchor, tag, .. } => Event::SequenceStart {
                anchor: define(anchor, &mut anchors),
                tag: tag.map(|t| libyaml_tag(&t)),
            },
            EventData::SequenceEnd => Event::SequenceEnd,
            EventData::MappingStart { anchor, tag, .. } => Event::MappingStart {
                anchor: define(anchor, &mut anchors),
                tag: tag.map(|t| libyaml_tag(&t)),
            },
            EventData::MappingEnd => Event::MappingEnd,
            EventData::StreamStart { .. } | EventData::DocumentEnd { .. } => continue,
        };
        sink(event, at).map_err(Failure::Consumer)?;
    }
}

fn libyaml_error(e: &libyaml_safer::Error) -> ParseError {
    let message = format!("invalid YAML: {}", e.problem());
    match e.problem_mark() {
        Some(mark) => ParseError::at(
            usize::try_from(mark.line).unwrap_or(usize::MAX) + 1,
            usize::try_from(mark.column).unwrap_or(usize::MAX) + 1,
            message,
        ),
        None => ParseError::whole(message),
    }
}

fn libyaml_tag(tag: &str) -> Tag {
    if let Some(core) = tag.strip_prefix("tag:yaml.org,2002:") {
        Tag::Core(core.to_string())
    } else if let Some(local) = tag.strip_prefix('!') {
        Tag::Local(local.to_string())
    } else {
        Tag::Other(tag.to_string())
    }
}
