//! Values as CloudFormation reads them: `true`, `"true"` and `"True"` are
//! the same boolean, `7`, `"7"` and `7.0` the same number; other text is
//! compared as written.

use std::borrow::Cow;

use cfn_template::Node;
use cfn_template::display::short;
use cfn_template::resolve::{Candidate, Shape, Value};

/// A value a rule compares with, as its ruledata writes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Bool(bool),
    /// The number, and how it was written (for messages).
    Number(f64, String),
    Text(String),
}

impl Scalar {
    /// A boolean, number or string of ruledata; `field` names it in the error.
    pub fn from_json(value: &serde_json::Value, field: &str) -> Result<Scalar, String> {
        match value {
            serde_json::Value::Bool(b) => Ok(Scalar::Bool(*b)),
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(f) if f.is_finite() => Ok(Scalar::Number(f, n.to_string())),
                _ => Err(format!("{field}: {n} is not a number the rule can compare")),
            },
            serde_json::Value::String(s) => Ok(Scalar::Text(s.clone())),
            other => Err(format!(
                "{field} must be a boolean, a number or a string, not {other}"
            )),
        }
    }

    /// Whether a value read as `text` is this value.
    pub fn matches(&self, text: &str) -> bool {
        match self {
            Scalar::Bool(b) => boolean(text) == Some(*b),
            Scalar::Number(n, _) => number(text) == Some(*n),
            Scalar::Text(s) => text == s,
        }
    }

    /// Whether a text of this shape may be this value (`false` when the
    /// shape rules it out).
    pub fn may_be(&self, shape: &Shape) -> bool {
        match self {
            Scalar::Text(s) => shape.may_be(s),
            // "True", " 7.0 ": written many ways, it may be.
            Scalar::Bool(_) | Scalar::Number(..) => true,
        }
    }

    /// As a person reads it.
    pub fn shown(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Number(_, written) => written.clone(),
            Scalar::Text(s) => short(s).into_owned(),
        }
    }
}

/// What a candidate is, for comparing.
pub(crate) enum Read<'a> {
    /// A boolean, number or string, as text.
    Text(Cow<'a, str>),
    /// A list or a mapping: no scalar equals it.
    Container(&'static str),
    /// Text of which only the shape is known (`arn:${AWS::Partition}:...`,
    /// `!Ref AWS::AccountId`, a resource's ARN).
    Shape(&'a Shape),
    /// Not known (a parameter without a `Default`, ...).
    Unknown,
}

/// `candidate` as a value to compare.
pub(crate) fn read<'a>(candidate: &'a Candidate<'_>) -> Read<'a> {
    match &candidate.value {
        Value::Node(Node::Bool(b)) => Read::Text(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Node(Node::Object(_)) => Read::Container("a mapping"),
        Value::Node(Node::Array(_)) => Read::Container("a list"),
        Value::Node(Node::Null) => Read::Text(Cow::Borrowed("")),
        Value::Shaped(shape) => Read::Shape(shape),
        Value::Unknown => Read::Unknown,
        _ => match candidate.as_text() {
            Some(text) => Read::Text(text),
            None => Read::Unknown,
        },
    }
}

/// `text` as a boolean, as CloudFormation reads one.
pub(crate) fn boolean(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// `text` as a number (`"7"`, `" 7.0 "`).
pub(crate) fn number(text: &str) -> Option<f64> {
    if text.len() > 64 {
        return None;
    }
    text.trim().parse::<f64>().ok().filter(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_and_numbers_written_as_text_are_read_as_cloudformation_reads_them() {
        let yes = Scalar::Bool(true);
        for text in ["true", "True", " TRUE "] {
            assert!(yes.matches(text), "{text}");
        }
        assert!(!yes.matches("yes"));
        let seven = Scalar::from_json(&serde_json::json!(7), "equals").unwrap();
        for text in ["7", "7.0", " 7 "] {
            assert!(seven.matches(text), "{text}");
        }
        assert!(!seven.matches("07x"));
        let enabled = Scalar::Text("Enabled".into());
        assert!(enabled.matches("Enabled"));
        assert!(!enabled.matches("enabled"));
        assert!(Scalar::from_json(&serde_json::json!([1]), "equals").is_err());
    }
}
