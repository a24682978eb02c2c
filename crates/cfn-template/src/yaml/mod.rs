//! YAML front-end: builds the same [`Node`] tree as the JSON one.
//!
//! Short-form intrinsics become their long form (see [`tags`]). Plain
//! scalars follow the YAML 1.2 core schema (null, booleans, numbers); quoted
//! and block scalars are always strings; mapping keys are always strings.
//! Anchors are shared by their aliases and merge keys (`<<`) are expanded.

mod builder;
mod events;
mod merge;
mod scalar;
mod tags;

use builder::Builder;

use crate::error::ParseError;
use crate::limits::Limits;
use crate::node::Node;
use crate::sections::{Format, Sections};

pub(crate) fn parse<'a>(text: &'a str, limits: &Limits) -> Result<Sections<'a>, ParseError> {
    sections(read(text, limits)?)
}

/// Any YAML document as a value (rules files).
pub(crate) fn document<'a>(text: &'a str, limits: &Limits) -> Result<Node<'a>, ParseError> {
    read(text, limits)?
        .root
        .ok_or_else(|| ParseError::whole("the document is empty"))
}

fn read<'a, 'l>(text: &'a str, limits: &'l Limits) -> Result<Builder<'a, 'l>, ParseError> {
    let mut builder = Builder::new(limits);
    events::read(text, |event, at| builder.on_event(event, at))?;
    Ok(builder)
}

fn sections<'a>(mut built: Builder<'a, '_>) -> Result<Sections<'a>, ParseError> {
    let root = match built.root.take().map(Node::into_object) {
        None | Some(Err(Node::Null)) => return Err(ParseError::whole("the template is empty")),
        Some(Ok(root)) => root,
        Some(Err(_)) => {
            return Err(ParseError::at_line(
                1,
                "the template must be a mapping at the top level",
            ));
        }
    };
    let mut sections = Sections::new(Format::Yaml);
    for (key, value) in root.into_entries() {
        let line = built.top_lines.get(key.as_ref()).copied().unwrap_or(1);
        if key == "Resources" {
            sections.resources_at();
            let Ok(resources) = value.into_object() else {
                return Err(ParseError::at_line(line, "Resources must be a mapping"));
            };
            sections.resources = Some(
                resources
                    .into_entries()
                    .into_iter()
                    .map(|(id, body)| {
                        // Resources brought in by an alias have no line of their own.
                        let at = built
                            .resource_lines
                            .get(id.as_ref())
                            .copied()
                            .unwrap_or(line);
                        (id.into_owned(), at, body)
                    })
                    .collect(),
            );
        } else {
            sections.set(&key, line, value);
        }
    }
    Ok(sections)
}
