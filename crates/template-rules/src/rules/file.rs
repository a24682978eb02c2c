//! Rules files (YAML or JSON) and the embedded defaults.

use cfn_template::ParseError;
use serde_json::Value;

use super::item::RuleItem;
use super::set::RuleSet;

/// The default rules, embedded in the binary.
const DEFAULT_RULES: &str = include_str!("../default-rules.yaml");

/// Why a rules file could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesFileError {
    /// It is not YAML or JSON within the caps.
    #[error("{0}")]
    Parse(ParseError),
    /// It is neither a list of items nor a mapping with a `rules` list.
    #[error("expected a list of rules, or a mapping with a `rules` list")]
    Shape,
    /// An item is not a mapping of the item's fields.
    #[error("item {index}: {message}")]
    Item {
        /// 1-based.
        index: usize,
        /// What is wrong with it.
        message: String,
    },
}

impl RuleSet {
    /// The rule set a new rules table is seeded with.
    pub fn defaults() -> RuleSet {
        RuleSet::from_items(RuleSet::default_items())
    }

    /// The items of the default rule set.
    pub fn default_items() -> Vec<RuleItem> {
        match RuleSet::items_from_str(DEFAULT_RULES) {
            Ok(items) => items,
            // The file is part of the crate and covered by tests.
            Err(e) => unreachable!("embedded default-rules.yaml is invalid: {e}"),
        }
    }

    /// Reads the items of a rules file: YAML or JSON, either a list of items
    /// or a mapping with a `rules` list. A `ruledata` written as a mapping
    /// (a structured kind's) is kept as its JSON text, as items store it.
    pub fn items_from_str(text: &str) -> Result<Vec<RuleItem>, RulesFileError> {
        let value = cfn_template::parse_document(text.as_bytes()).map_err(RulesFileError::Parse)?;
        let list = match value {
            Value::Array(items) => items,
            Value::Object(mut map) => match map.remove("rules") {
                Some(Value::Array(items)) => items,
                _ => return Err(RulesFileError::Shape),
            },
            _ => return Err(RulesFileError::Shape),
        };
        list.into_iter()
            .enumerate()
            .map(|(i, item)| {
                if !item.is_object() {
                    return Err(RulesFileError::Item {
                        index: i + 1,
                        message: "expected a mapping with rule, category, ruletype, ruledata, riskvalue and active"
                            .to_string(),
                    });
                }
                serde_json::from_value(stored(item)).map_err(|e| RulesFileError::Item {
                    index: i + 1,
                    message: e.to_string(),
                })
            })
            .collect()
    }

    /// Reads a rules file; items that are not valid rules are kept as errors.
    pub fn from_file_str(text: &str) -> Result<RuleSet, RulesFileError> {
        Ok(RuleSet::from_items(RuleSet::items_from_str(text)?))
    }
}

/// An item of a rules file as it is stored: a structured kind's `ruledata`
/// written as a mapping (or list) becomes its text, as the table keeps it.
fn stored(mut item: Value) -> Value {
    if let Some(data) = item.get_mut("ruledata")
        && (data.is_object() || data.is_array())
    {
        *data = Value::String(data.to_string());
    }
    item
}
