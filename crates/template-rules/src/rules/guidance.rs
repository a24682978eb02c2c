//! What a rule tells whoever reads its findings: how to fix it
//! (`remediation`), where to read more (`link`), and the controls it serves
//! (`frameworks`). Optional fields of an item, shown wherever a finding is.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A remediation is one or two sentences.
pub const MAX_REMEDIATION: usize = 600;
/// A link is a URL of at most this many bytes.
pub const MAX_LINK: usize = 2048;
/// At most this many framework control ids, each at most [`MAX_FRAMEWORK`] bytes.
pub const MAX_FRAMEWORKS: usize = 20;
/// The longest framework control id.
pub const MAX_FRAMEWORK: usize = 100;

/// A rule's remediation, documentation link and framework controls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guidance {
    /// What to change, in one or two sentences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// Where to read more (an https URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The controls the rule serves: `AWS FSBP S3.5`, `CIS AWS Foundations v3.0.0 2.1.1`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<String>,
}

impl Guidance {
    /// Whether it says nothing.
    pub fn is_empty(&self) -> bool {
        self.remediation.is_none() && self.link.is_none() && self.frameworks.is_empty()
    }

    /// How to fix what the rule found, in one line: `fix: remediation
    /// [frameworks] link` (`see: ...` when it gives no remediation). Every
    /// format and summary shows it once per rule, with its first finding.
    pub fn fix_line(&self) -> String {
        let mut line = match &self.remediation {
            Some(remediation) => format!("fix: {remediation}"),
            None => "see:".to_string(),
        };
        if !self.frameworks.is_empty() {
            line.push_str(&format!(" [{}]", self.frameworks.join(", ")));
        }
        if let Some(link) = &self.link {
            line.push_str(&format!(" {link}"));
        }
        line
    }

    /// Reads the item's fields; each error names its field.
    pub(super) fn read(
        remediation: Option<&Value>,
        link: Option<&Value>,
        frameworks: Option<&Value>,
    ) -> Result<Guidance, String> {
        let remediation = match remediation {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= MAX_REMEDIATION => {
                Some(s.split_whitespace().collect::<Vec<_>>().join(" "))
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                return Err(
                    "remediation is empty (leave it out, or say what to change)".to_string()
                );
            }
            Some(Value::String(_)) => {
                return Err(format!(
                    "remediation is longer than {MAX_REMEDIATION} bytes: one or two sentences, with the rest behind its link"
                ));
            }
            Some(other) => return Err(format!("remediation must be text, not {other}")),
        };
        let link = match link {
            None | Some(Value::Null) => None,
            Some(Value::String(s))
                if (s.starts_with("https://") || s.starts_with("http://"))
                    && s.len() <= MAX_LINK
                    && !s.chars().any(char::is_whitespace) =>
            {
                Some(s.clone())
            }
            Some(Value::String(s)) => {
                return Err(format!(
                    "link \"{}\" is not an http(s) URL of at most {MAX_LINK} bytes without spaces",
                    cfn_template::display::short(s)
                ));
            }
            Some(other) => return Err(format!("link must be a URL, not {other}")),
        };
        let frameworks = match frameworks {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ids)) if ids.len() <= MAX_FRAMEWORKS => ids
                .iter()
                .map(|id| match id {
                    Value::String(s) if !s.trim().is_empty() && s.len() <= MAX_FRAMEWORK => {
                        Ok(s.trim().to_string())
                    }
                    other => Err(format!(
                        "frameworks: {other} is not a control id (text of at most {MAX_FRAMEWORK} bytes)"
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(Value::Array(_)) => {
                return Err(format!("frameworks lists more than {MAX_FRAMEWORKS} controls"));
            }
            Some(other) => {
                return Err(format!(
                    "frameworks must be a list of control ids, not {other}"
                ));
            }
        };
        Ok(Guidance {
            remediation,
            link,
            frameworks,
        })
    }
}
