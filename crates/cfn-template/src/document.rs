//! Any YAML or JSON document, read with a template's caps: rules files.

use crate::error::ParseError;
use crate::limits::Limits;
use crate::node::Node;
use crate::yaml;

/// Parses any YAML or JSON document (a rules file, say) into a value, with
/// the same caps and error positions as templates.
pub fn parse_document(source: &[u8]) -> Result<serde_json::Value, ParseError> {
    let limits = Limits::default();
    if source.len() > limits.max_bytes {
        return Err(ParseError::whole(format!(
            "the document is {} bytes; the limit is {}",
            source.len(),
            limits.max_bytes
        )));
    }
    let text = std::str::from_utf8(source).map_err(|e| {
        ParseError::whole(format!(
            "the document is not valid UTF-8 (byte {})",
            e.valid_up_to()
        ))
    })?;
    yaml::document(text, &limits).map(|node| node.to_json())
}

/// Parses YAML or JSON text into a template value, borrowing from `text`,
/// with a template's caps: a value a template writes as JSON text (a policy
/// document in a string), read as CloudFormation reads it.
pub fn parse_node(text: &str) -> Result<Node<'_>, ParseError> {
    let limits = Limits::default();
    if text.len() > limits.max_bytes {
        return Err(ParseError::whole(format!(
            "the text is {} bytes; the limit is {}",
            text.len(),
            limits.max_bytes
        )));
    }
    yaml::document(text, &limits)
}
