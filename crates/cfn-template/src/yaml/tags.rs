//! What a tag asks of the node it is on.
//!
//! CloudFormation's short forms become their long form: `!Ref X` is
//! `{"Ref": "X"}`, `!Sub s` is `{"Fn::Sub": s}`, and so are the functions of
//! the `Rules` section (`!Contains`, `!EachMemberIn`, `!RefAll`, ...). Tags
//! of the YAML core schema (`!!str`, `!!int`, ...) choose how a scalar is
//! read. Any other tag is refused: a pre-processor's (`!Rain::Embed`) means
//! the file is not yet the template CloudFormation would be given.

use super::events::Tag;
use crate::error::ParseError;

pub(super) enum TagKind {
    /// Wrap the node as `{name: node}`.
    Intrinsic(String),
    /// A core-schema tag (`str`, `int`, ...).
    Core(String),
}

/// Long form of a CloudFormation short-form tag (`GetAtt` → `Fn::GetAtt`).
fn intrinsic(suffix: &str) -> Option<String> {
    match suffix {
        "Ref" | "Condition" => Some(suffix.to_string()),
        // Intrinsic functions.
        "Base64" | "Cidr" | "FindInMap" | "GetAtt" | "GetAZs" | "ImportValue" | "Join"
        | "Select" | "Split" | "Sub" | "Transform" | "Length" | "ToJsonString"
        // Condition functions.
        | "And" | "Equals" | "If" | "Not" | "Or"
        // Rule functions (the `Rules` section).
        | "Contains" | "EachMemberEquals" | "EachMemberIn" | "RefAll" | "ValueOf"
        | "ValueOfAll" => Some(format!("Fn::{suffix}")),
        _ => None,
    }
}

pub(super) fn classify(tag: Tag, line: usize, column: usize) -> Result<TagKind, ParseError> {
    match tag {
        // `!` alone: a non-specific tag, which makes a scalar a string.
        Tag::Local(suffix) if suffix.is_empty() => Ok(TagKind::Core("str".to_string())),
        Tag::Local(suffix) => match intrinsic(&suffix) {
            Some(name) => Ok(TagKind::Intrinsic(name)),
            None if suffix.contains("::") => Err(ParseError::at(
                line,
                column,
                format!(
                    "!{suffix} is a pre-processor's tag, not CloudFormation's: run the pre-processor \
                     (for Rain: `rain pkg`) and check the template it writes"
                ),
            )),
            None => Err(ParseError::at(
                line,
                column,
                format!("unknown tag !{suffix} (not a CloudFormation intrinsic function)"),
            )),
        },
        Tag::Core(kind) => Ok(TagKind::Core(kind)),
        Tag::Other(tag) => Err(ParseError::at(
            line,
            column,
            format!("unsupported tag {tag}"),
        )),
    }
}
